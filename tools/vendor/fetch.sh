#!/usr/bin/env bash
# Rebuild the vendored JavaScript from the npm registry (no CDN at run time; the files are committed).
#
#   tools/vendor/fetch.sh            download, verify and unpack every package below
#
# Each tarball is checked against the sha512 integrity the registry publishes (`npm view PKG@VER
# dist.integrity`); a mismatch stops the script before anything is written. To upgrade: change the
# version and integrity here, run the script, look at the diff, run the page sweep
# (tests/browser/test_page_sweep.py), commit.
set -euo pipefail
cd "$(dirname "$0")/../.."

fetch() {  # fetch NAME VERSION INTEGRITY DEST FILE...
  local name=$1 version=$2 integrity=$3 dest=$4
  shift 4
  local tmp
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  curl -fsSL "https://registry.npmjs.org/${name}/-/${name}-${version}.tgz" -o "$tmp/pkg.tgz"
  local got
  got="sha512-$(openssl dgst -sha512 -binary "$tmp/pkg.tgz" | base64 -w0)"
  if [ "$got" != "$integrity" ]; then
    echo "integrity mismatch for ${name}@${version}: got $got" >&2
    return 1
  fi
  tar -xzf "$tmp/pkg.tgz" -C "$tmp"
  mkdir -p "$dest"
  for file in "$@"; do cp "$tmp/package/$file" "$dest/"; done
  printf '%s@%s\n%s\nfrom https://registry.npmjs.org/%s/-/%s-%s.tgz by tools/vendor/fetch.sh\n' \
    "$name" "$version" "$integrity" "$name" "$name" "$version" > "$dest/VERSION"
  echo "vendored ${name}@${version} into ${dest}"
}

# uPlot: the memory chart (axes, time labels), MIT. Served from static/, loaded only on chart pages.
fetch uplot 1.6.32 \
  'sha512-KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw==' \
  static/vendor/uplot dist/uPlot.iife.min.js dist/uPlot.min.css LICENSE

# axe-core: the accessibility scan of the page sweep (tests only, never served), MPL-2.0.
fetch axe-core 4.14.1 \
  'sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==' \
  tests/browser/vendor/axe-core axe.min.js LICENSE
