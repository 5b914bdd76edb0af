"""Leases that divide the linked gateways between the running gateway workers (models/leases.py).

The rules:

* A worker connects to a gateway only while it holds the gateway's lease; it renews all its
  leases every round (CP_GATEWAY_LEASE_RENEW_SECONDS) for CP_GATEWAY_LEASE_SECONDS.
* It takes only leases that are free or expired, and only up to its fair share: the linked
  gateways divided by the live fleet workers, rounded up (``lib/fairshare.py``). When a worker is
  below its share and no free gateway is left, the workers above theirs hand back the difference,
  and no more: a newcomer gets its share without other connections moving.
* Every acquisition adds one to the lease's ``generation``. Each database write a worker makes for
  a gateway runs in a transaction that first locks the lease row and checks holder and generation
  (``fenced``): a worker that lost the lease gets ``LeaseLost`` and drops the connection, and no
  takeover can slip between the check and the write.
* A worker stops its connections on its own once its last successful renewal is older than the
  lease less a margin (gatewayworker.py), so it has closed them before anyone may take them.

All times are the database's clock (the round's ``now`` is the heartbeat the database stored), so
workers on machines with skewed clocks agree; tests pass ``now`` to drive the clock themselves.
Lease bookkeeping is operational state, logged rather than written to the activity log.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Min, Q
from django.db.models.functions import Now

from controlpanel.lib.fairshare import fair_share, releases_due
from controlpanel.models import GatewayLease, GatewayWorkerProcess

from .gateway_links import linked_gateway_ids

logger = logging.getLogger(__name__)

FORGET_WORKERS_AFTER = timedelta(days=1)


class LeaseLost(Exception):
    """This worker no longer holds the gateway's lease (taken over, or released): stop using it."""


@dataclass(frozen=True)
class Lease:
    """A lease as its holder knows it: the fencing token is ``generation``."""

    gateway_id: int
    worker_id: str
    generation: int


@dataclass(frozen=True)
class WorkerIdentity:
    worker_id: str
    hostname: str
    pid: int
    fleet: bool = True  # False: started with --gateway, takes only those, outside the fair share


@dataclass
class Round:
    """What one round decided for the worker."""

    now: datetime
    held: dict[int, int]  # gateway id -> generation: every lease the worker holds after the round
    acquired: dict[int, int] = field(default_factory=dict)  # of which taken in this round
    wanted: set[int] = field(default_factory=set)  # the gateways this worker may hold
    share: int = 0
    release: int = 0  # leases to hand back to a worker below its share
    next_expiry: datetime | None = None  # earliest expiry of another worker's lease (a takeover)

    def lease(self, gateway_id: int, worker_id: str) -> Lease:
        return Lease(gateway_id, worker_id, self.held[gateway_id])


def _beat(worker: WorkerIdentity, now: datetime | None) -> datetime:
    """Store the heartbeat (the database's clock unless ``now`` is given) and return it."""
    stamp: Any = now or Now()
    rows = GatewayWorkerProcess.objects.filter(worker_id=worker.worker_id)
    if not rows.update(seen_at=stamp):
        # New, or forgotten after a long pause: (re)register.
        GatewayWorkerProcess.objects.update_or_create(
            worker_id=worker.worker_id,
            defaults={
                "hostname": worker.hostname[:255],
                "pid": worker.pid,
                "fleet": worker.fleet,
                "started_at": stamp,
                "seen_at": stamp,
            },
        )
    return now or rows.values_list("seen_at", flat=True).get()


def lease_round(
    *, worker: WorkerIdentity, lease_seconds: float, only: set[int] | None = None, now: datetime | None = None
) -> Round:
    """One round of a worker: heartbeat, renew its leases, then take or hand back toward its share.

    Statements run one by one (no long transaction): each conditional UPDATE is safe alone.
    Handing back is the caller's job (close the connection first, then ``lease_release``): the
    round only says how many.
    """
    now = _beat(worker, now)
    ttl = timedelta(seconds=lease_seconds)
    me = worker.worker_id
    GatewayLease.objects.filter(holder_id=me).update(expires_at=now + ttl)

    linked = set(linked_gateway_ids())
    wanted = linked if only is None else linked & only
    missing = wanted - set(GatewayLease.objects.filter(gateway_id__in=wanted).values_list("pk", flat=True))
    if missing:
        GatewayLease.objects.bulk_create(
            [GatewayLease(gateway_id=gid) for gid in sorted(missing)], ignore_conflicts=True
        )
    held = dict(GatewayLease.objects.filter(holder_id=me).values_list("gateway_id", "generation"))
    result = Round(now=now, held=held, wanted=wanted)

    live = GatewayLease.objects.filter(
        gateway_id__in=linked, holder__isnull=False, expires_at__gt=now, holder__seen_at__gt=now - ttl
    )
    if worker.fleet:
        fleet_workers = set(
            GatewayWorkerProcess.objects.filter(fleet=True, seen_at__gt=now - ttl).values_list(
                "worker_id", flat=True
            )
        ) | {me}
        counts = dict.fromkeys(fleet_workers, 0)
        outside = 0  # held by workers outside the fleet (--gateway): not shared
        for holder, n in live.values_list("holder_id").annotate(n=Count("pk")).order_by():
            if holder in counts:
                counts[holder] = n
            else:
                outside += n
        counts[me] = len(held.keys() & linked)
        shared = len(linked) - outside
        result.share = fair_share(shared, len(fleet_workers))
        result.release = releases_due(counts, me=me, gateways=shared)
        room = result.share - len(held.keys() & wanted)
    else:
        room = len(wanted)
    if room > 0 and not result.release:
        result.acquired = _acquire(me, wanted - held.keys(), room, now=now, ttl=ttl)
        held.update(result.acquired)
    result.next_expiry = (
        GatewayLease.objects.filter(gateway_id__in=wanted, expires_at__gt=now)
        .exclude(holder_id=me)
        .exclude(holder__isnull=True)
        .aggregate(first=Min("expires_at"))["first"]
    )
    return result


def _acquire(me: str, candidates: set[int], room: int, *, now: datetime, ttl: timedelta) -> dict[int, int]:
    """Take up to ``room`` free or expired leases among ``candidates``; return gateway id -> generation."""
    takeable = Q(holder__isnull=True) | Q(expires_at__lte=now)
    rows = list(
        GatewayLease.objects.filter(takeable, gateway_id__in=candidates).values_list(
            "gateway_id", "holder_id", "expires_at"
        )
    )
    random.shuffle(rows)  # workers starting together rarely race for the same rows
    taken: list[int] = []
    for gateway_id, previous, expired_at in rows:
        if len(taken) >= room:
            break
        won = GatewayLease.objects.filter(takeable, gateway_id=gateway_id).update(
            holder_id=me,
            generation=F("generation") + 1,
            acquired_at=now,
            expires_at=now + ttl,
        )
        if won:
            taken.append(gateway_id)
            if previous:
                logger.warning(
                    "gateway %s: taken over from worker %s (its lease expired at %s)",
                    gateway_id, previous, expired_at,
                )  # fmt: skip
    return dict(
        GatewayLease.objects.filter(gateway_id__in=taken, holder_id=me).values_list(
            "gateway_id", "generation"
        )
    )


def lease_release(*, lease: Lease) -> bool:
    """Hand a lease back (its connection is closed): free at once for another worker."""
    return bool(
        GatewayLease.objects.filter(
            gateway_id=lease.gateway_id, holder_id=lease.worker_id, generation=lease.generation
        ).update(holder=None, acquired_at=None, expires_at=None)
    )


def worker_retire(*, worker_id: str, now: datetime | None = None) -> None:
    """A worker stopping cleanly: hand back every lease it holds and forget it (and long-gone workers)."""
    GatewayLease.objects.filter(holder_id=worker_id).update(holder=None, acquired_at=None, expires_at=None)
    GatewayWorkerProcess.objects.filter(worker_id=worker_id).delete()
    cutoff: Any = (now - FORGET_WORKERS_AFTER) if now else Now() - FORGET_WORKERS_AFTER
    GatewayWorkerProcess.objects.filter(seen_at__lt=cutoff).delete()


def lease_check(lease: Lease) -> None:
    """Raise LeaseLost unless ``lease`` is still the gateway's lease (same holder, same generation).

    Call inside a transaction: the lease row stays locked until it ends, so a takeover waits for
    the write this check guards. Expiry alone does not fail the check: a lapsed lease nobody took
    is still this worker's, and its next renewal extends it.
    """
    current = GatewayLease.objects.select_for_update().filter(
        gateway_id=lease.gateway_id, holder_id=lease.worker_id, generation=lease.generation
    )
    if not list(current.values_list("pk", flat=True)):
        raise LeaseLost(f"gateway {lease.gateway_id}: lease generation {lease.generation} is no longer held")


def fenced(lease: Lease, fn, /, *args: Any, **kwargs: Any) -> Any:
    """Run ``fn(*args, **kwargs)`` in one transaction with ``lease_check(lease)`` first."""
    with transaction.atomic():
        lease_check(lease)
        return fn(*args, **kwargs)
