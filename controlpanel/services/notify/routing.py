"""Routing and grouping: what the routing task and the flush task do.

``route_sources`` puts each alert (or pending approval) into the groups its routes name, and the
personal notifications of the people who asked for it; a group whose wait is over is flushed in the
same transaction, else a flush task is queued for when it is due. ``group_flush`` decides with
``notify.grouping.plan`` and, when something is to be said, writes the ``Notification`` and queues
its delivery task in one transaction, under the group's row lock (so never twice).
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from controlpanel.background import enqueue_on_commit
from controlpanel.models import (
    Alert,
    AlertEvent,
    ExecApprovalRequest,
    Gateway,
    GroupItem,
    Notification,
    NotificationGroup,
    PairingRequest,
    Receiver,
    Silence,
)
from controlpanel.notify import grouping, inhibit, payload
from controlpanel.notify.labels import alert_labels, approval_labels
from controlpanel.notify.routing import RouteMatch, Timers, group_key, group_labels
from controlpanel.notify.routing import route as tree_route
from controlpanel.tasks.notify import notify_deliver, notify_flush

from . import personal
from .trees import trees_for

NOTIFY_KINDS = ("created", "escalated", "resolved")


@dataclass
class Source:
    """One thing to notify about, as routing sees it."""

    fingerprint: str
    gateway: Gateway
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    firing: bool = True
    alert_id: int | None = None
    escalated: bool = False
    event_id: int | None = None


@dataclass
class RouteResult:
    groups: int = 0
    flushed: int = 0
    personal: int = 0
    resolved: int = 0
    notes: list[str] = field(default_factory=list)
    delivery_tasks: list[str] = field(default_factory=list)  # the task rows that deliver them


def public_url(path: str) -> str:
    return settings.CP_PUBLIC_URL + path


def alert_url(gateway: Gateway, alert_id: int) -> str:
    return public_url(reverse("alert-detail", kwargs={"code": gateway.code, "pk": alert_id}))


def approval_url(request: PairingRequest | ExecApprovalRequest) -> str:
    """The deep link to a request: it locates the request; the page asks for login and the role."""
    name = "exec-detail" if isinstance(request, ExecApprovalRequest) else "pairing-detail"
    return public_url(reverse(name, kwargs={"code": request.code}))


# --- sources ----------------------------------------------------------------------------------------


def sources_from_events(event_ids: Sequence[int]) -> list[Source]:
    events = (
        AlertEvent.objects.filter(pk__in=list(event_ids), kind__in=NOTIFY_KINDS)
        .select_related("gateway")
        .order_by("pk")
    )
    out = []
    for event in events:
        snap = event.payload.get("alert", {})
        labels = alert_labels(
            gateway=event.gateway.name,
            type_=snap.get("type", ""),
            subject=snap.get("subject", ""),
            severity=snap.get("severity", "warning"),
        )
        out.append(
            Source(
                fingerprint=f"alert:{event.alert_id}",
                gateway=event.gateway,
                labels=labels,
                annotations={
                    "title": f"{labels['type']} {labels['subject']}".strip(),
                    "message": str(snap.get("message", ""))[: payload.MAX_TEXT],
                    "url": alert_url(event.gateway, event.alert_id),
                },
                starts_at=_parse(snap.get("first_seen")) or event.created_at,
                firing=event.kind != "resolved",
                alert_id=event.alert_id,
                escalated=event.kind == "escalated",
                event_id=event.pk,
            )
        )
    return out


def _parse(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def approval_source(request: PairingRequest | ExecApprovalRequest) -> Source:
    gateway = request.gateway
    if isinstance(request, ExecApprovalRequest):
        kind, fingerprint = "exec", f"exec:{request.code}"
        labels = approval_labels(
            gateway=gateway.name, kind="exec", agent=request.agent_ref, subject=request.agent_ref
        )
        title = f"Exec request from agent {request.agent_ref or '?'}"
        message = f"wants to run: {request.command[:300]}"
    else:
        kind, fingerprint = request.kind, f"pairing:{request.code}"
        who = request.sender_name or request.sender_id or request.device_name or request.device_id
        labels = approval_labels(
            gateway=gateway.name,
            kind=kind,
            channel=request.channel,
            subject=(request.sender_id or request.device_id),
        )
        title = f"Pairing request ({request.get_kind_display()}): {who}"[:200]
        message = "waiting for an admin or owner to approve or reject it"
    return Source(
        fingerprint=fingerprint,
        gateway=gateway,
        labels=labels,
        annotations={
            "title": title,
            "message": f"{message} (expires {request.expires_at:%Y-%m-%d %H:%M} UTC)",
            "url": approval_url(request),
            "approval": kind,
        },
        starts_at=request.requested_at,
    )


# --- routing ----------------------------------------------------------------------------------------


def _key_hash(match: RouteMatch, labels: dict[str, str]) -> str:
    return hashlib.sha256(group_key(match.route, match.receiver, labels, match.group_by).encode()).hexdigest()


def _timers(group: NotificationGroup) -> Timers:
    return Timers(group.group_wait, group.group_interval, group.repeat_interval)


def _state(group: NotificationGroup) -> grouping.GroupState:
    return grouping.GroupState(
        created_at=group.created_at,
        flushed_at=group.flushed_at,
        sent_firing=frozenset(group.sent_firing),
        sent_resolved=frozenset(group.sent_resolved),
    )


def _group(
    match: RouteMatch,
    receiver: Receiver,
    labels: dict[str, str],
    now: datetime,
    known: dict[tuple, NotificationGroup],
) -> NotificationGroup:
    """The group of ``labels`` under ``match``, created if new. ``known``: the groups read (and made)
    by this transaction so far, by (route, receiver, key hash). A new group is held in memory with
    its items (``fresh_items``): no other transaction can see it before this one commits. Two
    routings creating the same group at once: one fails on the unique key and its task runs again."""
    timers = {
        "group_wait": match.timers.group_wait,
        "group_interval": match.timers.group_interval,
        "repeat_interval": match.timers.repeat_interval,
    }
    key = _key_hash(match, labels)
    group = known.get((match.route, match.receiver, key))
    if group is None:
        group = NotificationGroup.objects.create(
            route_id=match.route,
            receiver=receiver,
            key_hash=key,
            labels=group_labels(labels, match.group_by),
            created_at=now,
            **timers,
        )
        group.fresh_items = []
        known[(match.route, match.receiver, key)] = group
        return group
    if any(getattr(group, k) != v for k, v in timers.items()):
        for k, v in timers.items():
            setattr(group, k, v)
        group.save(update_fields=list(timers))
    return group


def _schedule(group: NotificationGroup, at: datetime, *, task: bool = True) -> None:
    """Flush ``group`` at ``at`` unless an earlier flush is already set. ``task``: queue a flush task
    for that moment (news waiting out group_wait or group_interval); else the periodic sweep
    (``notify_sweep``, every 10 s) runs it: repeats and muted groups need no precision."""
    if group.flush_at is not None and group.flush_at <= at:
        return
    group.flush_at = at
    NotificationGroup.objects.filter(pk=group.pk).update(flush_at=at)
    if task:
        enqueue_on_commit(notify_flush.using(run_after=at), group_id=group.pk)


def route_sources(sources: Iterable[Source], *, now: datetime | None = None) -> RouteResult:
    """Route ``sources`` into their groups and personal notifications, in one transaction."""
    now = now or timezone.now()
    sources = list(sources)
    result = RouteResult()
    if not sources:
        return result
    trees = trees_for({s.gateway.pk for s in sources})
    muter, deliveries, audience = Muter(now), Deliveries(), personal.Audience()
    with transaction.atomic():
        due: dict[int, NotificationGroup] = {}
        muter.load({s.gateway.pk for s in sources})  # all the batch's gateways: two queries
        routed = [(source, _destinations(source, trees[source.gateway.pk])) for source in sources]
        known = _groups_known([(match, s.labels) for s, dests in routed for match, _ in dests])
        for source, destinations in routed:
            if not source.firing:
                for group in _resolve_items(source.fingerprint, now):
                    result.resolved += 1
                    _due_or_schedule(group, now, due)
                continue
            for match, receiver in destinations:
                group = _group(match, receiver, source.labels, now, known)
                news = _item_upsert(group, source)
                result.groups += 1
                if news:
                    _due_or_schedule(group, now, due)
            result.personal += personal.notify_people(
                source, now=now, muter=muter, deliveries=deliveries, audience=audience
            )
        for group in sorted(due.values(), key=lambda g: g.pk):
            if _flush(group.pk, now, muter, deliveries, fresh=group) == "sent":
                result.flushed += 1
        result.delivery_tasks += deliveries.enqueue()
    return result


def _destinations(source: Source, trees) -> list[tuple[RouteMatch, Receiver]]:
    """The (route match, receiver) pairs a firing source goes to."""
    out = []
    if not source.firing:
        return out
    for root in trees.roots:
        matches, _ = tree_route(root, source.labels)
        for match in matches:
            receiver = trees.receivers.get(match.receiver)
            if receiver is None or not receiver.enabled:
                continue
            if receiver.gateway_id not in (None, source.gateway.pk):
                continue  # a gateway's receiver hears of that gateway only
            out.append((match, receiver))
    return out


def _groups_known(pairs: list[tuple[RouteMatch, dict[str, str]]]) -> dict[tuple, NotificationGroup]:
    """The existing groups of (match, labels) pairs, by (route, receiver, key hash): one query."""
    keys = {(m.route, m.receiver, _key_hash(m, labels)) for m, labels in pairs}
    if not keys:
        return {}
    rows = NotificationGroup.objects.filter(key_hash__in={k for _, _, k in keys})
    return {
        (g.route_id, g.receiver_id, g.key_hash): g
        for g in rows
        if (g.route_id, g.receiver_id, g.key_hash) in keys
    }


def _due_or_schedule(group: NotificationGroup, now: datetime, due: dict[int, NotificationGroup]) -> None:
    at = grouping.first_due(_state(group), _timers(group))
    if at <= now:
        due[group.pk] = group
    else:
        _schedule(group, at)


def _item_upsert(group: NotificationGroup, source: Source) -> bool:
    """Add or refresh the source's item in ``group``; returns whether that is news for the group."""
    fresh = getattr(group, "fresh_items", None)
    item = (
        next((i for i in fresh if i.fingerprint == source.fingerprint), None)
        if fresh is not None
        else GroupItem.objects.filter(group=group, fingerprint=source.fingerprint).first()
    )
    if item is None:
        item = GroupItem.objects.create(
            group=group,
            fingerprint=source.fingerprint,
            gateway=source.gateway,
            alert_id=source.alert_id,
            labels=source.labels,
            annotations=source.annotations,
            firing=True,
            starts_at=source.starts_at,
        )
        if fresh is not None:
            fresh.append(item)
        return True
    escalated = item.labels.get("severity") != source.labels.get("severity")
    item.labels, item.annotations = source.labels, source.annotations
    item.save(update_fields=["labels", "annotations"])
    if escalated and source.fingerprint in group.sent_firing:
        # A new severity is news: the next notification says it again.
        group.sent_firing = [fp for fp in group.sent_firing if fp != source.fingerprint]
        group.save(update_fields=["sent_firing"])
        return True
    return source.fingerprint not in group.sent_firing


def _resolve_items(fingerprint: str, now: datetime) -> list[NotificationGroup]:
    """Mark the source resolved in every group holding it; returns those groups."""
    items = list(GroupItem.objects.filter(fingerprint=fingerprint, firing=True).select_related("group"))
    if items:
        GroupItem.objects.filter(pk__in=[i.pk for i in items]).update(firing=False, ends_at=now)
    return [i.group for i in items]


# --- muting -----------------------------------------------------------------------------------------


def _silence_matches(silence: Silence, labels: dict[str, str]) -> bool:
    return fnmatch.fnmatchcase(labels.get("type", ""), silence.type_pattern) and fnmatch.fnmatchcase(
        labels.get("subject", ""), silence.subject_pattern
    )


class Muter:
    """Why alerts are muted now (silenced, or inhibited by a firing alert of their gateway), reading
    each gateway's silences and inhibiting alerts once per transaction."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._silences: dict[int, list[Silence]] = {}
        self._sources: dict[int, list[tuple[str, dict[str, str]]]] = {}

    def load(self, gateway_ids: set[int]) -> None:
        """Read the silences and inhibiting alerts of ``gateway_ids`` not read yet."""
        missing = gateway_ids - self._silences.keys()
        if not missing:
            return
        for gid in missing:
            self._silences[gid], self._sources[gid] = [], []
        for silence in Silence.objects.filter(gateway_id__in=missing, expires_at__gt=self.now):
            self._silences[silence.gateway_id].append(silence)
        open_sources = (
            Alert.objects.filter(gateway_id__in=missing, type__in=inhibit.source_types())
            .exclude(state=Alert.State.RESOLVED)
            .select_related("gateway")
        )
        for alert in open_sources:
            labels = alert_labels(
                gateway=alert.gateway.name, type_=alert.type, subject=alert.subject, severity=alert.severity
            )
            self._sources[alert.gateway_id].append((f"alert:{alert.pk}", labels))

    def reasons(self, items: Sequence[tuple[int, str, dict[str, str]]]) -> dict[str, str]:
        """Why each of ``items`` (gateway id, fingerprint, labels) is muted, by fingerprint. Approval
        requests are never muted."""
        alerts = [(gid, fp, labels) for gid, fp, labels in items if labels.get("kind", "alert") == "alert"]
        if not alerts:
            return {}
        self.load({gid for gid, _, _ in alerts})
        reasons = {}
        for gid, fp, labels in alerts:
            silence = next((s for s in self._silences[gid] if _silence_matches(s, labels)), None)
            if silence is not None:
                reasons[fp] = (
                    f"silenced until {silence.expires_at:%Y-%m-%d %H:%M} UTC: {silence.comment[:100]}"
                )
                continue
            why = inhibit.inhibited_by(labels, [src for src_fp, src in self._sources[gid] if src_fp != fp])
            if why:
                reasons[fp] = why
        return reasons


class Deliveries:
    """The notifications a transaction wrote: one delivery task carries them all (fewer task rows
    on the hot path; each is still delivered, retried and logged on its own)."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def add(self, notification: Notification) -> None:
        self.keys.append(str(notification.key))

    def enqueue(self) -> list[str]:
        """Queue the delivery task; returns its id (none with a backend that queues on commit)."""
        if not self.keys:
            return []
        result = enqueue_on_commit(notify_deliver, keys=self.keys)
        if result is not None:
            Notification.objects.filter(key__in=self.keys).update(task_id=str(result.id))
        self.keys = []
        return [str(result.id)] if result is not None else []


# --- flushing ---------------------------------------------------------------------------------------


def group_flush(
    *,
    group_id: int,
    now: datetime | None = None,
    muter: Muter | None = None,
    deliveries: Deliveries | None = None,
) -> str:
    """Send what the group has to say now, if anything; returns "sent", "waiting", "finished", ..."""
    now = now or timezone.now()
    own = deliveries is None
    muter, deliveries = muter or Muter(now), deliveries or Deliveries()
    with transaction.atomic():
        outcome = _flush(group_id, now, muter, deliveries)
        if own:
            deliveries.enqueue()
    return outcome


def _flush(
    group_id: int, now: datetime, muter: Muter, deliveries: Deliveries, fresh: NotificationGroup | None = None
) -> str:
    if fresh is not None and getattr(fresh, "fresh_items", None) is not None:
        group, items = fresh, fresh.fresh_items  # created by this transaction: nobody else sees it
    else:
        group = (
            NotificationGroup.objects.select_for_update(of=("self",))
            .select_related("receiver")
            .filter(pk=group_id)
            .first()
        )
        if group is None:
            return "gone"
        items = list(group.items.all())
    if group.flush_at is not None and group.flush_at <= now:
        group.flush_at = None
    muted = muter.reasons([(i.gateway_id, i.fingerprint, i.labels) for i in items])
    state = _state(group)
    receiver = group.receiver
    plan = grouping.plan(
        state,
        [grouping.Item(i.fingerprint, i.firing, i.fingerprint in muted) for i in items],
        _timers(group),
        now,
        send_resolved=receiver.send_resolved,
    )
    outcome = "waiting"
    if plan.send and receiver.enabled:
        deliveries.add(_notification_for_group(group, receiver, items, plan, now))
        state = grouping.after_send(state, plan, now)
        group.flushes += 1
        group.flushed_at = state.flushed_at
        group.sent_firing = sorted(state.sent_firing)
        outcome = "sent"
    if plan.finished:
        group.delete()
        return "finished" if outcome != "sent" else "sent"
    # Resolved alerts that are no news any more (told, or never told as firing) leave the group.
    keep_resolved = state.sent_firing
    gone = [
        i.pk
        for i in items
        if not i.firing and (i.fingerprint in state.sent_resolved or i.fingerprint not in keep_resolved)
    ]
    if gone and (plan.send or not plan.next_at):
        GroupItem.objects.filter(pk__in=gone).delete()
    group.sent_resolved = sorted(state.sent_resolved & {i.fingerprint for i in items if i.pk not in gone})
    if plan.next_at is not None and (group.flush_at is None or plan.next_at < group.flush_at):
        group.flush_at = plan.next_at  # the sweep (notify_sweep) flushes it then
    group.save(update_fields=["flush_at", "flushes", "flushed_at", "sent_firing", "sent_resolved"])
    return outcome


def _notification_for_group(
    group: NotificationGroup, receiver: Receiver, items: list[GroupItem], plan: grouping.Plan, now: datetime
) -> Notification:
    wanted = set(plan.firing) | set(plan.resolved)
    chosen = [i for i in items if i.fingerprint in wanted]
    chosen.sort(key=lambda i: (not i.firing, i.starts_at, i.fingerprint))
    alerts = [
        payload.alert_entry(
            fingerprint=i.fingerprint,
            firing=i.firing and i.fingerprint in plan.firing,
            labels=i.labels,
            annotations=i.annotations,
            starts_at=i.starts_at.isoformat(),
            ends_at=i.ends_at.isoformat() if i.ends_at else None,
        )
        for i in chosen
    ]
    return notification_create(
        source=f"group:{group.pk}:{group.flushes + 1}",
        channel=receiver.kind,
        receiver=receiver,
        gateway_id=receiver.gateway_id,
        group=group,
        reason=plan.why,
        alert_ids=[i.alert_id for i in chosen if i.alert_id],
        build=lambda key: payload.body(
            key=key,
            receiver=receiver.name,
            reason=plan.why,
            group_key=group.key_hash[:16],
            group_labels=group.labels,
            alerts=alerts,
            sent_at=now.isoformat(),
        ),
    )


def notification_create(
    *,
    source: str,
    channel: str,
    build,
    receiver: Receiver | None = None,
    user=None,
    push_subscription=None,
    gateway_id: int | None = None,
    group: NotificationGroup | None = None,
    reason: str = "",
    alert_ids: Sequence[int] = (),
) -> Notification:
    """Write a notification in the caller's transaction; the caller queues its delivery
    (``Deliveries``) in the same transaction."""
    notification = Notification(
        source=source[:200],
        channel=channel,
        receiver=receiver,
        user=user,
        push_subscription=push_subscription,
        gateway_id=gateway_id,
        group=group,
        reason=reason[:200],
    )
    notification.payload = build(str(notification.key))
    notification.save()
    if alert_ids:
        through = Notification.alerts.through
        through.objects.bulk_create(
            [
                through(notification_id=notification.pk, alert_id=alert_id)
                for alert_id in sorted(set(alert_ids))
            ]
        )
    return notification


def groups_sweep(*, now: datetime | None = None) -> int:
    """Flush the groups whose time has come (repeats; muted groups looking again; any flush task
    lost). Returns how many sent something."""
    now = now or timezone.now()
    due = (
        NotificationGroup.objects.filter(flush_at__lte=now).order_by("flush_at").values_list("pk", flat=True)
    )
    muter = Muter(now)
    return sum(group_flush(group_id=pk, now=now, muter=muter) == "sent" for pk in list(due[:500]))
