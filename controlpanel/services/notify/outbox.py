"""The outbox: what alert ingest and approvals call inside their own transaction.

One task row per transaction (``enqueue_on_commit`` writes it in the caller's transaction): it
commits with the alert events or the request, or not at all, so a notification is never lost
between the commit and the queue and never made for a write that rolled back. The routing task
then works out receivers, groups and people.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from controlpanel.background import enqueue_on_commit
from controlpanel.models import AlertEvent, ExecApprovalRequest, GroupItem, PairingRequest
from controlpanel.tasks.notify import notify_route

NOTIFY_KINDS = frozenset({"created", "escalated", "resolved"})


def alert_events_notify(events: Iterable[AlertEvent]) -> None:
    """Queue the routing of ``events`` (those that may notify: created, escalated, resolved)."""
    ids = [e.pk for e in events if e.kind in NOTIFY_KINDS]
    if ids:
        enqueue_on_commit(notify_route, events=ids)


def approval_requested(request: PairingRequest | ExecApprovalRequest) -> None:
    """Queue the notification of a new pending request (its gateway's admins and owners, the routes)."""
    kind = "exec" if isinstance(request, ExecApprovalRequest) else "pairing"
    enqueue_on_commit(notify_route, approval=[kind, request.pk])


# Routing tasks one routing run takes from the queue (one transaction: the ingest it holds up on
# SQLite stays short). A backlog drains in batches; a run on a quiet queue routes its own alone.
ROUTE_BATCH = 50


def route_queued(*, events: list[int], approvals: list[list], worker_id: str, first_attempt: bool) -> str:
    """Route a routing task's alert events and approval requests, and those of up to ROUTE_BATCH
    other queued routing tasks (claimed and recorded done in the same transaction), then deliver
    what it wrote at once: its delivery task, claimed by this worker (``worker_id``) and run here.

    A retry routes its own work only, so one failing alert cannot use up other tasks' attempts.
    """
    from controlpanel.background.worker import batch_done, claim_batch, run_now

    from .routing import approval_source, route_sources, sources_from_events

    events, approvals = list(events), list(approvals)
    with transaction.atomic():
        batch = []
        if worker_id and first_attempt:
            batch = claim_batch(notify_route, worker_id=worker_id, limit=ROUTE_BATCH)
        for row in batch:
            kwargs = row.args_kwargs.get("kwargs", {})
            events += kwargs.get("events") or []
            approvals += [kwargs["approval"]] if kwargs.get("approval") else []
        sources = sources_from_events(events)
        for kind, pk in approvals:
            model = ExecApprovalRequest if kind == "exec" else PairingRequest
            request = model.objects.select_related("gateway").filter(pk=pk).first()
            if request is not None and request.status == "pending":  # else decided before anyone knew
                sources.append(approval_source(request))
        result = route_sources(sources)
        batch_done(batch, f"routed with {len(batch)} other routing task(s)")
    for task_id in result.delivery_tasks if worker_id else ():
        run_now(task_id, worker_id=worker_id)
    return (
        f"{len(events)} event(s), {len(approvals)} request(s) in {len(batch) + 1} task(s): "
        f"{result.groups} group(s), {result.flushed} sent, {result.personal} personal, "
        f"{result.resolved} resolved"
    )


def approvals_settle(*, now=None) -> int:
    """Resolve the notifications of requests that are no longer pending (decided, expired, refused)."""
    from .routing import Source, route_sources

    now = now or timezone.now()
    approvals = Q(fingerprint__startswith="pairing:") | Q(fingerprint__startswith="exec:")
    fingerprints = set(GroupItem.objects.filter(approvals, firing=True).values_list("fingerprint", flat=True))
    if not fingerprints:
        return 0
    codes = {"pairing": set(), "exec": set()}
    for fp in fingerprints:
        kind, _, code = fp.partition(":")
        codes[kind].add(code)
    still = {
        f"pairing:{c}"
        for c in PairingRequest.objects.filter(code__in=codes["pairing"], status="pending").values_list(
            "code", flat=True
        )
    }
    still |= {
        f"exec:{c}"
        for c in ExecApprovalRequest.objects.filter(code__in=codes["exec"], status="pending").values_list(
            "code", flat=True
        )
    }
    done = sorted(fingerprints - still)
    if not done:
        return 0
    items = {
        i.fingerprint: i for i in GroupItem.objects.filter(fingerprint__in=done).select_related("gateway")
    }
    sources = [
        Source(
            fingerprint=fp,
            gateway=item.gateway,
            labels=item.labels,
            annotations=item.annotations,
            starts_at=item.starts_at,
            firing=False,
        )
        for fp, item in items.items()
    ]
    return route_sources(sources, now=now).resolved
