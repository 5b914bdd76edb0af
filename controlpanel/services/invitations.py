"""Invitations: an owner invites someone to a gateway with a role, by e-mail or a one-time link.

The token is shown once (and e-mailed when asked); the panel keeps its SHA-256. Accepting is a
conditional UPDATE out of "pending and not expired", so a link works exactly once even under
concurrent clicks; creating, accepting and revoking are in the activity log.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from controlpanel.live.groups import sockets_rescope
from controlpanel.models import Gateway, GatewayMembership, Invitation, Role

from .activity import activity_record


class InvitationUnusable(Exception):
    """Expired, already used, revoked or unknown: the message says which."""


@dataclass(frozen=True)
class Accepted:
    invitation: Invitation
    user: object
    membership: GatewayMembership


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_create(*, gateway: Gateway, role: Role, actor, email: str = "") -> tuple[Invitation, str]:
    """A pending invitation and its one-time token (plaintext returned once)."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            gateway=gateway,
            role=Role(role),
            email=email.strip(),
            token_hash=token_hash(token),
            created_by=actor,
            expires_at=timezone.now() + timedelta(days=settings.CP_INVITATION_DAYS),
        )
        activity_record(
            action="invitation.created",
            actor=actor,
            gateway=gateway,
            target=f"invitation:{invitation.pk}",
            after={"role": str(role), "email": invitation.email, "expires_at": invitation.expires_at},
        )
    return invitation, token


def invitation_send(*, invitation: Invitation, link: str) -> bool:
    """E-mail the link when a mail server is configured (CP_EMAIL_HOST); False when not sent."""
    if not invitation.email or not settings.CP_EMAIL_ENABLED:
        return False
    inviter = invitation.created_by.get_username() if invitation.created_by else "An owner"
    send_mail(
        subject=f"Invitation to the OpenClaw panel: {invitation.gateway.name}",
        message=(
            f"{inviter} invites you to be {invitation.role} of the gateway {invitation.gateway.name}.\n\n"
            f"Open this link to accept (it works once, until {invitation.expires_at:%Y-%m-%d %H:%M} UTC):\n"
            f"{link}\n"
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )
    return True


def invitation_find(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("gateway", "created_by")
        .filter(token_hash=token_hash(token))
        .first()
    )


def why_unusable(invitation: Invitation | None) -> str:
    if invitation is None:
        return "This invitation link is not valid. Ask the owner who sent it for a new one."
    state = invitation.state(timezone.now())
    return {
        "accepted": "This invitation was already used: an invitation link works once.",
        "revoked": "This invitation was withdrawn by an owner of the gateway.",
        "expired": "This invitation has expired. Ask the owner who sent it for a new one.",
    }.get(state, "")


def invitation_accept(*, token: str, user=None, new_account: dict | None = None) -> Accepted:
    """Claim the invitation for ``user`` (signed in) or a new local account (``new_account``:
    username, password, email), and grant the role; all or nothing.

    A user who already holds a higher role on the gateway keeps it.
    """
    now = timezone.now()
    with transaction.atomic():
        invitation = invitation_find(token)
        claimed = (
            Invitation.objects.usable(now).filter(pk=getattr(invitation, "pk", None)).update(accepted_at=now)
            if invitation
            else 0
        )
        if not claimed:
            raise InvitationUnusable(why_unusable(invitation) or "This invitation cannot be used.")
        if user is None:
            user = get_user_model().objects.create_user(
                new_account["username"], email=new_account.get("email", ""), password=new_account["password"]
            )
            activity_record(
                action="user.created",
                actor=user,
                target=f"user:{user.get_username()}",
                detail={"via": "invitation", "invitation": invitation.pk},
            )
        Invitation.objects.filter(pk=invitation.pk).update(accepted_by=user)
        membership = (
            GatewayMembership.objects.select_for_update()
            .filter(user=user, gateway=invitation.gateway)
            .first()
        )
        before = membership.role if membership else None
        if membership is None:
            membership = GatewayMembership.objects.create(
                user=user, gateway=invitation.gateway, role=invitation.role
            )
        elif not Role(membership.role).includes(Role(invitation.role)) or membership.source != "panel":
            if not Role(membership.role).includes(Role(invitation.role)):
                membership.role = invitation.role
            membership.source = GatewayMembership.Source.PANEL
            membership.save(update_fields=["role", "source", "updated_at"])
        activity_record(
            action="invitation.accepted",
            actor=user,
            gateway=invitation.gateway,
            target=f"invitation:{invitation.pk}",
            before={"role": before},
            after={"role": membership.role, "user": user.get_username()},
        )
        sockets_rescope(user.pk)
    invitation.refresh_from_db()
    return Accepted(invitation=invitation, user=user, membership=membership)


def invitation_revoke(*, invitation: Invitation, actor) -> bool:
    """Withdraw a pending invitation; False when it was no longer pending."""
    with transaction.atomic():
        done = Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        if done:
            activity_record(
                action="invitation.revoked",
                actor=actor,
                gateway=invitation.gateway,
                target=f"invitation:{invitation.pk}",
            )
    return bool(done)
