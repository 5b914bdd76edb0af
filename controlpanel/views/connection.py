"""The Connection page of a gateway: live link state, credentials (owners, sudo mode), config pushes."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from controlpanel.background.state import task_state
from controlpanel.models import GatewayConfigPush, GatewayLink
from controlpanel.permissions import Capability, get_gateway_for_user, require_recent_auth
from controlpanel.selectors import gateway_lease_view
from controlpanel.services.gateway_links import (
    GatewayUrlInvalid,
    config_push_create,
    gateway_credentials_set,
    link_for,
    ws_url_clean,
)


class CredentialsForm(forms.Form):
    ws_url = forms.CharField(label="WebSocket URL", max_length=300)
    kind = forms.ChoiceField(label="Secret", choices=GatewayLink.SecretKind.choices)
    # Never pre-filled and never echoed back (render_value=False): blank keeps the stored one.
    secret = forms.CharField(
        label="Shared token or password", required=False, widget=forms.PasswordInput(render_value=False)
    )

    def clean_ws_url(self) -> str:
        try:
            return ws_url_clean(self.cleaned_data["ws_url"])
        except GatewayUrlInvalid as exc:
            raise forms.ValidationError(str(exc)) from None


class ConfigPushForm(forms.Form):
    patch = forms.CharField(
        label="Merge patch (JSON5)",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "code"}),
        max_length=200_000,
    )
    base_hash = forms.CharField(widget=forms.HiddenInput, max_length=200)


def _context(access, **extra) -> dict:
    gateway = access.gateway
    link = link_for(gateway)
    pushes = list(GatewayConfigPush.objects.filter(gateway=gateway).select_related("created_by")[:10])
    for push in pushes:  # a push still waiting may have failed attempts to show
        push.task = task_state(push.task_id) if push.status == "pending" else None
    return {
        "access": access,
        "gateway": gateway,
        "link": link,
        "lease": gateway_lease_view(gateway=gateway),
        "pushes": pushes,
        "credentials_form": CredentialsForm(
            initial={"ws_url": gateway.ws_url_shown, "kind": link.secret_kind}
        ),
        "push_form": ConfigPushForm(initial={"base_hash": link.remote_config_hash}),
        **extra,
    }


@login_required
@require_GET
def gateway_connection(request, code: UUID) -> HttpResponse:
    """Connection state as the worker last saw it; the forms for those who may use them."""
    access = get_gateway_for_user(request.user, code)
    return render(request, "gateways/connection.html", _context(access))


def _connection_page(request, code: UUID) -> str:
    return reverse("gateway-connection", kwargs={"code": code})


@login_required
@require_recent_auth(next_url=_connection_page)
@require_POST
def gateway_credentials(request, code: UUID) -> HttpResponse:
    """Set the URL and replace the shared secret (owners, with a recent password check)."""
    access = get_gateway_for_user(request.user, code, need=Capability.SECRETS)
    form = CredentialsForm(request.POST)
    if not form.is_valid():
        return render(
            request, "gateways/connection.html", _context(access, credentials_form=form), status=400
        )
    gateway_credentials_set(
        gateway=access.gateway,
        ws_url=form.cleaned_data["ws_url"],
        kind=form.cleaned_data["kind"],
        secret=form.cleaned_data["secret"],
        actor=request.user,
    )
    messages.success(request, "Saved. The gateway worker uses the new settings on its next connect.")
    return redirect("gateway-connection", code=code)


@login_required
@require_recent_auth(next_url=_connection_page)
@require_POST
def gateway_config_push(request, code: UUID) -> HttpResponse:
    """Queue a config patch for the live gateway, guarded by the hash the owner saw."""
    access = get_gateway_for_user(request.user, code, need=Capability.CONFIG)
    form = ConfigPushForm(request.POST)
    if not form.is_valid():
        return render(request, "gateways/connection.html", _context(access, push_form=form), status=400)
    config_push_create(
        gateway=access.gateway,
        patch=form.cleaned_data["patch"],
        base_hash=form.cleaned_data["base_hash"],
        actor=request.user,
    )
    messages.success(request, "Queued: the worker sends it with the base hash; the result appears below.")
    return redirect("gateway-connection", code=code)
