"""The ingest hot path's hand-written statements (services.rawsql), on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from controlpanel.models import Alert, AlertEvent, Gateway
from controlpanel.services.rawsql import insert_returning_pks, loaded, pipeline, update_fields
from tests.conftest import make_gateway

# Both passes: the default (SQLite) and the PostgreSQL one (-m postgres with DATABASE_URL).
pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def an_alert(gateway: Gateway, subject: str) -> Alert:
    now = timezone.now()
    return Alert(
        gateway=gateway,
        type="exec.denied",
        subject=subject,
        severity="warning",
        message="m",
        detail={"k": [1, "é"]},
        first_seen_at=now,
        last_seen_at=now,
    )


def test_inserted_rows_get_their_keys_defaults_and_auto_times_in_order_across_chunks():
    gateway = make_gateway("alpha")
    before = timezone.now()
    alerts = [an_alert(gateway, f"agent-{i}") for i in range(5)]
    insert_returning_pks(Alert, alerts, chunk=2)
    assert [a.pk for a in alerts] == sorted(a.pk for a in alerts) and None not in [a.pk for a in alerts]
    for alert in alerts:
        stored = Alert.objects.get(pk=alert.pk)
        assert stored.subject == alert.subject and stored.detail == {"k": [1, "é"]}
        assert (stored.state, stored.count) == ("firing", 1)  # the model's defaults
        assert stored.created_at >= before and stored.updated_at >= before  # auto_now(_add)
        assert not alert._state.adding and alert._state.db == connection.alias
    events = [
        AlertEvent(gateway=gateway, alert=a, kind="created", payload={"n": i}) for i, a in enumerate(alerts)
    ]
    insert_returning_pks(AlertEvent, events, chunk=3)
    assert list(AlertEvent.objects.order_by("pk").values_list("payload", flat=True)) == [
        {"n": i} for i in range(5)
    ]
    assert [e.pk for e in events] == list(AlertEvent.objects.order_by("pk").values_list("pk", flat=True))


def test_a_failing_insert_saves_nothing_of_its_chunk():
    gateway = make_gateway("alpha")
    insert_returning_pks(Alert, [an_alert(gateway, "one")])
    # A second open alert for the same key breaks the one-open-alert-per-key constraint.
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_returning_pks(Alert, [an_alert(gateway, "two"), an_alert(gateway, "one")])
    assert sorted(Alert.objects.values_list("subject", flat=True)) == ["one"]


def test_loaded_instances_hold_the_given_fields_and_load_the_rest_on_access(django_assert_num_queries):
    gateway = make_gateway("alpha")
    partial = loaded(Gateway, {"id": gateway.pk, "name": "alpha"})
    assert partial.get_deferred_fields() >= {"code", "config_text"}
    with django_assert_num_queries(1):
        assert partial.code == gateway.code


def test_updates_and_an_insert_in_one_pipeline_are_all_applied():
    gateway = make_gateway("alpha")
    alerts = [an_alert(gateway, f"a{i}") for i in range(2)]
    insert_returning_pks(Alert, alerts)
    alerts[0].count, alerts[1].count, alerts[1].message = 7, 9, "changed"
    with pipeline():
        update_fields(Alert, alerts, ["count", "message"])
        events = [AlertEvent(gateway=gateway, alert=alerts[0], kind="updated", payload={})]
        insert_returning_pks(AlertEvent, events)
    assert sorted(Alert.objects.values_list("subject", "count", "message")) == [
        ("a0", 7, "m"),
        ("a1", 9, "changed"),
    ]
    assert events[0].pk == AlertEvent.objects.get().pk


# --- the specific statements -------------------------------------------------------------------------


def test_the_ingest_token_lookup_finds_only_a_live_token_of_its_own_gateway():
    from datetime import timedelta

    from controlpanel.models import IngestToken
    from controlpanel.services.ingest_tokens import _digest, ingest_token_create
    from controlpanel.services.rawsql import ingest_token_lookup

    alpha, bravo = make_gateway("alpha"), make_gateway("bravo")
    token, plaintext = ingest_token_create(gateway=alpha, name="t", actor=None)
    now = timezone.now()
    found = ingest_token_lookup(token_hash=_digest(plaintext), gateway_code=alpha.code, used_before=now)
    assert found == (token.pk, _digest(plaintext), alpha.pk, "alpha", True)  # never used: stale
    IngestToken.objects.filter(pk=token.pk).update(last_used_at=now)
    assert (
        ingest_token_lookup(
            token_hash=_digest(plaintext), gateway_code=alpha.code, used_before=now - timedelta(seconds=60)
        )[4]
        is False
    )
    assert (
        ingest_token_lookup(token_hash=_digest(plaintext), gateway_code=bravo.code, used_before=now) is None
    )
    assert (
        ingest_token_lookup(token_hash=_digest("cpi_other"), gateway_code=alpha.code, used_before=now) is None
    )
    IngestToken.objects.filter(pk=token.pk).update(revoked_at=now)
    assert (
        ingest_token_lookup(token_hash=_digest(plaintext), gateway_code=alpha.code, used_before=now) is None
    )


def test_the_rule_state_is_read_with_its_json_and_version_or_none():
    from controlpanel.models import GatewayAlertState
    from controlpanel.services.rawsql import alert_state_lock

    gateway = make_gateway("alpha")
    with transaction.atomic():
        assert alert_state_lock(gateway.pk) is None
    GatewayAlertState.objects.create(
        gateway=gateway, evaluator={"sources": {"gateway": "é\\u0000"}}, silences_version=3
    )
    with transaction.atomic():
        state = alert_state_lock(gateway.pk)
    assert (state.gateway_id, state.evaluator, state.silences_version) == (
        gateway.pk,
        {"sources": {"gateway": "é\\u0000"}},
        3,
    )


def test_open_alerts_are_read_for_exactly_the_keys_asked():
    from controlpanel.services.rawsql import open_alerts_lock

    gateway, other = make_gateway("alpha"), make_gateway("bravo")
    rows = {}
    for type_, subject in [("t1", "a"), ("t1", "b"), ("t2", "a"), ("t2", "b"), ("t3", "x' OR '1'='1")]:
        rows[type_, subject] = an_alert(gateway, subject)
        rows[type_, subject].type = type_
    insert_returning_pks(Alert, list(rows.values()))
    insert_returning_pks(Alert, [an_alert(other, "a")])  # another gateway's
    resolved = rows["t2", "b"]
    Alert.objects.filter(pk=resolved.pk).update(state="resolved", resolved_at=timezone.now())
    with transaction.atomic():
        got = open_alerts_lock(gateway.pk, {("t1", "a"), ("t2", "b"), ("t3", "x' OR '1'='1")})
        # Not the cross product of the types and subjects asked: ("t1", "b") and ("t2", "a") stay out.
        assert sorted((a.type, a.subject) for a in got) == [("t1", "a"), ("t3", "x' OR '1'='1")]
        assert open_alerts_lock(gateway.pk, set()) == []
    assert got[0].detail == {"k": [1, "é"]} and got[0].first_seen_at.tzinfo is not None


def test_open_alerts_come_with_their_acknowledger(django_assert_num_queries, alice):
    from controlpanel.services.rawsql import open_alerts_lock

    gateway = make_gateway("alpha")
    alert = an_alert(gateway, "a")
    insert_returning_pks(Alert, [alert])
    Alert.objects.filter(pk=alert.pk).update(
        state="acknowledged", acknowledged_by=alice, acknowledged_at=timezone.now()
    )
    with transaction.atomic(), django_assert_num_queries(2):
        (got,) = open_alerts_lock(gateway.pk, [("exec.denied", "a")])
        assert got.acknowledged_by.username == "alice"


def test_denial_windows_are_written_read_by_key_and_deleted():
    from controlpanel.models import DenialWindow
    from controlpanel.services.rawsql import denial_windows_read, denial_windows_write

    gateway, other = make_gateway("alpha"), make_gateway("bravo")
    entry = {"hits": ["2026-11-21T06:00:00+00:00"], "state": "warning"}
    denial_windows_write(gateway.pk, {"exec.denied|a": entry, "exec.denied|b": entry}, [])
    denial_windows_write(other.pk, {"exec.denied|a": {"hits": [], "state": "critical"}}, [])
    denial_windows_write(gateway.pk, {"exec.denied|a": {**entry, "state": "critical"}}, ["exec.denied|b"])
    assert denial_windows_read(gateway.pk) == {"exec.denied|a": {**entry, "state": "critical"}}
    assert denial_windows_read(gateway.pk, ["exec.denied|a", "exec.denied|zz"]) == {
        "exec.denied|a": {**entry, "state": "critical"}
    }
    assert denial_windows_read(gateway.pk, []) == {}
    assert DenialWindow.objects.filter(gateway=other).count() == 1


# --- row locks (PostgreSQL: SQLite serialises writers instead) ----------------------------------------


def other_connection():
    import psycopg

    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"], host=s["HOST"], port=s["PORT"] or None
    )


def locked_by_someone(conn, table_name: str, pk: int, column_name: str = "id") -> bool:
    """Whether another transaction holds a row lock on the row (asked without waiting)."""
    import psycopg

    try:
        with conn.transaction():
            sql = f'SELECT 1 FROM "{table_name}" WHERE "{column_name}" = %s FOR UPDATE NOWAIT'
            conn.execute(sql, [pk])
    except psycopg.errors.LockNotAvailable:
        return True
    return False


@pytest.mark.django_db(transaction=True)
def test_the_open_alert_lock_covers_only_the_batchs_keys():
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    from controlpanel.services.rawsql import open_alerts_lock

    gateway = make_gateway("alpha")
    alerts = {}
    for type_, subject in [("t1", "a"), ("t1", "b"), ("t2", "a"), ("t2", "b")]:
        alerts[type_, subject] = an_alert(gateway, subject)
        alerts[type_, subject].type = type_
    insert_returning_pks(Alert, list(alerts.values()))
    with other_connection() as conn, transaction.atomic():
        open_alerts_lock(gateway.pk, {("t1", "a"), ("t2", "b")})
        locked = {key for key, a in alerts.items() if locked_by_someone(conn, Alert._meta.db_table, a.pk)}
    assert locked == {("t1", "a"), ("t2", "b")}


@pytest.mark.django_db(transaction=True)
def test_the_rule_state_lock_holds_until_the_transaction_ends():
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    from controlpanel.models import GatewayAlertState
    from controlpanel.services.rawsql import alert_state_lock

    gateway = make_gateway("alpha")
    GatewayAlertState.objects.create(gateway=gateway)
    table_name = GatewayAlertState._meta.db_table
    with other_connection() as conn:
        with transaction.atomic():
            alert_state_lock(gateway.pk)
            assert locked_by_someone(conn, table_name, gateway.pk, "gateway_id")
        assert not locked_by_someone(conn, table_name, gateway.pk, "gateway_id")  # released at commit
