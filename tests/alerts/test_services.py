"""services.alerts (and its selectors) and services.ingest_tokens against the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from controlpanel.models import (
    ActivityEvent,
    Alert,
    AlertEvent,
    DenialWindow,
    GatewayAlertState,
    IngestToken,
    MemorySample,
)
from controlpanel.selectors import alert_backfill
from controlpanel.services.alerts import (
    AlertStateError,
    alert_acknowledge,
    alert_resolve,
    alerts_tick,
    ingest_events,
    silence_create,
)
from controlpanel.services.ingest_tokens import (
    ingest_token_authenticate,
    ingest_token_create,
    ingest_token_revoke,
)

from .conftest import MI, at, ev

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def denial(agent: str = "main", **extra):
    return ev(type="exec.denied", agent=agent, command="rm -rf /", reason="user-denied", **extra)


def test_it_counts_a_repeat_on_one_alert_instead_of_adding_rows(alpha):
    ingest_events(gateway=alpha, events=[denial(), denial()], now=at(0))
    ingest_events(gateway=alpha, events=[denial()], now=at(1))
    alert = Alert.objects.get(gateway=alpha)
    assert (alert.type, alert.subject, alert.count) == ("exec.denied", "main", 3)
    assert alert.last_seen_at == at(1) and alert.first_seen_at == at(0)
    # One AlertEvent per alert per batch: created, then updated.
    assert list(AlertEvent.objects.values_list("kind", flat=True)) == ["created", "updated"]


def test_it_keys_alerts_by_gateway_type_and_subject(alpha, bravo):
    ingest_events(gateway=alpha, events=[denial("main"), denial("coder")], now=at(0))
    ingest_events(gateway=bravo, events=[denial("main")], now=at(0))
    assert Alert.objects.filter(gateway=alpha).count() == 2
    assert Alert.objects.filter(gateway=bravo).count() == 1


def test_it_escalates_repeated_denials_within_the_window(alpha):
    result = ingest_events(gateway=alpha, events=[denial() for _ in range(4)], now=at(0))
    assert Alert.objects.get().severity == "warning"
    result = ingest_events(gateway=alpha, events=[denial()], now=at(5))
    alert = Alert.objects.get()
    assert alert.severity == "critical" and alert.count == 5
    last = AlertEvent.objects.get(pk=result.event_ids[0])
    assert last.kind == "escalated" and last.notify is True


def test_a_sandbox_escape_is_critical_at_once(alpha):
    ingest_events(gateway=alpha, events=[ev(type="clw-sandbox-escape", plugin="evil")], now=at(0))
    assert Alert.objects.get().severity == "critical"


def pressure(percent: float, workload: str = "api"):
    return ev(
        type="memory.sample", workload=workload, usage_bytes=int(percent * 10 * MI), limit_bytes=1000 * MI
    )


def test_memory_pressure_fires_only_after_the_pending_period(alpha):
    ingest_events(gateway=alpha, events=[pressure(85)], now=at(0))
    ingest_events(gateway=alpha, events=[pressure(86)], now=at(30))
    assert not Alert.objects.exists()
    ingest_events(gateway=alpha, events=[pressure(86)], now=at(61))
    alert = Alert.objects.get()
    assert (alert.type, alert.subject, alert.severity) == ("clw-memory-pressure", "api", "warning")
    assert MemorySample.objects.filter(subject="workload:api").count() == 3


def test_memory_pressure_goes_critical_at_90_and_resolves_with_hysteresis(alpha):
    for second, percent in [(0, 95), (61, 95)]:
        ingest_events(gateway=alpha, events=[pressure(percent)], now=at(second))
    assert Alert.objects.get().severity == "critical"
    ingest_events(gateway=alpha, events=[pressure(87)], now=at(90))  # above 85: stays critical
    assert Alert.objects.get().severity == "critical"
    ingest_events(gateway=alpha, events=[pressure(80)], now=at(100))  # below 85: warning
    assert Alert.objects.get().severity == "warning"
    ingest_events(gateway=alpha, events=[pressure(77)], now=at(110))  # above 75: still open
    assert Alert.objects.get().state == "firing"
    ingest_events(gateway=alpha, events=[pressure(70)], now=at(120))
    assert Alert.objects.get().state == "resolved"


def test_an_oom_is_critical_and_mutes_pressure_toasts_for_the_workload(alpha):
    oom = ev(type="clw-memory-oom", workload="api", usage_bytes=1000 * MI, limit_bytes=1000 * MI)
    ingest_events(gateway=alpha, events=[oom, pressure(95)], now=at(0))
    ingest_events(gateway=alpha, events=[pressure(95)], now=at(61))
    oom_alert = Alert.objects.get(type="clw-memory-oom")
    pressure_alert = Alert.objects.get(type="clw-memory-pressure")
    assert oom_alert.severity == "critical"
    created = AlertEvent.objects.get(alert=pressure_alert, kind="created")
    assert created.notify is False  # listed, but no toast


def test_a_silenced_alert_is_stored_and_listed_but_does_not_notify(alpha, bob):
    silence_create(
        gateway=alpha,
        type_pattern="exec.*",
        subject_pattern="ma*",
        comment="known noisy agent",
        expires_at=timezone.now() + timedelta(hours=1),
        actor=bob,
    )
    ingest_events(gateway=alpha, events=[denial("main"), denial("coder")], now=timezone.now())
    events = {e.alert.subject: e for e in AlertEvent.objects.select_related("alert")}
    assert events["main"].notify is False and events["main"].payload["alert"]["silenced"] is True
    assert events["coder"].notify is True
    assert ActivityEvent.objects.filter(action="alert.silenced").count() == 1


def test_a_silence_created_between_batches_applies_to_the_next_batch(alpha, bob):
    # The first batch reads the (no) silences and ingest keeps them per process while the gateway's
    # silences_version is unchanged: creating a silence must show in the very next batch.
    ingest_events(gateway=alpha, events=[denial("coder")], now=timezone.now())
    silence_create(
        gateway=alpha,
        type_pattern="exec.*",
        subject_pattern="main",
        comment="known noisy agent",
        expires_at=timezone.now() + timedelta(seconds=30),
        actor=bob,
    )
    ingest_events(gateway=alpha, events=[denial("main")], now=timezone.now())
    assert AlertEvent.objects.get(alert__subject="main").notify is False
    # ...and stops applying once it has expired, without a new version.
    later = timezone.now() + timedelta(seconds=31)
    ingest_events(gateway=alpha, events=[denial("other")], now=later)
    Alert.objects.filter(subject="main").update(state="resolved", resolved_at=later)
    ingest_events(gateway=alpha, events=[denial("main")], now=later)
    created = AlertEvent.objects.filter(alert__subject="main", kind="created").order_by("pk")
    assert [e.notify for e in created] == [False, True]


@pytest.mark.parametrize("comment,hours", [("", 1), ("why", -1)])
def test_a_silence_needs_a_comment_and_a_future_expiry(alpha, bob, comment, hours):
    with pytest.raises(ValueError):
        silence_create(
            gateway=alpha,
            type_pattern="*",
            subject_pattern="*",
            comment=comment,
            expires_at=timezone.now() + timedelta(hours=hours),
            actor=bob,
        )


def test_a_repeat_of_an_acknowledged_alert_keeps_who_acknowledged_it_in_the_pushed_snapshot(alpha, bob):
    ingest_events(gateway=alpha, events=[denial("a"), denial("b")], now=at(0))
    alert_acknowledge(alert=Alert.objects.get(subject="a"), actor=bob)
    result = ingest_events(gateway=alpha, events=[denial("a"), denial("b")], now=at(1))
    snapshots = {
        e.payload["alert"]["subject"]: e.payload["alert"]
        for e in AlertEvent.objects.filter(pk__in=result.event_ids)
    }
    assert snapshots["a"]["state"] == "acknowledged" and snapshots["a"]["acknowledged_by"] == bob.username
    assert snapshots["b"]["state"] == "firing" and snapshots["b"]["acknowledged_by"] == ""
    assert snapshots["a"]["count"] == 2 and Alert.objects.get(subject="a").count == 2


def test_ack_then_resolve_records_who_and_when_and_audits(alpha, bob):
    ingest_events(gateway=alpha, events=[denial()], now=at(0))
    alert = alert_acknowledge(alert=Alert.objects.get(), actor=bob)
    assert alert.state == "acknowledged" and alert.acknowledged_by == bob and alert.acknowledged_at
    with pytest.raises(AlertStateError):
        alert_acknowledge(alert=alert, actor=bob)
    alert = alert_resolve(alert=alert, actor=bob)
    assert alert.state == "resolved" and alert.resolved_at
    actions = list(
        ActivityEvent.objects.filter(action__startswith="alert.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["alert.acknowledged", "alert.resolved"]
    # A new occurrence after resolution opens a new alert.
    ingest_events(gateway=alpha, events=[denial()], now=at(1))
    assert Alert.objects.filter(state="firing").count() == 1 and Alert.objects.count() == 2


def test_a_gateway_that_stops_reporting_goes_stale_then_recovers(alpha):
    ingest_events(gateway=alpha, events=[denial()], now=at(0))
    alerts_tick(gateway=alpha, now=at(60))
    assert not Alert.objects.filter(type="gateway.stale").exists()
    alerts_tick(gateway=alpha, now=at(301))
    stale = Alert.objects.get(type="gateway.stale")
    assert stale.state == "firing" and stale.severity == "warning"
    ingest_events(gateway=alpha, events=[denial()], now=at(400))
    assert Alert.objects.get(pk=stale.pk).state == "resolved"


def test_raw_lines_are_kept_verbatim(alpha):
    raw = [ev(type="raw", text="something odd <script>"), ev(type="raw", text="second line")]
    ingest_events(gateway=alpha, events=raw, now=at(0))
    event = AlertEvent.objects.get()
    assert event.payload["lines"] == ["something odd <script>", "second line"]
    assert Alert.objects.get().count == 2


def test_backfill_returns_events_after_an_id_for_the_given_gateways_only(alpha, bravo):
    first = ingest_events(gateway=alpha, events=[denial("a")], now=at(0)).event_ids[0]
    ingest_events(gateway=alpha, events=[denial("b")], now=at(1))
    ingest_events(gateway=bravo, events=[denial("c")], now=at(1))
    events, truncated = alert_backfill(gateway_ids=[alpha.pk], since=first)
    assert [e["title"] for e in events] == ["exec.denied b"] and truncated is False
    events, truncated = alert_backfill(gateway_ids=[alpha.pk, bravo.pk], since=0, cap=2)
    assert truncated is True and [e["title"] for e in events] == ["exec.denied b", "exec.denied c"]


def test_ingest_tokens_are_hashed_shown_once_and_revocable(alpha, bravo, alice):
    token, plaintext = ingest_token_create(gateway=alpha, name="shipper", actor=alice)
    assert plaintext.startswith("cpi_") and plaintext not in IngestToken.objects.values_list(
        "token_hash", flat=True
    )
    assert token.prefix == plaintext[:12]
    assert ingest_token_authenticate(gateway_code=alpha.code, token=plaintext) == token
    assert ingest_token_authenticate(gateway_code=bravo.code, token=plaintext) is None
    assert ingest_token_authenticate(gateway_code=alpha.code, token=plaintext + "x") is None
    second, plaintext2 = ingest_token_create(gateway=alpha, name="rotation", actor=alice)
    ingest_token_revoke(token=token, actor=alice)
    assert ingest_token_authenticate(gateway_code=alpha.code, token=plaintext) is None
    assert ingest_token_authenticate(gateway_code=alpha.code, token=plaintext2) == second
    actions = set(ActivityEvent.objects.values_list("action", flat=True))
    assert {"ingest_token.created", "ingest_token.revoked"} <= actions


def test_an_authenticated_token_carries_its_fields_and_gateway_and_notes_its_use_once_a_minute(
    alpha, alice, django_assert_num_queries
):
    token, plaintext = ingest_token_create(gateway=alpha, name="shipper", actor=alice)
    with django_assert_num_queries(2):  # the lookup, then last_used_at (never set yet)
        row = ingest_token_authenticate(gateway_code=str(alpha.code), token=plaintext)
    assert (row.pk, row.token_hash, row.gateway_id) == (token.pk, token.token_hash, alpha.pk)
    assert (row.gateway.pk, row.gateway.code, row.gateway.name) == (alpha.pk, alpha.code, alpha.name)
    first_use = IngestToken.objects.get(pk=token.pk).last_used_at
    assert first_use is not None
    with django_assert_num_queries(1):  # used a moment ago: no write
        ingest_token_authenticate(gateway_code=alpha.code, token=plaintext)
    with django_assert_num_queries(1):  # fields not loaded come on access, like only()
        assert row.name == "shipper"
    IngestToken.objects.filter(pk=token.pk).update(last_used_at=first_use - timedelta(seconds=61))
    with django_assert_num_queries(2):
        ingest_token_authenticate(gateway_code=alpha.code, token=plaintext)
    assert IngestToken.objects.get(pk=token.pk).last_used_at > first_use
    assert ingest_token_authenticate(gateway_code="not-a-uuid", token=plaintext) is None


def test_a_batch_loads_only_the_open_alerts_it_touches(alpha, monkeypatch):
    from tests.alerts.conftest import make_alert

    for i in range(200):
        make_alert(alpha, subject=f"other-{i}")
    loaded = []
    original = Alert.from_db.__func__

    def counting(cls, db, field_names, values):
        loaded.append(values)
        return original(cls, db, field_names, values)

    monkeypatch.setattr(Alert, "from_db", classmethod(counting))
    ingest_events(gateway=alpha, events=[denial("other-7"), denial("new")], now=at(0))
    assert len(loaded) == 1  # other-7 only
    assert Alert.objects.get(subject="other-7").count == 2


def test_denial_windows_are_rows_and_a_batch_reads_and_writes_only_its_own(alpha):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ingest_events(gateway=alpha, events=[denial(f"agent-{i}") for i in range(300)], now=at(0))
    assert DenialWindow.objects.filter(gateway=alpha).count() == 300
    assert "denials" not in GatewayAlertState.objects.get(gateway=alpha).evaluator
    untouched = DenialWindow.objects.get(gateway=alpha, key="exec.denied|agent-9").entry
    with CaptureQueriesContext(connection) as queries:
        for second in range(1, 5):
            ingest_events(gateway=alpha, events=[denial("agent-7")], now=at(second))
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "agent-7" in sql and "agent-9" not in sql  # read and written: its own key only
    assert "agent-1" not in sql.replace("agent-7", "")
    (seven,) = DenialWindow.objects.filter(gateway=alpha, key="exec.denied|agent-7").values_list(
        "entry", flat=True
    )
    assert seven == {"hits": [at(s).isoformat() for s in range(5)], "state": "critical"}
    assert Alert.objects.get(gateway=alpha, subject="agent-7").severity == "critical"
    assert DenialWindow.objects.get(gateway=alpha, key="exec.denied|agent-9").entry == untouched


def test_a_tick_forgets_the_windows_gone_quiet_and_keeps_the_others(alpha):
    ingest_events(gateway=alpha, events=[denial("early")], now=at(0))
    ingest_events(gateway=alpha, events=[denial("late")], now=at(500))
    alerts_tick(gateway=alpha, now=at(601))
    assert list(DenialWindow.objects.filter(gateway=alpha).values_list("key", flat=True)) == [
        "exec.denied|late"
    ]
    # The kept window still counts its hit: four more make five within ten minutes.
    ingest_events(gateway=alpha, events=[denial("late")] * 4, now=at(602))
    assert Alert.objects.get(gateway=alpha, subject="late").severity == "critical"


@pytest.mark.django_db(transaction=True)
def test_publishing_from_sync_code_on_a_thread_with_a_running_loop_still_rings(alpha, monkeypatch):
    """Sync code on a thread that runs its own event loop (Playwright's, in the browser tests) may
    commit alerts: the doorbell is still sent, where async_to_sync would raise after the commit."""
    import asyncio

    from channels.layers import get_channel_layer

    from controlpanel.live.groups import gateway_group
    from controlpanel.selectors import alert_snapshot
    from controlpanel.services.alerts.publish import alert_publish

    from .conftest import in_fresh_loop, make_alert

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    layer = get_channel_layer()
    alert = make_alert(alpha)
    event = AlertEvent.objects.create(
        gateway=alpha,
        alert=alert,
        kind=AlertEvent.Kind.CREATED,
        payload={"alert": alert_snapshot(alert, alpha)},
    )

    async def listen_while_sync_code_publishes():
        channel = await layer.new_channel()
        await layer.group_add(gateway_group(alpha.pk), channel)
        alert_publish([event])  # synchronously, while this thread's loop runs
        return await asyncio.wait_for(layer.receive(channel), timeout=10)

    message = in_fresh_loop(listen_while_sync_code_publishes)
    assert (message["gateway_id"], message["ids"]) == (alpha.pk, [event.pk])
