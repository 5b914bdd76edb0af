"""Identity in a real browser: single sign-on through a real OpenID provider on loopback (login, group
-> role shown on the Members page, logout at the provider), and every account page at 1366 and 390 px."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from controlpanel.authn import oidc
from controlpanel.identity.group_roles import parse_rules
from controlpanel.models import Role
from controlpanel.services.invitations import invitation_create
from controlpanel.settings import with_form_action
from tests.conftest import make_gateway, make_user
from tests.identity.conftest import running_provider

from .conftest import ARTIFACTS, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def provider(settings):
    with running_provider() as provider:
        settings.CP_OIDC_ISSUER = provider.url
        settings.OIDC_RP_CLIENT_ID = "controlpanel"
        settings.OIDC_RP_CLIENT_SECRET = "s3cret-of-the-panel"
        settings.CP_OIDC_LABEL = "Sign in with Example SSO"
        settings.CONTENT_SECURITY_POLICY = with_form_action(settings.CONTENT_SECURITY_POLICY, provider.url)
        settings.CP_IDP_GROUP_ROLES = parse_rules("openclaw-prod-owners=owner@tag:prod; lab=viewer@*")
        oidc._discovery.clear()
        yield provider
        oidc._discovery.clear()


def test_single_sign_on_login_group_roles_and_logout(page, live_server, provider):
    alice = make_user("alice")
    prod = make_gateway("prod-eu", members={alice: Role.OWNER})
    prod.tags = ["prod"]
    prod.save()
    lab = make_gateway("lab", members={alice: Role.OWNER})
    provider.set_user(
        "kim-sub",
        email="kim@example.com",
        email_verified=True,
        preferred_username="kim",
        groups=["openclaw-prod-owners"],
    )

    page.goto(f"{live_server.url}/login/")
    page.click("#sso-login")
    page.wait_for_url(f"{provider.url}/oauth2/authorize*")  # the provider's own page
    page.fill("input[name=sub]", "kim-sub")
    page.click("button[type=submit]:has-text('Authorize')")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator(".who")).to_contain_text("kim")
    expect(page.locator("body")).to_contain_text("prod-eu")
    assert page.locator(f"a[href='/gateways/{lab.code}/']").count() == 0  # only tag:prod granted

    # Owner of prod-eu through the group: the Members page says where the role came from.
    page.goto(f"{live_server.url}/gateways/{prod.code}/members/")
    kim_row = page.locator("#member-table tr", has_text="kim")
    expect(kim_row).to_contain_text("owner")
    expect(kim_row).to_contain_text("from the identity provider")

    # Logout ends the panel session and goes to the provider's end-session page, then back to login.
    page.click("form.logout button[type=submit]")
    page.wait_for_url(f"{provider.url}/oauth2/end_session*")
    page.click("button:has-text('End session')")
    page.wait_for_url(f"{live_server.url}/login/")
    page.goto(f"{live_server.url}/account/")
    assert page.url.startswith(f"{live_server.url}/login/")
    assert get_user_model().objects.get(username="kim").external_identities.get().groups == [
        "openclaw-prod-owners"
    ]


WIDTHS = (1366, 390)
OVERFLOW = "document.querySelector('main').scrollWidth - document.querySelector('main').clientWidth"


def test_account_pages_at_desktop_and_phone_widths(browser, live_server, settings):
    """Screenshots (test-artifacts/screens/) of every page this area adds, in their states, and no
    sideways scrolling of the page's own content."""
    settings.CP_WEBAUTHN_ORIGIN = live_server.url  # the passkey parts shown too
    shots = Path(ARTIFACTS, "screens")
    shots.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        name = f"owner{width}"
        owner = make_user(name)
        gateway = make_gateway(f"alpha{width}", members={owner: Role.OWNER})
        _, token = invitation_create(gateway=gateway, role=Role.ADMIN, actor=owner, email="new@example.com")
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()

        def shot(label: str) -> None:
            page.screenshot(path=str(shots / f"{label}-{width}.png"), full_page=True)
            overflow = page.evaluate(OVERFLOW)
            assert overflow <= 0, f"{label} at {width}px: content runs {overflow}px past the screen"

        login(page, live_server, name, f"pw-{name}-long-enough")
        pages = {
            "account": "/account/",
            "account-password": "/account/password/",
            "account-two-factor": "/account/two-factor/",
            "account-tokens": "/account/tokens/",
            "account-people": "/account/people/",
            "members": f"/gateways/{gateway.code}/members/",
            "reauth": "/reauth/?next=/account/",
        }
        for label, path in pages.items():
            page.goto(f"{live_server.url}{path}")
            shot(label)
        # Turn two-factor on (a code computed from the device's key now), then its pages.
        page.goto(f"{live_server.url}/account/two-factor/")
        device = TOTPDevice.objects.get(user=owner, confirmed=False)
        page.fill("#enable-form input[name=code]", code_now(device))
        page.click("#enable-form button[type=submit]")
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        shot("recovery-codes")
        page.goto(f"{live_server.url}/account/two-factor/")
        shot("account-two-factor-on")
        page.goto(f"{live_server.url}/gateways/{gateway.code}/members/")
        page.fill("#invite-form input[name=email]", "someone@example.com")
        page.click("#invite-form button[type=submit]")
        shot("invitation-created")
        page.goto(f"{live_server.url}/account/people/")
        page.fill("#user-create-form input[name=username]", f"new{width}")
        page.select_option("#user-create-form select[name=gateway]", str(gateway.code))
        page.click("#user-create-form button[type=submit]")
        shot("user-created")
        context.close()

        visitor = browser.new_context(viewport={"width": width, "height": 900})
        page = visitor.new_page()
        for label, path in {"login": "/login/", "invitation": f"/invitations/{token}/"}.items():
            page.goto(f"{live_server.url}{path}")
            shot(label)
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", name)
        page.fill("#id_password", f"pw-{name}-long-enough")
        page.click("button[type=submit]")
        page.wait_for_url("**/login/code/")
        shot("login-code")
        visitor.close()


def code_now(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def test_a_passkey_is_added_then_signs_in_and_counts_as_the_second_factor(browser, live_server, settings):
    """Chromium's virtual authenticator (CDP WebAuthn domain) plays the passkey."""
    settings.CP_WEBAUTHN_ORIGIN = live_server.url
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    settings.CP_REQUIRE_OWNER_2FA = True
    alice = make_user("alice")
    gateway = make_gateway("alpha", members={alice: Role.OWNER})
    context = browser.new_context()
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})

    login(page, live_server, "alice", "pw-alice-long-enough")
    members = f"{live_server.url}/gateways/{gateway.code}/members/"
    assert page.goto(members).status == 403  # an owner without a second factor
    page.goto(f"{live_server.url}/account/two-factor/")
    page.click("#passkey-register-button")
    expect(page.locator("#passkey-table tbody tr")).to_have_count(1)
    assert page.goto(members).status == 200  # the passkey verified this session

    page.click("form.logout button[type=submit]")
    page.wait_for_url(f"{live_server.url}/login/")
    page.click("#passkey-verification-button")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator(".who")).to_contain_text("alice")
    assert page.goto(members).status == 200  # signed in with the passkey: verified
    context.close()
