"""Membership management: who may see and act on a gateway (owners only); tags and invitations."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from controlpanel.forms import GatewayTagsForm, InvitationForm, MembershipForm
from controlpanel.models import GatewayMembership, Invitation, Role
from controlpanel.permissions import Capability, get_gateway_for_user, require_recent_auth
from controlpanel.services.invitations import invitation_create, invitation_revoke, invitation_send
from controlpanel.services.memberships import (
    LastOwnerError,
    UnknownUserError,
    gateway_tags_set,
    membership_remove,
    membership_set,
)
from controlpanel.views.confirm import confirm_page, confirmed
from controlpanel.views.once import secret_show_once


def _page(request, access, *, form=None, invite_form=None, tags_form=None, status=200) -> HttpResponse:
    gateway = access.gateway
    context = {
        "access": access,
        "gateway": gateway,
        "form": form or MembershipForm(),
        "invite_form": invite_form or InvitationForm(),
        "tags_form": tags_form or GatewayTagsForm(initial={"tags": ", ".join(gateway.tags)}),
        "memberships": gateway.memberships.select_related("user").order_by("user__username"),
        "invitations": Invitation.objects.usable(timezone.now()).filter(gateway=gateway),
    }
    return render(request, "gateways/members.html", context, status=status)


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
    return _page(request, access, form=form)


def _member_list(request, code: UUID, **_) -> str:
    return reverse("member-list", kwargs={"code": code})


@login_required
@require_recent_auth(next_url=_member_list)
@require_POST
def member_remove(request, code: UUID, pk: int) -> HttpResponse:
    access = get_gateway_for_user(request.user, code, need=Capability.MEMBERS)
    membership = get_object_or_404(GatewayMembership, pk=pk, gateway=access.gateway)
    if not confirmed(request):
        who = membership.user.get_username()
        return confirm_page(
            request,
            title=f"Remove {who} from {access.gateway.name}?",
            consequence=f"{who} loses the {membership.role} role here at once: pages, API calls and live "
            "alerts of this gateway stop for them. Their other gateways are not affected.",
            action_label=f"Remove {who}",
            cancel_url=reverse("member-list", kwargs={"code": code}),
        )
    try:
        membership_remove(membership=membership, actor=request.user)
    except LastOwnerError:
        messages.error(request, "The gateway must keep at least one owner.")
    else:
        messages.success(request, f"Removed {membership.user.get_username()}.")
    return redirect("member-list", code=code)


@login_required
@require_recent_auth(next_url=_member_list)
@require_POST
def member_invite(request, code: UUID) -> HttpResponse:
    """Create an invitation; its link is shown once (and e-mailed when an address is given)."""
    access = get_gateway_for_user(request.user, code, need=Capability.MEMBERS)
    form = InvitationForm(request.POST)
    if not form.is_valid():
        return _page(request, access, invite_form=form, status=400)
    invitation, token = invitation_create(
        gateway=access.gateway,
        role=Role(form.cleaned_data["role"]),
        actor=request.user,
        email=form.cleaned_data["email"],
    )
    link = request.build_absolute_uri(reverse("invitation-accept", kwargs={"token": token}))
    sent = invitation_send(invitation=invitation, link=link)
    who = f" for {invitation.email}" if invitation.email else ""
    if sent:
        mail = "It was e-mailed."
    elif invitation.email:
        mail = "No mail server is configured (CP_EMAIL_HOST): send the link yourself."
    else:
        mail = "Send the link to the person yourself."
    return secret_show_once(
        request,
        title=f"Invitation to {access.gateway.name}",
        value=link,
        label="Invitation link",
        lead=f"As {invitation.role}{who}; it works once, until "
        f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC. {mail}",
        back_url=reverse("member-list", kwargs={"code": code}),
        back_label=f"Back to the members of {access.gateway.name}",
    )


@login_required
@require_recent_auth(next_url=_member_list)
@require_POST
def invitation_revoke_view(request, code: UUID, pk: int) -> HttpResponse:
    access = get_gateway_for_user(request.user, code, need=Capability.MEMBERS)
    invitation = get_object_or_404(Invitation, pk=pk, gateway=access.gateway)
    if not confirmed(request):
        return confirm_page(
            request,
            title="Withdraw this invitation?",
            consequence="Its link stops working at once; whoever has it cannot join with it.",
            action_label="Withdraw the invitation",
            cancel_url=reverse("member-list", kwargs={"code": code}),
        )
    if invitation_revoke(invitation=invitation, actor=request.user):
        messages.success(request, "Invitation withdrawn: its link no longer works.")
    else:
        messages.error(request, "That invitation was already used or withdrawn.")
    return redirect("member-list", code=code)


@login_required
@require_recent_auth(next_url=_member_list)
@require_POST
def gateway_tags(request, code: UUID) -> HttpResponse:
    access = get_gateway_for_user(request.user, code, need=Capability.MEMBERS)
    form = GatewayTagsForm(request.POST)
    if not form.is_valid():
        return _page(request, access, tags_form=form, status=400)
    tags = gateway_tags_set(gateway=access.gateway, text=form.cleaned_data["tags"], actor=request.user)
    messages.success(
        request, f"Tags: {', '.join(tags) or 'none'}. Identity-provider roles follow at each sign-in."
    )
    return redirect("member-list", code=code)
