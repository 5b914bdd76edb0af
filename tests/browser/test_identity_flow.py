"""Identity in a real browser: single sign-on through a real OpenID provider on loopback (login, group
-> role shown on the Members page, logout at the provider), and every account page at 1366 and 390 px."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
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


def test_account_pages_at_desktop_and_phone_widths(browser, live_server):
    """Screenshots (test-artifacts/screens/) of every page this area adds, and no sideways scrolling."""
    alice = make_user("alice")
    gateway = make_gateway("alpha", members={alice: Role.OWNER})
    _, token = invitation_create(gateway=gateway, role=Role.ADMIN, actor=alice, email="new@example.com")
    shots = Path(ARTIFACTS, "screens")
    shots.mkdir(parents=True, exist_ok=True)
    pages = {
        "account": "/account/",
        "account-password": "/account/password/",
        "account-two-factor": "/account/two-factor/",
        "account-tokens": "/account/tokens/",
        "account-people": "/account/people/",
        "members": f"/gateways/{gateway.code}/members/",
        "reauth": "/reauth/?next=/account/",
    }
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        login(page, live_server, "alice", "pw-alice-long-enough")
        for name, path in pages.items():
            page.goto(f"{live_server.url}{path}")
            page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
            # The page's own content (the top bar is the base layout's, tests/browser of the design system).
            overflow = page.evaluate(OVERFLOW)
            assert overflow <= 0, f"{name} at {width}px: content runs {overflow}px past the screen"
        context.close()
        anonymous = browser.new_context(viewport={"width": width, "height": 900}).new_page()
        for name, path in {"login": "/login/", "invitation": f"/invitations/{token}/"}.items():
            anonymous.goto(f"{live_server.url}{path}")
            anonymous.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
        anonymous.context.close()
