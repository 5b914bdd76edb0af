"""Device actions from the gateway's Devices tab. Revoke, rotate and clean-up ask before they act."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from controlpanel.models import Device
from controlpanel.permissions import Capability, get_gateway_for_user, require_recent_auth
from controlpanel.selectors import devices_stale
from controlpanel.services.devices import (
    DeviceRevoked,
    device_rename,
    device_revoke,
    device_rotate_token,
    devices_clean_up_stale,
)

from .confirm import confirm_page, confirmed
from .once import secret_show_once


def _device(request, code: UUID, device_code: UUID, need: Capability):
    access = get_gateway_for_user(request.user, code, need=need)
    return access, get_object_or_404(Device, code=device_code, gateway=access.gateway)


def _devices_url(code: UUID) -> str:
    return reverse("gateway-devices", kwargs={"code": code})


@login_required
@require_POST
def device_revoke_view(request, code: UUID, device_code: UUID) -> HttpResponse:
    _, device = _device(request, code, device_code, Capability.DECIDE)
    if not confirmed(request):
        return confirm_page(
            request,
            title=f"Revoke {device}?",
            consequence="Its token stops working at once; the device must pair again to reconnect.",
            action_label="Revoke the device",
            cancel_url=_devices_url(code),
        )
    device_revoke(device=device, actor=request.user)
    messages.success(request, f"Revoked {device}: its token no longer works.")
    return redirect("gateway-devices", code=code)


def _devices_tab(request, code: UUID, **_) -> str:
    return reverse("gateway-devices", kwargs={"code": code})


@login_required
@require_recent_auth(next_url=_devices_tab)
@require_POST
def device_rotate_view(request, code: UUID, device_code: UUID) -> HttpResponse:
    access, device = _device(request, code, device_code, Capability.SECRETS)
    if not confirmed(request):
        return confirm_page(
            request,
            title=f"Give {device} a new token?",
            consequence="The current token stops working at once. The new one is shown once: the device "
            "needs it before it can reconnect.",
            action_label="Rotate the token",
            cancel_url=_devices_url(code),
        )
    try:
        token = device_rotate_token(device=device, actor=request.user)
    except DeviceRevoked:
        messages.error(request, "A revoked device cannot get a new token; pair it again.")
        return redirect("gateway-devices", code=code)
    return secret_show_once(
        request,
        title=f"New token for {device}",
        value=token,
        label="Device token",
        lead="The old token stopped working. Give the device this one now: it is shown only once.",
        back_url=_devices_url(code),
        back_label=f"Back to the devices of {access.gateway.name}",
        notes=[f"The panel keeps only its SHA-256 hash and the prefix {device.token_prefix}."],
    )


@login_required
@require_POST
def device_rename_view(request, code: UUID, device_code: UUID) -> HttpResponse:
    _, device = _device(request, code, device_code, Capability.DECIDE)
    name = request.POST.get("name", "").strip()
    if not name or len(name) > 200:
        messages.error(request, "A device name is 1 to 200 characters.")
    else:
        device_rename(device=device, name=name, actor=request.user)
        messages.success(request, f"Renamed to {name}.")
    return redirect("gateway-devices", code=code)


@login_required
@require_POST
def devices_clean_up_view(request, code: UUID) -> HttpResponse:
    """Remove revoked records and stale duplicates (admins), after a confirmation listing them."""
    access = get_gateway_for_user(request.user, code, need=Capability.DECIDE)
    stale = devices_stale(gateway=access.gateway)
    if not stale:
        messages.success(request, "Nothing to clean up: no revoked or stale duplicate records.")
        return redirect("gateway-devices", code=code)
    if not confirmed(request):
        return confirm_page(
            request,
            title=f"Remove {len(stale)} stale device record{'s' if len(stale) != 1 else ''}?",
            consequence="These are revoked devices and older duplicates of a client that paired again. "
            "Removed records cannot connect; the newest record of each client stays.",
            action_label="Remove them",
            cancel_url=_devices_url(code),
            items=[f"{d} ({d.client_kind}{', ' + d.host if d.host else ''})" for d in stale],
        )
    removed = devices_clean_up_stale(gateway=access.gateway, actor=request.user)
    messages.success(
        request, f"Removed {len(removed)} stale device record{'s' if len(removed) != 1 else ''}."
    )
    return redirect("gateway-devices", code=code)
