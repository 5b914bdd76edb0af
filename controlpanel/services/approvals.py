"""Deciding pairing and exec requests: one contract for every approval.

* Exactly one compare-and-set transition out of ``pending`` (a conditional UPDATE that also checks
  the deadline): the first answer wins, a repeat is harmless and says who decided.
* Expiry and cancellation mean deny; an expired request is marked expired when someone tries it.
* The request is located by its ``code`` (from the URL or the button), never by "the head of the
  queue"; the caller has already checked that the user may decide on this gateway.
* Every decision and every refusal is recorded in the activity log.

The rules themselves (scopes, DM codes, allowed decisions) live in ``controlpanel.approvals``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from controlpanel.approvals import contract, dm, expiry, scopes
from controlpanel.approvals.decisions import validate_decision
from controlpanel.lib.tokens import token_generate
from controlpanel.models import ChannelAccount, Device, ExecApprovalRequest, Gateway, PairingRequest, Role

from .activity import activity_record
from .config_edits import ConfigEditError, gateway_channel_allow_from_add
from .notify.outbox import approval_requested

# What a panel user may grant when approving a device, by role on that gateway: an approver can
# only mint scopes they hold (OpenClaw's approval ceiling), and node roles need operator.admin.
ROLE_OPERATOR_SCOPES: dict[Role, tuple[str, ...]] = {
    Role.VIEWER: (scopes.READ,),
    Role.ADMIN: (scopes.READ, scopes.WRITE, scopes.APPROVALS, scopes.PAIRING),
    Role.OWNER: (scopes.ADMIN,),
}

EXEC_STATUS_FOR_DECISION = {"allow-once": "allowed", "allow-always": "allowed", "deny": "denied"}


@dataclass
class Outcome:
    """The answer to one decision attempt.

    ``won`` is True only for the call that moved the request out of pending. ``http_status`` is what
    the API and htmx views answer (200 won or harmless repeat, 403 refused by a rule, 409 decided
    otherwise, 410 expired).
    """

    request: PairingRequest | ExecApprovalRequest
    won: bool
    message: str
    http_status: int = 200
    device: Device | None = None
    token: str | None = None  # a newly issued device token: shown once, never stored

    @property
    def ok(self) -> bool:
        return self.http_status == 200


DECISION_MESSAGES = {
    "allow-once": "Allowed once: the command may run this one time.",
    "allow-always": "Allowed always: the agent may run this command again without asking.",
    "deny": "Denied: the command does not run.",
}


def actor_label(user) -> str:
    return f"user:{user.pk}:{user.get_username()}"


def _lost(model, request, *, actor, requested_status: str, now: datetime) -> Outcome:
    """The conditional update changed nothing: say why, mark expiry, record the refusal."""
    request.refresh_from_db()
    answer = contract.after_lost_race(
        visible=True,
        status=request.status,
        expires_at=request.expires_at,
        now=now,
        requested_status=requested_status,
        decided_by=request.decided_by.get_username() if request.decided_by else "",
    )
    if answer.answer == contract.Answer.EXPIRED and request.status == "pending":
        _expire(model, request, now=now)
    activity_record(
        action=f"{_kind(request)}.decision_refused",
        actor=actor,
        gateway=request.gateway,
        target=_target(request),
        detail={"wanted": requested_status, "status": request.status, "reason": answer.message},
    )
    return Outcome(request, won=False, message=answer.message, http_status=answer.http_status)


def _refused(request, *, actor, reason: str, wanted: str) -> Outcome:
    activity_record(
        action=f"{_kind(request)}.decision_refused",
        actor=actor,
        gateway=request.gateway,
        target=_target(request),
        detail={"wanted": wanted, "status": request.status, "reason": reason},
    )
    return Outcome(request, won=False, message=reason, http_status=403)


def _kind(request) -> str:
    return "exec" if isinstance(request, ExecApprovalRequest) else "pairing"


def _target(request) -> str:
    return f"{_kind(request)}:{request.code}"


def _claim(model, request, *, now: datetime, **changes: Any) -> bool:
    """The compare-and-set: pending and not past its deadline, or nothing happens."""
    if request.external_id:
        # Mirrored from a live gateway: the gateway worker sends this decision and records the answer.
        changes["delivery"] = "pending"
    return (
        model.objects.filter(pk=request.pk, status="pending", expires_at__gt=now).update(
            decided_at=now, updated_at=now, **changes
        )
        == 1
    )


def _expire(model, request, *, now: datetime) -> None:
    if model.objects.filter(pk=request.pk, status="pending").update(
        status="expired", decided_at=now, updated_at=now
    ):
        request.refresh_from_db()


# --- pairing ------------------------------------------------------------------------------------


def pairing_request_approve(
    *, request: PairingRequest, actor, role: Role, now: datetime | None = None
) -> Outcome:
    """Approve a pending pairing request.

    DM: the sender is added to the channel's ``allowFrom`` in the gateway config. Device / node: the
    approver's role must cover the requested role and scopes; a Device is created with a fresh token
    (returned once in ``Outcome.token``).
    """
    now = now or timezone.now()
    if not contract.check_self_approval(request.requested_by or None, actor_label(actor)):
        return _refused(
            request, actor=actor, reason="You cannot approve a request you raised.", wanted="approved"
        )
    verdict = None
    if request.kind == PairingRequest.Kind.DEVICE:
        verdict = scopes.check_device_approval(
            ROLE_OPERATOR_SCOPES[Role(role)], request.role or "operator", request.requested_scopes
        )
    elif request.kind == PairingRequest.Kind.NODE:
        # A node capability request: what it needs depends on the commands it declares.
        verdict = scopes.check_node_capability_approval(ROLE_OPERATOR_SCOPES[Role(role)], request.commands)
    if verdict is not None and not verdict.ok:
        return _refused(request, actor=actor, reason=_scope_message(verdict), wanted="approved")

    try:
        return _approve(request, actor=actor, now=now)
    except ConfigEditError as exc:
        # The config edit is the approval's effect: without it nothing is approved (all rolled back).
        request.refresh_from_db()
        where = f"channels.{request.channel}.allowFrom"
        reason = (
            f"Not approved: adding {request.sender_id} to {where} would not give a valid config "
            f"({exc.message}). Fix the config, then approve again."
        )
        return _refused(request, actor=actor, reason=reason, wanted="approved")


def _approve(request: PairingRequest, *, actor, now: datetime) -> Outcome:
    with transaction.atomic():
        if not _claim(PairingRequest, request, now=now, status="approved", decided_by=actor):
            return _lost(PairingRequest, request, actor=actor, requested_status="approved", now=now)
        request.refresh_from_db()
        outcome = Outcome(request, won=True, message="Approved.")
        if request.kind == PairingRequest.Kind.DM:
            outcome.message = _approve_dm(request, actor=actor)
        elif request.external_id:
            # Mirrored from a running gateway: the gateway issues the device's token once the worker
            # delivers this approval; the panel mints none.
            outcome.message = "Approved. The gateway is being told; it issues the device's token itself."
        else:
            outcome.device, outcome.token = _approve_device(request, actor=actor, now=now)
            outcome.message = (
                f"Approved {outcome.device}. Give the device its token now: it is shown only once."
            )
        activity_record(
            action="pairing.approved",
            actor=actor,
            gateway=request.gateway,
            target=_target(request),
            after={
                "status": "approved",
                "kind": request.kind,
                "scopes": request.requested_scopes,
                "role": request.role,
                "sender": request.sender_id,
                "device": request.device_id,
            },
        )
    return outcome


def _scope_message(verdict) -> str:
    text = verdict.reason[:1].upper() + verdict.reason[1:]
    if verdict.missing:
        text += ". Your role on this gateway does not include: " + ", ".join(verdict.missing)
    return text + "."


def _approve_dm(request: PairingRequest, *, actor) -> str:
    added = gateway_channel_allow_from_add(
        gateway=request.gateway, channel=request.channel, sender=request.sender_id, actor=actor
    )
    if added:
        return f"Approved: {request.sender_id} was added to channels.{request.channel}.allowFrom."
    return f"Approved: {request.sender_id} was already in channels.{request.channel}.allowFrom."


def _approve_device(request: PairingRequest, *, actor, now: datetime) -> tuple[Device, str]:
    plaintext, prefix, digest = token_generate()
    device, _ = Device.objects.update_or_create(
        gateway=request.gateway,
        device_id=request.device_id,
        defaults={
            "name": request.device_name,
            "platform": request.platform,
            "role": request.role or request.kind,
            "scopes": list(request.requested_scopes),
            "public_key": request.public_key,
            "token_hash": digest,
            "token_prefix": prefix,
            "paired_at": now,
            "revoked_at": None,
            "client_id": request.client_id,
            "client_mode": request.client_mode,
            "host": request.remote_ip or "",
            "approved_via": Device.ApprovedVia.PANEL,
            "approved_by": actor,
        },
    )
    return device, plaintext


def pairing_request_reject(
    *, request: PairingRequest, actor, reason: str = "", now: datetime | None = None
) -> Outcome:
    now = now or timezone.now()
    with transaction.atomic():
        if not _claim(
            PairingRequest, request, now=now, status="rejected", decided_by=actor, decision_reason=reason
        ):
            return _lost(PairingRequest, request, actor=actor, requested_status="rejected", now=now)
        request.refresh_from_db()
        activity_record(
            action="pairing.rejected",
            actor=actor,
            gateway=request.gateway,
            target=_target(request),
            after={"status": "rejected", "reason": reason},
        )
    return Outcome(request, won=True, message="Rejected.")


class PairingRefused(Exception):
    """A DM pairing request that the channel's policy does not admit (the reason says why)."""


def dm_pairing_request_create(
    *,
    gateway: Gateway,
    channel: str,
    sender_id: str,
    sender_name: str = "",
    account: str = "default",
    now: datetime | None = None,
) -> PairingRequest:
    """Open a DM pairing request for an unknown sender, as the gateway does when one writes in.

    Refuses (PairingRefused) when the channel's policy does not issue codes or when the channel
    account already has the maximum of live pending requests. A sender who already waits gets the
    same request back.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Lock the channel account so two inbound messages cannot both take the last free slot.
        account_row = ChannelAccount.objects.select_for_update().filter(gateway=gateway, name=channel).first()
        policy = account_row.dm_policy if account_row else None
        allow_from = account_row.allow_from if account_row else []
        live = PairingRequest.objects.pending().filter(
            gateway=gateway, kind="dm", channel=channel, account=account, expires_at__gt=now
        )
        existing = live.filter(sender_id=sender_id).first()
        decision = dm.dm_decide_inbound(
            policy,
            sender_id,
            allow_from,
            live.count(),
            channel=channel,
            has_pending_request=existing is not None,
        )
        if decision.action == dm.InboundAction.PENDING:
            return existing
        if decision.action != dm.InboundAction.ISSUE_CODE:
            raise PairingRefused(decision.reason)
        codes = set(live.values_list("pairing_code", flat=True))
        request = PairingRequest.objects.create(
            gateway=gateway,
            kind="dm",
            channel=channel,
            account=account,
            sender_id=sender_id,
            sender_name=sender_name,
            pairing_code=dm.code_generate(codes),
            requested_at=now,
            expires_at=expiry.dm_code_expires_at(now),
            requested_by=f"sender:{channel}:{sender_id}",
        )
        approval_requested(request)  # the notification outbox: in this transaction
        activity_record(
            action="pairing.requested",
            gateway=gateway,
            target=_target(request),
            after={"kind": "dm", "channel": channel, "sender": sender_id},
        )
    return request


# --- exec ---------------------------------------------------------------------------------------


def exec_request_decide(
    *, request: ExecApprovalRequest, actor, decision: str, reason: str = "", now: datetime | None = None
) -> Outcome:
    """Record ``decision`` (allow-once / allow-always / deny) on a pending exec request.

    Only decisions the request itself allows are accepted. Sending it to the gateway is the gateway
    worker's job; it reads decided requests.
    """
    now = now or timezone.now()
    wanted = EXEC_STATUS_FOR_DECISION.get(decision, "denied")
    check = validate_decision(decision, request.allowed_decisions or list(EXEC_STATUS_FOR_DECISION))
    if not check.ok:
        return _refused(
            request, actor=actor, reason=check.reason[:1].upper() + check.reason[1:] + ".", wanted=wanted
        )
    if not contract.check_self_approval(request.requested_by or None, actor_label(actor)):
        return _refused(request, actor=actor, reason="You cannot decide a request you raised.", wanted=wanted)
    with transaction.atomic():
        if not _claim(
            ExecApprovalRequest,
            request,
            now=now,
            status=wanted,
            decision=decision,
            decided_by=actor,
            decision_reason=reason,
        ):
            return _lost(ExecApprovalRequest, request, actor=actor, requested_status=wanted, now=now)
        request.refresh_from_db()
        activity_record(
            action=f"exec.{wanted}",
            actor=actor,
            gateway=request.gateway,
            target=_target(request),
            after={
                "status": wanted,
                "decision": decision,
                "command": request.command,
                "cwd": request.cwd,
                "agent": request.agent_ref,
            },
        )
    return Outcome(request, won=True, message=DECISION_MESSAGES.get(decision, f"Decided: {decision}."))


# --- expiry -------------------------------------------------------------------------------------


def requests_expire(*, now: datetime | None = None) -> int:
    """Mark every pending request past its deadline as expired (one event each). Returns the count."""
    now = now or timezone.now()
    count = 0
    for model in (PairingRequest, ExecApprovalRequest):
        for request in model.objects.filter(status="pending", expires_at__lte=now).select_related("gateway"):
            with transaction.atomic():
                if model.objects.filter(pk=request.pk, status="pending").update(
                    status="expired", decided_at=now, updated_at=now
                ):
                    count += 1
                    activity_record(
                        action=f"{_kind(request)}.expired",
                        gateway=request.gateway,
                        target=_target(request),
                        after={"status": "expired"},
                    )
    return count


__all__ = [
    "Outcome",
    "PairingRefused",
    "dm_pairing_request_create",
    "exec_request_decide",
    "pairing_request_approve",
    "pairing_request_reject",
    "requests_expire",
]
