"""Membership management: who may see and act on a gateway (owners only)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from controlpanel.forms import MembershipForm
from controlpanel.models import GatewayMembership, Role
from controlpanel.permissions import Capability, get_gateway_for_user, require_recent_auth
from controlpanel.services.memberships import (
    LastOwnerError,
    UnknownUserError,
    membership_remove,
    membership_set,
)


@login_required
@require_recent_auth
@require_http_methods(["GET", "POST"])
def member_list(request, code: UUID) -> HttpResponse:
    access = get_gateway_for_user(request.user, code, need=Capability.MEMBERS)
    form = MembershipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership_set(
                gateway=access.gateway,
                username=form.cleaned_data["username"],
                role=Role(form.cleaned_data["role"]),
                actor=request.user,
            )
        except UnknownUserError:
            form.add_error("username", "No active user with this name.")
        except LastOwnerError:
            form.add_error("role", "The gateway must keep at least one owner.")
        else:
            messages.success(request, f"{form.cleaned_data['username']} is now {form.cleaned_data['role']}.")
            return redirect("member-list", code=code)
    memberships = access.gateway.memberships.select_related("user").order_by("user__username")
    context = {"access": access, "gateway": access.gateway, "form": form, "memberships": memberships}
    return render(request, "gateways/members.html", context)


def _member_list(request, code: UUID, **_) -> str:
    return reverse("member-list", kwargs={"code": code})


@login_required
@require_recent_auth(next_url=_member_list)
@require_POST
def member_remove(request, code: UUID, pk: int) -> HttpResponse:
    access = get_gateway_for_user(request.user, code, need=Capability.MEMBERS)
    membership = get_object_or_404(GatewayMembership, pk=pk, gateway=access.gateway)
    try:
        membership_remove(membership=membership, actor=request.user)
    except LastOwnerError:
        messages.error(request, "The gateway must keep at least one owner.")
    else:
        messages.success(request, f"Removed {membership.user.get_username()}.")
    return redirect("member-list", code=code)
