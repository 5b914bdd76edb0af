"""Property tests: one engine, so the audit's facts and the agent page's resolver always agree.

Over generated valid configs (tests/policy/generated.py), for every agent x session kind x tool
(built-ins and the two classes of non-built-in tools): the audit's `Facts` and the page's
`resolve_agent` give the same verdict, the same sandbox and the same exec policy; the runtime and
audit views differ only by OpenClaw's shipped renames. Whether that single answer is OpenClaw's is
checked on a sample of the same generator recorded with the real CLI (test_generated_oracle.py)
and on the hand-written fixtures (test_one_engine.py). Also: nothing in the engine raises on any
JSON shape.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from controlpanel.audit.facts import Facts
from controlpanel.openclaw import load_config
from controlpanel.policy import (
    TOOL_CATALOGUE,
    TOOL_CLASSES,
    AgentSelectionRequired,
    agent_ids,
    can_use,
    default_agent_id,
    explain_json,
    resolve_agent,
    resolve_exec,
)
from tests.audit.test_robustness import CONFIGS as ANY_SHAPES

from .generated import random_config

SESSIONS = {"main": None, "group": "agent:{agent}:telegram:group:1", "dm": "agent:{agent}:telegram:dm:1"}
PROBES = tuple(TOOL_CLASSES.values())
# The runtime view applies these shipped renames (update_plan -> progress_card; canvas also covers
# show_widget); the audit view does not. Nothing else may differ between the two views.
RENAMED = {"progress_card", "show_widget"}


def _valid(rnd) -> dict:
    result = load_config(json.dumps(random_config(rnd)), env={})
    assume(result.valid)
    return result.resolved


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(st.randoms(use_true_random=False))
def test_audit_facts_and_the_agent_page_agree_on_every_agent_session_and_tool(rnd):
    config = _valid(rnd)
    facts = Facts(config, {})
    assert facts.agent_ids == agent_ids(config)
    for agent in facts.agent_ids:
        for template in SESSIONS.values():
            key = template.format(agent=agent) if template else None
            page = resolve_agent(config, agent, session_key=key, view="audit")
            assert facts.allowed_tools(agent, TOOL_CATALOGUE, session_key=key) == tuple(page.allowed)
            classes = tuple(p for c, p in TOOL_CLASSES.items() if page.classes[c].allowed)
            assert facts.allowed_tools(agent, PROBES, session_key=key) == classes
            runtime = resolve_agent(config, agent, session_key=key)
            assert set(runtime.allowed) ^ set(page.allowed) <= RENAMED
        main = resolve_agent(config, agent)
        assert facts.allowed_tools(agent, TOOL_CATALOGUE) == tuple(
            resolve_agent(config, agent, view="audit").allowed
        )
        assert facts.sandbox(agent) == (main.sandbox.mode, main.sandbox.workspace_access)
        exec_policy = resolve_exec(config, agent)
        requested = facts.requested_exec(agent, "full")
        assert (requested.mode, requested.security, requested.ask) == (
            exec_policy.mode,
            exec_policy.security,
            exec_policy.ask,
        )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_SHAPES)
def test_the_engine_never_raises_on_any_shape(config):
    for agent in [*agent_ids(config), "ghost"]:
        for template in SESSIONS.values():
            policy = resolve_agent(
                config, agent, session_key=template.format(agent=agent) if template else None
            )
            json.dumps(explain_json(policy))
        assert can_use(config, agent, "jira_search").as_plugin
    for view in ("roster", "session", "audit"):
        default_agent_id(config, view)  # type: ignore[arg-type]
    try:
        resolve_agent(config)
    except AgentSelectionRequired:
        assert default_agent_id(config, "session") is None


@pytest.mark.parametrize("seed", range(5))
def test_the_generator_yields_valid_configs_with_agents(seed):
    import random

    configs = [random_config(random.Random(seed * 100 + i)) for i in range(40)]
    valid = [c for c in configs if load_config(json.dumps(c), env={}).valid]
    assert len(valid) >= 20 and any(len(c.get("agents", {}).get("entries", {})) > 1 for c in valid)
