"""Sign-in from an identity provider or a trusted proxy: match or create the user, then apply the
group -> role rules to their memberships (each change in the activity log)."""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from controlpanel.identity.group_roles import roles_for
from controlpanel.live.groups import CLOSE_RESCOPE, sockets_close, sockets_rescope
from controlpanel.models import ExternalIdentity, Gateway, GatewayMembership, Role

from .activity import activity_record

logger = logging.getLogger("controlpanel.security")

PROXY_ISSUER = "proxy"
IDP = GatewayMembership.Source.IDP


def identity_sign_in(
    *,
    issuer: str,
    subject: str,
    email: str = "",
    email_verified: bool = False,
    username_hint: str = "",
    groups: list[str] | tuple[str, ...] = (),
    create_users: bool = True,
):
    """The user behind ``(issuer, subject)``, linked or created, with the group rules applied; or None.

    Matching: a known (issuer, subject) first; else exactly one active user with the same e-mail
    address when the provider says it is verified (proxies vouch for theirs); else a new user when
    ``create_users``. An inactive user is refused.
    """
    User = get_user_model()
    email = (email or "").strip()
    with transaction.atomic():
        identity = (
            ExternalIdentity.objects.select_for_update()
            .select_related("user")
            .filter(issuer=issuer, subject=subject)
            .first()
        )
        if identity is None:
            user = None
            if email and email_verified:
                candidates = list(User.objects.filter(email__iexact=email, is_active=True)[:2])
                user = candidates[0] if len(candidates) == 1 else None
            if user is None:
                if not create_users:
                    logger.warning(
                        "sign-in refused: no account for %s at %s and creation is off", subject, issuer
                    )
                    return None
                user = User.objects.create_user(
                    _free_username(username_hint or email.split("@")[0] or subject),
                    email=email if email_verified else "",
                )
                user.set_unusable_password()
                user.save(update_fields=["password"])
                activity_record(
                    action="user.created",
                    target=f"user:{user.get_username()}",
                    detail={"via": _via(issuer)},
                )
            identity = ExternalIdentity.objects.create(user=user, issuer=issuer, subject=subject, email=email)
            activity_record(
                action="identity.linked",
                target=f"user:{user.get_username()}",
                detail={"via": _via(issuer), "issuer": issuer, "subject": subject},
            )
        user = identity.user
        if not user.is_active:
            logger.warning("sign-in refused: %s at %s is a deactivated account", subject, issuer)
            return None
        identity.groups = sorted(set(groups))
        identity.email = email or identity.email
        identity.last_seen_at = timezone.now()
        identity.save(update_fields=["groups", "email", "last_seen_at"])
        idp_roles_sync(user=user, groups=identity.groups)
    return user


def idp_roles_sync(*, user, groups) -> list[tuple[str, str | None, str | None]]:
    """Make the user's identity-provider memberships match what ``groups`` grant now.

    Memberships set in the panel are never touched (an owner's decision outranks the rules); an IdP
    membership that is a gateway's last owner is kept (and logged) rather than leave it ownerless.
    Returns ``[(gateway name, role before, role after)]``.
    """
    gateways = list(Gateway.objects.only("pk", "name", "tags"))
    wanted = roles_for(settings.CP_IDP_GROUP_ROLES, groups, ((g.pk, g.name, g.tags) for g in gateways))
    by_pk = {g.pk: g for g in gateways}
    changes = []
    with transaction.atomic():
        current = {
            m.gateway_id: m
            for m in GatewayMembership.objects.select_for_update().filter(user=user).select_related("gateway")
        }
        for gateway_pk, role in wanted.items():
            membership = current.get(gateway_pk)
            if membership is None:
                GatewayMembership.objects.create(user=user, gateway_id=gateway_pk, role=role, source=IDP)
                changes.append((by_pk[gateway_pk], None, role))
            elif membership.source == IDP and membership.role != role:
                if membership.role == Role.OWNER and _last_owner(membership):
                    logger.warning(
                        "IdP rules would demote the last owner of %s; kept", membership.gateway.name
                    )
                    continue
                changes.append((membership.gateway, membership.role, role))
                membership.role = role
                membership.save(update_fields=["role", "updated_at"])
        for gateway_pk, membership in current.items():
            if membership.source != IDP or gateway_pk in wanted:
                continue
            if membership.role == Role.OWNER and _last_owner(membership):
                logger.warning("IdP rules no longer grant %s its last owner; kept", membership.gateway.name)
                continue
            changes.append((membership.gateway, membership.role, None))
            membership.delete()
        for gateway, before, after in changes:
            activity_record(
                action="membership.added"
                if before is None
                else "membership.removed"
                if after is None
                else "membership.changed",
                gateway=gateway,
                target=f"user:{user.get_username()}",
                before={"role": before} if before else None,
                after={"role": after, "source": IDP} if after else None,
                detail={"via": "identity provider groups", "groups": list(groups)},
            )
        if any(after is None for _, _, after in changes):
            sockets_close(user.pk, CLOSE_RESCOPE)
        elif changes:
            sockets_rescope(user.pk)
    return [(g.name, before, after) for g, before, after in changes]


def _last_owner(membership: GatewayMembership) -> bool:
    return (
        GatewayMembership.objects.filter(gateway_id=membership.gateway_id, role=Role.OWNER)
        .exclude(pk=membership.pk)
        .count()
        == 0
    )


def _via(issuer: str) -> str:
    return "trusted proxy" if issuer == PROXY_ISSUER else "identity provider"


def _free_username(hint: str) -> str:
    """A free username from the provider's hint: Django's allowed characters, suffixed -2, -3... if taken."""
    User = get_user_model()
    base = re.sub(r"[^\w.@+-]", "", hint)[:140] or "user"
    name, n = base, 1
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name
