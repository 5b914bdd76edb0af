"""People: who hears of an alert or a request personally, their settings, their browsers.

An alert reaches a person through their subscriptions (a gateway, or every gateway they can see; a
minimum severity; a type glob), an approval request through their role (admins and owners, unless
they turned approvals off). Either way only on gateways they can see *now*, not silenced or
inhibited, and not inside their quiet hours (a critical alert may wake them, if they said so).
Personal channels: each of their browsers (Web Push), and their email address if they chose email.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction

from controlpanel import fieldcrypto
from controlpanel.models import (
    GatewayMembership,
    Notification,
    NotifyProfile,
    NotifySubscription,
    PushSubscription,
    Role,
)
from controlpanel.notify import payload
from controlpanel.notify.labels import SEVERITY_RANK
from controlpanel.notify.quiet import QuietHours

from ..activity import activity_record

if TYPE_CHECKING:
    from .routing import Deliveries, Muter, Source


def profile_of(user) -> NotifyProfile:
    return NotifyProfile.objects.filter(user=user).first() or NotifyProfile(user=user)


def quiet_hours(profile: NotifyProfile) -> QuietHours:
    return QuietHours(
        start=profile.quiet_start,
        end=profile.quiet_end,
        timezone=profile.timezone,
        critical_overrides=profile.critical_overrides_quiet,
    )


def subscription_matches(sub: NotifySubscription, labels: dict[str, str]) -> bool:
    return SEVERITY_RANK.get(labels.get("severity", ""), 0) >= SEVERITY_RANK[sub.min_severity] and (
        fnmatch.fnmatchcase(labels.get("type", ""), sub.type_pattern or "*")
    )


@dataclass(frozen=True)
class Recipient:
    user: Any
    profile: NotifyProfile
    why: str  # why they hear of it: "subscribed", "admin or owner of the gateway"
    held: str | None  # why it is held back from them now (None: sent)


class Audience:
    """Each gateway's active members and the alert subscriptions they hold (for that gateway or for
    all), read once per routing transaction however many of its alerts it routes."""

    def __init__(self) -> None:
        self._members: dict[int, dict[int, GatewayMembership]] = {}
        self._subscriptions: dict[int, list[NotifySubscription]] = {}

    def members(self, gateway_id: int) -> dict[int, GatewayMembership]:
        if gateway_id not in self._members:
            self._members[gateway_id] = {
                m.user_id: m
                for m in GatewayMembership.objects.filter(gateway_id=gateway_id).select_related("user")
                if m.user.is_active
            }
        return self._members[gateway_id]

    def subscriptions(self, gateway_id: int) -> list[NotifySubscription]:
        if gateway_id not in self._subscriptions:
            members = list(self.members(gateway_id))
            self._subscriptions[gateway_id] = (
                list(
                    NotifySubscription.objects.filter(user_id__in=members, gateway_id__in=[gateway_id])
                    | NotifySubscription.objects.filter(user_id__in=members, gateway__isnull=True)
                )
                if members
                else []
            )
        return self._subscriptions[gateway_id]


def recipients(
    source: Source, *, now: datetime, muter: Muter, audience: Audience | None = None
) -> list[Recipient]:
    """The people ``source`` concerns, each with why, and why it is held back from them (if it is)."""
    gateway = source.gateway
    audience = audience or Audience()
    members = audience.members(gateway.pk)
    if source.labels.get("kind") == "approval":
        wanted = {uid for uid, m in members.items() if Role(m.role).includes(Role.ADMIN)}
        why = "admin or owner of the gateway"
    else:
        subs = audience.subscriptions(gateway.pk)
        wanted = {s.user_id for s in subs if subscription_matches(s, source.labels)}
        why = "subscribed"
    if not wanted:
        return []
    profiles = {p.user_id: p for p in NotifyProfile.objects.filter(user_id__in=wanted)}
    mute = muter.reasons([(gateway.pk, source.fingerprint, source.labels)]).get(source.fingerprint)
    out = []
    for uid in sorted(wanted):
        profile = profiles.get(uid) or NotifyProfile(user_id=uid)
        held = mute
        if held is None and source.labels.get("kind") == "approval" and not profile.approvals:
            held = "turned approval requests off"
        if held is None:
            held = quiet_hours(profile).holds_back(now, source.labels.get("severity", ""))
        out.append(Recipient(members[uid].user, profile, why, held))
    return out


def notify_people(
    source: Source, *, now: datetime, muter: Muter, deliveries: Deliveries, audience: Audience | None = None
) -> int:
    """Write the personal notifications of ``source`` (once per browser / address, even if routed
    again); returns how many were written."""
    from .routing import notification_create

    if not source.firing:
        return 0
    written = 0
    for recipient in recipients(source, now=now, muter=muter, audience=audience):
        if recipient.held:
            continue
        user, profile = recipient.user, recipient.profile
        stem = f"{source.fingerprint}:{source.event_id or 'new'}"
        targets = []
        if profile.push_enabled:
            targets += [("webpush", f"{stem}:push:{sub.pk}", sub) for sub in user.push_subscriptions.all()]
        if profile.email_enabled and user.email:
            targets.append(("email", f"{stem}:email:{user.pk}", None))
        existing = set(
            Notification.objects.filter(source__in=[t[1] for t in targets]).values_list("source", flat=True)
        )
        alert = payload.alert_entry(
            fingerprint=source.fingerprint,
            firing=True,
            labels=source.labels,
            annotations=source.annotations,
            starts_at=source.starts_at.isoformat(),
            ends_at=None,
        )
        reason = "approval request" if source.labels.get("kind") == "approval" else "your subscription"
        for channel, key_source, sub in targets:
            if key_source in existing:
                continue
            notification = notification_create(
                source=key_source,
                channel=channel,
                user=user,
                push_subscription=sub,
                gateway_id=source.gateway.pk,
                reason=reason,
                alert_ids=[source.alert_id] if source.alert_id else [],
                build=lambda key, alert=alert, reason=reason, user=user: payload.body(
                    key=key,
                    receiver=user.get_username(),
                    reason=reason,
                    group_key=source.fingerprint,
                    group_labels={},
                    alerts=[alert],
                    sent_at=now.isoformat(),
                ),
            )
            deliveries.add(notification)
            written += 1
    return written


# --- settings ---------------------------------------------------------------------------------------


def profile_update(*, user, **fields) -> NotifyProfile:
    """Save a person's notification settings (channels, approvals, quiet hours)."""
    with transaction.atomic():
        profile, _ = NotifyProfile.objects.select_for_update().get_or_create(user=user)
        before = {k: str(getattr(profile, k)) for k in fields}
        for name, value in fields.items():
            setattr(profile, name, value)
        profile.save()
        activity_record(
            action="notify.profile_updated",
            actor=user,
            target=f"user:{user.pk}",
            before=before,
            after={k: str(v) for k, v in fields.items()},
        )
    return profile


def subscription_add(*, user, gateway, min_severity: str, type_pattern: str) -> NotifySubscription:
    if min_severity not in SEVERITY_RANK:
        raise ValueError("min_severity: choose info, warning or critical")
    type_pattern = (type_pattern or "*").strip()[:100]
    with transaction.atomic():
        sub = NotifySubscription.objects.create(
            user=user, gateway=gateway, min_severity=min_severity, type_pattern=type_pattern
        )
        activity_record(
            action="notify.subscribed",
            actor=user,
            gateway=gateway,
            target=f"subscription:{sub.pk}",
            after={"min_severity": min_severity, "type": type_pattern},
        )
    return sub


def subscription_remove(*, subscription: NotifySubscription, user) -> None:
    with transaction.atomic():
        activity_record(
            action="notify.unsubscribed",
            actor=user,
            gateway=subscription.gateway,
            target=f"subscription:{subscription.pk}",
        )
        subscription.delete()


def push_subscribe(*, user, endpoint: str, p256dh: str, auth: str, label: str) -> PushSubscription:
    """Register (or take over) one browser's push subscription for ``user``."""
    import json

    keys = fieldcrypto.encrypt(json.dumps({"p256dh": p256dh, "auth": auth}))
    with transaction.atomic():
        sub, _ = PushSubscription.objects.update_or_create(
            endpoint=endpoint,
            defaults={"user": user, "keys_enc": keys, "label": label[:100], "last_error": ""},
        )
        activity_record(
            action="notify.browser_subscribed",
            actor=user,
            target=f"browser:{sub.pk}",
            after={"label": sub.label},
        )
    return sub


def push_unsubscribe(*, subscription: PushSubscription, user) -> None:
    with transaction.atomic():
        activity_record(action="notify.browser_removed", actor=user, target=f"browser:{subscription.pk}")
        subscription.delete()


def push_keys_of(subscription: PushSubscription) -> dict[str, str]:
    import json

    return json.loads(fieldcrypto.decrypt(subscription.keys_enc))


def push_test(*, subscription: PushSubscription, user) -> Notification:
    """Queue a test push to one browser (delivered and logged like any other notification)."""
    import uuid

    from django.utils import timezone

    from .routing import Deliveries, notification_create

    now = timezone.now()
    deliveries = Deliveries()
    with transaction.atomic():
        notification = notification_create(
            source=f"test:{uuid.uuid4()}",
            channel="webpush",
            user=user,
            push_subscription=subscription,
            reason="test",
            build=lambda key: payload.body_for_a_test_send(
                key=key, receiver=user.get_username(), sent_at=now.isoformat()
            ),
        )
        deliveries.add(notification)
        deliveries.enqueue()
    return notification
