"""run_audit mechanics: JSON shape, suppressions, crash isolation."""

from __future__ import annotations

import pydantic
import pytest

from controlpanel.audit import Suppression, run_audit
from controlpanel.audit.catalogue import CheckSpec
from controlpanel.audit.schema import CheckClass, Severity


def test_it_returns_the_cli_json_shape() -> None:
    out = run_audit({}).to_json()
    assert list(out) == ["summary", "findings", "secretDiagnostics"]
    assert out["summary"] == {"critical": 1, "warn": 2, "info": 1}
    assert set(out["findings"][0]) == {"checkId", "severity", "title", "detail"}
    assert set(out["findings"][1]) == {"checkId", "severity", "title", "detail", "remediation"}


def test_a_panel_suppression_needs_a_reason() -> None:
    with pytest.raises(pydantic.ValidationError):
        Suppression(checkId="gateway.http.no_auth", reason="  ")
    with pytest.raises(pydantic.ValidationError):
        Suppression(checkId="gateway.http.no_auth")  # type: ignore[call-arg]


def test_a_panel_suppression_moves_findings_and_adds_the_bookkeeping_finding() -> None:
    rule = Suppression(checkId="gateway.http.no_auth", reason="loopback lab box")
    out = run_audit({}, suppressions=[rule]).to_json()
    ids = [f["checkId"] for f in out["findings"]]
    assert "gateway.http.no_auth" not in ids
    assert ids[-1] == "security.audit.suppressions.active"
    assert out["findings"][-1]["detail"] == (
        "security.audit.suppressions has 1 configured suppression(s); 1 finding(s) moved to "
        "suppressedFindings."
    )
    [hidden] = out["suppressedFindings"]
    assert hidden["checkId"] == "gateway.http.no_auth"
    assert hidden["suppression"] == {"reason": "loopback lab box"}
    assert out["summary"] == {"critical": 1, "warn": 1, "info": 2}


def test_a_suppression_can_be_narrowed_by_detail_text() -> None:
    rule = Suppression(checkId="gateway.http.no_auth", reason="r", detailIncludes="no such text")
    out = run_audit({}, suppressions=[rule]).to_json()
    assert "gateway.http.no_auth" in [f["checkId"] for f in out["findings"]]
    assert "suppressedFindings" not in out


def test_a_crashing_check_becomes_a_finding_and_the_run_continues(monkeypatch) -> None:
    def boom(f):
        """Always raises."""
        raise RuntimeError("kaputt")

    broken = CheckSpec(
        id="gateway.broken", severity=Severity.WARN, title="t", remediation=None,
        cls=CheckClass.CONFIG, paths=(), doc="d", order=150, fn=boom,
    )  # fmt: skip
    from controlpanel.audit import engine

    specs = sorted([*engine._CLI_SPECS, broken], key=lambda s: s.order)
    monkeypatch.setattr(engine, "_CLI_SPECS", specs)
    findings = run_audit({}).to_json()["findings"]
    errors = [f for f in findings if f["checkId"] == "audit.check_error"]
    assert errors and errors[0]["detail"] == "gateway.broken: RuntimeError: kaputt"
    assert "gateway.loopback_no_auth" in [f["checkId"] for f in findings]


def test_it_survives_garbage_shapes() -> None:
    weird = {
        "gateway": {"bind": 7, "auth": "token", "controlUi": [], "tools": {"allow": "exec"}},
        "agents": {"entries": {"a": None, "b": {"tools": 3, "sandbox": "x"}}, "defaults": []},
        "channels": {"x": ["open"], "y": {"accounts": {"z": 1}}},
        "tools": {"exec": None, "elevated": {"allowFrom": {"w": "*"}}},
        "hooks": {"enabled": True, "token": 5, "allowedAgentIds": "*"},
    }
    report = run_audit(weird)
    assert [f for f in report.findings if f.check_id == "audit.check_error"] == []


def test_env_token_counts_as_auth_and_config_token_conflicts_with_it() -> None:
    env = {"OPENCLAW_GATEWAY_TOKEN": "x" * 32}
    ids = [f.check_id for f in run_audit({}, env=env).findings]
    assert "gateway.loopback_no_auth" not in ids and "gateway.http.no_auth" not in ids
    cfg = {"gateway": {"auth": {"token": "y" * 32}}}
    ids = [f.check_id for f in run_audit(cfg, env=env).findings]
    assert "gateway.env_token_overrides_config" in ids
