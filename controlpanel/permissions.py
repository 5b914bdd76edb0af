"""Who may do what, per gateway. Views, API endpoints, consumers and commands all ask here.

The rule: a user sees a gateway only through a membership (``Gateway.objects.visible_to``); an
outsider gets 404, never 403, so gateway codes cannot be probed. Inside, the membership's role must
include the capability's minimum role, else 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

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


def role_allows(role: Role | str | None, capability: Capability) -> bool:
    return role is not None and Role(role).includes(MIN_ROLE[capability])


@dataclass(frozen=True)
class GatewayAccess:
    """A gateway as seen by one user: the object and that user's role on it."""

    gateway: Gateway
    role: Role

    def can(self, capability: Capability | str) -> bool:
        return role_allows(self.role, Capability(capability))

    def why_not(self, capability: Capability | str) -> str:
        return "" if self.can(capability) else WHY_NOT[MIN_ROLE[Capability(capability)]]

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
    access = GatewayAccess(gateway=gateway, role=Role(gateway.user_role))
    if not access.can(need):
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
