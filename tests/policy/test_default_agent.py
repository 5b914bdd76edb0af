"""One `default_agent_id`, three OpenClaw answers, each checked against the command that uses it.

Issue 17: with explicit ownership and a `systemAgent`, the import marked one agent while the
resolver and the audit picked another (the first). OpenClaw 2026.9.6 has three notions:
`agents list` / `exec-policy show` honour `systemAgent` ("roster"); `sandbox explain` without
--agent takes the legacy marker or the sole agent and otherwise refuses ("session"); `security
audit` files the global exec scope under the sole agent, else "global" ("audit").
"""

from __future__ import annotations

import pytest

from controlpanel.audit import run_audit
from controlpanel.openclaw import agents_of
from controlpanel.policy import AgentSelectionRequired, default_agent_id, resolve_agent

from .oracle_data import ORACLE, load, oracle, recorded_names

NAMES = recorded_names()
WITH_DEFAULT_EXPLAIN = [n for n in NAMES if (ORACLE / n / "explain.default.json").exists()]
WITH_AUDIT = [n for n in NAMES if (ORACLE / n / "audit.json").exists()]
EXEC_CHECKS = ("tools.exec.security_full_configured", "security.exposure.open_channels_with_exec")


def test_the_ownership_case_is_recorded():
    assert "45-ownership-system-agent" in WITH_DEFAULT_EXPLAIN
    assert "45-ownership-system-agent" in WITH_AUDIT
    assert "46-legacy-list-marker-deny-browser" in WITH_DEFAULT_EXPLAIN


@pytest.mark.parametrize("name", NAMES)
def test_roster_default_is_the_one_agents_list_marks(name):
    marked = [a["id"] for a in oracle(name, "agents.json") if a["isDefault"]]
    assert [default_agent_id(load(name), "roster")] == (marked or [None])
    # ... and the import stores the same mark.
    assert [a.id for a in agents_of(load(name)) if a.is_default] == marked


@pytest.mark.parametrize("name", NAMES)
def test_roster_default_is_the_agent_exec_policy_show_reports_tools_exec_for(name):
    scope = oracle(name, "exec-policy.json")["effectivePolicy"]["scopes"][0]
    assert default_agent_id(load(name), "roster") == scope.get("agentId")


@pytest.mark.parametrize("name", WITH_DEFAULT_EXPLAIN)
def test_session_default_is_the_agent_sandbox_explain_picks_or_refuses_to(name):
    real = oracle(name, "explain.default.json")
    config = load(name)
    if "agentId" in real:
        assert default_agent_id(config, "session") == real["agentId"]
        assert resolve_agent(config).agent_id == real["agentId"]
    else:
        assert "Multiple agents are configured" in real["error"]["message"]
        assert default_agent_id(config, "session") is None
        with pytest.raises(AgentSelectionRequired, match="Multiple agents are configured"):
            resolve_agent(config)


@pytest.mark.parametrize("name", WITH_AUDIT)
def test_audit_files_the_global_exec_scope_like_the_cli(name):
    real = {f["checkId"]: f["detail"] for f in oracle(name, "audit.json")["findings"]}
    ours = {f.check_id: f.detail for f in run_audit(load(name), env={}).findings}
    for check_id in EXEC_CHECKS:
        assert ours.get(check_id) == real.get(check_id), check_id


def test_the_ownership_case_in_words():
    config = load("45-ownership-system-agent")
    assert default_agent_id(config, "roster") == "ops"  # agents list marks the systemAgent
    assert default_agent_id(config, "session") is None  # sandbox explain needs --agent
    assert default_agent_id(config, "audit") is None  # the audit says "global"
