"""Alerts from runtime events: ingest, upsert, lifecycle (ack / resolve / silence) and live publishing.

Persist first, then push: every change to an alert writes an ``AlertEvent`` row (a monotonic id) in
the same transaction, and only after commit is a "doorbell" sent to the channel layer. A socket that
missed a doorbell catches up from the table (``alert_backfill``). This is the ONLY module that knows
channel-layer group names.
"""

from __future__ import annotations

import asyncio
import fnmatch
import functools
import json
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, transaction
from django.db.models import F, prefetch_related_objects
from django.template.loader import render_to_string
from django.utils import timezone

from controlpanel.events.evaluate import GATEWAY_SOURCE, AlertEvaluator
from controlpanel.events.models import AlertKey, RawEvent, Severity
from controlpanel.events.rules import PRESSURE, DenialEscalator, Transition, entry_key
from controlpanel.events.rules import AlertState as RuleState
from controlpanel.models import (
    Alert,
    AlertEvent,
    DenialWindow,
    Gateway,
    GatewayAlertState,
    MemorySample,
    Silence,
)

from .activity import activity_record
from .rawsql import column, for_update, insert_returning_pks, loaded, pipeline, table, update_fields

logger = logging.getLogger(__name__)
BACKFILL_CAP = 200
# Samples and pressure readings feed charts and the pressure rule; they are not alerts by themselves.
_NOT_ALERTS = {"memory.sample", "clw-memory-pressure"}
STALE_TYPE = "gateway.stale"
# Close codes the browser understands (4000-4999 are the application's): 4000 reconnect at once with
# a fresh scope; 4401 logged out (stop retrying, go to login).
CLOSE_RESCOPE = 4000
CLOSE_LOGGED_OUT = 4401
_KIND_RANK = {"updated": 0, "silenced": 1, "acknowledged": 1, "resolved": 2, "escalated": 3, "created": 4}
_SEVERITY_RANK = {s.value: s.rank for s in Severity}


# --- group names ------------------------------------------------------------------------------------


def gateway_group(gateway_id: int) -> str:
    """Return the group of gateway ``gateway_id``'s doorbells (each worker's alert hub joins it)."""
    return f"alerts.gw-{gateway_id}"


def user_group(user_id: int) -> str:
    """Return the per-user control group (re-scope and force-close messages)."""
    return f"alerts.user-{user_id}"


def _send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        # The doorbell is best effort: the committed rows are the record and clients backfill.
        logger.exception("alerts: group_send to %s failed", group)


def sockets_rescope(user_id: int) -> None:
    """After commit, tell the user's sockets to recompute the gateways they may see (role change)."""
    transaction.on_commit(lambda: _send(user_group(user_id), {"type": "alerts.rescope"}))


def sockets_close(user_id: int, code: int) -> None:
    """After commit, close every socket of the user with ``code`` (logout, membership removed)."""
    transaction.on_commit(lambda: _send(user_group(user_id), {"type": "alerts.close", "code": code}))


# --- rendering --------------------------------------------------------------------------------------


def alert_snapshot(alert: Alert, gateway: Gateway, *, silenced: bool = False) -> dict[str, Any]:
    """Return the JSON-safe view of ``alert`` stored with each AlertEvent and used by ``_alert.html``."""
    return {
        "id": alert.pk,
        "gateway_code": str(gateway.code),
        "gateway_name": gateway.name,
        "type": alert.type,
        "subject": alert.subject,
        "severity": alert.severity,
        "state": alert.state,
        "message": alert.message,
        "count": alert.count,
        "first_seen": alert.first_seen_at.isoformat(),
        "last_seen": alert.last_seen_at.isoformat(),
        "acknowledged_by": alert.acknowledged_by.get_username() if alert.acknowledged_by else "",
        "silenced": silenced,
    }


def render_alert(snapshot: dict[str, Any], *, can_decide: bool = False) -> str:
    """Return the ``alerts/_alert.html`` fragment for a snapshot (auto-escaped: gateway text is hostile)."""
    return render_to_string("alerts/_alert.html", {"a": snapshot, "can_decide": can_decide})


def socket_message(event: AlertEvent) -> dict[str, Any]:
    """Return what a socket sends the browser for one AlertEvent (the same live and in backfill)."""
    snap = event.payload.get("alert", {})
    return {
        "id": event.pk,
        "gateway_id": event.gateway_id,  # for the consumer's visibility check; not sent to browsers
        "kind": event.kind,
        "gateway": snap.get("gateway_code", ""),
        "alert": event.alert_id,
        "severity": snap.get("severity", ""),
        "state": snap.get("state", ""),
        "title": f"{snap.get('type', '')} {snap.get('subject', '')}".strip()[:200],
        "notify": event.notify,
        "html": render_alert(snap),
    }


def _browser_frame(message: dict[str, Any]) -> dict[str, Any]:
    return {"type": "alert", **{k: v for k, v in message.items() if k != "gateway_id"}}


def _doorbell(gateway_id: int, events: list[AlertEvent]) -> dict[str, Any]:
    """Return one group message for a gateway's AlertEvents of one commit.

    ``text`` is the browser's frame, JSON-encoded once here rather than once per socket: a single
    ``alert`` or, for several events, ``{"type": "alerts", "events": [...]}`` (one frame per socket
    per batch: the fan-out to sockets is the expensive part).
    """
    frames = [_browser_frame(socket_message(event)) for event in events]
    browser = frames[0] if len(frames) == 1 else {"type": "alerts", "events": frames}
    ids = [event.pk for event in events]
    return {"type": "alert.event", "gateway_id": gateway_id, "ids": ids, "text": json.dumps(browser)}


def alert_publish(events: Sequence[AlertEvent]) -> None:
    """Ring the doorbell for committed AlertEvents: one group_send per gateway, events in id order.

    Call it from ``transaction.on_commit``. In a request of an ASGI worker the sends are handed to
    the worker's event loop and not waited for: the loop is also the one that fans the doorbell out
    to this worker's sockets, so waiting would hold the request (and the next one queued behind it
    on the sync thread) until that fan-out is done. The loop runs handed-over sends in order, so a
    gateway's doorbells keep their order. Elsewhere (commands, tests) the sends are waited for.
    """
    by_gateway: dict[int, list[AlertEvent]] = {}
    for event in sorted(events, key=lambda e: e.pk):
        by_gateway.setdefault(event.gateway_id, []).append(event)
    messages = [(gateway_group(gid), _doorbell(gid, batch)) for gid, batch in by_gateway.items()]
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    async def send_all() -> None:
        results = await asyncio.gather(
            *(layer.group_send(group, message) for group, message in messages), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                # The doorbell is best effort: the committed rows are the record and clients backfill.
                logger.error("alerts: group_send failed: %r", result)

    loop = _request_loop()
    if loop is not None:
        asyncio.run_coroutine_threadsafe(send_all(), loop)
    else:
        async_to_sync(send_all)()


def _request_loop() -> asyncio.AbstractEventLoop | None:
    """Return the running event loop this sync thread serves an ASGI request for, else None.

    asgiref records it for its own ``async_to_sync`` in ``SyncToAsync.threadlocal``.
    """
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is None or getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    return loop if loop.is_running() and not loop.is_closed() else None


def alert_backfill(*, gateway_ids: Iterable[int], since: int, cap: int = BACKFILL_CAP) -> tuple[list, bool]:
    """Return (socket messages for AlertEvents after ``since`` on those gateways, truncated).

    When more than ``cap`` are waiting, the newest ``cap`` are returned and ``truncated`` is True: the
    client then reloads the list over HTTP rather than replaying an unbounded history.
    """
    rows = list(
        AlertEvent.objects.filter(gateway_id__in=list(gateway_ids), pk__gt=since).order_by("-pk")[: cap + 1]
    )
    truncated = len(rows) > cap
    return [socket_message(e) for e in reversed(rows[:cap])], truncated


# --- ingest -----------------------------------------------------------------------------------------


@dataclass
class IngestResult:
    """What one accepted batch did: events read, alerts created/updated, samples stored, event ids."""

    events: int = 0
    alerts_created: int = 0
    alerts_updated: int = 0
    samples: int = 0
    event_ids: list[int] = field(default_factory=list)


@dataclass
class _Pending:
    """The AlertEvent an alert will get at the end of the batch (one per alert per batch)."""

    alert: Alert
    kind: str = "updated"
    notify: bool = False
    lines: list[str] = field(default_factory=list)


_BATCH_FIELDS = ["severity", "message", "detail", "count", "last_seen_at"]


class _Batch:
    """One ingest or tick: open alerts of the gateway in memory, written back once at the end."""

    def __init__(
        self,
        gateway: Gateway,
        now: datetime,
        keys: Iterable[tuple[str, str]] = (),
        state: GatewayAlertState | None = None,
    ) -> None:
        self.gateway = gateway
        self.now = now
        # Open alerts by key, loaded for the keys this batch touches (one query), then on demand:
        # a gateway may have thousands of open alerts and a batch touches a few.
        self._open: dict[tuple[str, str], Alert | None] = {}
        keys = set(keys)
        if keys:
            found = {(a.type, a.subject): a for a in _lock_open_alerts(gateway, keys)}
            self._open = {key: found.get(key) for key in keys}
        self.silences = _active_silences(gateway, now, state)
        self.pending: dict[int, _Pending] = {}
        self.dirty: set[int] = set()
        self.messages: dict[int, Callable[[], str]] = {}  # alert id -> its newest text, not yet worked out
        self.result = IngestResult()

    def find(self, key: tuple[str, str]) -> Alert | None:
        """Return the open alert for ``key`` (type, subject), or None."""
        key = (key[0], key[1])
        if key not in self._open:
            self._open[key] = next(iter(_lock_open_alerts(self.gateway, {key})), None)
        return self._open[key]

    def silenced(self, type_: str, subject: str) -> bool:
        return any(
            fnmatch.fnmatchcase(type_, s.type_pattern) and fnmatch.fnmatchcase(subject, s.subject_pattern)
            for s in self.silences
        )

    def mark(self, alert: Alert, kind: str, notify: bool) -> None:
        pk = alert.pk
        entry = self.pending.get(pk)
        if entry is None:
            entry = self.pending[pk] = _Pending(alert)
        entry.alert = alert
        if _KIND_RANK[kind] >= _KIND_RANK[entry.kind]:
            entry.kind = kind
        if notify and not entry.notify:
            entry.notify = not self.silenced(alert.type, alert.subject)
        self.dirty.add(pk)

    def upsert(
        self,
        type_: str,
        subject: str,
        severity: Severity,
        message: str | Callable[[], str],
        at: datetime,
        **extra: Any,
    ) -> Alert:
        """Count one occurrence of (type, subject): the open alert's count, or a new firing alert.

        ``message`` may be a function: a repeat's text is then only worked out once per alert per
        batch, in ``finish`` (the last occurrence's text wins, as it would with strings).
        """
        key = (type_, subject)
        alert = self.find(key)
        if alert is None:
            alert = Alert(
                gateway=self.gateway,
                type=type_[:100],
                subject=subject[:300],
                severity=severity.value,
                message=message() if callable(message) else message,
                detail=extra,
                first_seen_at=at,
                last_seen_at=at,
            )
            insert_returning_pks(Alert, [alert])
            self._open[key] = alert
            self.result.alerts_created += 1
            self.mark(alert, "created", True)
            return alert
        alert.count += 1
        if at > alert.last_seen_at:
            alert.last_seen_at = at
        if callable(message):
            self.messages[alert.pk] = message
        else:
            self.messages.pop(alert.pk, None)
            alert.message = message or alert.message
        if extra:
            alert.detail = {**alert.detail, **extra}
        if _SEVERITY_RANK[severity] > _SEVERITY_RANK[alert.severity]:
            alert.severity = severity.value
            self.mark(alert, "escalated", True)
        else:
            self.mark(alert, "updated", False)
        return alert

    def resolve(self, type_: str, subject: str, reason: str) -> None:
        alert = self.find((type_, subject))
        if alert is None:
            return
        self._open[(type_, subject)] = None
        if (message := self.messages.pop(alert.pk, None)) is not None:
            alert.message = message() or alert.message
        alert.state, alert.resolved_at = Alert.State.RESOLVED, self.now
        alert.detail = {**alert.detail, "resolved_reason": reason}
        # Saved at once: a new alert for the same key may be created later in this batch.
        alert.save()
        self.mark(alert, "resolved", False)

    def finish(self) -> IngestResult:
        """Write dirty alerts and one AlertEvent per changed alert; returns the result."""
        for entry in self.pending.values():
            if (message := self.messages.get(entry.alert.pk)) is not None:
                entry.alert.message = message() or entry.alert.message
        # Only the fields a batch changes: state and acknowledgement change elsewhere (resolve()
        # saves at once; acknowledging locks the row like this batch does).
        _save_batch_fields(
            [
                entry.alert
                for entry in self.pending.values()
                if entry.alert.pk in self.dirty and entry.alert.state != Alert.State.RESOLVED
            ]
        )
        self.result.alerts_updated = len(self.pending) - self.result.alerts_created
        rows = [
            AlertEvent(
                gateway=self.gateway,
                alert=entry.alert,
                kind=entry.kind,
                notify=entry.notify,
                payload={
                    "alert": alert_snapshot(
                        entry.alert,
                        self.gateway,
                        silenced=self.silenced(entry.alert.type, entry.alert.subject),
                    ),
                    # Unknown lines are kept verbatim, never dropped (bounded by the body size limit).
                    **({"lines": entry.lines} if entry.lines else {}),
                },
            )
            for entry in self.pending.values()
        ]
        insert_returning_pks(AlertEvent, rows)
        self.result.event_ids = sorted(row.pk for row in rows)
        if rows:
            transaction.on_commit(lambda: alert_publish(rows))
        return self.result


def _save_batch_fields(alerts: list[Alert]) -> None:
    """Write the batch fields of ``alerts`` (open, locked by this transaction) in one round trip.

    ``bulk_update`` would also be one statement, but its CASE expressions cost more Python time than
    the round trips saved (measured, bench/alerts_latency.py). ``updated_at`` is set as ``save()``
    would (auto_now).
    """
    if not alerts:
        return
    now = timezone.now()
    for alert in alerts:
        alert.updated_at = now
    update_fields(Alert, alerts, [*_BATCH_FIELDS, "updated_at"])


# Per process: (gateway id, code) -> (silences_version, the silences unexpired when read). Silences
# are immutable once created and a creation bumps the version, so an unchanged version means the same
# list, less those expired since. The code (a random UUID) keeps a reused id from matching.
_silences: dict[tuple[int, Any], tuple[int, list[Silence]]] = {}


def _active_silences(gateway: Gateway, now: datetime, state: GatewayAlertState | None) -> list[Silence]:
    """Return the gateway's unexpired silences; reuses this process's last read while ``state`` (locked
    by the caller) shows no new silence. Without a state, reads them."""
    key = (gateway.pk, gateway.code)
    cached = _silences.get(key) if state is not None else None
    if cached is None or state is None or cached[0] != state.silences_version:
        read = list(Silence.objects.filter(gateway=gateway, expires_at__gt=now))
        cached = (state.silences_version if state is not None else -1, read)
        if state is not None:
            _silences[key] = cached
    return [s for s in cached[1] if s.expires_at > now]


@functools.cache
def _lock_state_sql(vendor: str) -> str:
    col = partial(column, GatewayAlertState)
    return (
        f"SELECT {col('evaluator')}, {col('silences_version')} "  # noqa: S608 (see rawsql)
        f"FROM {table(GatewayAlertState)} WHERE {col('pk')} = %s{for_update()}"
    )


def _lock_state(gateway: Gateway) -> GatewayAlertState:
    """Return the gateway's rule state, locked until the transaction ends (one statement once it exists).

    The instance has ``evaluator`` and ``silences_version`` loaded; write it back with ``_save_state``.
    """
    with connection.cursor() as cursor:
        cursor.execute(_lock_state_sql(connection.vendor), [gateway.pk])
        found = cursor.fetchone()
    if found is None:
        GatewayAlertState.objects.get_or_create(gateway=gateway)
        return GatewayAlertState.objects.select_for_update().get(gateway=gateway)
    raw, version = found
    evaluator = GatewayAlertState._meta.get_field("evaluator").from_db_value(raw, None, connection)
    return loaded(
        GatewayAlertState, {"gateway_id": gateway.pk, "evaluator": evaluator, "silences_version": version}
    )


def _lock_open_alerts(gateway: Gateway, keys: set[tuple[str, str]]) -> list[Alert]:
    """Return the open alerts of ``gateway`` among ``keys`` (type, subject), row-locked (ack and
    resolve lock the alert row only, not the rule state), with their acknowledgers for the
    snapshots. One hand-written statement (``Alert.objects.raw`` applies the fields' converters) and,
    only if one of them was acknowledged, one more for the users."""
    types, subjects = sorted({k[0] for k in keys}), sorted({k[1] for k in keys})
    alert_col = partial(column, Alert)
    sql = "SELECT {} FROM {} WHERE {} = %s AND NOT ({} = %s) AND {} IN ({}) AND {} IN ({}){}".format(  # noqa: S608
        ", ".join(connection.ops.quote_name(f.column) for f in Alert._meta.concrete_fields),
        table(Alert),
        alert_col("gateway"),
        alert_col("state"),
        alert_col("type"),
        ", ".join(["%s"] * len(types)),
        alert_col("subject"),
        ", ".join(["%s"] * len(subjects)),
        for_update(),
    )
    alerts = list(Alert.objects.raw(sql, [gateway.pk, Alert.State.RESOLVED, *types, *subjects]))
    if any(a.acknowledged_by_id is not None for a in alerts):
        prefetch_related_objects(alerts, "acknowledged_by")
    return alerts


def _save_state(state: GatewayAlertState) -> None:
    """Write ``state.evaluator`` (and ``updated_at``, as ``save()`` would) of a locked state row."""
    state.updated_at = timezone.now()
    update_fields(GatewayAlertState, [state], ["evaluator", "updated_at"])


def _field(event: Any, name: str) -> Any:
    """Return the event's field ``name``, or None when its model has no such field.

    Not ``getattr(event, name, None)``: for a missing field pydantic's ``__getattr__`` raises an
    AttributeError that getattr then swallows, which is slow enough to show in a 200-event batch.
    """
    return event.__dict__.get(name)


def _event_time(event: Any, now: datetime) -> datetime:
    # A sender's clock may run ahead; a reading from the future would freeze the pressure rule.
    ts = _field(event, "ts")
    if ts is None:
        return now
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=now.tzinfo)
    return min(ts, now)


def _sample_subject(event: Any) -> str | None:
    if _field(event, "usage_bytes") is None:
        return None
    if workload := _field(event, "workload") or _field(event, "container"):
        return f"workload:{workload}"
    if agent := _field(event, "agent"):
        return f"agent:{agent}"
    return None


_SUMMARY_SKIP = {"type", "severity", "ts", "message", "default_severity"}


def _message(event: Any) -> str:
    """Return the alert text for ``event``: its own message, else its fields as ``key=value`` pairs."""
    if isinstance(event, RawEvent):
        return event.text[:4096]
    if event.message:
        return event.message
    fields = event.model_dump(exclude_none=True, exclude=_SUMMARY_SKIP)
    for name in ("usage_bytes", "limit_bytes", "threshold_bytes"):
        if name in fields:
            fields[name.removesuffix("_bytes")] = f"{fields.pop(name) / 2**20:.0f} MiB"
    summary = ", ".join(f"{key}={value}" for key, value in fields.items())
    return (summary or event.type)[:1000]


def _apply_transition(batch: _Batch, t: Transition) -> None:
    """Turn one rule transition into alert changes (see events.evaluate for who emits what)."""
    if t.key.type == "source":
        if t.current == RuleState.STALE:
            batch.upsert(STALE_TYPE, t.key.subject, Severity.WARNING, "The gateway stopped reporting.", t.at)
        elif t.current == RuleState.LIVE:
            batch.resolve(STALE_TYPE, t.key.subject, "reporting again")
        return
    if t.current in (RuleState.WARNING, RuleState.CRITICAL):
        severity = t.severity or Severity.WARNING
        alert = batch.find(t.key)
        message = f"{t.key.type}: {t.detail}" if t.detail else t.key.type
        if t.percent is not None:
            message = f"Memory at {t.percent:.0f} % of the limit"
        if alert is None:
            alert = batch.upsert(t.key.type, t.key.subject, severity, message, t.at)
        elif alert.severity != severity.value:
            # Transitions may lower a severity too (critical -> warning below 85 %).
            kind = "escalated" if severity.rank > Severity(alert.severity).rank else "updated"
            alert.severity, alert.message = severity.value, message
            batch.mark(alert, kind, kind == "escalated" and t.notify)
        if not t.notify and alert.pk in batch.pending and batch.pending[alert.pk].kind == "created":
            batch.pending[alert.pk].notify = False
    elif t.key.type == "clw-memory-pressure" and t.current == RuleState.OK:
        batch.resolve(t.key.type, t.key.subject, "below the hysteresis threshold")
    elif t.key.type == "clw-memory-pressure" and t.current == RuleState.STALE and batch.find(t.key):
        alert = batch.find(t.key)
        alert.detail = {**alert.detail, "stale": True}
        alert.message = "No memory readings any more: state unknown (stale)."
        batch.mark(alert, "updated", False)


def _evaluator(state: GatewayAlertState, denials: dict[str, Any]) -> AlertEvaluator:
    """Return the gateway's rules: ``state.evaluator`` and the escalation entries read for this work."""
    return AlertEvaluator.from_dict({**(state.evaluator or {}), "denials": denials})


@functools.cache
def _denials_sql(vendor: str) -> tuple[str, str, str]:
    col = partial(column, DenialWindow)
    name = table(DenialWindow)
    select = f"SELECT {col('key')}, {col('entry')} FROM {name} WHERE {col('gateway')} = %s"  # noqa: S608
    upsert = (
        f"INSERT INTO {name} ({col('gateway')}, {col('key')}, {col('entry')}) VALUES (%s, %s, %s) "  # noqa: S608
        f"ON CONFLICT ({col('gateway')}, {col('key')}) DO UPDATE SET {col('entry')} = EXCLUDED.{col('entry')}"
    )
    delete = f"DELETE FROM {name} WHERE {col('gateway')} = %s AND {col('key')} = %s"  # noqa: S608
    return select, upsert, delete


def _read_denials(gateway: Gateway, keys: Iterable[tuple[str, str]] | None = None) -> dict[str, Any]:
    """Return the gateway's escalation entries by name: those of ``keys`` (type, subject) only, or all."""
    select, _, _ = _denials_sql(connection.vendor)
    params: list[Any] = [gateway.pk]
    if keys is not None:
        names = sorted({entry_key(key) for key in keys})
        if not names:
            return {}
        select += f" AND {column(DenialWindow, 'key')} IN ({', '.join(['%s'] * len(names))})"
        params += names
    field = DenialWindow._meta.get_field("entry")
    with connection.cursor() as cursor:
        cursor.execute(select, params)
        return {name: field.from_db_value(raw, None, connection) for name, raw in cursor.fetchall()}


def _save_denials(gateway: Gateway, escalator: DenialEscalator) -> None:
    """Write the escalation entries that changed and delete the forgotten ones (one round trip each,
    none when nothing changed)."""
    changed, forgotten = escalator.changes()
    _, upsert, delete = _denials_sql(connection.vendor)
    field = DenialWindow._meta.get_field("entry")
    with connection.cursor() as cursor:
        if changed:
            rows = [
                [gateway.pk, name, field.get_db_prep_save(entry, connection)]
                for name, entry in changed.items()
            ]
            cursor.executemany(upsert, rows)
        if forgotten:
            cursor.executemany(delete, [[gateway.pk, name] for name in sorted(forgotten)])


def _batch_keys(events: Sequence[Any], event_keys: Sequence[AlertKey]) -> set[tuple[str, str]]:
    """Return the alert keys a batch may touch: each event's own (``event_keys``, in order), pressure
    for memory readings, and the gateway's staleness alert (any event resolves it)."""
    keys: set[tuple[str, str]] = {(STALE_TYPE, GATEWAY_SOURCE), *event_keys}
    for event, key in zip(events, event_keys, strict=True):
        if _field(event, "usage_bytes") is not None:
            keys.add((PRESSURE, key.subject))
    return keys


def ingest_events(*, gateway: Gateway, events: Sequence[Any], now: datetime | None = None) -> IngestResult:
    """Store a parsed batch for ``gateway`` in one transaction; returns what it did.

    Note: locks the gateway's rule state row, so batches of one gateway are evaluated one at a time
    (across workers). Pushes happen after commit.
    """
    now = now or timezone.now()
    samples: list[MemorySample] = []
    with transaction.atomic():
        state = _lock_state(gateway)
        event_keys = [event.alert_key() for event in events]
        keys = _batch_keys(events, event_keys)
        evaluator = _evaluator(state, _read_denials(gateway, keys))
        batch = _Batch(gateway, now, keys, state)
        for event, key in zip(events, event_keys, strict=True):
            at = _event_time(event, now)
            if subject := _sample_subject(event):
                samples.append(
                    MemorySample(
                        gateway=gateway,
                        subject=subject[:300],
                        usage_bytes=event.usage_bytes,
                        limit_bytes=event.limit_bytes or None,
                        ts=at,
                    )
                )
            transitions = evaluator.observe(event, at, key)
            if event.type == "clw-memory-pressure" and (alert := batch.find(key)):
                alert.count += 1
                alert.last_seen_at = max(alert.last_seen_at, at)
                batch.mark(alert, "updated", False)
            elif event.type not in _NOT_ALERTS:
                # Denials and crashes: the first transition of this event decides the toast.
                alert = batch.upsert(key.type, key.subject, event.severity, partial(_message, event), at)
                if isinstance(event, RawEvent):
                    batch.pending[alert.pk].lines.append(event.text)
            for t in transitions:
                _apply_transition(batch, t)
        MemorySample.objects.bulk_create(samples, batch_size=1000)
        state.evaluator = evaluator.to_dict(denials=False)  # those are rows
        with pipeline():  # the writes below, then the events' ids back: one round trip
            _save_state(state)
            _save_denials(gateway, evaluator.denials)
            result = batch.finish()
    result.events = len(events)
    result.samples = len(samples)
    return result


def alerts_tick(*, gateway: Gateway, now: datetime | None = None) -> IngestResult:
    """Apply the time-based rules (staleness, quiet windows) to ``gateway``; returns what changed."""
    now = now or timezone.now()
    with transaction.atomic():
        state = _lock_state(gateway)
        evaluator = _evaluator(state, _read_denials(gateway))
        batch = _Batch(gateway, now, state=state)
        for t in evaluator.tick(now):
            _apply_transition(batch, t)
        state.evaluator = evaluator.to_dict(denials=False)  # those are rows
        _save_state(state)
        _save_denials(gateway, evaluator.denials)
        return batch.finish()


def alerts_tick_all(*, now: datetime | None = None) -> int:
    """``alerts_tick`` for every gateway with rule state (one transaction each); returns the changes."""
    changed = 0
    for gateway in Gateway.objects.filter(alert_state__isnull=False):
        changed += len(alerts_tick(gateway=gateway, now=now).event_ids)
    return changed


# --- alerts raised by the panel's own rules (not by ingested events) ---------------------------------


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

    For rules the panel evaluates itself (posture alerts). Runs in the caller's transaction; the
    caller serialises raises of one key (e.g. holding the gateway's row lock). Returns the alert.
    """
    now = now or timezone.now()
    key = (type_, subject)
    with transaction.atomic():
        batch = _Batch(gateway, now, {key})
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
        batch = _Batch(gateway, now or timezone.now(), {(type_, subject)})
        if batch.find((type_, subject)) is None:
            return False
        batch.resolve(type_, subject, reason)
        batch.finish()
    return True


# --- lifecycle --------------------------------------------------------------------------------------


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
    transaction.on_commit(lambda: alert_publish([event]))


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
    """Create a silence (matching alerts stay listed but stop toasting); returns it. Audited."""
    if not comment.strip():
        raise ValueError("A silence needs a comment.")
    if expires_at <= timezone.now():
        raise ValueError("A silence must expire in the future.")
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


def silenced_keys(
    *,
    gateway: Gateway,
    alerts: Iterable[Alert],
    now: datetime | None = None,
    silences: Iterable[Silence] | None = None,
) -> set[int]:
    """Return the ids of ``alerts`` that an active silence of ``gateway`` matches (one query, none
    when the caller read the gateway's active ``silences`` already)."""
    now = now or timezone.now()
    if silences is None:
        silences = Silence.objects.filter(gateway=gateway, expires_at__gt=now)
    silences = list(silences)
    return {
        a.pk
        for a in alerts
        if any(
            fnmatch.fnmatchcase(a.type, s.type_pattern) and fnmatch.fnmatchcase(a.subject, s.subject_pattern)
            for s in silences
        )
    }
