"""The account area: your account, password, two-factor, API tokens; people (owners create accounts)."""

from __future__ import annotations

import base64

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from controlpanel.authn import SESSION_AUTH_SOURCE
from controlpanel.authn.second_factor import (
    has_second_factor,
    has_totp,
    is_verified,
    passkeys,
    passkeys_enabled,
    recovery_codes_left,
    second_factor_accepted,
    verify_code,
)
from controlpanel.forms import CodeForm, UserCreateForm
from controlpanel.models import ApiToken, Gateway, Invitation, Role
from controlpanel.permissions import (
    Capability,
    auth_is_recent,
    get_gateway_for_user,
    mark_recent_auth,
    reauth_url,
    require_recent_auth,
)
from controlpanel.services import accounts as svc
from controlpanel.services.api_tokens import api_token_create, api_token_revoke

from .confirm import confirm_page, confirmed
from .once import secret_show_once

SECTIONS = [
    ("account", "Account"),
    ("account-password", "Password"),
    ("account-two-factor", "Two-factor"),
    ("account-tokens", "API tokens"),
    ("account-people", "People"),
]


def _render(request, template: str, section: str, context: dict, status: int = 200) -> HttpResponse:
    context = {"sections": SECTIONS, "section": section, **context}
    return render(request, template, context, status=status)


def _reauth(request, next_name: str) -> HttpResponse:
    return redirect(reauth_url(reverse(next_name)))


@login_required
def overview(request) -> HttpResponse:
    user = request.user
    memberships = user.gateway_memberships.select_related("gateway").order_by("gateway__name")
    context = {
        "memberships": memberships,
        "identities": user.external_identities.all(),
        "auth_source": request.session.get(SESSION_AUTH_SOURCE, "password"),
        "two_factor": has_second_factor(user),
        "verified": is_verified(user),
        "require_owner_2fa": settings.CP_REQUIRE_OWNER_2FA,
        "is_owner": any(m.role == Role.OWNER for m in memberships),
        "tokens": ApiToken.objects.filter(user=user, revoked_at__isnull=True).count(),
    }
    return _render(request, "account/overview.html", "account", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def password_change(request) -> HttpResponse:
    if not request.user.has_usable_password():
        return _render(request, "account/password.html", "account-password", {"form": None})
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)  # stay signed in here; other sessions end
        mark_recent_auth(request)
        svc.password_changed(user=user)
        messages.success(request, "Your password was changed. Other sessions of yours were signed out.")
        return redirect("account")
    return _render(request, "account/password.html", "account-password", {"form": form})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request) -> HttpResponse:
    """Set up TOTP (QR code, then a code), verify this session, replace recovery codes, turn off."""
    user = request.user
    enrolled = has_totp(user)
    action = request.POST.get("action", "")
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if action in ("recovery", "disable", "passkey-remove") and not auth_is_recent(request):
            return _reauth(request, "account-two-factor")
        if action == "passkey-remove":
            passkey = get_object_or_404(passkeys(user), pk=request.POST.get("passkey"))  # only your own
            svc.passkey_remove(user=user, passkey=passkey)
            messages.success(request, "Passkey removed: it no longer signs you in.")
            return redirect("account-two-factor")
        if action == "recovery" and enrolled:
            return _codes_page(request, svc.two_factor_recovery_codes(user=user))
        if action == "disable" and enrolled:
            svc.two_factor_disable(user=user)
            messages.success(request, "Two-factor authentication is off; your recovery codes no longer work.")
            return redirect("account-two-factor")
        if action == "verify" and enrolled and form.is_valid():
            if verify_code(request, user, form.cleaned_data["code"]):
                messages.success(request, "Code accepted: this session is verified.")
                next_url = request.POST.get("next", "")
                safe = url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()})
                return redirect(next_url if next_url and safe else "account-two-factor")
            form.add_error("code", "That code is not right (or was used already).")
        if action == "enable" and not enrolled and form.is_valid():
            device = svc.totp_device_pending(user=user)
            if device.verify_token("".join(form.cleaned_data["code"].split())):
                codes = svc.two_factor_enable(user=user, device=device)
                second_factor_accepted(request, device)  # the code just checked verifies this session
                return _codes_page(request, codes)
            form.add_error(
                "code", "That code is not right: check the clock of your phone, then try the next one."
            )
    context = {
        "form": form,
        "enrolled": enrolled,
        "verified": is_verified(user),
        "next": request.GET.get("next", ""),
    }
    context["passkeys_enabled"] = passkeys_enabled()
    context["recent"] = auth_is_recent(request)
    context["passkeys"] = passkeys(user) if context["passkeys_enabled"] else []
    if enrolled:
        context["codes_left"] = recovery_codes_left(user)
    else:
        device = svc.totp_device_pending(user=user)
        uri = device.config_url
        context["qr"] = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
        context["secret"] = _base32(device.bin_key)
    return _render(request, "account/two_factor.html", "account-two-factor", context)


def _base32(key: bytes) -> str:
    secret = base64.b32encode(key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _codes_page(request, codes: list[str]) -> HttpResponse:
    return secret_show_once(
        request,
        title="Your recovery codes",
        value="\n".join(codes),
        values=codes,
        list_id="recovery-codes",
        label="Recovery codes",
        lead="Each works once instead of a code from your app. Keep them somewhere safe.",
        back_url=reverse("account-two-factor"),
        back_label="Back to two-factor authentication",
    )


@login_required
@require_recent_auth
@require_http_methods(["GET", "POST"])
def api_tokens(request) -> HttpResponse:
    if request.method == "POST":
        name = request.POST.get("name", "").strip()
        if not name:
            messages.error(request, "Give the token a name, so you can recognise it later.")
            return redirect("account-tokens")
        token, plaintext = api_token_create(
            user=request.user, name=name, second_factor=is_verified(request.user)
        )
        return secret_show_once(
            request,
            title=f"API token “{token.name}”",
            value=plaintext,
            label="API token",
            lead="Copy it now: it is shown only once. It acts with your roles on each gateway.",
            back_url=reverse("account-tokens"),
            back_label="Back to your API tokens",
            notes=["Send it as Authorization: Bearer <token> to /api/v1/."],
            links=[(reverse("api-openapi"), "The API's description (openapi.json)")],
        )
    tokens = ApiToken.objects.filter(user=request.user)
    return _render(request, "account/tokens.html", "account-tokens", {"tokens": tokens})


@login_required
@require_POST
def api_token_revoke_view(request, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)  # only your own tokens
    if not confirmed(request):
        return confirm_page(
            request,
            title=f"Revoke the API token “{token.name}”?",
            consequence="Scripts using it get 401 from now on.",
            action_label="Revoke the token",
            cancel_url=reverse("account-tokens"),
        )
    api_token_revoke(token=token, actor=request.user)
    messages.success(request, f"Revoked {token.name}: it stopped working.")
    return redirect("account-tokens")


@never_cache
@login_required
@require_recent_auth
@require_http_methods(["GET", "POST"])
def people(request) -> HttpResponse:
    """Owners create accounts (with a role on a gateway they own) and see the invitations they sent."""
    owned = Gateway.objects.with_role(request.user, Role.OWNER).order_by("name")
    form = UserCreateForm(request.POST or None, owned=owned)
    if request.method == "POST":
        if not owned.exists():
            return _render(request, "account/people.html", "account-people", {"form": None}, status=403)
        if form.is_valid():
            # The owner's right on that gateway, checked as on its Members page (second factor included).
            access = get_gateway_for_user(
                request.user, form.cleaned_data["gateway"].code, need=Capability.MEMBERS
            )
            try:
                user, password = svc.user_create(
                    username=form.cleaned_data["username"],
                    email=form.cleaned_data["email"],
                    gateway=access.gateway,
                    role=Role(form.cleaned_data["role"]),
                    actor=request.user,
                )
            except svc.UsernameTaken:
                form.add_error("username", "This username is taken.")
            else:
                role = Role(form.cleaned_data["role"]).label.lower()
                login = request.build_absolute_uri(reverse("login"))
                return secret_show_once(
                    request,
                    title=f"Account {user.get_username()} created",
                    value=password,
                    label="Password",
                    lead=f"{user.get_username()} is {role} of {access.gateway.name}. "
                    "Give them this password now.",
                    back_url=reverse("account-people"),
                    back_label="Back to People",
                    notes=[f"They sign in at {login} and change it under Account → Password."],
                )
    invitations = Invitation.objects.filter(gateway__in=owned).select_related("gateway", "accepted_by")[:50]
    context = {
        "form": form if owned.exists() else None,
        "owned": owned,
        "invitations": invitations,
        "now": timezone.now(),
    }
    return _render(request, "account/people.html", "account-people", context)
