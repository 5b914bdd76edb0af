"""A recorded sample of the property test's generated configs, checked against the real CLI.

tools/oracle/record_generated_policy.py recorded, per config: `openclaw-peer tools` (the package's
own tool resolver), the runtime pipeline's verdict on plugin / bundled-MCP tools
(tools/oracle/tool_classes.mjs) and `openclaw security audit --json`. The one engine must give
those answers: the audit's facts for every agent scope (main and sandboxed session), explain's
tool classes, and the audit findings that rest on tool and exec policy.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from controlpanel.audit import run_audit
from controlpanel.audit.facts import Facts
from controlpanel.openclaw import load_config
from controlpanel.policy import explain_json, resolve_agent, resolve_sandbox
from controlpanel.policy.tools import build_layers, decide, tool_classes

GENERATED = Path(__file__).resolve().parents[1] / "fixtures" / "policy" / "generated"
SEEDS = sorted(p.name for p in GENERATED.iterdir()) if GENERATED.exists() else []
# Findings computed from the tool and exec policy of each scope.
POLICY_CHECKS = (
    "tools.exec.fs_tools_disabled_but_exec_enabled",
    "tools.exec.security_full_configured",
    "security.trust_model.cross_agent_session_access_default",
    "tools.profile_minimal_overridden",
)


def _read(seed: str, file: str):
    return json.loads((GENERATED / seed / file).read_text())


def _config(seed: str) -> dict:
    result = load_config(json.dumps(_read(seed, "config.json")), env={})
    assert result.valid, result.issues
    return result.resolved


def test_a_sample_is_recorded():
    assert len(SEEDS) >= 25


@pytest.mark.parametrize("seed", SEEDS)
def test_the_audit_facts_answer_like_openclaw_for_every_scope(seed):
    config, tools = _config(seed), _read(seed, "tools.json")
    facts = Facts(config, {})
    for scope in tools["scopes"]:
        agent, real = scope["agentId"], scope["auditView"]
        universe = tuple(sorted(real["allowed"] + real["denied"]))
        assert list(facts.allowed_tools(agent, universe)) == real["allowed"], scope["scope"]
        if agent is not None:
            sandbox = dataclasses.replace(resolve_sandbox(config, agent), session_is_sandboxed=True)
            layers = build_layers(config, agent, sandbox)
            forced = [t for t in universe if decide(t, layers, "audit").allowed]
            assert forced == real["allowedInSandboxedSession"], scope["scope"]


@pytest.mark.parametrize("seed", SEEDS)
def test_explain_tool_classes_equal_the_runtime_pipeline(seed):
    config = _config(seed)
    for real in _read(seed, "tool-classes.json")["agents"]:
        agent = real["agentId"]
        classes = explain_json(resolve_agent(config, agent))["tools"]["classes"]
        assert {c: v["allowed"] for c, v in classes.items()} == real["mainSession"], agent
        sandbox = dataclasses.replace(resolve_sandbox(config, agent), session_is_sandboxed=True)
        forced = tool_classes(build_layers(config, agent, sandbox))
        assert {c: d.allowed for c, d in forced.items()} == real["sandboxedSession"], agent


@pytest.mark.parametrize("seed", SEEDS)
def test_policy_findings_equal_the_cli_audit(seed):
    real = {f["checkId"]: (f["severity"], f["detail"]) for f in _read(seed, "audit.json")["findings"]}
    ours = {f.check_id: (f.severity.value, f.detail) for f in run_audit(_config(seed), env={}).findings}
    for check_id in POLICY_CHECKS:
        assert ours.get(check_id) == real.get(check_id), check_id
