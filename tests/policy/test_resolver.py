"""Resolver behaviour beyond the oracle: decisions and their rules, explain_json shape, what-if diffs."""

from __future__ import annotations

import pytest

from controlpanel.configedit.whatif import agent_changes
from controlpanel.policy import TOOL_CATALOGUE, can_use, explain_json, resolve_agent

TWO_AGENTS = {
    "tools": {"profile": "coding", "deny": ["group:web"]},
    "agents": {
        "ownership": "explicit",
        "defaults": {"sandbox": {"mode": "non-main"}},
        "entries": {"main": {}, "work": {"tools": {"allow": ["read", "exec"], "deny": ["exec"]}}},
    },
}


@pytest.mark.parametrize(
    ("agent", "tool", "allowed", "source", "key", "rule"),
    [
        ("main", "web_search", False, "global", "tools.deny", "deny"),
        ("main", "read", True, "profile", "tools.profile", "allow"),
        ("main", "message", False, "profile", "tools.profile", "not-allowed"),
        ("work", "exec", False, "agent", "agents.entries.work.tools.deny", "deny"),
        ("work", "read", True, "agent", "agents.entries.work.tools.allow", "allow"),
        ("work", "write", False, "agent", "agents.entries.work.tools.allow", "not-allowed"),
        ("work", "bash", False, "agent", "agents.entries.work.tools.deny", "deny"),  # alias of exec
        ("main", "some_plugin_tool", False, "profile", "tools.profile", "not-allowed"),
    ],
)
def test_every_decision_names_its_rule(agent, tool, allowed, source, key, rule):
    decision = can_use(TWO_AGENTS, agent, tool)
    assert (decision.allowed, decision.source, decision.key, decision.rule) == (allowed, source, key, rule)
    assert decision.reason


def test_deny_reason_names_the_entry_as_written():
    assert "group:web" in can_use(TWO_AGENTS, "main", "web_fetch").reason


def test_nothing_configured_allows_by_default():
    decision = can_use({}, None, "exec")
    assert (decision.allowed, decision.source, decision.key) == (True, "default", "tools")


def test_group_session_is_sandboxed_and_gets_the_sandbox_layer():
    main = resolve_agent(TWO_AGENTS, "main")
    group = resolve_agent(TWO_AGENTS, "main", session_key="agent:main:telegram:group:123")
    assert not main.sandbox.session_is_sandboxed
    assert group.sandbox.session_is_sandboxed
    assert "gateway" in main.allowed and "gateway" not in group.allowed
    decision = can_use(TWO_AGENTS, "main", "gateway", session_key="agent:main:telegram:group:123")
    assert (decision.source, decision.key, decision.rule) == ("default", "tools.sandbox.tools.deny", "deny")


@pytest.mark.parametrize(
    ("session", "expected_key", "sandboxed"),
    [
        (None, "agent:main:main", False),
        ("main", "agent:main:main", False),
        ("agent:main:main", "agent:main:main", False),
        ("agent:main:discord:channel:9", "agent:main:discord:channel:9", True),
        ("scratch", "agent:main:scratch", True),
    ],
)
def test_session_keys(session, expected_key, sandboxed):
    policy = resolve_agent(TWO_AGENTS, "main", session_key=session)
    assert (policy.session_key, policy.sandbox.session_is_sandboxed) == (expected_key, sandboxed)


def test_explain_json_partitions_the_catalogue():
    doc = explain_json(resolve_agent(TWO_AGENTS, "work"))
    tools = doc["tools"]
    assert sorted(tools["allowed"] + tools["denied"]) == list(TOOL_CATALOGUE)
    assert not set(tools["allowed"]) & set(tools["denied"])
    assert tools["allowed"] == ["read"]
    assert set(tools["sources"]) == set(TOOL_CATALOGUE)
    assert tools["sources"]["exec"] == {"source": "agent", "key": "agents.entries.work.tools.deny"}
    assert doc["agentId"] == "work"
    assert doc["sandbox"]["mode"] == "non-main"
    assert doc["sandbox"]["sessionIsSandboxed"] is False
    assert doc["exec"]["mode"] == "full"


def test_elevated_never_grants_a_denied_tool():
    config = {
        "tools": {"deny": ["exec"], "elevated": {"enabled": True, "allowFrom": {"telegram": ["*"]}}},
        "agents": {"defaults": {"sandbox": {"mode": "all"}}},
    }
    policy = resolve_agent(config, "main", session_key="agent:main:telegram:group:1", channel="telegram")
    assert policy.elevated.allowed_by_config and policy.elevated.always_allowed_by_config
    assert "exec" in policy.denied


def test_elevated_agent_list_must_also_allow_the_channel():
    config = {
        "tools": {"elevated": {"allowFrom": {"telegram": ["1"]}}},
        "agents": {"entries": {"main": {"tools": {"elevated": {"allowFrom": {"discord": ["2"]}}}}}},
    }
    elevated = resolve_agent(
        config, "main", session_key="agent:main:telegram:group:1", channel="telegram"
    ).elevated
    assert not elevated.allowed_by_config
    assert elevated.failures == (
        {"gate": "allowFrom", "key": "agents.entries.*.tools.elevated.allowFrom.telegram"},
    )


def _tools_diff(before, after):
    # The what-if (configedit.whatif) is built on resolve_agent: tools gained / lost per agent.
    return {c.agent_id: {"gained": c.gained, "lost": c.lost} for c in agent_changes(before, after)}


def test_what_if_diff_lists_gains_and_losses_per_agent():
    after = {**TWO_AGENTS, "tools": {"profile": "coding"}}
    diff = _tools_diff(TWO_AGENTS, after)
    assert diff == {"main": {"gained": ["web_fetch", "web_search", "x_search"], "lost": []}}
    assert _tools_diff(TWO_AGENTS, TWO_AGENTS) == {}


def test_what_if_diff_for_added_and_removed_agents():
    after = {**TWO_AGENTS, "agents": {**TWO_AGENTS["agents"], "entries": {"main": {}}}}
    assert _tools_diff(TWO_AGENTS, after) == {"work": {"gained": [], "lost": ["read"]}}


def test_legacy_agents_list_is_read_like_entries():
    legacy = {"agents": {"list": [{"id": "meeting", "tools": {"allow": ["read", "memory_search"]}}]}}
    assert resolve_agent(legacy, "meeting").allowed == ["memory_search", "read"]


def test_exec_mode_and_sources_for_an_agent_override():
    config = {
        "tools": {"exec": {"mode": "full", "safeBins": ["jq"], "safeBinTrustedDirs": ["/opt/bin"]}},
        "agents": {"entries": {"main": {"tools": {"exec": {"ask": "always"}}}}},
    }
    exec_policy = resolve_agent(config, "main").exec
    assert (exec_policy.security, exec_policy.ask, exec_policy.mode) == ("full", "always", "ask")
    assert exec_policy.ask_source == "agents.entries.main.tools.exec.ask"
    assert exec_policy.security_source == "tools.exec.mode"
    assert exec_policy.allowed_decisions == ("allow-once", "deny")
    assert exec_policy.safe_bins == ("jq",)
    assert exec_policy.safe_bin_trusted_dirs == ("/bin", "/usr/bin", "/opt/bin")


@pytest.mark.parametrize(
    ("config", "agent", "expected"),
    [
        # A value OpenClaw's normalisers reject counts as not set: the next source applies.
        ({"tools": {"exec": {"mode": "bogus"}}}, None, ("full", "off", "full", "OpenClaw default (full)")),
        (
            {"tools": {"exec": {"mode": "bogus", "security": "allowlist"}}},
            None,
            ("allowlist", "off", "allowlist", "tools.exec.security"),
        ),
        (
            {
                "tools": {"exec": {"security": "deny"}},
                "agents": {"entries": {"a": {"tools": {"exec": {"security": None}}}}},
            },
            "a",
            ("deny", "off", "deny", "tools.exec.security"),
        ),
        (
            {"tools": {"exec": {"security": 3, "ask": "ALWAYS "}}},
            None,
            ("full", "always", "ask", "OpenClaw default (full)"),
        ),
    ],
)
def test_bad_exec_values_fall_back_to_the_next_source_and_never_raise(config, agent, expected):
    from controlpanel.policy.exec_policy import resolve_exec

    policy = resolve_exec(config, agent)
    assert (policy.security, policy.ask, policy.mode, policy.security_source) == expected


@pytest.mark.parametrize(
    ("config", "agent", "expected"),
    [
        ({}, "a", ("auto", "OpenClaw default (auto)")),
        ({"tools": {"exec": {"host": "gateway"}}}, "a", ("gateway", "tools.exec.host")),
        (
            {
                "tools": {"exec": {"host": "gateway"}},
                "agents": {"entries": {"a": {"tools": {"exec": {"host": " Sandbox"}}}}},
            },
            "a",
            ("sandbox", "agents.entries.a.tools.exec.host"),
        ),
        # Bad values are unset, as for mode/security/ask: the next source applies.
        (
            {
                "tools": {"exec": {"host": "bogus"}},
                "agents": {"entries": {"a": {"tools": {"exec": {"host": ""}}}}},
            },
            "a",
            ("auto", "OpenClaw default (auto)"),
        ),
        ({"tools": {"exec": {"host": "node"}}}, None, ("node", "tools.exec.host")),
    ],
)
def test_the_exec_host_is_read_in_one_place_with_the_same_fallback(config, agent, expected):
    """The agent page and the audit's exec checks read the host through `requested_host` (issue 17)."""
    from controlpanel.audit.facts import Facts
    from controlpanel.policy.exec_policy import resolve_exec

    policy = resolve_exec(config, agent)
    assert (policy.host, policy.host_source) == expected
    assert Facts(config, {}).exec_host(agent) == expected


@pytest.mark.parametrize(
    ("host", "sandbox_mode", "where"),
    [
        ("auto", "off", "gateway"),
        ("auto", "all", "sandbox"),
        ("auto", "non-main", "sandbox"),
        ("node", "all", "node"),
    ],
)
def test_auto_exec_runs_in_the_sandbox_unless_sandboxing_is_off(host, sandbox_mode, where):
    from controlpanel.policy.exec_policy import effective_host

    assert effective_host(host, sandbox_mode) == where


def test_a_group_session_key_alone_names_no_channel_like_sandbox_explain():
    """`sandbox explain --session agent:main:telegram:group:123` reads the channel from the session store,
    not the key: with no entry, no allowFrom gate applies (issue 24; every corpus group recording)."""
    config = {"tools": {"elevated": {"allowFrom": {"telegram": ["123456789"]}}}}
    elevated = resolve_agent(config, "main", session_key="agent:main:telegram:group:123").elevated
    assert (elevated.allowed_by_config, elevated.failures, elevated.channel) == (False, (), None)
    assert resolve_agent(config, "main", channel="telegram").elevated.allowed_by_config


def test_the_agent_is_named_normalised_like_sandbox_explain():
    """`sandbox explain --agent Research` answers agentId "research" for the entry "Research"."""
    config = {"agents": {"entries": {"Research": {"tools": {"deny": ["exec"]}}}}}
    policy = resolve_agent(config, "Research")
    assert (policy.agent_id, policy.session_key) == ("research", "agent:research:main")
    assert "exec" in policy.denied
