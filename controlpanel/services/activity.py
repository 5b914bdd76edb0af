"""Appending to and verifying the hash-chained activity log."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from controlpanel.models import ActivityChainHead, ActivityEvent, Gateway
from controlpanel.selectors import config_hash_shown

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """The byte-stable JSON the hash covers: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _event_payload(
    *,
    seq: int,
    created_at: datetime,
    actor_label: str,
    gateway_label: str,
    action: str,
    target: str,
    before: Any,
    after: Any,
    detail: dict,
) -> dict:
    return {
        "seq": seq,
        "created_at": created_at.isoformat(),
        "actor": actor_label,
        "gateway": gateway_label,
        "action": action,
        "target": target,
        "before": before,
        "after": after,
        "detail": detail,
    }


def event_hash(prev_hash: str, payload: dict) -> str:
    return hashlib.sha256((prev_hash + canonical_json(payload)).encode()).hexdigest()


def _actor_label(actor) -> str:
    if actor is None:
        return "system"
    return f"user:{actor.pk}:{actor.get_username()}"


def _keyed_hashes(value: Any) -> Any:
    """Config hashes (keys ending ``hash``) as the log keeps them: keyed, never the plain SHA-256 of a
    config (viewers read the log; issue 19, finding 7)."""
    if not isinstance(value, dict):
        return value
    return {
        k: config_hash_shown(v) if isinstance(v, str) and k.lower().endswith("hash") else v
        for k, v in value.items()
    }


def activity_record(
    *,
    action: str,
    actor=None,
    gateway: Gateway | None = None,
    target: str = "",
    before: Any = None,
    after: Any = None,
    detail: dict | None = None,
) -> ActivityEvent:
    """Append one event to the log and return it.

    Runs in the caller's transaction (or its own): the chain head row is locked, so appends are
    serialised and an event rolled back with its transaction leaves no gap.
    """
    detail = _keyed_hashes(detail or {})
    before, after = _keyed_hashes(before), _keyed_hashes(after)
    # JSON round trip so the stored values are exactly what the hash covered (no tuples, dates...).
    before, after, detail = json.loads(canonical_json([before, after, detail]))
    with transaction.atomic():
        head, _ = ActivityChainHead.objects.select_for_update().get_or_create(id=1)
        seq = head.last_seq + 1
        created_at = timezone.now()
        payload = _event_payload(
            seq=seq,
            created_at=created_at,
            actor_label=_actor_label(actor),
            gateway_label=str(gateway.code) if gateway else "",
            action=action,
            target=target,
            before=before,
            after=after,
            detail=detail,
        )
        digest = event_hash(head.last_hash, payload)
        event = ActivityEvent.objects.create(
            seq=seq,
            created_at=created_at,
            actor=actor,
            actor_label=payload["actor"],
            gateway=gateway,
            gateway_label=payload["gateway"],
            action=action,
            target=target,
            before=before,
            after=after,
            detail=detail,
            prev_hash=head.last_hash,
            hash=digest,
        )
        ActivityChainHead.objects.filter(id=1).update(last_seq=seq, last_hash=digest)
    return event


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def activity_verify(*, batch_size: int = 2000) -> tuple[int, ChainBreak | None]:
    """Walk the whole chain in order. Returns (events checked, first break or None).

    Detects an edited event (hash mismatch), a deleted one (gap in ``seq`` or broken link), and a
    truncated tail (the head row no longer matches the last event).
    """
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for event in _iter_events(batch_size):
        if event.seq != expected_seq:
            return checked, ChainBreak(
                expected_seq, f"event #{expected_seq} is missing (next is #{event.seq})"
            )
        if event.prev_hash != prev_hash:
            return checked, ChainBreak(event.seq, "prev_hash does not match the previous event's hash")
        payload = _event_payload(
            seq=event.seq,
            created_at=event.created_at,
            actor_label=event.actor_label,
            gateway_label=event.gateway_label,
            action=event.action,
            target=event.target,
            before=event.before,
            after=event.after,
            detail=event.detail,
        )
        if event_hash(prev_hash, payload) != event.hash:
            return checked, ChainBreak(event.seq, "content does not match its hash (edited)")
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    head = ActivityChainHead.objects.filter(id=1).first()
    if head is not None and (head.last_seq != checked or head.last_hash != prev_hash):
        return checked, ChainBreak(
            checked + 1, f"the log ends at #{checked} but #{head.last_seq} was written"
        )
    return checked, None


def _iter_events(batch_size: int) -> Iterator[ActivityEvent]:
    last = 0
    while True:
        batch = list(ActivityEvent.objects.filter(seq__gt=last).order_by("seq")[:batch_size])
        if not batch:
            return
        yield from batch
        last = batch[-1].seq
