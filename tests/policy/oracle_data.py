"""Readers for the recorded oracle fixtures (tests/fixtures/policy): configs and the real CLI's output.

Configs are parsed the way the panel will parse them: through `controlpanel.openclaw.load_config`
when that loader accepts the config, else with plain json5 (our fixture configs are already in the
current `agents.entries` form and contain no `${VAR}` references, so both give the same dict).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import json5

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "policy"
CONFIGS = FIXTURES / "configs"
ORACLE = FIXTURES / "oracle"
GROUP_SESSION = "agent:{agent}:telegram:group:123"


def recorded_names() -> list[str]:
    """Return the names of configs that have a complete oracle recording, sorted."""
    return sorted(p.name for p in ORACLE.iterdir() if (p / "agents.json").exists()) if ORACLE.exists() else []


@cache
def load(name: str) -> dict[str, Any]:
    """Return the resolved config dict of a fixture config."""
    text = (CONFIGS / f"{name}.json5").read_text()
    try:
        from controlpanel.openclaw import load_config
    except ImportError:  # pragma: no cover - the loader lands in another package
        return json5.loads(text)
    result = load_config(text, env={})
    return result.resolved if result.valid and result.resolved is not None else json5.loads(text)


@cache
def oracle(name: str, file: str) -> Any:
    """Return one recorded oracle output (parsed JSON)."""
    return json.loads((ORACLE / name / file).read_text())


def agent_cases() -> list[tuple[str, str]]:
    """Return (config name, agent id) for every agent of every recorded config."""
    return [(name, agent) for name in recorded_names() for agent in oracle(name, "tools.json")["agentIds"]]


def scope_for(name: str, agent: str) -> dict[str, Any]:
    """Return the oracle's tool report for an agent (the defaults scope for an implicit agent)."""
    scopes = oracle(name, "tools.json")["scopes"]
    for scope in scopes:
        if scope["agentId"] == agent:
            return scope
    return next(s for s in scopes if s["agentId"] is None)
