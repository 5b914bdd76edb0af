"""The outbox: what alert ingest and approvals call inside their own transaction.

One task row per transaction (``enqueue_on_commit`` writes it in the caller's transaction): it
commits with the alert events or the request, or not at all, so a notification is never lost
between the commit and the queue and never made for a write that rolled back. The routing task
then works out receivers, groups and people.
"""

from __future__ import annotations

from collections.abc import Iterable

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


def route_events(*, event_ids: list[int]) -> int:
    from .routing import route_sources, sources_from_events

    result = route_sources(sources_from_events(event_ids))
    return result.groups + result.personal + result.resolved


def route_approval(*, kind: str, pk: int) -> int:
    from .routing import approval_source, route_sources

    model = ExecApprovalRequest if kind == "exec" else PairingRequest
    request = model.objects.select_related("gateway").filter(pk=pk).first()
    if request is None or request.status != "pending":
        return 0  # decided (or gone) before anyone had to be told
    result = route_sources([approval_source(request)])
    return result.groups + result.personal


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
