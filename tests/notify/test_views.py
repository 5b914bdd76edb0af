"""The notification pages and what they must never show; approvals notify with a deep link that
locates but does not authorize; gateway down is an alert."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from controlpanel.background.testing import run_queued_tasks
from controlpanel.models import Alert, Notification, PushSubscription, Receiver
from controlpanel.services.approvals import pairing_request_reject
from controlpanel.services.notify.health import gateway_health_check
from tests.conftest import client_for, make_pairing
from tests.notify.conftest import off_loop, route, webhook
from tests.notify.servers import HttpReceiver

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.net/openclaw/T0KEN-in-the-path"


@pytest.fixture
def root(db):
    return get_user_model().objects.create_superuser(username="root", password="pw-root-long-enough")


def test_a_webhooks_url_and_secret_are_shown_once_and_never_again(alpha, alice, monkeypatch):
    monkeypatch.setattr("controlpanel.lib.netguard.resolve", lambda host, port, allowed: ["93.184.216.34"])
    client = client_for(alice)
    response = client.post(
        reverse("notify-receiver-new", kwargs={"code": alpha.code}),
        {"name": "ops", "kind": "webhook", "url": URL, "send_resolved": "1"},
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    secret = response.context["secret"]
    assert secret.startswith("whsec_") and secret in response.content.decode()
    receiver = Receiver.objects.get()
    assert URL not in receiver.config_enc and secret not in receiver.config_enc  # encrypted at rest
    page = client.get(
        reverse("notify-receiver", kwargs={"code": alpha.code, "pk": receiver.pk})
    ).content.decode()
    home = client.get(reverse("notify-home", kwargs={"code": alpha.code})).content.decode()
    for text in (page, home):
        assert "T0KEN" not in text and secret not in text
        assert "https://hooks.example.net/…" in text


def test_bad_input_names_the_field(alpha, alice):
    response = client_for(alice).post(
        reverse("notify-route-new", kwargs={"code": alpha.code}),
        {"name": "x", "matchers": "severity=critical\ntype=~(", "group_wait": "0s"},
    )
    assert response.status_code == 400
    assert "matchers" in response.content.decode() and "line 2" in response.content.decode()


def test_global_receivers_and_routes_are_the_superusers(alpha, alice, root):
    assert client_for(alice).get(reverse("notify-global-receiver-new")).status_code == 404
    assert client_for(alice).post(reverse("notify-global-route-new"), {"name": "x"}).status_code == 404
    page = client_for(alice).get(reverse("notify-global-home"))
    assert page.status_code == 200 and b"superusers" in page.content
    client = client_for(root)
    assert client.get(reverse("notify-global-receiver-new")).status_code == 200


def test_a_gateways_receiver_is_not_reachable_from_another_gateway(alpha, bravo, charlie):
    receiver, _ = webhook(alpha, "http://127.0.0.1:9/x")
    url = reverse("notify-receiver", kwargs={"code": bravo.code, "pk": receiver.pk})
    assert client_for(charlie).get(url).status_code == 404
    assert (
        client_for(charlie)
        .get(reverse("notify-receiver", kwargs={"code": alpha.code, "pk": receiver.pk}))
        .status_code
        == 404
    )


def test_a_persons_browsers_and_subscriptions_are_their_own(alice, bob):
    client = client_for(alice)
    response = client.post(
        reverse("push-subscribe"),
        data='{"endpoint": "https://push.example.com/x", "keys": {"p256dh": "BAAA", "auth": "abc"}}',
        content_type="application/json",
    )
    assert response.status_code == 201
    sub = PushSubscription.objects.get()
    assert sub.user == alice and "abc" not in sub.keys_enc
    other = client_for(bob).post(reverse("push-action", kwargs={"pk": sub.pk, "action": "remove"}))
    assert other.status_code == 404
    assert (
        client.post(reverse("push-subscribe"), data="{}", content_type="application/json").status_code == 400
    )


def test_the_service_worker_is_served_for_the_whole_site(client):
    response = client.get(reverse("notify-service-worker"))
    assert response.status_code == 200 and response["Service-Worker-Allowed"] == "/"
    assert b"showNotification" in response.content


@pytest.mark.django_db(transaction=True)
def test_a_new_request_notifies_admins_and_routes_with_a_link_that_only_locates(alpha, alice, bob, vera):
    with HttpReceiver() as server:
        receiver, _ = webhook(alpha, server.url + "/approvals")
        route(alpha, receiver, matchers="kind=approval", group_by="...")
        from controlpanel.services.approvals import dm_pairing_request_create

        request = dm_pairing_request_create(
            gateway=alpha, channel="telegram", account="default", sender_id="777", sender_name="Eve"
        )
        run_queued_tasks()
        [got] = server.recorder.wait_for(1)
    [alert] = got.json()["alerts"]
    assert alert["labels"]["type"] == "approval.dm" and alert["labels"]["channel"] == "telegram"
    link = alert["url"]
    path = link.removeprefix("http://testserver")
    assert path == reverse("pairing-detail", kwargs={"code": request.code})
    # The link locates, never authorizes: anonymous -> login; an outsider -> 404; a viewer reads only.
    anonymous = client_for(None).get(path)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))
    outsider = get_user_model().objects.create_user(username="mallory", password="pw-mallory-long-enough")
    assert client_for(outsider).get(path).status_code == 404
    viewer = client_for(vera).get(path)
    assert viewer.status_code == 200 and b"data-decision" not in viewer.content  # reads, cannot decide
    assert b"data-decision" in client_for(bob).get(path).content
    pairing_request_reject(request=request, actor=bob)
    page = client_for(alice).get(path).content.decode()
    assert 'id="no-longer-pending"' in page and "rejected" in page


@pytest.mark.django_db
def test_the_request_page_says_when_a_request_expired_or_the_gateway_refused_the_decision(alpha, alice):
    """What a notification's link opens: expired (even before the expiry sweep ran) and refused by
    the gateway are said, not shown as pending or as done."""
    from controlpanel.services.gateway_mirror import delivery_record

    past = timezone.now() - timedelta(minutes=5)
    expired = make_pairing(alpha, requested_at=past - timedelta(minutes=60), expires_at=past)
    page = client_for(alice).get(reverse("pairing-detail", kwargs={"code": expired.code})).content.decode()
    assert 'id="no-longer-pending"' in page and "<strong>expired</strong>" in page
    fresh = make_pairing(alpha, pairing_code="WXYZ6789", sender_id="556")
    page = client_for(alice).get(reverse("pairing-detail", kwargs={"code": fresh.code})).content.decode()
    assert 'id="no-longer-pending"' not in page
    pairing_request_reject(request=fresh, actor=alice)
    delivery_record(model="pairing", pk=fresh.pk, ok=False, error="unknown request")
    page = client_for(alice).get(reverse("pairing-detail", kwargs={"code": fresh.code})).content.decode()
    assert "the gateway refused that decision" in page


@pytest.mark.django_db(transaction=True)
def test_approvals_reach_admins_personally_not_viewers(alpha, alice, bob, vera):
    from controlpanel.services.notify.personal import push_subscribe

    for user in (alice, bob, vera):
        push_subscribe(
            user=user, endpoint=f"https://push.example.com/{user.username}", p256dh="B", auth="a", label="b"
        )
    make = make_pairing(alpha)
    from controlpanel.services.notify.outbox import approval_requested

    approval_requested(make)
    run_queued_tasks_no_delivery()
    users = set(Notification.objects.values_list("user__username", flat=True))
    assert users == {"alice", "bob"}


def run_queued_tasks_no_delivery():
    from django_tasks_db.models import DBTaskResult

    run_queued_tasks_only("notify_route")
    assert DBTaskResult.objects.filter(task_path__endswith="notify_deliver").exists()


def run_queued_tasks_only(name: str):
    from django_tasks_db.models import DBTaskResult

    from controlpanel.background.testing import _worker

    worker = _worker("test-only", heartbeat=False, schedule=False)
    for row in DBTaskResult.objects.filter(status="READY", task_path__endswith=name):
        row.claim(worker.worker_id)
        worker.run_task(row)


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_gateway_raises_an_alert_that_routes_and_recovery_resolves_it(alpha):
    from controlpanel.models import GatewayLink

    GatewayLink.objects.create(gateway=alpha)
    now = timezone.now()
    alpha.status, alpha.status_checked_at, alpha.last_error = "offline", now, "connection refused"
    alpha.save()
    with HttpReceiver() as server:
        receiver, _ = webhook(alpha, server.url + "/down")
        route(alpha, receiver, group_by="...")
        assert off_loop(gateway_health_check, now=now) == 1
        assert off_loop(gateway_health_check, now=now) == 0  # once
        run_queued_tasks()
        [got] = server.recorder.wait_for(1)
        assert got.json()["alerts"][0]["labels"]["type"] == "gateway.down"
        alert = Alert.objects.get(type="gateway.down")
        assert alert.severity == "critical" and "connection refused" in alert.message
        alpha.status, alpha.status_checked_at = "online", now + timedelta(seconds=30)
        alpha.save()
        assert off_loop(gateway_health_check, now=now + timedelta(seconds=31)) == 1
        alert.refresh_from_db()
        assert alert.state == "resolved"
        # Stale: no status for long enough is down too.
        assert off_loop(gateway_health_check, now=now + timedelta(minutes=10)) == 1
        assert Alert.objects.filter(type="gateway.down").exclude(state="resolved").exists()
