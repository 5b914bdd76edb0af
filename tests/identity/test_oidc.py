"""OpenID Connect sign-in against a real provider on loopback (tests/identity/conftest.py)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from controlpanel.models import ActivityEvent, ExternalIdentity, GatewayMembership, Role
from controlpanel.services.memberships import gateway_tags_set
from tests.conftest import make_gateway, make_user

from .conftest import running_provider, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def _signed_in_user(client: Client):
    return client.get("/account/").context["user"] if client.session.get("_auth_user_id") else None


def test_first_sign_in_creates_the_user_and_maps_groups_to_roles(sso, alpha, alice):
    prod = make_gateway("prod-eu", members={alice: Role.OWNER})
    gateway_tags_set(gateway=prod, text="prod", actor=alice)
    sso.set_user(
        "sub-dana",
        email="dana@example.com",
        email_verified=True,
        preferred_username="dana",
        groups=["openclaw-prod-admins", "unrelated"],
    )
    client = Client()
    response = sign_in(client, sso, "sub-dana")
    assert response.status_code == 302 and response["Location"] == "/"
    dana = get_user_model().objects.get(username="dana")
    assert client.session["_auth_user_id"] == str(dana.pk)
    assert client.session["cp_auth_source"] == "oidc"
    assert not dana.has_usable_password()
    identity = ExternalIdentity.objects.get(user=dana)
    assert (identity.issuer, identity.subject) == (sso.url, "sub-dana")
    roles = {m.gateway.name: (m.role, m.source) for m in dana.gateway_memberships.all()}
    assert roles == {"prod-eu": ("admin", "idp")}  # tag:prod; alpha is not tagged prod
    # The Members page says where the role came from.
    page = Client()
    page.force_login(alice)
    html = page.get(f"/gateways/{prod.code}/members/").content.decode()
    assert "dana" in html and "from the identity provider" in html
    assert ActivityEvent.objects.filter(action="membership.added", target="user:dana").exists()


def test_group_roles_are_re_evaluated_at_each_sign_in_and_panel_roles_are_left_alone(sso, alpha, alice, bob):
    sso.set_user("sub-erin", email="erin@example.com", preferred_username="erin", groups=["openclaw-owners"])
    sign_in(Client(), sso, "sub-erin")
    erin = get_user_model().objects.get(username="erin")
    assert alpha.memberships.get(user=erin).role == Role.OWNER

    sso.set_user("sub-erin", email="erin@example.com", preferred_username="erin", groups=["lab"])
    sign_in(Client(), sso, "sub-erin")
    assert alpha.memberships.get(user=erin).role == Role.VIEWER  # demoted: now only in "lab"

    sso.set_user("sub-erin", email="erin@example.com", preferred_username="erin", groups=[])
    sign_in(Client(), sso, "sub-erin")
    assert not alpha.memberships.filter(user=erin).exists()  # no group grants anything any more

    # A role an owner set in the panel is the owner's decision: the rules leave it alone.
    GatewayMembership.objects.create(user=erin, gateway=alpha, role=Role.ADMIN)
    sso.set_user("sub-erin", email="erin@example.com", preferred_username="erin", groups=["lab"])
    sign_in(Client(), sso, "sub-erin")
    membership = alpha.memberships.get(user=erin)
    assert (membership.role, membership.source) == (Role.ADMIN, "panel")


def test_a_verified_email_links_an_existing_account_and_an_unverified_one_does_not(sso, alpha):
    existing = make_user("frank")
    existing.email = "frank@example.com"
    existing.save()
    sso.set_user("sub-frank", email="frank@example.com", email_verified=True)
    client = Client()
    sign_in(client, sso, "sub-frank")
    assert client.session["_auth_user_id"] == str(existing.pk)

    mallory = make_user("grace")
    mallory.email = "grace@example.com"
    mallory.save()
    sso.set_user("sub-impostor", email="grace@example.com", email_verified=False, preferred_username="grace")
    client = Client()
    sign_in(client, sso, "sub-impostor")
    assert client.session["_auth_user_id"] != str(mallory.pk)  # a new account, not grace's
    assert get_user_model().objects.get(pk=client.session["_auth_user_id"]).username == "grace-2"


def test_user_creation_can_be_turned_off(sso, settings):
    settings.CP_OIDC_CREATE_USERS = False
    sso.set_user("sub-nobody", email="nobody@example.com")
    client = Client()
    response = sign_in(client, sso, "sub-nobody")
    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session
    assert not ExternalIdentity.objects.exists()


@pytest.mark.parametrize("mode", ["wrong-signature", "wrong-audience", "alg-none"])
def test_a_forged_id_token_is_refused(sso, mode, caplog):
    sso.set_user("sub-henry", email="henry@example.com", preferred_username="henry", groups=["lab"])
    sso.proxy.mode = mode
    client = Client()
    with caplog.at_level(logging.WARNING, logger="controlpanel.security"):
        response = sign_in(client, sso, "sub-henry")
    assert sso.proxy.forged, "the forging proxy did not replace the token"
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.filter(username="henry").exists()
    expected = {
        "wrong-signature": "Signature verification failed",
        "wrong-audience": "Audience doesn't match",
        "alg-none": "algorithm 'none'",
    }[mode]
    assert any(expected in r.getMessage() for r in caplog.records), [r.getMessage() for r in caplog.records]


def test_an_expired_id_token_is_refused(settings, caplog):
    # A provider whose tokens expired five minutes before they were issued: genuinely signed, expired.
    with running_provider(access_token_max_age=timedelta(minutes=-5)) as stale:
        from controlpanel.authn import oidc

        settings.CP_OIDC_ISSUER = stale.url
        settings.OIDC_RP_CLIENT_ID = "controlpanel"
        settings.OIDC_RP_CLIENT_SECRET = "x"
        oidc._discovery.clear()
        client = Client()
        with caplog.at_level(logging.WARNING, logger="controlpanel.security"):
            response = sign_in(client, stale, "sub-ida")
        oidc._discovery.clear()
    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session
    assert any("Signature has expired" in r.getMessage() for r in caplog.records)


def test_a_replayed_callback_is_refused(sso):
    sso.set_user("sub-jo", email="jo@example.com", preferred_username="jo")
    client = Client()
    start = client.get("/oidc/authenticate/")
    import requests

    answer = requests.post(start["Location"], data={"sub": "sub-jo"}, allow_redirects=False, timeout=10)
    callback = answer.headers["Location"].split("testserver", 1)[1]
    assert client.get(callback)["Location"] == "/"
    other = Client()  # the same code and state in another browser: no state in that session
    assert other.get(callback)["Location"] == "/login/"
    assert "_auth_user_id" not in other.session


def test_sign_in_pages_are_404_without_configuration(db):
    assert Client().get("/oidc/authenticate/").status_code == 404
    assert Client().get("/oidc/callback/?code=x&state=y").status_code == 404
    assert b"single sign-on" not in Client().get("/login/").content.lower()
