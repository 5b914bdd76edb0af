"""Gateway down is an alert: a linked gateway the worker cannot reach, or whose status is stale,
raises ``gateway.down`` (critical); a fresh report that it is up resolves it. The alert routes like
any other and inhibits the gateway's other alerts while it fires.

``gateway.stale`` (the gateway's events stopped) is raised by the alert rules at ingest; this adds
the panel's own view through its connection (``Gateway.status``, written by the gateway worker).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from controlpanel.models import Alert, AlertEvent, Gateway, GatewayAlertState
from controlpanel.models.gateways import STATUS_FRESH_FOR
from controlpanel.selectors import alert_snapshot
from controlpanel.services.alerts.publish import alert_events_emit

DOWN_TYPE = "gateway.down"
SUBJECT = "gateway"
# A gateway is down after this long unreachable (one reconnect hiccup is no alert).
DOWN_AFTER = timedelta(seconds=60)


def down_reason(gateway: Gateway, now: datetime) -> str | None:
    """Why the gateway counts as down now (None: up, or nothing known yet)."""
    if gateway.status_checked_at is None:
        return None  # never checked: the panel has no view of it (not linked yet)
    age = now - gateway.status_checked_at
    if gateway.status == Gateway.Status.OFFLINE:
        return f"unreachable: {gateway.last_error or 'no answer'}"[:500]
    if age > STATUS_FRESH_FOR + DOWN_AFTER:
        return f"no status for {int(age.total_seconds() // 60)} min (the panel's connection is stale)"
    return None


def gateway_health_check(*, now: datetime | None = None) -> int:
    """Raise or resolve ``gateway.down`` for every linked gateway; returns the number of changes."""
    now = now or timezone.now()
    changes = 0
    gateways = Gateway.objects.filter(link__isnull=False) | Gateway.objects.filter(
        alerts__type=DOWN_TYPE, alerts__resolved_at__isnull=True
    )
    for gateway in gateways.distinct():
        changes += gateway_health_apply(gateway=gateway, reason=down_reason(gateway, now), now=now)
    return changes


def gateway_health_apply(*, gateway: Gateway, reason: str | None, now: datetime) -> int:
    """Open ``gateway.down`` with ``reason``, or resolve it when ``reason`` is None. 1 if changed."""
    with transaction.atomic():
        # The gateway's rule-state lock: the same one ingest holds, so a batch never races this.
        GatewayAlertState.objects.get_or_create(gateway=gateway)
        GatewayAlertState.objects.select_for_update().get(gateway=gateway)
        alert = Alert.objects.filter(gateway=gateway, type=DOWN_TYPE).exclude(state="resolved").first()
        if reason is not None and alert is None:
            alert = Alert.objects.create(
                gateway=gateway,
                type=DOWN_TYPE,
                subject=SUBJECT,
                severity=Alert.Severity.CRITICAL,
                message=f"The gateway is down: {reason}",
                first_seen_at=now,
                last_seen_at=now,
            )
            kind = "created"
        elif reason is None and alert is not None:
            alert.state, alert.resolved_at = Alert.State.RESOLVED, now
            alert.detail = {**alert.detail, "resolved_reason": "reachable again"}
            alert.save()
            kind = "resolved"
        else:
            return 0
        event = AlertEvent.objects.create(
            gateway=gateway,
            alert=alert,
            kind=kind,
            notify=True,
            payload={"alert": alert_snapshot(alert, gateway)},
        )
        alert_events_emit([event])
    return 1
