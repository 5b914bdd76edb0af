"""Sandbox, elevated, exec and agent list against `sandbox explain`, `exec-policy show`, `agents list`."""

from __future__ import annotations

import pytest

from controlpanel.policy import resolve_agent
from controlpanel.policy.config_access import agent_ids
from controlpanel.policy.exec_policy import resolve_exec

from .oracle_data import GROUP_SESSION, agent_cases, load, oracle, recorded_names

CASES = [(n, a, kind) for n, a in agent_cases() for kind in ("main", "group")]
IDS = [f"{n}:{a}:{k}" for n, a, k in CASES]


def _session(agent: str, kind: str) -> str | None:
    """Return the session key the fixture was recorded for (None: the agent's main session)."""
    return None if kind == "main" else GROUP_SESSION.format(agent=agent)


@pytest.mark.parametrize(("name", "agent", "kind"), CASES, ids=IDS)
def test_sandbox_matches_sandbox_explain(name, agent, kind):
    real = oracle(name, f"explain.{agent}.{kind}.json")
    ours = resolve_agent(load(name), agent, session_key=_session(agent, kind))
    sandbox = real["sandbox"]
    assert ours.sandbox.mode == sandbox["mode"]
    assert ours.sandbox.session_is_sandboxed == sandbox["sessionIsSandboxed"]
    assert ours.sandbox.scope == sandbox["scope"]
    assert ours.sandbox.workspace_access == sandbox["workspaceAccess"]
    assert ours.sandbox.backend == sandbox["backend"]
    assert ours.session_key == real["sessionKey"]
    assert ours.sandbox.main_session_key == real["mainSessionKey"]


@pytest.mark.parametrize(("name", "agent", "kind"), CASES, ids=IDS)
def test_sandbox_tool_layer_and_sources_match(name, agent, kind):
    real = oracle(name, f"explain.{agent}.{kind}.json")["sandbox"]["tools"]
    ours = resolve_agent(load(name), agent, session_key=_session(agent, kind)).sandbox
    assert list(ours.tools.allow or ()) == real["allow"]
    assert list(ours.tools.deny or ()) == real["deny"]
    assert {k: v.as_json() for k, v in ours.tool_sources.items()} == real["sources"]


@pytest.mark.parametrize(("name", "agent", "kind"), CASES, ids=IDS)
def test_elevated_enabled_gate_matches(name, agent, kind):
    real = oracle(name, f"explain.{agent}.{kind}.json")["elevated"]
    ours = resolve_agent(load(name), agent, session_key=_session(agent, kind)).elevated
    assert ours.enabled == real["enabled"]
    # The CLI only knows the channels of loaded channel plugins (none in its throw-away state dir),
    # so it reports no channel gates; the "enabled" gates must agree exactly.
    enabled_gates = [f for f in ours.failures if f["gate"] == "enabled"]
    assert enabled_gates == [f for f in real["failures"] if f["gate"] == "enabled"]


def _exec_scopes(name: str) -> list[dict]:
    return oracle(name, "exec-policy.json")["effectivePolicy"]["scopes"]


EXEC_CASES = [(n, i) for n in recorded_names() for i in range(len(_exec_scopes(n)))]


@pytest.mark.parametrize(("name", "index"), EXEC_CASES, ids=[f"{n}:{i}" for n, i in EXEC_CASES])
def test_exec_policy_matches_exec_policy_show(name, index):
    real = _exec_scopes(name)[index]
    agent = None if real["scopeLabel"] == "tools.exec" else real["agentId"]
    ours = resolve_exec(load(name), agent)
    assert ours.scope_label == real["scopeLabel"]
    assert ours.config_path == real["configPath"]
    assert (ours.host, ours.host_source) == (real["host"]["requested"], real["host"]["requestedSource"])
    assert (ours.mode, ours.mode_source) == (real["mode"]["effective"], real["mode"]["requestedSource"])
    assert (ours.security, ours.security_source) == (
        real["security"]["effective"],
        real["security"]["requestedSource"],
    )
    assert (ours.ask, ours.ask_source) == (real["ask"]["effective"], real["ask"]["requestedSource"])
    assert ours.ask_fallback == real["askFallback"]["effective"]


@pytest.mark.parametrize("name", recorded_names())
def test_agent_ids_match_agents_list(name):
    assert agent_ids(load(name)) == [a["id"] for a in oracle(name, "agents.json")]
    assert agent_ids(load(name)) == oracle(name, "tools.json")["agentIds"]


DEFAULT_CASES = [n for n in recorded_names() if oracle(n, "tools.json")["defaultAgentId"] is not None]


@pytest.mark.parametrize("name", DEFAULT_CASES)
def test_default_agent_matches_when_the_cli_names_one(name):
    # With several agents and explicit ownership the CLI names no default; we then use the first.
    from controlpanel.policy import default_agent_id

    assert default_agent_id(load(name)) == oracle(name, "tools.json")["defaultAgentId"]
