"""``${VAR}`` substitution, following OpenClaw 2026.9.6 (src/config/env-substitution.ts, read not copied).

Rules verified against the real CLI:
- only upper-case names ``[A-Z_][A-Z0-9_]*`` are references; ``${lower}`` stays literal text;
- references may sit inside longer strings (``"Bearer ${TOKEN}"``);
- ``$${VAR}`` is an escape and yields the literal ``${VAR}``;
- an unset or empty variable does NOT make the config invalid: ``config validate`` reports a warning
  ``Missing env var "X" - feature using this value will be unavailable`` at the value's path and
  keeps the reference text in place;
- only string values are substituted, never keys; array items get ``path[i]`` in messages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

_NAME = re.compile(r"[A-Z_][A-Z0-9_]*\Z")


class EnvRef(BaseModel):
    """One ``${VAR}`` reference found in the config: where, which variable, and whether it resolved."""

    model_config = ConfigDict(frozen=True)

    path: str
    name: str
    resolved: bool


@dataclass
class Substitution:
    """The outcome of substituting a whole config: the new value and every reference met."""

    value: Any
    refs: list[EnvRef] = field(default_factory=list)

    @property
    def missing(self) -> list[EnvRef]:
        """Return the references whose variable is unset or empty."""
        return [ref for ref in self.refs if not ref.resolved]


def _token_at(value: str, i: int) -> tuple[str, str, int] | None:
    """Return (kind, name, end) for a reference or escape starting at i, else None."""
    if value.startswith("$${", i):
        end = value.find("}", i + 3)
        if end >= 0 and _NAME.match(value[i + 3 : end]):
            return ("escaped", value[i + 3 : end], end)
    if value.startswith("${", i):
        end = value.find("}", i + 2)
        if end >= 0 and _NAME.match(value[i + 2 : end]):
            return ("ref", value[i + 2 : end], end)
    return None


def substitute_string(value: str, env: Mapping[str, str], path: str, refs: list[EnvRef]) -> str:
    """Return value with references replaced; unresolved ones are kept verbatim and recorded."""
    if "$" not in value:
        return value
    out: list[str] = []
    i = 0
    while i < len(value):
        token = _token_at(value, i) if value[i] == "$" else None
        if token is None:
            out.append(value[i])
            i += 1
            continue
        kind, name, end = token
        if kind == "escaped":
            out.append("${" + name + "}")
        else:
            found = env.get(name)
            refs.append(EnvRef(path=path, name=name, resolved=bool(found)))
            out.append(found if found else "${" + name + "}")
        i = end + 1
    return "".join(out)


def has_reference(value: str) -> bool:
    """Return True when the string holds at least one unescaped ``${VAR}`` reference."""
    refs: list[EnvRef] = []
    substitute_string(value, {}, "", refs)
    return bool(refs)


def is_pure_reference(value: Any) -> bool:
    """Return True when value is exactly one ``${VAR}`` reference (not a secret in itself)."""
    return isinstance(value, str) and re.fullmatch(r"\$\{[A-Z_][A-Z0-9_]*\}", value.strip()) is not None


_PLAIN_KEY = re.compile(r"[A-Za-z_$][A-Za-z0-9_$:-]*\Z")


def join_path(parent: str, key: str) -> str:
    """Return the path of key under parent in the CLI's notation: ``a.b``, or ``a["+1555"]`` for a key
    that is not identifier-like."""
    if not _PLAIN_KEY.match(key):
        return f"{parent}[{json.dumps(key, ensure_ascii=False)}]"
    return f"{parent}.{key}" if parent else key


def substitute(value: Any, env: Mapping[str, str], path: str = "") -> Substitution:
    """Substitute every string inside value; returns the new value and the references met."""
    refs: list[EnvRef] = []

    def visit(node: Any, at: str) -> Any:
        if isinstance(node, str):
            return substitute_string(node, env, at, refs)
        if isinstance(node, list):
            return [visit(item, f"{at}[{i}]") for i, item in enumerate(node)]
        if isinstance(node, dict):
            return {key: visit(child, join_path(at, key)) for key, child in node.items()}
        return node

    return Substitution(visit(value, path), refs)


def config_env_vars(raw: Any) -> dict[str, str]:
    """Return the variables a config defines for itself (``env.vars`` and string ``env.*`` entries).

    OpenClaw applies them before substitution, without overriding the process environment.
    """
    if not isinstance(raw, dict) or not isinstance(raw.get("env"), dict):
        return {}
    env = raw["env"]
    found = {k: v for k, v in env.items() if isinstance(v, str) and _NAME.match(k)}
    if isinstance(env.get("vars"), dict):
        found.update({k: v for k, v in env["vars"].items() if isinstance(v, str)})
    return found
