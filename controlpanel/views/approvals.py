"""The approvals inbox, request pages and decisions. Decisions go through services.approvals."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from controlpanel import selectors
from controlpanel.approvals.render import render_command
from controlpanel.http import HtmxHttpRequest
from controlpanel.models import ExecApprovalRequest, Gateway, PairingRequest
from controlpanel.permissions import (
    Capability,
    get_request_for_user,
    mark_recent_auth,
    require_recent_auth,
    role_allows,
)
from controlpanel.services import approvals as svc

from .once import secret_show_once

KINDS = [("", "All"), ("dm", "DM senders"), ("device", "Devices"), ("node", "Nodes"), ("exec", "Exec")]


@login_required
@require_GET
def inbox(request: HtmxHttpRequest) -> HttpResponse:
    gateway_code = _uuid_or_none(request.GET.get("gateway"))
    kind = request.GET.get("kind") if request.GET.get("kind") in dict(KINDS) else None
    history = request.GET.get("view") == "history"
    page = selectors.approvals_inbox(
        user=request.user,
        gateway_code=gateway_code,
        kind=kind,
        pending=not history,
        page=selectors.page_number(request.GET.get("page")),
    )
    configs: dict[int, dict] = {}
    items = page.items
    for item in items:
        item.can_decide = role_allows(item.user_role, Capability.DECIDE)
        if isinstance(item, ExecApprovalRequest):
            item.rendered = render_command(item.command, env=item.env or None)
            item.review = selectors.exec_request_review(item, configs=configs)
    context = {
        "items": items,
        "page": page,
        "history": history,
        "kinds": KINDS,
        "kind": kind or "",
        "gateway_code": gateway_code or "",
        "gateways": selectors.gateway_choices(user=request.user),
        "server_now": timezone.now(),
    }
    template = "approvals/inbox.html#inbox-list" if request.htmx else "approvals/inbox.html"
    return render(request, template, context)


def _uuid_or_none(value: str | None) -> str | None:
    """A filter value from the query string: a UUID, or no filter at all (never a 500)."""
    try:
        return str(UUID(value)) if value else None
    except ValueError:
        return None


@login_required
@require_GET
def badge(request) -> HttpResponse:
    return render(request, "approvals/_badge.html", {"counts": selectors.pending_counts(user=request.user)})


def _detail_context(item, access) -> dict:
    item.can_decide = access.can(Capability.DECIDE)
    item.user_role = access.role
    item.kind_label = "exec" if isinstance(item, ExecApprovalRequest) else item.kind
    if isinstance(item, ExecApprovalRequest):
        item.rendered = render_command(item.command, env=item.env or None)
        item.review = selectors.exec_request_review(item)
    now = timezone.now()
    # Still "pending" in the table until the expiry sweep, but no longer answerable: say so.
    item.past_deadline = item.status == "pending" and item.expires_at <= now
    return {"item": item, "access": access, "gateway": access.gateway, "server_now": now}


@login_required
@require_GET
def pairing_detail(request, code: UUID) -> HttpResponse:
    item, access = get_request_for_user(request.user, PairingRequest, code)
    return render(request, "approvals/detail.html", _detail_context(item, access))


@login_required
@require_GET
def exec_detail(request, code: UUID) -> HttpResponse:
    item, access = get_request_for_user(request.user, ExecApprovalRequest, code)
    return render(request, "approvals/detail.html", _detail_context(item, access))


def _answer(request: HtmxHttpRequest, outcome, access) -> HttpResponse:
    """htmx: the re-rendered row (always 200 so htmx swaps it) plus an event for the badge.
    Plain form: a message and a redirect to the request's page. A new device token: redirected
    (htmx: told to go) to the page that shows it once, never rendered as the POST's answer."""
    if outcome.token:
        return secret_show_once(
            request,
            title=f"{outcome.device} is paired",
            value=outcome.token,
            label=f"Token for {outcome.device}",
            lead=outcome.message,
            back_url=reverse("approvals-inbox"),
            back_label="Back to the approvals inbox",
            notes=["The panel keeps only a hash of this token. If it is lost, rotate it on the Devices tab."],
            links=[
                (reverse("gateway-devices", kwargs={"code": access.gateway.code}), "Devices of this gateway")
            ],
        )
    if request.htmx:
        context = _detail_context(outcome.request, access)
        context["result"] = outcome
        response = render(request, "approvals/_row.html", context)
        return trigger_client_event(response, "approvalsChanged")
    (messages.success if outcome.ok else messages.error)(request, outcome.message)
    name = "exec-detail" if isinstance(outcome.request, ExecApprovalRequest) else "pairing-detail"
    return redirect(name, code=outcome.request.code)


def _grants_trust(request, code: UUID) -> bool:
    """Approving a device or node pairing grants lasting access (a DM sender's does not). Only requests
    of the user's own gateways count, so the answer tells an outsider nothing (the view then 404s)."""
    return (
        request.POST.get("action") == "approve"
        and PairingRequest.objects.filter(code=code, gateway__in=Gateway.objects.visible_to(request.user))
        .exclude(kind="dm")
        .exists()
    )


def _pairing_page(request, code: UUID) -> str:
    return reverse("pairing-detail", kwargs={"code": code})


@login_required
@require_recent_auth(when=_grants_trust, next_url=_pairing_page)
@require_POST
def pairing_decide(request: HtmxHttpRequest, code: UUID) -> HttpResponse:
    item, access = get_request_for_user(request.user, PairingRequest, code, need=Capability.DECIDE)
    action = request.POST.get("action")
    if action == "approve":
        outcome = svc.pairing_request_approve(request=item, actor=request.user, role=access.role)
    elif action == "reject":
        outcome = svc.pairing_request_reject(
            request=item, actor=request.user, reason=request.POST.get("reason", "")
        )
    else:
        return HttpResponse("action must be approve or reject", status=400)
    return _answer(request, outcome, access)


@login_required
@require_POST
def exec_decide(request: HtmxHttpRequest, code: UUID) -> HttpResponse:
    item, access = get_request_for_user(request.user, ExecApprovalRequest, code, need=Capability.DECIDE)
    outcome = svc.exec_request_decide(
        request=item,
        actor=request.user,
        decision=request.POST.get("decision", ""),
        reason=request.POST.get("reason", ""),
    )
    return _answer(request, outcome, access)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def reauth(request) -> HttpResponse:
    """Confirm it is you before a trust-changing write (sudo mode, 15 minutes; see permissions.py): your
    password, a code from your second factor, a passkey, or a fresh sign-in at the identity provider."""
    from controlpanel.authn.second_factor import has_totp, passkeys, passkeys_enabled, verify_code

    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    error = ""
    if request.method == "POST":
        if request.POST.get("code"):
            if verify_code(request, request.user, request.POST["code"]):  # counts as recent (permissions)
                return redirect(next_url)
            error = "That code is not right (or was used already)."
        else:
            user = authenticate(
                request, username=request.user.get_username(), password=request.POST.get("password", "")
            )
            if user is not None and user.pk == request.user.pk:
                mark_recent_auth(request)
                return redirect(next_url)
            error = "That password is not right."
    context = {
        "next": next_url,
        "error": error,
        "has_password": request.user.has_usable_password(),
        "has_code": has_totp(request.user),
        "has_passkey": passkeys_enabled() and passkeys(request.user).exists(),
        "sso": bool(settings.CP_OIDC_ISSUER)
        and request.user.external_identities.exclude(issuer="proxy").exists(),
    }
    return render(request, "approvals/reauth.html", context)
