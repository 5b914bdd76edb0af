"""Our resolver against OpenClaw 2026.9.6's own resolver, tool by tool, for every recorded config/agent.

The oracle (`openclaw-peer tools`) reports two views per agent:
- auditView: `resolveConfiguredToolPolicies` + `isToolAllowedByPolicies` over the core catalogue plus
  a few extra names (`bundle-mcp`, `canvas`, a made-up plugin tool), with the sandbox layer only
  when sandbox.mode is "all", and again with the sandbox layer forced on;
- runtimeView: the runtime pipeline over the core catalogue, main session and sandboxed session.
"""

from __future__ import annotations

import dataclasses

import pytest

from controlpanel.policy import TOOL_CATALOGUE
from controlpanel.policy.sandbox import resolve_sandbox
from controlpanel.policy.tools import build_layers, decide

from .oracle_data import agent_cases, load, scope_for

CASES = agent_cases()
IDS = [f"{name}:{agent}" for name, agent in CASES]


def _allowed(name: str, agent: str, tools: list[str], *, view: str, force_sandbox: bool) -> list[str]:
    """Return the sorted subset of tools our resolver allows for the agent's main session."""
    config = load(name)
    sandbox = resolve_sandbox(config, agent)
    if force_sandbox:
        sandbox = dataclasses.replace(sandbox, session_is_sandboxed=True)
    layers = build_layers(config, agent, sandbox)
    return sorted(t for t in tools if decide(t, layers, view).allowed)  # type: ignore[arg-type]


def test_there_are_at_least_30_recorded_configs():
    assert len({name for name, _ in CASES}) >= 30


@pytest.mark.parametrize(("name", "agent"), CASES, ids=IDS)
def test_audit_view_matches_every_tool(name, agent):
    audit = scope_for(name, agent)["auditView"]
    universe = sorted(audit["allowed"] + audit["denied"])
    assert _allowed(name, agent, universe, view="audit", force_sandbox=False) == sorted(audit["allowed"])


@pytest.mark.parametrize(("name", "agent"), CASES, ids=IDS)
def test_audit_view_in_sandboxed_session_matches_every_tool(name, agent):
    audit = scope_for(name, agent)["auditView"]
    universe = sorted(audit["allowed"] + audit["denied"])
    got = _allowed(name, agent, universe, view="audit", force_sandbox=True)
    assert got == sorted(audit["allowedInSandboxedSession"])


@pytest.mark.parametrize(("name", "agent"), CASES, ids=IDS)
def test_runtime_view_matches_every_core_tool(name, agent):
    runtime = scope_for(name, agent)["runtimeView"]
    assert _allowed(name, agent, list(TOOL_CATALOGUE), view="runtime", force_sandbox=False) == sorted(
        runtime["allowedCoreTools"]
    )


@pytest.mark.parametrize(("name", "agent"), CASES, ids=IDS)
def test_runtime_view_in_sandboxed_session_matches_every_core_tool(name, agent):
    runtime = scope_for(name, agent)["runtimeView"]
    got = _allowed(name, agent, list(TOOL_CATALOGUE), view="runtime", force_sandbox=True)
    assert got == sorted(runtime["allowedCoreToolsInSandboxedSession"])


def test_every_fixture_config_is_recorded_and_valid_for_the_real_cli():
    from .oracle_data import CONFIGS, oracle, recorded_names

    names = sorted(p.stem for p in CONFIGS.glob("*.json5"))
    assert names == recorded_names()
    assert all(oracle(name, "validate.json")["valid"] is True for name in names)
