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
