"""Alerts raised by the panel's own rules rather than by ingested events (posture alerts).

Same alert rows, AlertEvents and doorbells as ingested ones (``AlertBatch``): they are listed,
pushed live, acknowledged, resolved and silenced like every other alert.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from controlpanel.events.models import Severity
from controlpanel.models import Alert, Gateway

from .batch import AlertBatch


def alert_raise(
    *,
    gateway: Gateway,
    type_: str,
    subject: str,
    severity: str,
    message: str,
    detail: dict[str, Any],
    now: datetime | None = None,
) -> Alert:
    """Raise the open alert of (``type_``, ``subject``), or count it again with the new text and
    detail: a repeat is a new occurrence and notifies (unless silenced); a higher severity escalates.

    Runs in the caller's transaction; the caller serialises raises of one key (e.g. holding the
    gateway's row lock). Returns the alert.
    """
    now = now or timezone.now()
    with transaction.atomic():
        batch = AlertBatch(gateway, now, {(type_, subject)})
        alert = batch.upsert(type_, subject, Severity(severity), message, now)
        alert.message = message
        alert.detail = detail
        batch.messages.pop(alert.pk, None)
        batch.mark(alert, "updated", True)
        batch.finish()
    return alert


def alert_clear(
    *, gateway: Gateway, type_: str, subject: str, reason: str, now: datetime | None = None
) -> bool:
    """Resolve the open alert of (``type_``, ``subject``) because its condition is gone; False if none."""
    with transaction.atomic():
        batch = AlertBatch(gateway, now or timezone.now(), {(type_, subject)})
        if batch.find((type_, subject)) is None:
            return False
        batch.resolve(type_, subject, reason)
        batch.finish()
    return True
