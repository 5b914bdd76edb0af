"""Alert stored → routed → grouped → delivered to a real HTTP server on loopback, signed."""

from __future__ import annotations

import pytest
from standardwebhooks import Webhook

from controlpanel.background.testing import run_queued_tasks
from controlpanel.models import DeliveryAttempt, Notification
from controlpanel.services.alerts import ingest_events
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
