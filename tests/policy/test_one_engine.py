"""The audit's facts and the agent page's resolver give OpenClaw's answer, on every recorded config.

Issue 17 found them disagreeing (the audit had its own tool policy) on a sandbox tool allow list
naming `browser` (fixture 22), an agent-level sandbox `deny: ["exec"]` (43) and a sandbox
`alsoAllow: ["web_fetch"]` (44). Each recorded config is checked three ways against
`openclaw-peer tools` (the package's own resolver): the audit's Facts, the resolver in the audit
view, and the CLI's verdict for the agents.defaults scope.
"""

from __future__ import annotations

import dataclasses

import pytest

from controlpanel.audit.facts import Facts
from controlpanel.policy import TOOL_CLASSES, explain_json, resolve_agent, resolve_sandbox
from controlpanel.policy.tools import build_layers, decide, session_layers, tool_classes

from .oracle_data import load, oracle, recorded_names

# The issue's three configs, and the ones around them.
REGRESSIONS = ["22-sandbox-tools-allow", "43-agent-sandbox-deny-exec", "44-sandbox-alsoallow-web-fetch"]
SCOPES = [
    (name, scope["agentId"]) for name in recorded_names() for scope in oracle(name, "tools.json")["scopes"]
]
IDS = [f"{n}:{a or 'defaults'}" for n, a in SCOPES]
AGENT_SCOPES = [(n, a) for n, a in SCOPES if a is not None]
AGENT_IDS = [f"{n}:{a}" for n, a in AGENT_SCOPES]
SANDBOXED = "agent:{agent}:telegram:group:123"


def _universe(name: str) -> tuple[str, ...]:
    audit = oracle(name, "tools.json")["scopes"][0]["auditView"]
    return tuple(sorted(audit["allowed"] + audit["denied"]))


def _real(name: str, agent: str | None) -> dict:
    return next(s for s in oracle(name, "tools.json")["scopes"] if s["agentId"] == agent)["auditView"]


def test_the_issue_configs_are_recorded():
    assert set(REGRESSIONS) <= set(recorded_names())


@pytest.mark.parametrize(("name", "agent"), SCOPES, ids=IDS)
def test_the_audit_facts_answer_like_openclaw(name, agent):
    facts = Facts(load(name), {})
    assert list(facts.allowed_tools(agent, _universe(name))) == _real(name, agent)["allowed"]


@pytest.mark.parametrize("name", REGRESSIONS)
def test_the_issue_configs_get_openclaws_answer_in_the_audit(name):
    # The three configs the old audit got wrong: every agent, main and sandboxed session.
    config, universe = load(name), _universe(name)
    facts = Facts(config, {})
    for scope in oracle(name, "tools.json")["scopes"]:
        agent = scope["agentId"]
        if agent is None:
            continue
        assert list(facts.allowed_tools(agent, universe)) == scope["auditView"]["allowed"]
        sandboxed = SANDBOXED.format(agent=agent)
        in_sandbox = facts.allowed_tools(agent, universe, session_key=sandboxed)
        if facts.sandbox(agent)[0] != "off":
            assert list(in_sandbox) == scope["auditView"]["allowedInSandboxedSession"]


@pytest.mark.parametrize(("name", "agent"), AGENT_SCOPES, ids=AGENT_IDS)
def test_the_agent_page_resolver_gives_the_audits_answer(name, agent):
    config, universe = load(name), _universe(name)
    policy = resolve_agent(config, agent, view="audit")
    page = {t for t in universe if decide(t, session_layers(config, agent), "audit").allowed}
    assert sorted(page) == list(Facts(config, {}).allowed_tools(agent, universe))
    assert set(policy.allowed) == page & set(policy.decisions)


@pytest.mark.parametrize(("name", "agent"), AGENT_SCOPES, ids=AGENT_IDS)
def test_tool_class_verdicts_equal_the_real_runtime(name, agent):
    """explain's `tools.classes` against the runtime pipeline with a registered plugin tool and a
    bundled MCP tool (tools/oracle/tool_classes.mjs), main and sandboxed session."""
    real = next(a for a in oracle(name, "tool-classes.json")["agents"] if a["agentId"] == agent)
    config = load(name)
    explained = explain_json(resolve_agent(config, agent))["tools"]["classes"]
    assert {c: v["allowed"] for c, v in explained.items()} == real["mainSession"]
    sandbox = dataclasses.replace(resolve_sandbox(config, agent), session_is_sandboxed=True)
    in_sandbox = tool_classes(build_layers(config, agent, sandbox))
    assert {c: d.allowed for c, d in in_sandbox.items()} == real["sandboxedSession"]


@pytest.mark.parametrize(("name", "agent"), AGENT_SCOPES, ids=AGENT_IDS)
def test_tool_class_verdicts_in_the_audit_view_equal_the_cli_probes(name, agent):
    """The same classes in the audit view are `openclaw-peer tools`' probes (`__some_plugin_tool__`,
    `bundle-mcp`): there `group:plugins` stays a literal."""
    real = _real(name, agent)["allowed"]
    classes = resolve_agent(load(name), agent, view="audit").classes
    assert {c: d.allowed for c, d in classes.items()} == {c: p in real for c, p in TOOL_CLASSES.items()}
