"""Every URL x {anonymous, outsider, viewer, admin, owner, stale owner, owner without / with a second
factor}.

Anonymous: login redirect (pages) or 401 (API). Outsider: 404 on anything of a gateway it is not a
member of. Each role: success when its role includes the page's minimum role, else 403. The stale
owner (password entered more than 15 minutes ago) is the owner, except that every write needing
recent authentication (sudo mode: every owner-only write, plus the trust-granting ones marked below)
answers with the password page (pages) or 403 ``recent_auth_required`` (session API). With
CP_REQUIRE_OWNER_2FA on, an owner whose session has no second factor gets 403 on every owner-only
page and write (and acts as an admin elsewhere); one verified with a code is an owner. The first
tests make sure no URL escapes the table and that no owner-only write escapes the rule.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import pytest
from django.urls import get_resolver, reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from controlpanel.models import ActivityEvent, AuditRun, AuditSuppression, Device, Receiver, Role, Route
from controlpanel.permissions import RECENT_AUTH_SECONDS, SESSION_AUTH_AT
from controlpanel.services.ingest_tokens import ingest_token_create
from controlpanel.services.invitations import invitation_create
from tests.alerts.conftest import make_alert
from tests.conftest import MINIMAL_CONFIG, TEST_ENV, client_for, make_exec, make_pairing


@dataclass(frozen=True)
class Case:
    name: str
    method: str = "get"
    min_role: Role | None = Role.VIEWER  # None: any logged-in user (not gateway-scoped)
    data: dict = field(default_factory=dict)
    json_body: dict | None = None
    extra: tuple = ()  # extra URL kwargs needing objects: ("member",)
    # Needs recent authentication (sudo mode)? Default: every owner-only write does.
    recent_auth: bool | None = None

    @property
    def is_api(self) -> bool:
        return self.name.startswith("api-")

    @property
    def scoped(self) -> bool:
        return self.min_role is not None

    @property
    def owner_only_write(self) -> bool:
        return self.method != "get" and self.min_role == Role.OWNER

    @property
    def needs_recent_auth(self) -> bool:
        return self.owner_only_write if self.recent_auth is None else self.recent_auth


CONFIG_JSON = {"config": MINIMAL_CONFIG, "env": TEST_ENV}
CASES = [
    Case("gateway-list", min_role=None),
    Case("gateway-import", min_role=None),
    # A forged or missing review token: back to the form (the flow: tests/views/test_review_every_path.py)
    Case("gateway-import-save", "post", min_role=None, data={"token": "forged", "reason": "r"}),
    Case(
        "gateway-import",
        "post",
        min_role=None,
        data={"name": "new-gw", "config_text": MINIMAL_CONFIG, "env_text": "GW_TOKEN=" + "a" * 32},
    ),
    Case("gateway-detail"),
    *[
        Case(f"gateway-{tab}")
        for tab in [
            "config",
            "agents",
            "devices",
            "pairing",
            "approvals",
            "audit",
            "alerts",
            "memory",
            "activity",
        ]
    ],
    Case("agent-detail", extra=("agent",)),
    Case("gateway-reimport", min_role=Role.OWNER),
    Case(
        "gateway-reimport",
        "post",
        min_role=Role.OWNER,
        data={"config_text": MINIMAL_CONFIG, "env_text": "GW_TOKEN=" + "a" * 32},
    ),
    # Validating shows the what-if and saves nothing: no password needed.
    Case(
        "gateway-reimport",
        "post",
        min_role=Role.OWNER,
        data={"config_text": MINIMAL_CONFIG, "env_text": "GW_TOKEN=" + "a" * 32, "validate": "1"},
        recent_auth=False,
    ),
    Case("gateway-export", min_role=Role.OWNER),
    Case("config-history"),
    Case("config-revision", extra=("revision",)),
    Case("config-diff"),
    Case("config-rollback", min_role=Role.OWNER, extra=("revision",)),
    Case("config-edit", min_role=Role.OWNER),
    Case("config-edit", "post", min_role=Role.OWNER, data={"text": "{}"}),
    # Live validation of the editor: reads the posted text, saves nothing.
    Case(
        "config-validate",
        "post",
        min_role=Role.OWNER,
        data={"text": "{ gateway: {} }", "validate": "1"},
        recent_auth=False,
    ),
    Case("config-form", min_role=Role.OWNER),
    Case("config-form", "post", min_role=Role.OWNER, extra=("base_hash",)),
    Case("config-review", "post", min_role=Role.OWNER, data={"text": MINIMAL_CONFIG}),
    Case("config-save", "post", min_role=Role.OWNER, data={"text": "{}", "token": "x", "reason": "r"}),
    Case("config-live"),
    Case("config-push", "post", min_role=Role.OWNER, data={"revision": "1"}),
    Case("config-adopt", min_role=Role.OWNER),
    Case("gateway-delete", min_role=Role.OWNER),
    Case("gateway-delete", "post", min_role=Role.OWNER, data={"confirm_name": "alpha"}),
    Case("device-revoke", "post", min_role=Role.ADMIN, extra=("device",), data={"confirm": "yes"}),
    Case("devices-clean-up", "post", min_role=Role.ADMIN, data={"confirm": "yes"}),
    Case("device-rename", "post", min_role=Role.ADMIN, extra=("device",), data={"name": "renamed"}),
    Case("device-rotate", "post", min_role=Role.OWNER, extra=("device",), data={"confirm": "yes"}),
    Case("activity-export", extra=("json",)),
    Case("memory-manifest-set", "post", min_role=Role.OWNER, data={"manifest": '{"plugin": "p"}'}),
    Case("memory-policy-set", "post", min_role=Role.OWNER, data={"policy": '{"mode": "strict"}'}),
    Case("memory-workload-set", "post", min_role=Role.OWNER, data={"name": "w", "limit": "2Gi"}),
    Case("audit-start", "post", min_role=Role.ADMIN),
    Case("suppression-add", "post", min_role=Role.OWNER, data={"check_id": "x.y", "reason": "why"}),
    Case("suppression-remove", "post", min_role=Role.OWNER, extra=("suppression",)),
    Case("audit-schedule", "post", min_role=Role.OWNER, data={"audit_every_hours": "6"}),
    Case("audit-fleet", min_role=None),
    Case("audit-fleet-start", "post", min_role=None),
    Case("audit-run", extra=("run",)),
    Case("audit-export", extra=("run", "json")),
    Case("audit-fixes", min_role=Role.OWNER, extra=("run",)),
    Case("audit-fixes", "post", min_role=Role.OWNER, extra=("run",)),
    Case("alert-list", min_role=None),
    Case("alert-ack", "post", min_role=Role.ADMIN, extra=("alert",)),
    Case("alert-resolve", "post", min_role=Role.ADMIN, extra=("alert",), data={"confirm": "yes"}),
    Case("alert-silence", "post", min_role=Role.ADMIN, data={"hours": "2", "comment": "maintenance"}),
    Case("alert-memory"),
    Case("ingest-tokens", min_role=Role.OWNER),
    Case("ingest-tokens", "post", min_role=Role.OWNER, data={"name": "shipper"}),
    Case(
        "ingest-token-revoke", "post", min_role=Role.OWNER, extra=("ingest_token",), data={"confirm": "yes"}
    ),
    Case("member-list", min_role=Role.OWNER),
    Case("member-list", "post", min_role=Role.OWNER, data={"username": "charlie", "role": "viewer"}),
    Case("member-remove", "post", min_role=Role.OWNER, extra=("member",), data={"confirm": "yes"}),
    Case("member-invite", "post", min_role=Role.OWNER, data={"role": "viewer", "email": ""}),
    Case("invitation-revoke", "post", min_role=Role.OWNER, extra=("invitation",), data={"confirm": "yes"}),
    Case("gateway-tags", "post", min_role=Role.OWNER, data={"tags": "prod"}),
    Case("approvals-inbox", min_role=None),
    Case("approvals-badge", min_role=None),
    Case("reauth", min_role=None),
    Case("reauth", "post", min_role=None, data={"password": "wrong"}),
    Case("pairing-detail", extra=("pairing",)),
    Case("exec-detail", extra=("exec",)),
    Case("pairing-decide", "post", min_role=Role.ADMIN, extra=("pairing",), data={"action": "reject"}),
    # Approving a DM sender adds it to allowFrom; approving a device grants it a token.
    Case("pairing-decide", "post", min_role=Role.ADMIN, extra=("pairing",), data={"action": "approve"}),
    Case(
        "pairing-decide",
        "post",
        min_role=Role.ADMIN,
        extra=("device_pairing",),
        data={"action": "approve"},
        recent_auth=True,
    ),
    Case("exec-decide", "post", min_role=Role.ADMIN, extra=("exec",), data={"decision": "deny"}),
    Case("gateway-connection"),
    Case(
        "gateway-credentials",
        "post",
        min_role=Role.OWNER,
        data={"ws_url": "ws://127.0.0.1:18789", "kind": "token", "secret": "s3cret-token"},
    ),
    Case("gateway-config-push", "post", min_role=Role.OWNER, data={"patch": "{}", "base_hash": "h"}),
    Case("secret-once", min_role=None),
    Case("docs-ingest", min_role=None),
    Case("fleet-change-new", min_role=None),
    Case("fleet-change-new", "post", min_role=None, data={"kind": "baseline", "reason": "r"}),
    Case("account", min_role=None),
    Case("account-password", min_role=None),
    Case("account-password", "post", min_role=None, data={"old_password": "wrong"}),
    Case("account-two-factor", min_role=None),
    Case("account-two-factor", "post", min_role=None, data={"action": "enable", "code": "000000"}),
    Case("account-people", min_role=None),
    Case("account-tokens", min_role=None),
    Case("account-tokens", "post", min_role=None, data={"name": "script"}, recent_auth=True),
    Case("api-gateways", min_role=None),
    # The writes' first step (the review) passes the same checks as the save; the save needs its token.
    Case(
        "api-gateway-create",
        "post",
        min_role=None,
        json_body={"name": "api-gw", "dryRun": True, **CONFIG_JSON},
    ),
    Case("api-config-validate", "post", min_role=None, json_body=CONFIG_JSON),
    Case("api-gateway"),
    Case("api-gateway-config", "put", min_role=Role.OWNER, json_body={"dryRun": True, **CONFIG_JSON}),
    Case("api-gateway-audits"),
    Case("api-audit-report", extra=("run",)),
    Case("api-approvals", min_role=None),
    Case("api-approval-decide", "post", min_role=Role.ADMIN, extra=("exec",), json_body={"decision": "deny"}),
    Case("api-alerts", min_role=None),
    Case("api-alert-ack", "post", min_role=Role.ADMIN, extra=("alert", "no_code")),
    Case("api-alert-resolve", "post", min_role=Role.ADMIN, extra=("alert", "no_code")),
    # Notifications (a gateway's receivers and routes; the global ones are superusers', see EXEMPT).
    Case("alert-detail", extra=("alert",)),
    Case("notify-home"),
    Case("notify-preview"),
    Case("notify-receiver-new", min_role=Role.OWNER),
    Case(
        "notify-receiver-new",
        "post",
        min_role=Role.OWNER,
        data={"name": "ops", "kind": "email", "to": "ops@example.com"},
    ),
    Case("notify-receiver", extra=("receiver",)),
    Case("notify-receiver", "post", min_role=Role.OWNER, extra=("receiver",), data={"name": "renamed"}),
    Case("notify-receiver-action", "post", min_role=Role.OWNER, extra=("receiver", "test")),
    Case("notify-route-new", min_role=Role.OWNER),
    Case("notify-route-new", "post", min_role=Role.OWNER, data={"name": "all", "group_wait": "0s"}),
    Case("notify-route", min_role=Role.OWNER, extra=("route",)),
    Case("notify-route", "post", min_role=Role.OWNER, extra=("route",), data={"name": "renamed"}),
    Case("notify-route-action", "post", min_role=Role.OWNER, extra=("route", "up")),
    Case("notify-global-home", min_role=None),
    Case("account-notifications", min_role=None),
    Case("account-notifications", "post", min_role=None, data={"timezone": "UTC"}),
    Case("notify-subscribe", "post", min_role=None, data={"min_severity": "critical", "type_pattern": "*"}),
    Case("api-config-revisions"),
    Case(
        "api-config-revisions",
        "post",
        min_role=Role.OWNER,
        extra=("base_hash",),
        json_body={"config": MINIMAL_CONFIG, "dryRun": True},
    ),
    Case("api-config-revision", extra=("revision",)),
    Case(
        "api-config-rollback",
        "post",
        min_role=Role.OWNER,
        extra=("revision", "base_hash"),
        json_body={"dryRun": True},
    ),
    Case("api-config-drift"),
]
EXEMPT = {
    "login",  # the authentication pages themselves
    "login-code",  # the second step of a password login: tests/identity/test_two_factor.py
    "logout",
    "oidc_authentication_init",  # single sign-on: tests/identity/test_oidc.py
    "oidc_authentication_callback",
    "invitation-accept",  # the link's token is the credential: tests/identity/test_invitations.py
    "api-openapi",  # public: the API's description, no data (tests/security/test_api_schema.py)
    "favicon",  # public: a redirect to the static icon
    "notify-service-worker",  # public: the Web Push service worker script (tests/notify/test_views.py)
    "account-token-revoke",  # per user, not per gateway: tests/security/test_api_tokens.py
    "api-config-diff",  # needs two revision numbers in the query: tests/views/test_config_api.py
    "fleet-change",  # per user (its author), not per gateway: tests/services/test_config_fleet.py
    "fleet-change-apply",
}
# Authenticated by an ingest token, not a session: tests/alerts/test_ingest_api.py covers its auth.
EXEMPT |= {"api-ingest-events"}
# Global receivers and routes are the panel superusers' (404 to everyone else), a person's own
# subscriptions and browsers are theirs (404 to others): tests/notify/test_views.py covers them.
EXEMPT |= {
    "notify-global-receiver-new",
    "notify-global-receiver",
    "notify-global-receiver-action",
    "notify-global-route-new",
    "notify-global-route",
    "notify-global-route-action",
    "notify-unsubscribe",
    "push-subscribe",
    "push-action",
}
# Owners creating accounts (POST account-people) depends on the gateway chosen: tests/identity/
# test_accounts.py::test_only_owners_create_accounts_on_their_own_gateways (and it needs recent auth).
PERSONAS = ["anonymous", "outsider", "viewer", "admin", "owner", "stale", "owner_no_2fa", "owner_2fa"]


def test_every_url_is_in_the_matrix():
    names = {p.name for p in get_resolver().url_patterns if getattr(p, "name", None)}
    covered = {c.name for c in CASES} | EXEMPT
    assert names - covered == set(), "add these URLs to CASES"


def _view(name: str):
    return next(p.callback for p in get_resolver().url_patterns if getattr(p, "name", None) == name)


def test_every_owner_only_write_states_the_recent_auth_rule():
    """The rule is stated on the view (@require_recent_auth), so a new owner-only write without it
    fails here even before the stale persona's row does."""
    for case in CASES:
        decorated = getattr(_view(case.name), "requires_recent_auth", False)
        if case.needs_recent_auth:
            assert decorated, f"{case.name}: decorate the view with @require_recent_auth"
        if case.owner_only_write and not case.needs_recent_auth:
            assert case.data.get("validate"), f"{case.name}: an owner-only write needs recent auth"


def _url(case: Case, gateway, vera) -> str:
    if not case.scoped:
        return reverse(case.name)
    kwargs = {"code": gateway.code}
    if "member" in case.extra:
        kwargs["pk"] = gateway.memberships.get(user=vera).pk
    if "pairing" in case.extra:
        kwargs["code"] = make_pairing(gateway).code
    if "device_pairing" in case.extra:
        pairing = make_pairing(gateway, kind="device", role="operator", requested_scopes=["operator.read"])
        kwargs["code"] = pairing.code
    if "exec" in case.extra:
        kwargs["code"] = make_exec(gateway).code
    if "device" in case.extra:
        kwargs["device_code"] = Device.objects.create(
            gateway=gateway, device_id="dev-1", token_hash="a" * 64
        ).code
    if "run" in case.extra:
        kwargs = {"code": AuditRun.objects.create(gateway=gateway).code}
    if "suppression" in case.extra:
        kwargs["pk"] = AuditSuppression.objects.create(gateway=gateway, check_id="x.y", reason="why").pk
    if "agent" in case.extra:
        kwargs["agent_id"] = "main"
    if "alert" in case.extra:
        kwargs["pk"] = make_alert(gateway).pk
    if "ingest_token" in case.extra:
        kwargs["pk"] = ingest_token_create(gateway=gateway, name="t", actor=None)[0].pk
    if "invitation" in case.extra:
        kwargs["pk"] = invitation_create(gateway=gateway, role=Role.VIEWER, actor=None)[0].pk
    if "json" in case.extra:
        kwargs["fmt"] = "json"
    if "no_code" in case.extra:
        kwargs.pop("code")
    if "receiver" in case.extra:
        kwargs["pk"] = Receiver.objects.create(gateway=gateway, name="r", kind="email", config_enc="").pk
    if "route" in case.extra:
        kwargs["pk"] = Route.objects.create(gateway=gateway, name="r").pk
    for action in ("test", "up"):
        if action in case.extra:
            kwargs["action"] = action
    if "revision" in case.extra:
        kwargs["number"] = 1
    return reverse(case.name, kwargs=kwargs)


def _request(client, case: Case, url: str, gateway=None):
    if case.json_body is not None:
        body = dict(case.json_body)
        if "base_hash" in case.extra:
            body["baseHash"] = gateway.config_hash
        return getattr(client, case.method)(url, data=json.dumps(body), content_type="application/json")
    data = dict(case.data)
    if "base_hash" in case.extra:
        data["base_hash"] = gateway.config_hash
    return getattr(client, case.method)(url, data=data or None)


def _expected(case: Case, persona: str) -> int | str:
    if persona == "anonymous":
        return 401 if case.is_api else "login"
    if persona == "stale" and case.needs_recent_auth:
        return "reauth"
    if not case.scoped:
        return "ok"
    if persona == "outsider":
        return 404
    if persona == "owner_no_2fa":
        return 403 if case.min_role == Role.OWNER else "ok"
    owner = ("owner", "stale", "owner_2fa")
    role = {"viewer": Role.VIEWER, "admin": Role.ADMIN}.get(persona, Role.OWNER if persona in owner else None)
    return "ok" if role.includes(case.min_role) else 403


def _stale(client):
    """The owner's session, its password entered 16 minutes ago."""
    session = client.session
    session[SESSION_AUTH_AT] = int(time.time()) - RECENT_AUTH_SECONDS - 60
    session.save()
    return client


def _verified(client, user):
    """A code was accepted in this session (django_otp.login)."""
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _pairs():
    """Every case x persona, but "owner_2fa" only where it differs from "owner_no_2fa": the owner-only
    cases."""
    for case in CASES:
        for persona in PERSONAS:
            if persona != "owner_2fa" or case.min_role == Role.OWNER:
                yield pytest.param(case, persona, id=f"{case.method}:{case.name}-{persona}")


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "persona"), list(_pairs()))
def test_access(case: Case, persona: str, alpha, alice, bob, vera, charlie, bravo, settings):
    users = {"anonymous": None, "outsider": charlie, "viewer": vera, "admin": bob, "owner": alice}
    user = users.get(persona, alice)
    settings.CP_REQUIRE_OWNER_2FA = persona in ("owner_no_2fa", "owner_2fa")
    url = _url(case, alpha, vera)
    client = client_for(user)
    if persona == "stale":
        client = _stale(client)
    elif persona == "owner_2fa":
        client = _verified(client, user)
    before = ActivityEvent.objects.count()
    response = _request(client, case, url, alpha)
    expected = _expected(case, persona)
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif expected == "reauth" and case.is_api:
        assert response.status_code == 403
        assert response.json()["code"] == "recent_auth_required"
        assert ActivityEvent.objects.count() == before, "nothing is written without the password"
    elif expected == "reauth":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("reauth") + "?next=")
        assert ActivityEvent.objects.count() == before, "nothing is written without the password"
    elif expected == "ok":
        assert 200 <= response.status_code < 400, response.content[:500]
    else:
        assert response.status_code == expected
