"""What people do to alerts: acknowledge, resolve, silence. Each in a transaction, audited."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from controlpanel.lib.safetext import has_unstorable
from controlpanel.models import Alert, AlertEvent, Gateway, GatewayAlertState, Silence
from controlpanel.selectors import alert_snapshot

from ..activity import activity_record
from .publish import alert_events_emit


class AlertStateError(Exception):
    """The alert is not in a state that allows this action (e.g. acknowledging a resolved alert)."""


def _lifecycle(alert: Alert, kind: str, actor, before: str) -> None:
    event = AlertEvent.objects.create(
        gateway=alert.gateway,
        alert=alert,
        kind=kind,
        notify=False,
        payload={"alert": alert_snapshot(alert, alert.gateway)},
    )
    activity_record(
        action=f"alert.{kind}",
        actor=actor,
        gateway=alert.gateway,
        target=f"alert:{alert.pk}:{alert.type}:{alert.subject}"[:300],
        before={"state": before},
        after={"state": alert.state},
    )
    alert_events_emit([event])


def alert_acknowledge(*, alert: Alert, actor) -> Alert:
    """Mark a firing alert acknowledged by ``actor`` (who and when); returns it."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update(of=("self",)).select_related("gateway").get(pk=alert.pk)
        if alert.state != Alert.State.FIRING:
            raise AlertStateError(f"Only a firing alert can be acknowledged; this one is {alert.state}.")
        alert.state, alert.acknowledged_by, alert.acknowledged_at = "acknowledged", actor, timezone.now()
        alert.save()
        _lifecycle(alert, "acknowledged", actor, "firing")
    return alert


def alert_resolve(*, alert: Alert, actor) -> Alert:
    """Resolve an open alert by hand; returns it. A later occurrence opens a new alert."""
    with transaction.atomic():
        alert = (
            Alert.objects.select_for_update(of=("self",))
            .select_related("gateway", "acknowledged_by")
            .get(pk=alert.pk)
        )
        if alert.state == Alert.State.RESOLVED:
            raise AlertStateError("This alert is already resolved.")
        before = alert.state
        alert.state, alert.resolved_at = Alert.State.RESOLVED, timezone.now()
        alert.save()
        _lifecycle(alert, "resolved", actor, before)
    return alert


def silence_create(
    *, gateway: Gateway, type_pattern: str, subject_pattern: str, comment: str, expires_at: datetime, actor
) -> Silence:
    """Create a silence (matching alerts stay listed but stop toasting); returns it. Audited.

    Raises ValueError naming what is wrong: no comment, an expiry not in the future, a pattern longer
    than its column, or text no database can store (NUL, lone surrogates).
    """
    if not comment.strip():
        raise ValueError("A silence needs a comment.")
    if expires_at <= timezone.now():
        raise ValueError("A silence must expire in the future.")
    for label, value, field in (
        ("type pattern", type_pattern, "type_pattern"),
        ("subject pattern", subject_pattern, "subject_pattern"),
        ("comment", comment, "comment"),
    ):
        limit = Silence._meta.get_field(field).max_length
        if limit is not None and len(value) > limit:
            raise ValueError(f"The {label} is longer than {limit} characters.")
        if has_unstorable(value):
            raise ValueError(
                f"The {label} holds a character that cannot be stored (NUL or a lone surrogate)."
            )
    with transaction.atomic():
        GatewayAlertState.objects.get_or_create(gateway=gateway)
        GatewayAlertState.objects.filter(gateway=gateway).update(silences_version=F("silences_version") + 1)
        silence = Silence.objects.create(
            gateway=gateway,
            type_pattern=type_pattern or "*",
            subject_pattern=subject_pattern or "*",
            comment=comment.strip(),
            expires_at=expires_at,
            created_by=actor,
        )
        activity_record(
            action="alert.silenced",
            actor=actor,
            gateway=gateway,
            target=f"silence:{silence.pk}",
            after={
                "type": silence.type_pattern,
                "subject": silence.subject_pattern,
                "expires_at": expires_at.isoformat(),
                "comment": silence.comment,
            },
        )
    return silence
