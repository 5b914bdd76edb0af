"""Each kind of receiver against a real server on loopback: SMTP (aiosmtpd), HTTP (webhook, Apprise's
json:// and ntfy://), and a Web Push "push service" whose message the test decrypts with the
subscription's private key."""

from __future__ import annotations

import base64
import json
import socket
from datetime import timedelta

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from controlpanel.background.testing import run_queued_tasks
from controlpanel.models import DeliveryAttempt, Notification
from controlpanel.services.notify.config import receiver_create, receiver_test
from controlpanel.services.notify.personal import profile_update, push_subscribe, subscription_add
from controlpanel.services.notify.push import vapid_public_key
from tests.alerts.conftest import MI, ev
from tests.notify.conftest import off_loop, route, webhook
from tests.notify.servers import HttpReceiver

pytestmark = pytest.mark.django_db(transaction=True)


def run_everything():
    """Run queued tasks, retries included (their backoff skipped), until none is left."""
    for _ in range(20):
        run_queued_tasks()
        waiting = DBTaskResult.objects.filter(status="READY", task_path__endswith="notify_deliver")
        if not waiting.exists():
            return
        waiting.update(run_after=timezone.now() - timedelta(seconds=1))


def oom_alert(gateway):
    from controlpanel.services.alerts import ingest_events

    off_loop(
        ingest_events,
        gateway=gateway,
        events=[ev(type="clw-memory-oom", workload="etl", usage_bytes=2048 * MI, limit_bytes=2048 * MI)],
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_email_reaches_a_real_smtp_server(alpha):
    from aiosmtpd.controller import Controller

    got = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            got.append(envelope)
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_USE_TLS=False,
        ):
            receiver, _ = receiver_create(
                gateway=alpha, name="ops mail", kind="email", to="ops@example.com", actor=None
            )
            route(alpha, receiver)
            oom_alert(alpha)
            run_everything()
    finally:
        controller.stop()
    [mail] = got
    assert mail.rcpt_tos == ["ops@example.com"]
    text = mail.content.decode()
    notification = Notification.objects.get()
    assert "clw-memory-oom" in text and "alpha" in text
    assert f"<{notification.key}@openclaw-controlpanel>" in text  # the same Message-ID on any retry
    assert notification.status == "delivered"


def test_a_failing_webhook_is_retried_with_the_same_idempotency_key(alpha):
    with HttpReceiver() as server:
        server.recorder.fail_first = 2
        receiver, _ = webhook(alpha, server.url + "/hook")
        route(alpha, receiver)
        oom_alert(alpha)
        run_everything()
        [got] = server.recorder.wait_for(1)
    notification = Notification.objects.get()
    assert notification.status == "delivered" and notification.attempts == 3
    assert got.headers["webhook-id"] == str(notification.key)
    log = list(DeliveryAttempt.objects.filter(notification=notification).values_list("ok", "status_code"))
    assert log == [(False, 500), (False, 500), (True, 200)]


def test_a_4xx_answer_is_not_retried(alpha):
    with HttpReceiver() as server:
        server.recorder.fail_first, server.recorder.fail_status = 5, 404
        receiver, _ = webhook(alpha, server.url + "/hook")
        receiver_test(receiver=receiver, actor=None)
        run_everything()
    notification = Notification.objects.get()
    assert notification.status == "dead" and notification.attempts == 1
    assert "HTTP 404" in notification.last_error


def test_apprise_delivers_to_json_and_ntfy(alpha):
    with HttpReceiver() as json_server, HttpReceiver() as ntfy_server:
        for name, url in [
            ("json", f"json://127.0.0.1:{json_server.port}/notify"),
            ("ntfy", f"ntfy://127.0.0.1:{ntfy_server.port}/panel-alerts"),
        ]:
            receiver, secret = receiver_create(gateway=alpha, name=name, kind="apprise", url=url, actor=None)
            assert secret == ""
            route(alpha, receiver, name=name, cont=True)
        oom_alert(alpha)
        run_everything()
        [j] = json_server.recorder.wait_for(1)
        [n] = ntfy_server.recorder.wait_for(1)
    body = j.json()
    assert "clw-memory-oom" in body["title"] and "alpha" in body["title"]
    assert j.headers["idempotency-key"] in {
        str(k) for k in Notification.objects.values_list("key", flat=True)
    }
    assert "clw-memory-oom" in n.body.decode() + json.dumps(n.headers)
    assert Notification.objects.filter(status="delivered").count() == 2


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_web_push_is_encrypted_for_the_subscription_and_signed_with_the_panels_vapid_key(alpha, alice):
    browser_key = ec.generate_private_key(ec.SECP256R1())
    p256dh = browser_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    auth = b"0123456789abcdef"
    with HttpReceiver() as push_service:
        endpoint = f"{push_service.url}/push/abc123"
        push_subscribe(
            user=alice, endpoint=endpoint, p256dh=_b64(p256dh), auth=_b64(auth), label="test browser"
        )
        subscription_add(user=alice, gateway=alpha, min_severity="warning", type_pattern="clw-*")
        profile_update(user=alice, push_enabled=True)
        oom_alert(alpha)
        run_everything()
        [got] = push_service.recorder.wait_for(1)
    assert got.headers["content-encoding"] == "aes128gcm"
    message = json.loads(
        http_ece.decrypt(got.body, private_key=browser_key, auth_secret=auth, version="aes128gcm")
    )
    assert "clw-memory-oom" in message["title"]
    assert message["url"].startswith("http://testserver/gateways/")
    # VAPID: "vapid t=<JWT>, k=<the panel's public key>", the JWT signed by that key for this origin.
    scheme, _, params = got.headers["authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert fields["k"] == vapid_public_key()
    head, claims, signature = fields["t"].split(".")
    assert json.loads(_unb64(claims))["aud"] == push_service.url
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(fields["k"]))
    raw = _unb64(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    assert Notification.objects.get().status == "delivered"


def test_a_subscription_the_push_service_forgot_is_removed(alpha, alice):
    from controlpanel.models import PushSubscription

    with HttpReceiver() as push_service:
        push_service.recorder.fail_first, push_service.recorder.fail_status = 1, 410
        key = ec.generate_private_key(ec.SECP256R1()).public_key()
        p256dh = key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        push_subscribe(
            user=alice,
            endpoint=push_service.url + "/gone",
            p256dh=_b64(p256dh),
            auth=_b64(b"x" * 16),
            label="old",
        )
        subscription_add(user=alice, gateway=None, min_severity="info", type_pattern="*")
        oom_alert(alpha)
        run_everything()
    assert Notification.objects.get().status == "dead"
    assert not PushSubscription.objects.exists()


@override_settings(CP_NOTIFY_ALLOWED_NETWORKS=[])
@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/x", "http://169.254.169.254/latest/meta-data", "http://10.1.2.3/", "http://[::1]/x",
     "file:///etc/passwd", "http://user:pw@example.com/"],
)  # fmt: skip
def test_receivers_refuse_internal_destinations(alpha, url):
    from controlpanel.services.notify.config import ConfigError

    with pytest.raises(ConfigError) as exc:
        webhook(alpha, url)
    assert exc.value.field == "url"


@override_settings(CP_NOTIFY_ALLOWED_NETWORKS=[])
@pytest.mark.parametrize(
    "url", ["json://127.0.0.1:8000/x", "windows://", "syslog://", "mailto://u:p@example.com"]
)
def test_apprise_refuses_internal_and_local_services(alpha, url):
    from controlpanel.services.notify.config import ConfigError

    with pytest.raises(ConfigError):
        receiver_create(gateway=alpha, name="x", kind="apprise", url=url, actor=None)
