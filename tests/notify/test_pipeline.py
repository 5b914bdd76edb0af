"""Alert stored → routed → grouped → delivered to a real HTTP server on loopback, signed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from controlpanel.background.testing import run_queued_tasks
from controlpanel.models import DeliveryAttempt, Notification
from controlpanel.services.alerts import ingest_events
from controlpanel.services.notify.routing import groups_sweep
from tests.alerts.conftest import MI, ev
from tests.notify.conftest import off_loop, route, webhook

pytestmark = pytest.mark.django_db(transaction=True)


def oom(workload: str = "etl"):
    return ev(type="clw-memory-oom", workload=workload, usage_bytes=2048 * MI, limit_bytes=2048 * MI)


def test_an_ingested_alert_reaches_the_webhook_signed(alpha, http_receiver):
    receiver, secret = webhook(None, http_receiver.url + "/hook")
    route(None, receiver)
    off_loop(ingest_events, gateway=alpha, events=[oom()])
    run_queued_tasks()
    [got] = http_receiver.recorder.wait_for(1)
    # Verified by the Standard Webhooks reference implementation, not by the panel's own code.
    Webhook(secret).verify(got.body, got.headers)
    body = got.json()
    assert body["status"] == "firing"
    assert body["id"] == got.headers["webhook-id"] == got.headers["idempotency-key"]
    [alert] = body["alerts"]
    assert alert["labels"]["type"] == "clw-memory-oom"
    assert alert["labels"]["workload"] == "etl"
    assert alert["labels"]["gateway"] == "alpha"
    assert alert["url"].startswith("http://testserver/gateways/")
    notification = Notification.objects.get()
    assert notification.status == "delivered"
    assert DeliveryAttempt.objects.filter(notification=notification, ok=True).count() == 1


def test_every_writer_of_alert_events_notifies_drift_and_a_persons_resolve_too(alpha, alice, http_receiver):
    """Not only ingest: the live config's drift alert and a person's resolve go through the same hook
    (``services.alerts.publish.alert_events_emit``) and reach the receiver."""
    from controlpanel.models import Alert, GatewayLink
    from controlpanel.services.alerts import alert_resolve
    from controlpanel.services.config_live import live_config_record

    assert alpha.revisions.exists()
    GatewayLink.objects.create(gateway=alpha)
    receiver, _ = webhook(None, http_receiver.url + "/hook")
    route(None, receiver, group_by="...")
    off_loop(live_config_record, gateway_id=alpha.pk, payload={"hash": "elsewhere", "raw": "{}"})
    run_queued_tasks()
    [got] = http_receiver.recorder.wait_for(1)
    assert got.json()["status"] == "firing"
    drift = Alert.objects.exclude(type="audit.posture").get()  # the import's audit may raise its own
    assert got.json()["alerts"][0]["labels"]["type"] == drift.type
    off_loop(alert_resolve, alert=drift, actor=alice)
    run_queued_tasks()
    off_loop(groups_sweep, now=timezone.now() + timedelta(minutes=5))  # the default group_interval
    run_queued_tasks()
    got = http_receiver.recorder.wait_for(2)[1]
    assert got.json()["status"] == "resolved"


def test_queued_routing_tasks_are_routed_together_and_delivered_by_that_run_on_one_connection(alpha):
    """A backlog of routing tasks (one per ingest transaction) is taken by one routing run, in one
    transaction, which then delivers what it wrote itself: one task run for five alerts, each
    delivered once, over one kept-alive connection to the checked address."""
    from django_tasks_db.models import DBTaskResult

    from tests.notify.servers import HttpReceiver

    with HttpReceiver(keep_alive=True) as server:
        receiver, _ = webhook(None, server.url + "/hook")
        route(None, receiver, group_by="...")
        for n in range(5):
            off_loop(ingest_events, gateway=alpha, events=[oom(f"w{n}")])
        assert DBTaskResult.objects.filter(task_path__endswith="notify_route", status="READY").count() == 5
        ran = run_queued_tasks()
        assert len(ran) == 1, "one run routed them all and delivered in place"
        assert "in 5 task(s)" in ran[0].return_value
        got = server.recorder.wait_for(5)
    assert len({r.headers["webhook-id"] for r in got}) == len(got) == 5
    assert len({r.peer for r in got}) == 1, "one connection, kept alive"
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    [deliver] = DBTaskResult.objects.filter(task_path__endswith="notify_deliver")
    assert deliver.worker_ids == ["test-inline"]
    assert set(Notification.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_retried_routing_task_routes_its_own_alerts_only(alpha, http_receiver):
    """So one alert that makes routing fail cannot use up the attempts of the tasks queued beside it."""
    from django_tasks_db.models import DBTaskResult

    from controlpanel.background.testing import _worker

    receiver, _ = webhook(None, http_receiver.url + "/hook")
    route(None, receiver, group_by="...")
    for n in range(3):
        off_loop(ingest_events, gateway=alpha, events=[oom(f"w{n}")])
    queued = DBTaskResult.objects.filter(task_path__endswith="notify_route", status="READY")
    first = queued.order_by("enqueued_at").first()
    first.worker_ids = ["a-worker-that-died"]  # its second attempt
    first.save(update_fields=["worker_ids"])
    first.claim("test-retry")
    _worker("test-retry", heartbeat=False, schedule=False).run_task(first)
    first.refresh_from_db()
    assert first.status == "SUCCESSFUL" and "in 1 task(s)" in first.return_value
    assert DBTaskResult.objects.filter(task_path__endswith="notify_route", status="READY").count() == 2
    run_queued_tasks()
    assert len(http_receiver.recorder.wait_for(3)) == 3
