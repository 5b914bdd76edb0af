"""Device actions from the gateway's Devices tab."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from controlpanel.models import Device
from controlpanel.permissions import Capability, get_gateway_for_user, require_recent_auth
from controlpanel.services.devices import DeviceRevoked, device_rename, device_revoke, device_rotate_token


def _device(request, code: UUID, device_code: UUID, need: Capability):
    access = get_gateway_for_user(request.user, code, need=need)
    return access, get_object_or_404(Device, code=device_code, gateway=access.gateway)


@login_required
@require_POST
def device_revoke_view(request, code: UUID, device_code: UUID) -> HttpResponse:
    _, device = _device(request, code, device_code, Capability.DECIDE)
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
    try:
        token = device_rotate_token(device=device, actor=request.user)
    except DeviceRevoked:
        messages.error(request, "A revoked device cannot get a new token; pair it again.")
        return redirect("gateway-devices", code=code)
    response = render(
        request, "gateways/token_rotated.html", {"device": device, "token": token, "gateway": access.gateway}
    )
    response["Cache-Control"] = "no-store"
    return response


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
