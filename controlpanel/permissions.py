"""Who may do what, per gateway. Views, API endpoints, consumers and commands all ask here.

The rule: a user sees a gateway only through a membership (``Gateway.objects.visible_to``); an
outsider gets 404, never 403, so gateway codes cannot be probed. Inside, the membership's role must
include the capability's minimum role, else 403. With CP_REQUIRE_OWNER_2FA, the owner-only
capabilities also need a second factor verified in this session (or an API token created in such a
session), else 403 saying so: an owner without one acts as an admin.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from urllib.parse import urlencode
from uuid import UUID

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

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


def get_object_for_user(user, rows, *, need: Capability = Capability.READ, missing: str = "", **lookup):
    """The row of ``rows`` (a model or queryset with a ``gateway``) found by ``lookup``, as ``user`` may
    see it: (row, access). The lookup locates, among the gateways the user can see (else 404); the
    user's role on the row's gateway authorises (403, as ``get_gateway_for_user``)."""
    queryset = rows._default_manager.all() if isinstance(rows, type) else rows
    row = queryset.filter(gateway__in=Gateway.objects.visible_to(user), **lookup).first()
    if row is None:
        raise Http404(missing)
    return row, get_gateway_for_user(user, row.gateway.code, need=need)


def get_request_for_user(user, model, code: UUID | str, *, need: Capability = Capability.READ):
    """A pairing or exec request located by ``code``, as ``user`` may see it: (request, access)."""
    rows = model.objects.select_related("gateway", "decided_by")
    return get_object_for_user(user, rows, need=need, missing="No such request.", code=code)


# --- sudo mode: recent authentication ------------------------------------------------------------
#
# A stolen or unattended session must not be enough to change who or what may reach a gateway. Writes
# that do (every owner-only write, approving a device or node, creating a personal API token) need the
# user to have proved who they are recently. The rule is ``auth_is_recent``; the views state that they
# need it with ``@require_recent_auth``; tests/views/test_authz_matrix.py checks both with a stale
# session as its own persona.

RECENT_AUTH_SECONDS = 15 * 60
SESSION_AUTH_AT = "cp_auth_at"  # session key: when the user last signed in or entered their password
SESSION_SECOND_FACTOR_AT = "cp_second_factor_at"  # ... and when a second factor was last accepted


def mark_recent_auth(request: HttpRequest) -> None:
    """Record that the user of ``request`` just proved who they are (a sign-in: password, single
    sign-on, proxy, passkey; or the password again on /reauth/)."""
    request.session[SESSION_AUTH_AT] = int(time.time())


def mark_second_factor(request: HttpRequest) -> None:
    """Record that a second factor (a TOTP or recovery code, a passkey) was just accepted here."""
    request.session[SESSION_SECOND_FACTOR_AT] = int(time.time())


def auth_is_recent(request: HttpRequest) -> bool:
    """The one answer to "is this session's authentication recent enough for a trust-changing write?".

    - Session: the user signed in or entered the password (login or /reauth/), or a second factor
      was accepted (a code on /reauth/ or the Two-factor page, a passkey), in the last
      ``RECENT_AUTH_SECONDS``: for people who sign in elsewhere (single sign-on, a proxy) the
      second factor is the way to confirm it is them.
    - Personal API token (``Authorization: Bearer``, see ``views.api.api_view``): yes. The token is
      not ambient (no cookie, no CSRF), it was created under this rule, is shown once, stored hashed
      and revocable; it carries its user's roles in full, so treat it like the password.

    Extend the rule here and only here.
    """
    if getattr(request, "api_auth", None) == "token":
        return True
    session = request.session
    latest = max(session.get(SESSION_AUTH_AT, 0), session.get(SESSION_SECOND_FACTOR_AT, 0))
    return time.time() - latest < RECENT_AUTH_SECONDS


def reauth_url(next_url: str) -> str:
    """The password page, coming back to ``next_url`` (a local path) afterwards."""
    return f"{reverse('reauth')}?{urlencode({'next': next_url})}"


ViewFunc = Callable[..., HttpResponse]
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def require_recent_auth(
    view: ViewFunc | None = None,
    *,
    when: Callable[..., bool] | None = None,
    next_url: Callable[..., str] | None = None,
):
    """Decorator: the view's writes need ``auth_is_recent(request)``; reads (GET, HEAD) pass.

    ``when(request, *args, **kwargs)`` narrows it to the requests that change something (a POST that
    only validates does not). ``next_url(request, *args, **kwargs)`` is the page to come back to after
    the password (default: this request's path, which must then show the form again on GET; a
    POST-only view names its page).

    Without recent authentication nothing runs and the answer is: a page → 302 to
    ``/reauth/?next=…``; an htmx request → ``HX-Redirect`` there; the JSON API (session-authenticated)
    → 403 ``{"error", "code": "recent_auth_required", "reauth"}``. The prompt comes before the view's
    role check and is the same for any gateway code, so it reveals nothing; the role check runs after
    it. Put it under ``@login_required`` (or ``@api_view``), so anonymous callers get the login page or
    401 first::

        @login_required
        @require_recent_auth
        @require_POST
        def member_remove(request, code, pk): ...
    """

    def decorate(func: ViewFunc) -> ViewFunc:
        @wraps(func)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if (
                request.method in _SAFE_METHODS
                or (when is not None and not when(request, *args, **kwargs))
                or auth_is_recent(request)
            ):
                return func(request, *args, **kwargs)
            back = next_url(request, *args, **kwargs) if next_url else request.path
            return _recent_auth_required(request, back)

        wrapper.requires_recent_auth = True  # for tests and the URL map's reviewers
        return wrapper

    return decorate(view) if view is not None else decorate


def _recent_auth_required(request: HttpRequest, back: str) -> HttpResponse:
    if getattr(request, "api_auth", None) is not None:
        body = {
            "error": "This change needs a recent password entry: confirm your password at 'reauth' in "
            "this browser session, then retry within 15 minutes; or use a personal API token.",
            "code": "recent_auth_required",
            "reauth": reverse("reauth"),
        }
        return JsonResponse(body, status=403)
    url = reauth_url(back)
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)
