"""Scheduled audits (a controllable clock), the audit after every config change, and posture alerts:
a run that adds a critical finding or raises a finding's severity raises exactly one alert, which
routes like every other alert (an AlertEvent, pushed live, acknowledged and resolved as usual)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from controlpanel.audit.posture import Regression, regressions, still_present
from controlpanel.background.schedule import SCHEDULE, schedule_due
from controlpanel.background.testing import run_queued_tasks
from controlpanel.models import ActivityEvent, Alert, AlertEvent, AuditRun, Gateway, Role
from controlpanel.services.audits import (
    _finish,
    audit_run_start,
    audit_schedule_due,
    audit_schedule_set,
    audit_suppression_set,
)
from controlpanel.services.gateways import gateway_import_config
from controlpanel.services.posture import POSTURE_TYPE
from tests.conftest import MINIMAL_CONFIG, TEST_ENV, client_for, make_gateway

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
# The posture tests start from a config without critical findings. The panel audits the stored
# config without the gateway's environment (it has none), so MINIMAL_CONFIG's "${GW_TOKEN}" counts as
# no token there (gateway.loopback_no_auth, critical); here the token is written out instead.
SAFE = MINIMAL_CONFIG.replace('"${GW_TOKEN}"', '"' + TEST_ENV["GW_TOKEN"] + '"')
# bind "lan" without allowed origins: one critical finding (gateway.control_ui.allowed_origins_required)
LAN = SAFE.replace('bind: "loopback"', 'bind: "lan"')
LAN_COMMENTED = "// the same config, one comment more\n" + LAN


def reimport(gateway: Gateway, text: str, actor=None) -> None:
    outcome = gateway_import_config(text=text, env=TEST_ENV, name=gateway.name, gateway=gateway, actor=actor)
    assert outcome.gateway is not None, [i.message for i in outcome.result.issues]


def audited(gateway: Gateway) -> AuditRun:
    """Run what is queued (the audit of the config just stored); the gateway's newest run."""
    run_queued_tasks()
    run = gateway.audit_runs.order_by("-pk").first()
    assert run.status == "succeeded", run.error
    return run


def posture_alerts(gateway: Gateway):
    return Alert.objects.filter(gateway=gateway, type=POSTURE_TYPE)


# --- scheduled audits -----------------------------------------------------------------------------


def test_a_gateway_is_audited_on_its_schedule_by_the_clock(alice):
    gateway = make_gateway("sched", members={alice: Role.OWNER})
    [config_run] = gateway.audit_runs.all()
    assert config_run.trigger == "config", "importing queued the audit of the new config"
    run_queued_tasks()
    # The clock starts now: the import's audit moved the next one a day on (the default schedule).
    gateway.refresh_from_db()
    assert gateway.audit_every_hours == 24
    Gateway.objects.filter(pk=gateway.pk).update(audit_due_at=T0 + timedelta(hours=24))

    assert audit_schedule_due(now=T0 + timedelta(hours=23, minutes=59)) == 0
    assert audit_schedule_due(now=T0 + timedelta(hours=24)) == 1
    scheduled = gateway.audit_runs.get(trigger="scheduled")
    assert scheduled.status == "queued" and scheduled.started_by is None
    assert audit_schedule_due(now=T0 + timedelta(hours=24, minutes=1)) == 0, "once per period"
    gateway.refresh_from_db()
    assert gateway.audit_due_at == T0 + timedelta(hours=48)
    [row] = run_queued_tasks()
    scheduled.refresh_from_db()
    assert scheduled.status == "succeeded" and row.return_value == "succeeded"
    assert ActivityEvent.objects.filter(action="audit.started", detail__trigger="scheduled").count() == 1

    # Owners choose the period; the next audit is due a period after the newest run.
    newest = gateway.audit_runs.order_by("-created_at").first().created_at
    audit_schedule_set(gateway=gateway, every_hours=6, actor=alice, now=T0)
    gateway.refresh_from_db()
    assert gateway.audit_due_at == newest + timedelta(hours=6)
    assert audit_schedule_due(now=newest + timedelta(hours=5)) == 0
    assert audit_schedule_due(now=newest + timedelta(hours=6)) == 1

    # Off: never on the clock (config changes and people still start audits).
    run_queued_tasks()
    audit_schedule_set(gateway=gateway, every_hours=0, actor=alice)
    assert audit_schedule_due(now=T0 + timedelta(days=365)) == 0
    with pytest.raises(ValueError, match="audit_every_hours"):
        audit_schedule_set(gateway=gateway, every_hours=5, actor=alice)


def test_a_gateway_whose_audit_is_still_pending_is_not_queued_twice(alice):
    gateway = make_gateway("busy", members={alice: Role.OWNER})  # its config audit is still queued
    Gateway.objects.filter(pk=gateway.pk).update(audit_due_at=T0)
    assert audit_schedule_due(now=T0) == 0
    assert gateway.audit_runs.count() == 1
    gateway.refresh_from_db()
    assert gateway.audit_due_at == T0 + timedelta(hours=24), "moved on a period"


def test_the_schedule_is_a_periodic_task_of_the_task_workers(alice):
    gateway = make_gateway("periodic", members={alice: Role.OWNER})
    run_queued_tasks()
    assert SCHEDULE["controlpanel.tasks.audits.audits_schedule"].every == timedelta(minutes=1)
    Gateway.objects.filter(pk=gateway.pk).update(audit_due_at=timezone.now() - timedelta(seconds=1))
    assert "controlpanel.tasks.audits.audits_schedule" in schedule_due()  # what each worker's beat does
    rows = run_queued_tasks()  # the schedule task, then the audit it queued
    assert {r.task_path.rsplit(".", 1)[1] for r in rows} >= {"audits_schedule", "audit_run"}
    assert gateway.audit_runs.get(trigger="scheduled").status == "succeeded"


def test_every_config_change_is_audited_and_a_burst_costs_one_audit(alice):
    gateway = make_gateway("changes", members={alice: Role.OWNER})
    reimport(gateway, LAN, actor=alice)
    reimport(gateway, LAN_COMMENTED, actor=alice)
    [run] = gateway.audit_runs.all()  # still queued: it audits the newest config when it starts
    run_queued_tasks()
    run.refresh_from_db()
    gateway.refresh_from_db()
    assert run.config_hash == gateway.config_hash and run.trigger == "config"
    reimport(gateway, MINIMAL_CONFIG, actor=alice)
    assert gateway.audit_runs.count() == 2, "a change after the audit started gets its own"


# --- posture alerts -------------------------------------------------------------------------------


def test_a_posture_regression_raises_exactly_one_alert(alice, vera):
    gateway = make_gateway("posture", text=SAFE, members={alice: Role.OWNER, vera: Role.VIEWER})
    audited(gateway)
    assert not posture_alerts(gateway).exists(), "warnings only: no regression"

    reimport(gateway, LAN, actor=alice)  # one critical finding more
    run = audited(gateway)
    [alert] = posture_alerts(gateway)
    assert alert.state == "firing" and alert.severity == "critical" and alert.subject == "gateway"
    assert "gateway.control_ui.allowed_origins_required" in alert.message
    assert alert.detail["run"] == str(run.code)
    [event] = AlertEvent.objects.filter(alert=alert)
    assert event.kind == "created" and event.notify, "toasts and routes like any new alert"
    assert (
        ActivityEvent.objects.get(action="audit.succeeded", target=f"audit:{run.code}").after["posture_alert"]
        == alert.pk
    )

    # The same regression again (a comment changed; and a run by hand): nothing new.
    reimport(gateway, LAN_COMMENTED, actor=alice)
    audited(gateway)
    audit_run_start(gateway=gateway, actor=alice)
    audited(gateway)
    alert.refresh_from_db()
    assert posture_alerts(gateway).count() == 1 and alert.count == 1
    assert AlertEvent.objects.filter(alert=alert).count() == 1

    # The alerts list shows it to every member, like any alert.
    page = client_for(vera).get(reverse("alert-list")).content.decode()
    assert f'id="alert-{alert.pk}"' in page and POSTURE_TYPE in page

    # Fixed: the next audit no longer finds it, so the alert resolves itself.
    reimport(gateway, SAFE, actor=alice)
    audited(gateway)
    alert.refresh_from_db()
    assert alert.state == "resolved" and "no longer finds" in alert.detail["resolved_reason"]
    assert AlertEvent.objects.filter(alert=alert).order_by("-pk").first().kind == "resolved"

    # Back again: a regression against the fixed audit, so a new alert (the old one stays resolved).
    reimport(gateway, LAN, actor=alice)
    audited(gateway)
    assert posture_alerts(gateway).count() == 2
    assert posture_alerts(gateway).exclude(state="resolved").count() == 1


def test_the_first_audit_with_critical_findings_raises_one_alert(alice):
    gateway = make_gateway("born-bad", text=LAN, members={alice: Role.OWNER})
    audited(gateway)
    [alert] = posture_alerts(gateway)
    assert alert.severity == "critical" and alert.detail["previous_run"] is None


def test_an_accepted_risk_is_no_regression(alice):
    gateway = make_gateway("accepted", text=SAFE, members={alice: Role.OWNER})
    audited(gateway)
    audit_suppression_set(
        gateway=gateway,
        check_id="gateway.control_ui.allowed_origins_required",
        reason="behind our own proxy",
        actor=alice,
    )
    reimport(gateway, LAN, actor=alice)
    audited(gateway)
    assert not posture_alerts(gateway).exists()


def store_run(gateway: Gateway, findings: list[tuple[str, str, str]]) -> AuditRun:
    """A run stored through the real final write, with a report made up of ``findings``."""
    run = AuditRun.objects.create(gateway=gateway, status="running", started_at=timezone.now())
    report = {
        "summary": {s: sum(1 for f in findings if f[2] == s) for s in ("critical", "warn", "info")},
        "findings": [{"checkId": c, "title": t, "severity": s, "detail": ""} for c, t, s in findings],
    }
    return _finish(run, status="succeeded", report=report)


def test_a_finding_grown_more_severe_counts_the_open_alert_again(alice):
    gateway = make_gateway("graver", members={alice: Role.OWNER})
    store_run(gateway, [("a.check", "A", "info"), ("b.check", "B", "warn")])
    assert not posture_alerts(gateway).exists()
    store_run(gateway, [("a.check", "A", "warn"), ("b.check", "B", "warn")])  # info -> warn
    [alert] = posture_alerts(gateway)
    assert alert.severity == "warning" and "a.check (info to warn)" in alert.message
    store_run(gateway, [("a.check", "A", "warn"), ("b.check", "B", "critical")])  # and warn -> critical
    alert.refresh_from_db()
    assert posture_alerts(gateway).count() == 1
    assert alert.count == 2 and alert.severity == "critical", "escalated, still one alert"
    assert [e.kind for e in AlertEvent.objects.filter(alert=alert)] == ["created", "escalated"]
    assert {tuple(f) for f in alert.detail["findings"]} == {
        ("a.check", "A", "warn"),
        ("b.check", "B", "critical"),
    }
    # Acknowledged by a person, then the same findings again: no new toast, no second alert.
    Alert.objects.filter(pk=alert.pk).update(state="acknowledged", acknowledged_at=timezone.now())
    store_run(gateway, [("a.check", "A", "warn"), ("b.check", "B", "critical")])
    assert posture_alerts(gateway).count() == 1 and AlertEvent.objects.filter(alert=alert).count() == 2
    # One of the two fixed: still open; both fixed: resolved.
    store_run(gateway, [("a.check", "A", "warn")])
    alert.refresh_from_db()
    assert alert.state == "acknowledged"
    store_run(gateway, [("a.check", "A", "info")])
    alert.refresh_from_db()
    assert alert.state == "resolved"


# --- the rule itself (pure) -----------------------------------------------------------------------


def test_regressions_rule():
    before = [("x", "X", "critical"), ("y", "Y", "info"), ("z", "Z", "warn")]
    assert regressions(before, before) == []
    assert regressions(before, [("x", "X", "critical"), ("x", "X", "critical")]) == [
        Regression("x", "X", "critical", "critical")
    ], "a second critical finding of the same check"
    assert regressions(before, [("y", "Y", "warn")]) == [Regression("y", "Y", "warn", "info")]
    assert regressions(before, [("n", "N", "warn")]) == [], "new but not critical: the diff's business"
    assert regressions(before, [("z", "Z", "info")]) == [], "milder is no regression"
    assert regressions([], [("c", "C", "critical"), ("w", "W", "warn")]) == [
        Regression("c", "C", "critical", None)
    ]
    assert still_present([["z", "Z", "warn"]], [("z", "Z", "critical")])
    assert not still_present([["z", "Z", "warn"]], [("z", "Z", "info")])
