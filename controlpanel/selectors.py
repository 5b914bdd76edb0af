"""Reads shaped for pages. Each takes the user and goes through ``Gateway.objects.visible_to``."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from controlpanel.models import (
    ActivityEvent,
    Agent,
    Alert,
    ExecApprovalRequest,
    Gateway,
    PairingRequest,
)


def _count(model, **filters) -> Coalesce:
    """A correlated COUNT subquery per gateway: no join fan-out, one query for the whole list."""
    sub = (
        model.objects.filter(gateway=OuterRef("pk"), **filters)
        .order_by()
        .values("gateway")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def gateway_list(*, user) -> QuerySet[Gateway]:
    """The user's gateways with their role and counts. One query, whatever the number of gateways."""
    return (
        Gateway.objects.with_user_role(user)
        .annotate(
            agent_count=_count(Agent),
            pending_pairing_count=_count(PairingRequest, status="pending"),
            pending_exec_count=_count(ExecApprovalRequest, status="pending"),
            open_alert_count=_count(Alert, state="firing"),
        )
        .order_by("name")
    )


def gateway_activity(*, gateway: Gateway, limit: int = 200) -> QuerySet[ActivityEvent]:
    return gateway.activity.select_related("actor").order_by("-seq")[:limit]


def pending_counts(*, user) -> dict[str, int]:
    """Pending requests across every gateway the user can see (the navigation badge)."""
    visible = Gateway.objects.visible_to(user)
    return {
        "pairing": PairingRequest.objects.pending().filter(gateway__in=visible).count(),
        "exec": ExecApprovalRequest.objects.pending().filter(gateway__in=visible).count(),
    }


def gateway_config_view(*, gateway: Gateway) -> dict:
    """The config tab: the file with secrets redacted, its structure, references and unmodeled sections.

    Re-reads the stored text (no environment: references are listed, not resolved).
    """
    from controlpanel.openclaw import load_config, redact, redact_text

    result = load_config(gateway.config_text, env={})
    return {
        "redacted_text": redact_text(gateway.config_text) if gateway.config_text else "",
        "config_tree": redact(gateway.config_raw or {}),
        "env_refs": result.env_refs,
        "unmodeled": result.unmodeled,
        "config_warnings": result.warnings,
    }


def gateway_tab_context(*, gateway: Gateway, tab: str) -> dict:
    """The data one tab of the gateway page needs, and nothing more (partials get only their data)."""
    if tab == "overview":
        return {
            "agents": list(gateway.agents.all()[:50]),
            "pending_pairing": gateway.pairing_requests.pending().count(),
            "pending_exec": gateway.exec_requests.pending().count(),
            "firing_alerts": gateway.alerts.filter(state="firing").count(),
            "recent_activity": list(gateway_activity(gateway=gateway, limit=10)),
        }
    if tab == "config":
        return gateway_config_view(gateway=gateway)
    if tab == "agents":
        return {"agents": list(gateway.agents.all()), "channels": list(gateway.channels.all())}
    if tab == "devices":
        return {"devices": list(gateway.devices.all())}
    if tab == "pairing":
        return {"pairing_requests": list(gateway.pairing_requests.select_related("decided_by")[:200])}
    if tab == "approvals":
        return {"exec_requests": list(gateway.exec_requests.select_related("agent", "decided_by")[:200])}
    if tab == "audit":
        return {"audit_runs": list(gateway.audit_runs.select_related("started_by")[:50])}
    if tab == "alerts":
        return {"alerts": list(gateway.alerts.select_related("acknowledged_by")[:200])}
    if tab == "activity":
        return {"activity": list(gateway_activity(gateway=gateway))}
    raise ValueError(f"unknown tab {tab!r}")


def approvals_inbox(*, user, gateway_code: str | None = None, kind: str | None = None, pending: bool = True):
    """Requests across the user's gateways, each with ``user_role`` of its gateway.

    ``kind``: "dm" / "device" / "node" (pairing) or "exec". Pending ones soonest-to-expire first;
    decided ones (history) newest decision first. Two queries.
    """
    roles = dict(Gateway.objects.with_user_role(user).values_list("pk", "user_role"))
    items: list = []
    filters: dict = {"gateway__in": list(roles)}
    if gateway_code:
        filters["gateway__code"] = gateway_code
    status = {"status": "pending"} if pending else {}
    if kind in (None, "", "dm", "device", "node"):
        pairing = PairingRequest.objects.filter(**filters, **status).select_related("gateway", "decided_by")
        if kind:
            pairing = pairing.filter(kind=kind)
        if not pending:
            pairing = pairing.exclude(status="pending")
        items.extend(pairing[:500])
    if kind in (None, "", "exec"):
        execs = ExecApprovalRequest.objects.filter(**filters, **status).select_related(
            "gateway", "decided_by"
        )
        if not pending:
            execs = execs.exclude(status="pending")
        items.extend(execs[:500])
    for item in items:
        item.user_role = roles[item.gateway_id]
        item.kind_label = "exec" if isinstance(item, ExecApprovalRequest) else item.kind
    if pending:
        items.sort(key=lambda r: r.expires_at)
    else:
        items.sort(key=lambda r: r.decided_at, reverse=True)
    return items
