"""Who may do what, per gateway. Views, API endpoints, consumers and commands all ask here.

The rule: a user sees a gateway only through a membership (``Gateway.objects.visible_to``); an
outsider gets 404, never 403, so gateway codes cannot be probed. Inside, the membership's role must
include the capability's minimum role, else 403. With CP_REQUIRE_OWNER_2FA, the owner-only
capabilities also need a second factor verified in this session (or an API token created in such a
session), else 403 saying so: an owner without one acts as an admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404

from controlpanel.models import Gateway, Role


class Capability(StrEnum):
    READ = "read"  # see the gateway, its config (redacted), agents, requests, audits, alerts
    DECIDE = "decide"  # approve / reject pairing and exec requests, acknowledge alerts
    AUDIT = "audit"  # start audits
    CONFIG = "config"  # import / edit / export the config, apply fixes
    MEMBERS = "members"  # manage memberships
    SECRETS = "secrets"  # gateway credentials, tokens, ingest tokens
    DELETE = "delete"


MIN_ROLE: dict[Capability, Role] = {
    Capability.READ: Role.VIEWER,
    Capability.DECIDE: Role.ADMIN,
    Capability.AUDIT: Role.ADMIN,
    Capability.CONFIG: Role.OWNER,
    Capability.MEMBERS: Role.OWNER,
    Capability.SECRETS: Role.OWNER,
    Capability.DELETE: Role.OWNER,
}

WHY_NOT: dict[Role, str] = {
    Role.ADMIN: "Only admins and owners of this gateway may do this.",
    Role.OWNER: "Only owners of this gateway may do this.",
}
NEEDS_SECOND_FACTOR = (
    "Owners need a second factor for this: set up two-factor authentication on your account page "
    "(or confirm your code there), then try again."
)


class SecondFactorRequired(PermissionDenied):
    """An owner-only action without a second factor while CP_REQUIRE_OWNER_2FA is on."""


def second_factor_needed(user, capability: Capability) -> bool:
    """Whether ``capability`` is refused to ``user`` for want of a second factor (the panel setting)."""
    if not settings.CP_REQUIRE_OWNER_2FA or MIN_ROLE[capability] != Role.OWNER:
        return False
    from controlpanel.authn.second_factor import is_verified

    return not is_verified(user)


def role_allows(role: Role | str | None, capability: Capability) -> bool:
    return role is not None and Role(role).includes(MIN_ROLE[capability])


@dataclass(frozen=True)
class GatewayAccess:
    """A gateway as seen by one user: the object and that user's role on it."""

    gateway: Gateway
    role: Role
    lacks_second_factor: bool = False  # owner-only capabilities refused until a code is verified

    def can(self, capability: Capability | str) -> bool:
        capability = Capability(capability)
        if self.lacks_second_factor and MIN_ROLE[capability] == Role.OWNER:
            return False
        return role_allows(self.role, capability)

    def why_not(self, capability: Capability | str) -> str:
        capability = Capability(capability)
        if self.can(capability):
            return ""
        if role_allows(self.role, capability):
            return NEEDS_SECOND_FACTOR
        return WHY_NOT[MIN_ROLE[capability]]

    @property
    def caps(self) -> dict[str, bool]:
        """For templates: ``access.caps.decide`` etc. Display only; views enforce."""
        return {c.value: self.can(c) for c in Capability}


def get_gateway_for_user(user, code: UUID | str, *, need: Capability = Capability.READ) -> GatewayAccess:
    """The gateway ``code`` as ``user`` may see it. Raises Http404 if not visible, PermissionDenied
    if the user's role lacks ``need``. One query."""
    gateway = Gateway.objects.with_user_role(user).filter(code=code).first()
    if gateway is None:
        raise Http404("No such gateway.")
    role = Role(gateway.user_role)
    access = GatewayAccess(
        gateway=gateway,
        role=role,
        lacks_second_factor=role == Role.OWNER and second_factor_needed(user, Capability.CONFIG),
    )
    if not access.can(need):
        if access.lacks_second_factor and role_allows(role, need):
            raise SecondFactorRequired(NEEDS_SECOND_FACTOR)
        raise PermissionDenied(access.why_not(need))
    return access


def get_request_for_user(user, model, code: UUID | str, *, need: Capability = Capability.READ):
    """A pairing or exec request located by ``code``, as ``user`` may see it: (request, access).

    The code locates; the user's role on the request's gateway authorises (404 / 403 as above).
    """
    request = (
        model.objects.select_related("gateway", "decided_by")
        .filter(code=code, gateway__in=Gateway.objects.visible_to(user))
        .first()
    )
    if request is None:
        raise Http404("No such request.")
    access = get_gateway_for_user(user, request.gateway.code, need=need)
    return request, access


# --- sudo mode ------------------------------------------------------------------------------------

RECENT_AUTH_SECONDS = 15 * 60
SESSION_AUTH_AT = "cp_auth_at"


def mark_recent_auth(session) -> None:
    import time

    session[SESSION_AUTH_AT] = int(time.time())


def has_recent_auth(session) -> bool:
    import time

    return time.time() - session.get(SESSION_AUTH_AT, 0) < RECENT_AUTH_SECONDS
