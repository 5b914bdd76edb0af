"""The JSON API for day-to-day work: pending approvals and decisions, alerts, audit reports.

Same authentication, roles and error shape as views/api.py (``api_view``); decisions go through the
same services as the pages (first answer wins, a repeat names the winner). Described in
controlpanel/openapi.py (tests/security/test_api_schema.py fuzzes every path against it).
"""

from __future__ import annotations

import json
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET, require_POST

from controlpanel import selectors
from controlpanel.models import Alert, AuditRun, ExecApprovalRequest, Gateway, PairingRequest
from controlpanel.permissions import (
    Capability,
    get_gateway_for_user,
    get_object_for_user,
    get_request_for_user,
    require_recent_auth,
)
from controlpanel.services import approvals as approvals_svc
from controlpanel.services.alerts import AlertStateError, alert_acknowledge, alert_resolve

from .api import ApiError, _json_body, api_view

PAIRING_DECISIONS = {"approve", "reject"}
EXEC_DECISIONS = {"allow-once", "allow-always", "deny"}


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _request_json(item) -> dict:
    """A pending or decided request, without secrets (a DM pairing code never leaves the panel)."""
    data = {
        "code": str(item.code),
        "gateway": str(item.gateway.code),
        "kind": "exec" if isinstance(item, ExecApprovalRequest) else item.kind,
        "status": item.status,
        "requestedAt": _iso(item.requested_at),
        "expiresAt": _iso(item.expires_at),
        "decidedAt": _iso(item.decided_at),
        "decidedBy": item.decided_by.get_username() if item.decided_by else None,
    }
    if isinstance(item, ExecApprovalRequest):
        data.update(
            agent=item.agent_ref,
            command=item.command,
            cwd=item.cwd,
            sessionKey=item.session_key,
            allowedDecisions=list(item.allowed_decisions or []),
            decision=item.decision or None,
        )
    elif item.kind == "dm":
        data.update(
            channel=item.channel, account=item.account, sender=item.sender_id, senderName=item.sender_name
        )
    else:
        data.update(
            device=item.device_id,
            deviceName=item.device_name,
            platform=item.platform,
            role=item.role,
            scopes=list(item.requested_scopes or []),
        )
    return data


@api_view
@require_GET
def approvals(request: HttpRequest) -> HttpResponse:
    """Pending requests on every gateway you are a member of, soonest to expire first (the first 500)."""
    page = selectors.approvals_inbox(user=request.user, pending=True, per_page=500)
    return JsonResponse({"requests": [_request_json(i) for i in page.items]})


def _approves_device(request: HttpRequest, code: UUID) -> bool:
    """Approving a device or node grants lasting access: the recent-authentication rule applies (a
    personal API token counts as recent). Only the caller's own gateways' requests count."""
    try:
        decision = json.loads(request.body or b"{}").get("decision")
    except (ValueError, AttributeError):
        return False
    return (
        decision == "approve"
        and PairingRequest.objects.filter(code=code, gateway__in=Gateway.objects.visible_to(request.user))
        .exclude(kind="dm")
        .exists()
    )


def _find_request(user, code: UUID):
    """The pairing or exec request ``code`` (they share one UUID space), or 404."""
    for model in (PairingRequest, ExecApprovalRequest):
        try:
            return get_request_for_user(user, model, code, need=Capability.DECIDE)
        except Http404:
            continue
    raise Http404


@api_view
@require_recent_auth(when=_approves_device)
@require_POST
def approval_decide(request: HttpRequest, code: UUID) -> HttpResponse:
    """Decide a request: approve / reject (pairing) or allow-once / allow-always / deny (exec).

    Approving a device (panel-only request) answers with its new token once, in ``deviceToken``."""
    body = _json_body(request, {"decision", "reason"})
    decision, reason = body.get("decision"), body.get("reason", "")
    if not isinstance(reason, str):
        raise ApiError(400, "expected a string", path="reason")
    item, access = _find_request(request.user, code)
    if isinstance(item, ExecApprovalRequest):
        if decision not in EXEC_DECISIONS:
            raise ApiError(400, "expected allow-once, allow-always or deny", path="decision")
        outcome = approvals_svc.exec_request_decide(
            request=item, actor=request.user, decision=decision, reason=reason[:1000]
        )
    else:
        if decision not in PAIRING_DECISIONS:
            raise ApiError(400, "expected approve or reject", path="decision")
        if decision == "approve":
            outcome = approvals_svc.pairing_request_approve(
                request=item, actor=request.user, role=access.role
            )
        else:
            outcome = approvals_svc.pairing_request_reject(
                request=item, actor=request.user, reason=reason[:1000]
            )
    item.refresh_from_db()
    data = {"request": _request_json(item), "won": outcome.won, "message": outcome.message}
    if outcome.token:
        data["deviceToken"] = outcome.token  # shown once: the panel keeps only its hash
    response = JsonResponse(data, status=outcome.http_status)
    response["Cache-Control"] = "no-store"
    return response


def _alert_json(alert: Alert) -> dict:
    return {
        "id": alert.pk,
        "gateway": str(alert.gateway.code),
        "type": alert.type,
        "subject": alert.subject,
        "severity": alert.severity,
        "state": alert.state,
        "message": alert.message,
        "count": alert.count,
        "firstSeen": _iso(alert.first_seen_at),
        "lastSeen": _iso(alert.last_seen_at),
        "acknowledgedBy": alert.acknowledged_by.get_username() if alert.acknowledged_by else None,
    }


@api_view
@require_GET
def alerts(request: HttpRequest) -> HttpResponse:
    """Alerts on your gateways, open ones first and most severe first; ``?state=firing`` for firing only."""
    state = request.GET.get("state", "")
    if state not in ("", "firing"):
        raise ApiError(400, "expected firing (or nothing)", path="state")
    rows = (
        Alert.objects.filter(gateway__in=Gateway.objects.visible_to(request.user))
        .select_related("gateway", "acknowledged_by")
        .order_by(*selectors.alert_order())
    )
    if state:
        rows = rows.filter(state=state)
    return JsonResponse({"alerts": [_alert_json(a) for a in rows[:500]]})


def _alert_action(request: HttpRequest, pk: int, action) -> HttpResponse:
    alert, _ = get_object_for_user(
        request.user, Alert.objects.select_related("gateway"), need=Capability.DECIDE, pk=pk
    )
    try:
        alert = action(alert=alert, actor=request.user)
    except AlertStateError as exc:
        raise ApiError(409, str(exc)) from exc
    return JsonResponse(_alert_json(alert))


@api_view
@require_POST
def alert_acknowledge_api(request: HttpRequest, pk: int) -> HttpResponse:
    return _alert_action(request, pk, alert_acknowledge)


@api_view
@require_POST
def alert_resolve_api(request: HttpRequest, pk: int) -> HttpResponse:
    return _alert_action(request, pk, alert_resolve)


def _run_json(run: AuditRun, *, report: bool = False) -> dict:
    data = {
        "code": str(run.code),
        "gateway": str(run.gateway.code),
        "status": run.status,
        "createdAt": _iso(run.created_at),
        "summary": run.summary or {},
        "configHash": run.config_hash,
    }
    if report:
        data["report"] = run.report if run.status == "succeeded" else None
        data["error"] = run.error or None
    return data


@api_view
@require_GET
def gateway_audits(request: HttpRequest, code: UUID) -> HttpResponse:
    """The gateway's audit runs, newest first (the reports: ``/api/v1/audits/<code>/``)."""
    access = get_gateway_for_user(request.user, code)
    runs = access.gateway.audit_runs.select_related("gateway").order_by("-created_at")[:100]
    return JsonResponse({"runs": [_run_json(r) for r in runs]})


@api_view
@require_GET
def audit_report(request: HttpRequest, code: UUID) -> HttpResponse:
    """One audit run with its report: the JSON of ``openclaw security audit --json``."""
    run = (
        AuditRun.objects.filter(code=code, gateway__in=Gateway.objects.visible_to(request.user))
        .select_related("gateway")
        .first()
    )
    if run is None:
        raise Http404
    return JsonResponse(_run_json(run, report=True))
