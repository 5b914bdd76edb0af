"""Loading the recorded oracle fixtures (configs, env sidecars, CLI outputs)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import json5

CONFIG_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "audit" / "configs"
_VAR = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")

# Ids that depend on the peer's isolated state dir / host rather than on the config.
# The oracle runs in a fresh 0700 state dir with a 0600 config, so none of them fire in
# the recorded outputs; they are excluded from the comparison on principle.
HOST_DEPENDENT_PREFIXES = ("fs.", "skills.workspace.", "plugins.", "sandbox.browser_container.")


def fixture_names() -> list[str]:
    """Return the names of every fixture config that has a recorded CLI output."""
    return sorted(
        p.name.removesuffix(".json5")
        for p in CONFIG_DIR.glob("*.json5")
        if p.with_name(p.name.removesuffix(".json5") + ".audit.json").exists()
    )


def read_env(name: str) -> dict[str, str]:
    """Return the KEY=VALUE pairs of the fixture's `.env` sidecar (empty if none)."""
    path = CONFIG_DIR / f"{name}.env"
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k.strip(): v for k, v in pairs}


def _substitute(node: Any, env: dict[str, str]) -> Any:
    if isinstance(node, str):
        return _VAR.sub(lambda m: env[m.group(1)], node)
    if isinstance(node, list):
        return [_substitute(v, env) for v in node]
    if isinstance(node, dict):
        return {k: _substitute(v, env) for k, v in node.items()}
    return node


def _migrate_agents_list(config: dict[str, Any]) -> dict[str, Any]:
    agents = config.get("agents")
    if isinstance(agents, dict) and isinstance(agents.get("list"), list):
        entries = {a["id"]: {k: v for k, v in a.items() if k != "id"} for a in agents["list"]}
        rest = {k: v for k, v in agents.items() if k != "list"}
        config = {**config, "agents": {**rest, "entries": entries}}
    return config


def load_fixture(name: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """Return (resolved config, raw config, env) of a fixture, loaded like the gateway does.

    Uses `controlpanel.openclaw.load_config` when that module exists; until then a local
    JSON5 parse + `${VAR}` substitution + `agents.list` migration stands in.
    """
    text = (CONFIG_DIR / f"{name}.json5").read_text()
    env = read_env(name)
    try:
        from controlpanel.openclaw import load_config  # type: ignore[attr-defined]
    except ImportError:
        load_config = None
    if load_config is not None:
        result = load_config(text, env=env)
        return dict(result.resolved), dict(result.raw), env
    raw = json5.loads(text)
    return _migrate_agents_list(_substitute(raw, env)), _migrate_agents_list(raw), env


def recorded(name: str) -> dict[str, Any]:
    """Return the recorded CLI output of a fixture."""
    return json.loads((CONFIG_DIR / f"{name}.audit.json").read_text())


def comparable(findings: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """Return (checkId, severity, title) of findings, minus host-dependent ids."""
    return [
        (f["checkId"], f["severity"], f["title"])
        for f in findings
        if not f["checkId"].startswith(HOST_DEPENDENT_PREFIXES)
    ]


def load_dict(raw: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """Return the resolved config of an authored dict (after fixes), loaded like a file."""
    try:
        from controlpanel.openclaw import load_config  # type: ignore[attr-defined]
    except ImportError:
        return _migrate_agents_list(_substitute(raw, env))
    result = load_config(json.dumps(raw), env=env)
    assert result.valid, result.issues
    return dict(result.resolved)
