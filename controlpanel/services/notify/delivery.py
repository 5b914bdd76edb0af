"""Delivering one notification: one attempt per task run, each logged; the same idempotency key
(``Notification.key``) on every attempt, so a receiver counting keys sees each notification once
even when a worker died after sending and before recording it."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import datetime
from functools import lru_cache

from django.db import transaction
from django.utils import timezone

from controlpanel import fieldcrypto
from controlpanel.models import DeliveryAttempt, Notification, PushSubscription

from . import senders
from .push import vapid_private_pem


def receiver_config(receiver) -> dict:
    """The decrypted settings of a receiver (URL, secret, recipients): for the sender only."""
    return dict(_decrypted(receiver.config_enc))


@lru_cache(maxsize=256)
def _decrypted(token: str) -> tuple:
    # Per process, by ciphertext: a changed receiver has a new token (Fernet's IV), so no stale entry.
    return tuple(json.loads(fieldcrypto.decrypt(token) or "{}").items())


def _send(notification: Notification) -> senders.Sent:
    key, body = str(notification.key), notification.payload
    if notification.receiver_id is not None:
        receiver = notification.receiver
        config = receiver_config(receiver)
        if receiver.kind == "webhook":
            return senders.send_webhook(url=config["url"], secret=config["secret"], key=key, body=body)
        if receiver.kind == "apprise":
            return senders.send_apprise(url=config["url"], key=key, body=body)
        if receiver.kind == "email":
            return senders.send_email(to=config["to"], key=key, body=body)
        raise senders.Permanent(f"unknown receiver kind {receiver.kind!r}")
    if notification.channel == "webpush":
        sub = notification.push_subscription
        if sub is None:
            raise senders.Permanent("the browser was removed")
        from .personal import push_keys_of

        return senders.send_webpush(
            endpoint=sub.endpoint,
            keys=push_keys_of(sub),
            private_key_pem=vapid_private_pem(),
            key=key,
            body=body,
        )
    if notification.channel == "email" and notification.user_id is not None:
        if not notification.user.email:
            raise senders.Permanent("the person has no email address any more")
        return senders.send_email(to=[notification.user.email], key=key, body=body)
    raise senders.Permanent("no destination")


def _record(
    notification: Notification, *, ok: bool, started: float, at: datetime, error: str = "", status=None
):
    DeliveryAttempt.objects.create(
        notification=notification,
        at=at,
        ok=ok,
        status_code=status,
        duration_ms=int((time.monotonic() - started) * 1000),
        error=error[:2000],
    )


def notifications_deliver(*, keys: list[str]) -> str:
    """Deliver a transaction's notifications, each tried once; one that may pass on a retry goes on in
    a task of its own (after the first backoff). Already delivered ones are skipped (a batch run
    again after its worker died sends only what was not recorded, with the same keys)."""
    from controlpanel.background import enqueue_on_commit
    from controlpanel.tasks.notify import notify_deliver

    rows = Notification.objects.select_related("receiver", "push_subscription", "user").filter(key__in=keys)
    outcomes = Counter()
    for notification in sorted(rows, key=lambda n: n.pk):
        try:
            outcomes[_deliver(notification)] += 1
        except senders.Retry:
            retry_at = timezone.now() + notify_deliver.delay_after(1)
            enqueue_on_commit(notify_deliver.using(run_after=retry_at), key=str(notification.key))
            outcomes["retrying"] += 1
    return ", ".join(f"{n} {what}" for what, n in sorted(outcomes.items()))


def notification_deliver(*, key: str) -> str:
    """Try to deliver the notification ``key`` once. Returns its status; raises ``senders.Retry``
    (for the task to try again after its backoff) when the failure may pass."""
    notification = (
        Notification.objects.select_related("receiver", "push_subscription", "user").filter(key=key).first()
    )
    if notification is None:
        return "gone"
    return _deliver(notification)


def _deliver(notification: Notification) -> str:
    if notification.status != Notification.Status.PENDING:
        return notification.status
    attempt = notification.attempts + 1
    if notification.receiver_id is not None and not notification.receiver.enabled:
        _finish(notification, ok=False, error="the receiver is disabled", attempt=attempt)
        return Notification.Status.DEAD
    started, at = time.monotonic(), timezone.now()
    try:
        sent = _send(notification)
    except senders.Permanent as exc:
        _finish(
            notification, ok=False, error=str(exc), attempt=attempt, started=started, at=at, status=exc.status
        )
        if exc.status in (404, 410) and notification.push_subscription_id:
            PushSubscription.objects.filter(pk=notification.push_subscription_id).delete()
        return Notification.Status.DEAD
    except senders.Retry as exc:
        with transaction.atomic():
            _record(notification, ok=False, started=started, at=at, error=str(exc), status=exc.status)
            Notification.objects.filter(pk=notification.pk, status="pending").update(
                attempts=attempt, last_error=str(exc)[:2000]
            )
        raise
    _finish(notification, ok=True, attempt=attempt, started=started, at=at, status=sent.status)
    return Notification.Status.DELIVERED


def _finish(
    notification, *, ok: bool, attempt: int, error: str = "", started=None, at=None, status=None
) -> None:
    at = at or timezone.now()
    with transaction.atomic():
        _record(notification, ok=ok, started=started or time.monotonic(), at=at, error=error, status=status)
        fields = {"attempts": attempt, "last_error": error[:2000]}
        if ok:
            fields.update(status=Notification.Status.DELIVERED, delivered_at=timezone.now())
        else:
            fields.update(status=Notification.Status.DEAD)
        Notification.objects.filter(pk=notification.pk, status="pending").update(**fields)
        if notification.push_subscription_id:
            PushSubscription.objects.filter(pk=notification.push_subscription_id).update(
                **({"last_success_at": at, "last_error": ""} if ok else {"last_error": error[:500]})
            )


def notification_give_up(*, key: str, error: str) -> None:
    """The delivery task spent its attempts: the notification is dead (shown so on the pages)."""
    Notification.objects.filter(key=key, status="pending").update(
        status=Notification.Status.DEAD, last_error=error[:2000]
    )
