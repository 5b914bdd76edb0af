"""The exec-policy reader against `openclaw exec-policy show --json` (tests/fixtures/approvals/exec_policy).

The panel shows the *requested* policy (it does not read a gateway host's approvals file, which can
only tighten it), so every scope's requested mode/security/ask/host and their sources must match;
where the recording had no host approvals the effective values must match too.
"""

from __future__ import annotations

import json
from pathlib import Path

import json5
import pytest

from controlpanel.policy import default_agent_id, resolve_exec

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "approvals" / "exec_policy"
CASES = json.loads((FIXTURES / "cases.json").read_text())
SCOPES = [
    (name, index)
    for name in sorted(CASES)
    for index in range(
        len(json.loads((FIXTURES / f"{name}.out.json").read_text())["effectivePolicy"]["scopes"])
    )
]


def _load(name: str) -> tuple[dict, dict | None, dict]:
    case = CASES[name]
    config = json5.loads((FIXTURES / case["config"]).read_text())
    return config, case["approvals"], json.loads((FIXTURES / f"{name}.out.json").read_text())


def test_there_are_recorded_scopes():
    assert len(CASES) >= 12 and len(SCOPES) >= 20


@pytest.mark.parametrize(("name", "index"), SCOPES, ids=[f"{n}:{i}" for n, i in SCOPES])
def test_requested_policy_matches_the_cli(name, index):
    config, approvals, cli = _load(name)
    real = cli["effectivePolicy"]["scopes"][index]
    agent = None if real["scopeLabel"] == "tools.exec" else real["agentId"]
    ours = resolve_exec(config, agent)
    assert (ours.scope_label, ours.config_path) == (real["scopeLabel"], real["configPath"])
    assert (ours.host, ours.host_source) == (real["host"]["requested"], real["host"]["requestedSource"])
    assert (ours.mode, ours.mode_source) == (real["mode"]["requested"], real["mode"]["requestedSource"])
    assert (ours.security, ours.security_source) == (
        real["security"]["requested"],
        real["security"]["requestedSource"],
    )
    assert (ours.ask, ours.ask_source) == (real["ask"]["requested"], real["ask"]["requestedSource"])
    if approvals is None and real["runtimeApprovalsSource"] == "local-file":
        assert (ours.mode, ours.security, ours.ask) == (
            real["mode"]["effective"],
            real["security"]["effective"],
            real["ask"]["effective"],
        )
        assert ours.ask_fallback == real["askFallback"]["effective"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_global_scope_is_reported_for_the_roster_default_agent(name):
    config, _, cli = _load(name)
    scope = cli["effectivePolicy"]["scopes"][0]
    assert scope["scopeLabel"] == "tools.exec"
    assert default_agent_id(config, "roster") == scope.get("agentId")
