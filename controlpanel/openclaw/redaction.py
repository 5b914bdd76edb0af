"""Secrets out of sight: redact parsed configs and raw JSON5 text with OpenClaw's own marker.

The marker is the one `openclaw config get` and the gateway's config.get use (``__OPENCLAW_REDACTED__``).
A value that is exactly one ``${VAR}`` reference is not a secret (it names where the secret lives) and is
shown, as OpenClaw does. Only string values are replaced; structure and non-string values stay.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .envsubst import is_pure_reference
from .syntax import Path, decode_string, walk_values

SECRET_MARKER = "__OPENCLAW_REDACTED__"

# Key names that hold a secret wherever they appear (compared case-insensitively).
_SECRET_KEY = re.compile(
    r"(^|_)(token|password|passwd|secret|apikey|api_key|bottoken|apptoken|accesstoken|refreshtoken"
    r"|signingsecret|webhooksecret|clientsecret|privatekey|private_key|credentials?|cookie|authorization)$"
    r"|(token|password|secret|apikey)$",
    re.IGNORECASE,
)
# Keys that end like a secret but are not one (counts, limits, modes, paths, file references).
_NOT_SECRET = re.compile(
    r"(file|path|dir|env|mode|ttl|ms|seconds|limit|count|prefix|header)s?$", re.IGNORECASE
)


# Values OpenClaw 2026.9.6's schema registers as sensitive that the name rule above misses: ssh
# sandbox key material, TLS client keys, a header auth value, hook session keys, proxy URLs, and
# every entry of an ``env`` map (MCP servers, local services, hook commands) or ``headers`` map.
_SENSITIVE_KEYS = frozenset(
    {"identitydata", "certificatedata", "knownhostsdata", "passphrase", "sessionkey", "proxyurl"}
)
_SENSITIVE_UNDER = frozenset({("tls", "ca"), ("tls", "cert"), ("tls", "key"), ("auth", "value")})
_SENSITIVE_MAPS = frozenset({"env", "headers"})


def is_secret_path(path: Path) -> bool:
    """Return True when the value at path (a tuple of keys; list indexes as digit strings) is secret."""
    keys = [part for part in path if not part.isdigit()]
    if not keys:
        return False
    if keys[-1].lower() in _SENSITIVE_KEYS or tuple(keys[-2:]) in _SENSITIVE_UNDER:
        return True
    if len(keys) >= 2 and keys[-2] in _SENSITIVE_MAPS:
        return True
    # Everything under env (vars, shellEnv values) and skills.entries.*.env.* is a secret environment.
    if keys[0] == "env" and len(keys) >= 2:
        return True
    if len(keys) >= 5 and keys[:2] == ["skills", "entries"] and keys[3] == "env":
        return True
    # A SecretRef ({source, provider, id}) only hides its id: source and provider say where to look.
    if len(keys) >= 2 and keys[-1] in ("source", "provider"):
        return False
    # Any ancestor or the key itself named like a secret (e.g. a token list, a SecretRef object).
    return any(_secret_key(key) for key in keys)


@lru_cache(maxsize=4096)
def _secret_key(key: str) -> bool:
    """Return True when a key's name says it holds a secret (cached: configs repeat their keys)."""
    return bool(_SECRET_KEY.search(key)) and not _NOT_SECRET.search(key)


# A URL with credentials in it (http://user:pw@host): OpenClaw masks the whole value, so do we.
_URL_WITH_CREDENTIALS = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@\s]+@", re.IGNORECASE)


def _secret_value(path: Path, value: Any) -> bool:
    """Return True when the string value at path must not be shown."""
    if not isinstance(value, str) or value == "" or is_pure_reference(value):
        return False
    return is_secret_path(path) or _URL_WITH_CREDENTIALS.match(value.strip()) is not None


def redact(data: Any, path: Path = ()) -> Any:
    """Return a copy of data with every secret string value replaced by SECRET_MARKER."""
    if isinstance(data, dict):
        return {key: redact(value, (*path, key)) for key, value in data.items()}
    if isinstance(data, list):
        return [redact(value, (*path, str(i))) for i, value in enumerate(data)]
    return SECRET_MARKER if _secret_value(path, data) else data


@lru_cache(maxsize=32)
def redact_text(text: str) -> str:
    """Return the JSON5 text with secret string literals replaced, comments and layout kept.

    Cached: the pages redact the same current revision again and again. A text without any secret
    (``${VAR}`` references are not secrets) comes back as it is without walking its tokens. Every value
    of a repeated key is redacted (OpenClaw keeps the last, but the text holds them all).

    Raises ConfigSyntaxError for text the tokenizer cannot follow (unterminated string).
    """
    if not _may_hold_secrets(text):
        return text
    out: list[str] = []
    last = 0
    for site in walk_values(text):
        if site.token.kind != "string":
            continue
        value = decode_string(text, site.token)
        if _secret_value(site.path, value):
            out.append(text[last : site.token.start])
            out.append(f'"{SECRET_MARKER}"')
            last = site.token.end
    out.append(text[last:])
    return "".join(out)


def _may_hold_secrets(text: str) -> bool:
    """False only when the text parses, has no repeated key and holds no secret value anywhere."""
    from .syntax import fast_value

    value = fast_value(text)
    return value is None or _holds_secret(value, ())


def _holds_secret(data: Any, path: Path) -> bool:
    if isinstance(data, dict):
        return any(_holds_secret(v, (*path, k)) for k, v in data.items())
    if isinstance(data, list):
        return any(_holds_secret(v, (*path, str(i))) for i, v in enumerate(data))
    return _secret_value(path, data)
