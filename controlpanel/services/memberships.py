"""Who may do what on a gateway: adding, changing and removing members (owners only)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from controlpanel.identity.group_roles import normalise_tags
from controlpanel.live.groups import CLOSE_RESCOPE, sockets_close, sockets_rescope
from controlpanel.models import Gateway, GatewayMembership, Role

from .activity import activity_record


class LastOwnerError(Exception):
    """A gateway must keep at least one owner."""


class UnknownUserError(Exception):
    """No user with that name."""


def membership_set(*, gateway: Gateway, username: str, role: Role, actor) -> GatewayMembership:
    """Give ``username`` the ``role`` on ``gateway`` (adding the membership if needed)."""
    User = get_user_model()
    try:
        user = User.objects.get(username=username, is_active=True)
    except User.DoesNotExist as exc:
        raise UnknownUserError(username) from exc
    with transaction.atomic():
        # Lock the gateway's memberships so two owners demoting each other cannot leave none.
        memberships = list(GatewayMembership.objects.select_for_update().filter(gateway=gateway))
        current = next((m for m in memberships if m.user_id == user.pk), None)
        before = current.role if current else None
        owners = [m for m in memberships if m.role == Role.OWNER]
        if current and current.role == Role.OWNER and role != Role.OWNER and len(owners) == 1:
            raise LastOwnerError(gateway.name)
        if current is None:
            current = GatewayMembership.objects.create(user=user, gateway=gateway, role=role)
        elif current.role != role or current.source != GatewayMembership.Source.PANEL:
            # Set by an owner: from now on the identity-provider rules leave this membership alone.
            current.role, current.source = role, GatewayMembership.Source.PANEL
            current.save(update_fields=["role", "source", "updated_at"])
        if before != role:
            activity_record(
                action="membership.changed" if before else "membership.added",
                actor=actor,
                gateway=gateway,
                target=f"user:{user.get_username()}",
                before={"role": before},
                after={"role": str(role)},
            )
            # After commit: open alert sockets pick up the new scope at once.
            sockets_rescope(user.pk)
    return current


def membership_remove(*, membership: GatewayMembership, actor) -> None:
    with transaction.atomic():
        memberships = list(
            GatewayMembership.objects.select_for_update().filter(gateway=membership.gateway_id)
        )
        owners = [m for m in memberships if m.role == Role.OWNER]
        if membership.role == Role.OWNER and len(owners) == 1:
            raise LastOwnerError(membership.gateway.name)
        activity_record(
            action="membership.removed",
            actor=actor,
            gateway=membership.gateway,
            target=f"user:{membership.user.get_username()}",
            before={"role": membership.role},
            after=None,
        )
        membership.delete()
        # After commit: the removed user's sockets close (4000) and reconnect with the new scope.
        sockets_close(membership.user_id, CLOSE_RESCOPE)


def gateway_tags_set(*, gateway: Gateway, text: str, actor) -> list[str]:
    """Set the gateway's tags (the identity-provider rules select gateways by them; RuleError names a
    bad tag). Memberships follow at each member's next sign-in."""
    tags = normalise_tags(text)
    with transaction.atomic():
        before = list(gateway.tags)
        if tags != before:
            Gateway.objects.filter(pk=gateway.pk).update(tags=tags)
            gateway.tags = tags
            activity_record(
                action="gateway.tags_changed",
                actor=actor,
                gateway=gateway,
                target=f"gateway:{gateway.name}",
                before={"tags": before},
                after={"tags": tags},
            )
    return tags
