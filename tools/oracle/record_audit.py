"""Record the real `openclaw security audit --json` output for the audit fixtures.

Usage: python tools/oracle/record_audit.py [NAME_SUBSTRING ...]

For every tests/fixtures/audit/configs/<name>.json5 this runs
`/work/shared/tools/openclaw-peer audit <config>` (one call at a time: the oracle is
slow and the machine is shared), with the KEY=VALUE lines of an optional sidecar
`<name>.env` exported, and writes `<name>.audit.json` next to the config.
Non-deterministic fields are stripped: `ts`, and isolated-state tmp paths are
replaced by `<STATE>` so the fixtures stay stable. CI never runs this script.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

PEER = os.environ.get("OPENCLAW_PEER", "/work/shared/tools/openclaw-peer")
CONFIG_DIR = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "audit" / "configs"
# The peer creates its state dir with mktemp; any path below it is host noise.
TMP_PATH = re.compile(r"/tmp/tmp\.[A-Za-z0-9]+")


def read_env_file(path: Path) -> dict[str, str]:
    """Return the KEY=VALUE pairs of a sidecar env file (missing file: empty)."""
    if not path.exists():
        return {}
    pairs: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            pairs[key.strip()] = value
    return pairs


def clean_output(raw: str) -> dict:
    """Return the CLI JSON with `ts` dropped and tmp paths normalised."""
    data = json.loads(TMP_PATH.sub("<STATE>", raw))
    data.pop("ts", None)
    return data


def record(config: Path) -> None:
    """Run the oracle on one config and write its `.audit.json` (or `.error.txt`)."""
    name = config.name.removesuffix(".json5")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENCLAW_")}
    env.update(read_env_file(config.with_name(name + ".env")))
    # Fixed argv: our peer script and our own fixture path.
    cmd = [PEER, "audit", str(config)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    out = config.with_name(name + ".audit.json")
    start = proc.stdout.find("{")
    if proc.returncode != 0 or start < 0:
        config.with_name(name + ".error.txt").write_text(proc.stdout + proc.stderr)
        print(f"{name}: FAILED rc={proc.returncode}")
        return
    data = clean_output(proc.stdout[start:])
    out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    ids = [f["checkId"] for f in data["findings"]]
    print(f"{name}: {len(ids)} findings")


def main(argv: list[str]) -> None:
    """Record every fixture config, or only those whose name contains an argument.

    `--catalogue` instead regenerates catalogue_ids.json from audit-catalogue.md;
    `--fixes` writes each config with our proposed fixes applied to fixtures/audit/fixed/
    and records the real CLI's audit of it (run this one with the project venv's python).
    """
    if argv == ["--catalogue"]:
        record_catalogue()
        return
    if argv[:1] == ["--fixes"]:
        record_fixes(argv[1:])
        return
    for config in sorted(CONFIG_DIR.glob("*.json5")):
        if argv and not any(a in config.name for a in argv):
            continue
        record(config)


CATALOGUE_MD = Path("/work/shared/research/audit-catalogue.md")
CATALOGUE_JSON = CONFIG_DIR.parent / "catalogue_ids.json"
_CODE = re.compile(r"`([^`]+)`")


def _row_ids(cell: str) -> list[str]:
    """Expand `a.b.c` / `d` / `.e` shorthand of a catalogue cell into full ids."""
    names = _CODE.findall(cell)
    if not names:
        return []
    first = names[0]
    out = [first]
    for name in names[1:]:
        if name.startswith("."):
            out.append(first + name)
        else:
            out.append(first.rsplit(".", 1)[0] + "." + name)
    return out


def record_catalogue() -> None:
    """Write catalogue_ids.json: every check id of audit-catalogue.md with its class."""
    section_class = None
    rows: dict[str, str] = {}
    for line in CATALOGUE_MD.read_text().splitlines():
        if line.startswith("## "):
            section_class = "channel-plugin" if "Channels" in line else None
            continue
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        cls = section_class or cells[-1].split(" (")[0].strip()
        for check_id in _row_ids(cells[0]):
            rows.setdefault(check_id, cls)
    CATALOGUE_JSON.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"catalogue: {len(rows)} ids")


FIXED_DIR = CONFIG_DIR.parent / "fixed"


def record_fixes(only: list[str]) -> None:
    """Apply our fix proposals to every fixture and record the real audit of the result."""
    sys.path.insert(0, str(CONFIG_DIR.parents[3]))
    from controlpanel.audit import apply_fixes, propose_fixes, run_audit
    from tests.audit.fixtures import fixture_names, load_fixture

    FIXED_DIR.mkdir(exist_ok=True)
    for name in fixture_names():
        if only and not any(a in name for a in only):
            continue
        config, raw, env = load_fixture(name)
        fixes = propose_fixes(raw, run_audit(config, env=env).findings, env=env)
        if not fixes:
            continue
        target = FIXED_DIR / f"{name}.json5"
        target.write_text(json.dumps(apply_fixes(raw, fixes), indent=2) + "\n")
        env_file = CONFIG_DIR / f"{name}.env"
        if env_file.exists():
            target.with_suffix(".env").write_text(env_file.read_text())
        record(target)


if __name__ == "__main__":
    main(sys.argv[1:])
