"""Audit runs of stored gateways: background execution, timeout, diff, suppressions, fixes."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from controlpanel.audit import run_audit
from controlpanel.models import ActivityEvent, AuditRun, Role
from controlpanel.openclaw import load_config
from controlpanel.services.audits import (
    audit_fixes_apply,
    audit_fixes_for,
    audit_run_diff,
    audit_run_execute,
    audit_run_start,
    audit_suppression_set,
)
from tests.conftest import client_for, make_gateway

pytestmark = pytest.mark.django_db

RISKY = """{
  // two findings with safe fixes
  gateway: { auth: { mode: "token", token: "${GW_TOKEN}" } },
  discovery: { mdns: { mode: "full" } },
  tools: { elevated: { enabled: true, allowFrom: { telegram: ["*"] } } },
}
"""


@pytest.fixture
def risky(alice, bob, vera):
    return make_gateway("risky", text=RISKY, members={alice: Role.OWNER, bob: Role.ADMIN, vera: Role.VIEWER})


def run_now(gateway, actor=None, **kw) -> AuditRun:
    run = audit_run_start(gateway=gateway, actor=actor)
    audit_run_execute(run_id=run.pk, **kw)
    run.refresh_from_db()
    return run


def test_a_run_stores_the_cli_shaped_report_and_findings(risky, bob):
    run = run_now(risky, bob)
    assert run.status == "succeeded" and run.progress == 100 and run.finished_at
    expected = run_audit(load_config(RISKY, env={}).resolved).to_json()
    assert run.report["summary"] == expected["summary"]
    assert [f.check_id for f in run.findings.order_by("position")] == [
        f["checkId"] for f in expected["findings"]
    ]
    assert run.findings.get(check_id="discovery.mdns_full_mode").config_path.startswith("discovery.mdns")
    assert ActivityEvent.objects.filter(action="audit.succeeded").count() == 1


def test_a_second_claim_does_nothing(risky):
    run = audit_run_start(gateway=risky)
    assert audit_run_execute(run_id=run.pk) is not None
    assert audit_run_execute(run_id=run.pk) is None
    assert run.findings.count() == AuditRun.objects.get(pk=run.pk).findings.count()


def test_a_hanging_audit_times_out_and_the_next_one_runs(risky, settings):
    settings.CP_AUDIT_EXEC_PREFIX = "/bin/sh -c 'sleep 5' --"  # the child never answers
    run = run_now(risky, timeout=0.5)
    assert run.status == "timed_out" and "did not finish" in run.error
    assert run.findings.count() == 0
    settings.CP_AUDIT_EXEC_PREFIX = ""
    assert run_now(risky).status == "succeeded", "a fresh child after the killed one"


def test_audits_share_one_child_process(risky):
    from controlpanel.services.audits import _audit_child

    assert run_now(risky).status == "succeeded"
    pid = _audit_child()._proc.pid
    assert run_now(risky).status == "succeeded"
    assert _audit_child()._proc.pid == pid, "no Python start-up per audit"


def test_fixes_resolve_their_findings_on_the_next_run(risky, alice):
    first = run_now(risky, alice)
    fixes = audit_fixes_for(first)
    assert {f.check_id for f in fixes} == {
        "discovery.mdns_full_mode",
        "tools.elevated.allowFrom.telegram.wildcard",
    }
    second = audit_fixes_apply(run=first, actor=alice)
    audit_run_execute(run_id=second.pk)
    second.refresh_from_db()
    ids = set(second.findings.values_list("check_id", flat=True))
    assert not ids & {f.check_id for f in fixes}
    risky.refresh_from_db()
    assert "// two findings with safe fixes" in risky.config_text, "comments kept"
    assert risky.config_raw["discovery"]["mdns"]["mode"] == "minimal"
    diff = audit_run_diff(second)
    assert {f.check_id for f in diff["resolved"]} >= {"discovery.mdns_full_mode"} and diff["new"] == []
    assert ActivityEvent.objects.filter(action="audit.fixes_applied").count() == 1


def test_suppressions_move_findings_and_announce_themselves(risky, alice):
    audit_suppression_set(gateway=risky, check_id="discovery.mdns_full_mode", reason="LAN only", actor=alice)
    run = run_now(risky)
    active = set(run.findings.filter(suppressed=False).values_list("check_id", flat=True))
    assert "discovery.mdns_full_mode" not in active
    assert "security.audit.suppressions.active" in active
    assert run.findings.filter(suppressed=True, check_id="discovery.mdns_full_mode").exists()


def test_report_page_groups_in_triage_order(risky, vera, bob):
    run = run_now(risky, bob)
    body = client_for(vera).get(reverse("audit-run", kwargs={"code": run.code})).content.decode()
    assert body.index('id="group-open"') < body.index('id="group-exposure"')
    assert "fix-offer" not in body, "viewers are not offered fixes"
    csv_body = client_for(vera).get(reverse("audit-export", kwargs={"code": run.code, "fmt": "csv"})).content
    assert b"discovery.mdns_full_mode" in csv_body
    exported = client_for(vera).get(reverse("audit-export", kwargs={"code": run.code, "fmt": "json"})).json()
    assert exported == run.report


def test_fleet_ranks_by_critical(risky, alice, alpha):
    run_now(risky)
    run_now(alpha)
    body = client_for(alice).get(reverse("audit-fleet")).content.decode()
    assert body.index(">risky<") < body.index(">alpha<")


class TestCommand:
    def test_config_json_matches_the_engine(self, tmp_path):
        path = tmp_path / "c.json5"
        path.write_text(RISKY)
        env = tmp_path / "env"
        env.write_text("GW_TOKEN=" + "z" * 40)
        out = StringIO()
        call_command("audit", "--config", str(path), "--env-file", str(env), "--json", stdout=out)
        report = json.loads(out.getvalue())
        expected = run_audit(
            load_config(RISKY, env={"GW_TOKEN": "z" * 40}).resolved, env={"GW_TOKEN": "z" * 40}
        )
        assert report == expected.to_json()
        assert "gateway.token_too_short" not in {f["checkId"] for f in report["findings"]}

    def test_invalid_config_is_refused_like_the_cli(self, tmp_path):
        """`openclaw security audit --json` audits nothing on an invalid config and says why (issue 24)."""
        path = tmp_path / "c.json5"
        path.write_text("{ discovery: { mdns: { mode: 'loud' } } }")
        out, err = StringIO(), StringIO()
        with pytest.raises(SystemExit) as exc:
            call_command("audit", "--config", str(path), "--json", stdout=out, stderr=err)
        assert exc.value.code == 1
        assert json.loads(out.getvalue()) == {
            "ok": False,
            "error": {"type": "cli_error", "message": "OpenClaw config is invalid: c.json5"},
            "issues": [
                {
                    "path": "discovery.mdns.mode",
                    "message": 'Invalid option: expected one of "off"|"minimal"|"full"',
                }
            ],
        }
        assert err.getvalue().startswith("OpenClaw config is invalid: c.json5")

    def test_stored_gateway(self, risky):
        out = StringIO()
        call_command("audit", "--gateway", "risky", stdout=out)
        assert out.getvalue().startswith("risky: succeeded")
        assert AuditRun.objects.get(trigger="manual").status == "succeeded"


def test_manage_py_audit_config_runs_without_django(tmp_path):
    """The whole-process path that the benchmark times: `python manage.py audit --config F --json`."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    good, bad = tmp_path / "good.json5", tmp_path / "bad.json5"
    good.write_text(RISKY)
    bad.write_text("{ discovery: { mdns: { mode: 'loud' } } }")
    env = {"PATH": "/usr/bin:/bin"}  # no DJANGO_SETTINGS_MODULE, no secret key: Django is never started
    ok = subprocess.run(
        [sys.executable, "manage.py", "audit", "--config", str(good), "--json"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == run_audit(load_config(RISKY, env={}).resolved).to_json()
    failed = subprocess.run(
        [sys.executable, "manage.py", "audit", "--config", str(bad), "--json"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 1 and "discovery.mdns.mode" in failed.stderr
    assert json.loads(failed.stdout)["ok"] is False


def test_an_unset_token_reference_is_audited_as_no_token_not_a_short_one(alice):
    """Issue 20: `${TEAM_GATEWAY_TOKEN}` (unset for the panel) is not a 21-char token; like `openclaw
    security audit` with the variable unset, the gateway has no token (corpus operator_09)."""
    text = '{ gateway: { auth: { mode: "token", token: "${TEAM_GATEWAY_TOKEN}" } } }'
    run = run_now(make_gateway("placeholder", text=text, members={alice: Role.OWNER}))
    ids = {f.check_id for f in run.findings.all()}
    assert "gateway.token_too_short" not in ids
    assert "gateway.loopback_no_auth" in ids
    body = client_for(alice).get(reverse("audit-run", kwargs={"code": run.code})).content.decode()
    assert "21 chars" not in body
    assert "a credential written as such a reference counts as none" in body
