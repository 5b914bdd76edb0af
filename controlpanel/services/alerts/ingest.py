"""Runtime events into alerts: ``ingest_events`` (a parsed batch) and ``alerts_tick`` (time passing).

Both hold the gateway's rule-state row lock (``GatewayAlertState``) for their transaction, so a
gateway's batches are evaluated one at a time across workers; the denial windows are
``DenialWindow`` rows read and written only for the keys a batch touches. Doorbells go out after
commit (``batch.AlertBatch.finish``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from controlpanel.events.evaluate import GATEWAY_SOURCE, AlertEvaluator
from controlpanel.events.models import AlertKey
from controlpanel.events.rules import PRESSURE, DenialEscalator, entry_key
from controlpanel.events.summary import summarize
from controlpanel.models import Gateway, GatewayAlertState, MemorySample

from ..rawsql import alert_state_lock, denial_windows_read, denial_windows_write, pipeline, update_fields
from .batch import STALE_TYPE, AlertBatch, IngestResult

# Samples and pressure readings feed charts and the pressure rule; they are not alerts by themselves.
_NOT_ALERTS = {"memory.sample", "clw-memory-pressure"}


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
        evaluator = _evaluator(state, denial_windows_read(gateway.pk, [entry_key(key) for key in keys]))
        batch = AlertBatch(gateway, now, keys, state)
        for event, key in zip(events, event_keys, strict=True):
            at = _event_time(event, now)
            if subject := _sample_subject(event):
                samples.append(
                    MemorySample(
                        gateway=gateway,
                        subject=MemorySample.stored_subject(subject),
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
                batch.add_line(alert, event)
            for t in transitions:
                batch.apply(t)
        MemorySample.objects.bulk_create(samples, batch_size=1000)
        pending = _pending_pressure(evaluator, keys, now)
        state.evaluator = evaluator.to_dict(denials=False)  # those are rows
        with pipeline():  # the writes below, then the events' ids back: one round trip
            _save_state(state)
            _save_denials(gateway, evaluator.denials)
            result = batch.finish()
    result.events = len(events)
    result.samples = len(samples)
    result.pending = pending
    return result


def alerts_tick(*, gateway: Gateway, now: datetime | None = None) -> IngestResult:
    """Apply the time-based rules (staleness, quiet windows) to ``gateway``; returns what changed."""
    now = now or timezone.now()
    with transaction.atomic():
        state = _lock_state(gateway)
        evaluator = _evaluator(state, denial_windows_read(gateway.pk))
        batch = AlertBatch(gateway, now, state=state)
        for t in evaluator.tick(now):
            batch.apply(t)
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


def _lock_state(gateway: Gateway) -> GatewayAlertState:
    """Return the gateway's rule state, locked until the transaction ends (one statement once it exists).

    The instance has ``evaluator`` and ``silences_version`` loaded; write it back with ``_save_state``.
    """
    state = alert_state_lock(gateway.pk)
    if state is None:
        GatewayAlertState.objects.get_or_create(gateway=gateway)
        state = GatewayAlertState.objects.select_for_update().get(gateway=gateway)
    return state


def _save_state(state: GatewayAlertState) -> None:
    """Write ``state.evaluator`` (and ``updated_at``, as ``save()`` would) of a locked state row."""
    state.updated_at = timezone.now()
    update_fields(GatewayAlertState, [state], ["evaluator", "updated_at"])


def _evaluator(state: GatewayAlertState, denials: dict[str, Any]) -> AlertEvaluator:
    """Return the gateway's rules: ``state.evaluator`` and the escalation entries read for this work."""
    return AlertEvaluator.from_dict({**(state.evaluator or {}), "denials": denials})


def _save_denials(gateway: Gateway, escalator: DenialEscalator) -> None:
    """Write the escalation entries that changed and delete the forgotten ones (none when nothing
    changed)."""
    changed, forgotten = escalator.changes()
    if changed or forgotten:
        denial_windows_write(gateway.pk, changed, forgotten)


def _batch_keys(events: Sequence[Any], event_keys: Sequence[AlertKey]) -> set[tuple[str, str]]:
    """Return the alert keys a batch may touch: each event's own (``event_keys``, in order), pressure
    for memory readings, and the gateway's staleness alert (any event resolves it)."""
    keys: set[tuple[str, str]] = {(STALE_TYPE, GATEWAY_SOURCE), *event_keys}
    for event, key in zip(events, event_keys, strict=True):
        if _field(event, "usage_bytes") is not None:
            keys.add((PRESSURE, key.subject))
    return keys


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


def _message(event: Any) -> str:
    """Return the alert text for ``event``: the same summary whether it came as JSON or a log line."""
    return summarize(event)


def _pending_pressure(evaluator: AlertEvaluator, keys: set[tuple[str, str]], now: datetime) -> list[dict]:
    """The batch's pressure subjects that are over a threshold but still in their pending period."""
    out = []
    for type_, subject in sorted(keys):
        if type_ != PRESSURE or (info := evaluator.pressure.pending(subject, now)) is None:
            continue
        seconds = info["fires_in_seconds"]
        out.append(
            {
                "alert": PRESSURE,
                "subject": subject,
                "level": info["level"],
                "fires_in_seconds": seconds,
                "hint": f"{subject} is over the {info['level']} threshold: an alert fires if it stays there "
                f"for {int(evaluator.pressure.config.pending.total_seconds())} s (pending period; "
                f"{seconds} s to go). One reading alone raises none.",
            }
        )
    return out
