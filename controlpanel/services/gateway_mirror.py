"""Mirror a live gateway's pending requests into the panel, and hand the panel's decisions back.

Called by the gateway worker with what the gateway sent (event payloads, list answers). Requests
mirrored from a gateway carry its id in ``external_id``; decisions taken on them in the panel get
``delivery = pending`` (services.approvals) and the worker sends them, then records the gateway's
answer here: delivered, or refused with the gateway's words. A decision is marked ``sending``
before it goes out; if its answer is lost (the connection or the worker died), the next connection
sends it again only when the gateway still lists the request as pending, else records it as
delivered: each decision reaches the gateway once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from controlpanel.approvals import expiry
from controlpanel.events.errors import EventValidationError
from controlpanel.events.jsonparse import parse_json_event
from controlpanel.events.models import RawEvent
from controlpanel.lib.safetext import escape_unstorable_json, fit
from controlpanel.models import ExecApprovalRequest, Gateway, GatewayLink, PairingRequest

from .activity import activity_record
from .notify.outbox import approval_requested

logger = logging.getLogger(__name__)


# A time a gateway sends further than this from the default is not believed (hostile or broken
# clocks: the year 10000 would not even fit a datetime).
_PLAUSIBLE = timedelta(days=366)


def _ms(value: Any) -> float | None:
    """Return a positive epoch-milliseconds value from a gateway payload, else None."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return value
    return None


def _plausible_ms(value: Any, around: datetime) -> float | None:
    """``_ms`` of a time within a year of ``around``, else None (a hostile or broken clock)."""
    ms = _ms(value)
    if ms is None:
        return None
    try:
        when = datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return ms if abs(when - around) <= _PLAUSIBLE else None


def _from_ms(value: Any, default: datetime) -> datetime:
    ms = _plausible_ms(value, default)
    return default if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)


def _stored_id(value: Any) -> str:
    """A gateway's request id as the mirror stores it (escaped, fitted to the column)."""
    return fit(escape_unstorable_json(str(value or ""))[0], 200)


# --- pairing ------------------------------------------------------------------------------------


def pairing_mirror(
    *, gateway_id: int, kind: str, record: dict[str, Any], now: datetime | None = None
) -> bool:
    """Create the PairingRequest for a gateway's pending device or node request (once per id).

    Returns True if a row was created. The panel's own device request is not mirrored: it cannot
    approve itself, an operator on the gateway host does (see the Connection page).
    """
    now = now or timezone.now()
    record, _ = escape_unstorable_json(record)  # hostile text kept escaped, as the ingest API does
    request_id = fit(str(record.get("requestId") or ""), 200)
    if not request_id:
        return False
    gateway = Gateway.objects.get(pk=gateway_id)
    device_id = str(record.get("deviceId") or record.get("nodeId") or "")
    own = GatewayLink.objects.filter(gateway=gateway).values_list("device_id", flat=True).first()
    if kind == "device" and own and device_id == own:
        return False
    # A device that retries keeps its request id: after our copy expired, a fresh copy is mirrored.
    known = PairingRequest.objects.filter(gateway=gateway, kind=kind, external_id=request_id)
    if known.exclude(status="expired").exists():
        return False
    requested_at = _from_ms(record.get("ts"), now)
    request = PairingRequest.objects.create(
        gateway=gateway,
        kind=kind,
        external_id=request_id,
        device_id=device_id[:200],
        device_name=str(record.get("displayName") or "")[:200],
        platform=str(record.get("platform") or "")[:100],
        public_key=str(record.get("publicKey") or ""),
        role=str(record.get("role") or ("node" if kind == "node" else "operator"))[:10],
        requested_scopes=[str(s) for s in record.get("scopes") or []],
        commands=[str(c) for c in record.get("commands") or []],
        client_id=str(record.get("clientId") or "")[:100],
        client_mode=str(record.get("clientMode") or "")[:30],
        requested_at=requested_at,
        # The gateway keeps device requests a few minutes after their last refresh; the panel
        # counts its first sight of the request as the latest refresh it knows of.
        expires_at=expiry.device_pairing_expires_at(requested_at, max(requested_at, now)),
        requested_by=fit(f"device:{device_id}", 300),
    )
    approval_requested(request)
    activity_record(
        action="pairing.requested",
        gateway=gateway,
        target=f"pairing:{request.code}",
        after={"kind": kind, "device": device_id, "external_id": request_id, "source": "gateway"},
    )
    return True


def pairing_resolved_elsewhere(*, gateway_id: int, kind: str, request_id: str, decision: str) -> None:
    """A pairing request was decided on the gateway (another client): close our pending copy."""
    now = timezone.now()
    status = "approved" if decision == "approved" else "rejected"
    PairingRequest.objects.filter(
        gateway_id=gateway_id, kind=kind, external_id=_stored_id(request_id), status="pending"
    ).update(
        status=status,
        decided_at=now,
        updated_at=now,
        delivery="delivered",
        decision_reason="Decided on the gateway.",
    )


def pairing_reconcile(*, gateway_id: int, kind: str, pending: list[dict[str, Any]]) -> None:
    """Backfill from ``*.pair.list``: mirror what is pending there; expire what no longer is."""
    ids = set()
    for record in pending:
        pairing_mirror(gateway_id=gateway_id, kind=kind, record=record)
        ids.add(_stored_id(record.get("requestId")))
    now = timezone.now()
    PairingRequest.objects.filter(gateway_id=gateway_id, kind=kind, status="pending").exclude(
        external_id=""
    ).exclude(external_id__in=ids).update(
        status="expired", decided_at=now, updated_at=now, decision_reason="No longer pending on the gateway."
    )


# --- exec ---------------------------------------------------------------------------------------


def exec_mirror(*, gateway_id: int, payload: dict[str, Any], now: datetime | None = None) -> bool:
    """Create the ExecApprovalRequest for an ``exec.approval.requested`` payload (once per id)."""
    now = now or timezone.now()
    payload, _ = escape_unstorable_json(payload)  # hostile text kept escaped, as the ingest API does
    approval_id = fit(str(payload.get("id") or ""), 200)
    request = payload.get("request") or {}
    if not approval_id or not isinstance(request, dict):
        return False
    if ExecApprovalRequest.objects.filter(gateway_id=gateway_id, external_id=approval_id).exists():
        return False
    requested_at = _from_ms(payload.get("createdAtMs"), now)
    expires_at = expiry.exec_approval_expires_at(
        requested_at, _plausible_ms(payload.get("expiresAtMs"), requested_at)
    )
    agent = str(request.get("agentId") or "")
    command = str(request.get("command") or request.get("commandPreview") or "")
    row = ExecApprovalRequest.objects.create(
        gateway_id=gateway_id,
        external_id=approval_id,
        agent_ref=agent[:100],
        session_key=str(request.get("sessionKey") or "")[:300],
        command=command,
        argv=[str(a) for a in request.get("commandArgv") or []],
        cwd=str(request.get("cwd") or "")[:1000],
        # Only the names: the gateway sends env keys, never values.
        env={str(k): "" for k in request.get("envKeys") or []},
        host=str(request.get("host") or "")[:100],
        # Only what the gateway offers: it refuses anything else (allow-always is often withheld).
        allowed_decisions=[str(d) for d in request.get("allowedDecisions") or ["deny"]],
        analysis=_exec_analysis(request),
        requested_at=requested_at,
        expires_at=max(expires_at, requested_at + timedelta(seconds=1)),
        requested_by=fit(f"agent:{agent}", 300),
    )
    approval_requested(row)
    activity_record(
        action="exec.requested",
        gateway=row.gateway,
        target=f"exec:{row.code}",
        after={"command": command, "agent": agent, "external_id": approval_id, "source": "gateway"},
    )
    return True


def _exec_analysis(request: dict[str, Any]) -> dict[str, Any]:
    """Why the gateway asked, in its own words: the policy pair it applied and its command analysis."""
    analysis = request.get("commandAnalysis") if isinstance(request.get("commandAnalysis"), dict) else {}
    out: dict[str, Any] = {
        "security": str(request.get("security") or "")[:20],
        "ask": str(request.get("ask") or "")[:20],
        "warningText": str(request.get("warningText") or "")[:2000],
        "riskKinds": [str(k)[:100] for k in analysis.get("riskKinds") or []][:20],
        "warningLines": [str(k)[:500] for k in analysis.get("warningLines") or []][:20],
    }
    return {k: v for k, v in out.items() if v}


def exec_resolved_elsewhere(*, gateway_id: int, approval_id: str, decision: str, by: str) -> None:
    """An approval was resolved on the gateway (another client, or expiry): close our pending copy."""
    now = timezone.now()
    rows = ExecApprovalRequest.objects.filter(
        gateway_id=gateway_id, external_id=_stored_id(approval_id), status="pending"
    )
    by = escape_unstorable_json(str(by or ""))[0][:200]
    if decision in ("allow-once", "allow-always", "deny"):
        rows.update(
            status="allowed" if decision != "deny" else "denied",
            decision=decision,
            decided_at=now,
            updated_at=now,
            delivery="delivered",
            decision_reason=f"Decided on the gateway{f' by {by}' if by else ''}.",
        )
    else:
        rows.update(
            status="cancelled", decided_at=now, updated_at=now, decision_reason="Closed on the gateway."
        )


def exec_reconcile(*, gateway_id: int, pending: list[dict[str, Any]]) -> None:
    """Backfill from ``exec.approval.list``; pending copies the gateway no longer has are closed."""
    ids = set()
    for item in pending:
        exec_mirror(gateway_id=gateway_id, payload=item)
        ids.add(_stored_id(item.get("id")))
    now = timezone.now()
    stale = ExecApprovalRequest.objects.filter(gateway_id=gateway_id, status="pending").exclude(
        external_id=""
    )
    stale = stale.exclude(external_id__in=ids)
    stale.filter(expires_at__lte=now).update(status="expired", decided_at=now, updated_at=now)
    stale.filter(expires_at__gt=now).update(
        status="cancelled",
        decided_at=now,
        updated_at=now,
        decision_reason="No longer pending on the gateway.",
    )


# --- deliveries ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """One decision to send: which row, and the RPC that carries it.

    ``sent`` means an earlier connection sent it and its answer was lost (connection or worker
    gone): it is sent again only if the gateway still lists the request as pending.
    """

    model: str  # "pairing" | "exec"
    pk: int
    method: str
    params: dict[str, Any]
    kind: str = ""  # what the gateway lists it under: "exec", "device" or "node"
    external_id: str = ""
    sent: bool = False
    invalid: str = ""  # why it must not be sent (recorded as refused instead)


OUTSTANDING = ("pending", "sending")


def deliveries_pending(gateway_id: int) -> list[Delivery]:
    """Return the decisions taken in the panel that the gateway has not answered yet (a read)."""
    out: list[Delivery] = []
    for row in PairingRequest.objects.filter(gateway_id=gateway_id, delivery__in=OUTSTANDING).exclude(
        external_id=""
    ):
        verb = "approve" if row.status == "approved" else "reject"
        method, params = f"{row.kind}.pair.{verb}", {"requestId": row.external_id}
        sent = row.delivery == "sending"
        out.append(Delivery("pairing", row.pk, method, params, row.kind, row.external_id, sent))
    for row in ExecApprovalRequest.objects.filter(gateway_id=gateway_id, delivery__in=OUTSTANDING).exclude(
        external_id=""
    ):
        if row.decision and row.decision in (row.allowed_decisions or []):
            params = {"id": row.external_id, "decision": row.decision}
            sent = row.delivery == "sending"
            out.append(
                Delivery("exec", row.pk, "exec.approval.resolve", params, "exec", row.external_id, sent)
            )
        else:
            # Never send a decision the gateway did not offer (or none at all, e.g. expired here).
            out.append(Delivery("exec", row.pk, "", {}, invalid="Not a decision this request allows."))
    return out


def _model(model: str):
    return ExecApprovalRequest if model == "exec" else PairingRequest


def delivery_sending(*, model: str, pk: int) -> bool:
    """Mark a decision as sent before it goes out, so a lost answer is never taken for "not sent"."""
    return bool(
        _model(model)
        .objects.filter(pk=pk, delivery__in=OUTSTANDING)
        .update(delivery="sending", updated_at=timezone.now())
    )


def delivery_unsent(*, model: str, pk: int) -> None:
    """The gateway could not take it now (e.g. restarting): it did not take effect; send it again."""
    _model(model).objects.filter(pk=pk, delivery="sending").update(
        delivery="pending", updated_at=timezone.now()
    )


def delivery_record(*, model: str, pk: int, ok: bool, error: str = "", note: str = "") -> None:
    """Record the gateway's answer to a decision: delivered, or refused with its message.

    ``note`` says how a delivery was confirmed when not by the answer itself.
    """
    now = timezone.now()
    with transaction.atomic():
        row = _model(model).objects.select_related("gateway").get(pk=pk)
        row.delivery = "delivered" if ok else "refused"
        row.delivery_error = "" if ok else error
        row.delivered_at = now
        row.save(update_fields=["delivery", "delivery_error", "delivered_at", "updated_at"])
        detail = {"status": row.status, "error": error}
        if note:
            detail["note"] = note
        activity_record(
            action=f"{model}.decision_{row.delivery}",
            gateway=row.gateway,
            target=f"{model}:{row.code}",
            detail=detail,
        )


# --- alerts -------------------------------------------------------------------------------------


def alert_events_from_frame(frame: dict[str, Any]) -> list[Any]:
    """Return the alert-relevant parsed events in a gateway event frame (exec denials); [] otherwise."""
    if frame.get("event") not in ("exec.denied", "exec.approval.resolved"):
        return []
    frame, _ = escape_unstorable_json(frame)  # hostile text kept escaped, as the ingest API does
    try:
        event = parse_json_event(frame)
    except EventValidationError:
        logger.warning("gateway frame %s did not parse as an event", frame.get("event"))
        return []
    return [] if isinstance(event, RawEvent) else [event]


def alert_events_from_diagnostics(events: list[dict[str, Any]]) -> list[Any]:
    """Return parsed memory diagnostics from a ``diagnostics.stability`` answer (others skipped)."""
    out = []
    for item in events:
        if isinstance(item, dict) and str(item.get("type") or "").startswith("diagnostic.memory."):
            try:
                event = parse_json_event(escape_unstorable_json(item)[0])
            except EventValidationError:
                continue
            if not isinstance(event, RawEvent):
                out.append(event)
    return out


def alerts_ingest(*, gateway_id: int, events: list[Any]) -> None:
    """Hand parsed events to the alerts service (the one alert path)."""
    if not events:
        return
    # Imported here: the alerts service pulls in the channel layer, which the mirror does not need.
    from controlpanel.services.alerts import ingest_events

    # ingest_events publishes to live sockets itself, after commit.
    ingest_events(gateway=Gateway.objects.get(pk=gateway_id), events=events)
