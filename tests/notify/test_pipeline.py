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
    assert got.json()["alerts"][0]["labels"]["type"] == Alert.objects.get().type
    off_loop(alert_resolve, alert=Alert.objects.get(), actor=alice)
    run_queued_tasks()
    off_loop(groups_sweep, now=timezone.now() + timedelta(minutes=5))  # the default group_interval
    run_queued_tasks()
    got = http_receiver.recorder.wait_for(2)[1]
    assert got.json()["status"] == "resolved"
