"""What one ingest or tick does to a gateway's alerts: held in memory, written back once at the end.

The batch loads the open alerts of the keys it will touch (row-locked), counts repeats, creates,
escalates and resolves alerts as the events and the rules' transitions say, and at the end writes
the changed alerts and one ``AlertEvent`` per changed alert (the record the sockets replay), then
rings the doorbells after commit.

Every (type, subject) goes through ``Alert.stored_key`` before it is looked up or inserted: one
normalisation for both, so an event whose subject is longer than the column counts on its alert
like any other instead of failing the unique open-alert key (#19 finding 1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from controlpanel.events.models import RawEvent, Severity
from controlpanel.events.rules import AlertState as RuleState
from controlpanel.events.rules import Transition
from controlpanel.events.silences import silence_matches
from controlpanel.models import Alert, AlertEvent, Gateway, GatewayAlertState, Silence
from controlpanel.selectors import active_silences, alert_snapshot

from ..rawsql import insert_returning_pks, open_alerts_lock, update_fields
from .publish import alert_events_emit

STALE_TYPE = "gateway.stale"
_KIND_RANK = {"updated": 0, "silenced": 1, "acknowledged": 1, "resolved": 2, "escalated": 3, "created": 4}
_SEVERITY_RANK = {s.value: s.rank for s in Severity}
_BATCH_FIELDS = ["severity", "message", "detail", "count", "last_seen_at"]

Key = tuple[str, str]


@dataclass
class IngestResult:
    """What one accepted batch did: events read, alerts created/updated, samples stored, event ids."""

    events: int = 0
    alerts_created: int = 0
    alerts_updated: int = 0
    samples: int = 0
    event_ids: list[int] = field(default_factory=list)
    # Readings over a threshold that has not held long enough to fire yet (the pending period).
    pending: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Pending:
    """The AlertEvent an alert will get at the end of the batch (one per alert per batch)."""

    alert: Alert
    kind: str = "updated"
    notify: bool = False
    lines: list[str] = field(default_factory=list)


class AlertBatch:
    """One ingest or tick: open alerts of the gateway in memory, written back once at the end."""

    def __init__(
        self,
        gateway: Gateway,
        now: datetime,
        keys: Iterable[Key] = (),
        state: GatewayAlertState | None = None,
    ) -> None:
        self.gateway = gateway
        self.now = now
        # Open alerts by stored key, loaded for the keys this batch touches (one query, locking
        # those rows only), then on demand: a gateway may have thousands of open alerts.
        stored = {Alert.stored_key(*key) for key in keys}
        found = {(a.type, a.subject): a for a in open_alerts_lock(gateway.pk, stored)}
        self._open: dict[Key, Alert | None] = {key: found.get(key) for key in stored}
        self.silences = _active_silences(gateway, now, state)
        self.pending: dict[int, _Pending] = {}
        self.dirty: set[int] = set()
        self.messages: dict[int, Callable[[], str]] = {}  # alert id -> its newest text, not yet worked out
        self.result = IngestResult()

    def find(self, key: Key) -> Alert | None:
        """Return the open alert for ``key`` (type, subject), or None."""
        return self._find(Alert.stored_key(key[0], key[1]))

    def _find(self, stored: Key) -> Alert | None:
        if stored not in self._open:
            self._open[stored] = next(iter(open_alerts_lock(self.gateway.pk, [stored])), None)
        return self._open[stored]

    def silenced(self, type_: str, subject: str) -> bool:
        return silence_matches(self.silences, type_, subject)

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
        stored = Alert.stored_key(type_, subject)
        alert = self._find(stored)
        if alert is None:
            alert = Alert(
                gateway=self.gateway,
                type=stored[0],
                subject=stored[1],
                severity=severity.value,
                message=message() if callable(message) else message,
                detail=extra,
                first_seen_at=at,
                last_seen_at=at,
            )
            insert_returning_pks(Alert, [alert])
            self._open[stored] = alert
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
        stored = Alert.stored_key(type_, subject)
        alert = self._find(stored)
        if alert is None:
            return
        self._open[stored] = None
        if (message := self.messages.pop(alert.pk, None)) is not None:
            alert.message = message() or alert.message
        alert.state, alert.resolved_at = Alert.State.RESOLVED, self.now
        alert.detail = {**alert.detail, "resolved_reason": reason}
        # Saved at once: a new alert for the same key may be created later in this batch.
        alert.save()
        self.mark(alert, "resolved", False)

    def apply(self, t: Transition) -> None:
        """Turn one rule transition into alert changes (see events.evaluate for who emits what)."""
        if t.key.type == "source":
            if t.current == RuleState.STALE:
                self.upsert(
                    STALE_TYPE, t.key.subject, Severity.WARNING, "The gateway stopped reporting.", t.at
                )
            elif t.current == RuleState.LIVE:
                self.resolve(STALE_TYPE, t.key.subject, "reporting again")
            return
        if t.current in (RuleState.WARNING, RuleState.CRITICAL):
            severity = t.severity or Severity.WARNING
            alert = self.find(t.key)
            message = f"{t.key.type}: {t.detail}" if t.detail else t.key.type
            if t.percent is not None:
                message = f"Memory at {t.percent:.0f} % of the limit"
            if alert is None:
                alert = self.upsert(t.key.type, t.key.subject, severity, message, t.at)
            elif alert.severity != severity.value:
                # Transitions may lower a severity too (critical -> warning below 85 %).
                kind = "escalated" if severity.rank > Severity(alert.severity).rank else "updated"
                alert.severity, alert.message = severity.value, message
                self.mark(alert, kind, kind == "escalated" and t.notify)
            if not t.notify and alert.pk in self.pending and self.pending[alert.pk].kind == "created":
                self.pending[alert.pk].notify = False
        elif t.key.type == "clw-memory-pressure" and t.current == RuleState.OK:
            self.resolve(t.key.type, t.key.subject, "below the hysteresis threshold")
        elif t.key.type == "clw-memory-pressure" and t.current == RuleState.STALE and self.find(t.key):
            alert = self.find(t.key)
            alert.detail = {**alert.detail, "stale": True}
            alert.message = "No memory readings any more: state unknown (stale)."
            self.mark(alert, "updated", False)

    def add_line(self, alert: Alert, event: Any) -> None:
        """Keep an unrecognised line verbatim with its alert's event (bounded by the body size limit)."""
        if isinstance(event, RawEvent):
            self.pending[alert.pk].lines.append(event.text)

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
                    **({"lines": entry.lines} if entry.lines else {}),
                },
            )
            for entry in self.pending.values()
        ]
        insert_returning_pks(AlertEvent, rows)
        self.result.event_ids = sorted(row.pk for row in rows)
        if rows:
            alert_events_emit(rows)
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
        read = active_silences(gateway=gateway, now=now)
        cached = (state.silences_version if state is not None else -1, read)
        if state is not None:
            _silences[key] = cached
    return [s for s in cached[1] if s.expires_at > now]
