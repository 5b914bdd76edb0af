"""The account area: password change, accounts created by owners, the way to API tokens."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from controlpanel.models import ActivityEvent, Role

from .test_two_factor import _logged_in


def _password_login(username: str, password: str) -> bool:
    response = Client().post("/login/", {"username": username, "password": password})
    return response.status_code == 302 and response["Location"] == "/"


@pytest.mark.django_db
def test_every_page_links_to_the_account_area_and_it_to_the_tokens(alice):
    client = _logged_in(alice)
    assert b'href="/account/"' in client.get("/").content
    account = client.get("/account/").content.decode()
    for section in ("/account/password/", "/account/two-factor/", "/account/tokens/", "/account/people/"):
        assert f'href="{section}"' in account


@pytest.mark.django_db
def test_changing_the_password_keeps_this_session_and_ends_the_others(alice):
    here, elsewhere = _logged_in(alice), _logged_in(alice)
    weak = here.post(
        "/account/password/",
        {"old_password": "pw-alice-long-enough", "new_password1": "short", "new_password2": "short"},
    )
    assert weak.status_code == 200 and b"too short" in weak.content
    new = "a-much-better-passphrase"
    response = here.post(
        "/account/password/",
        {"old_password": "pw-alice-long-enough", "new_password1": new, "new_password2": new},
    )
    assert response["Location"] == "/account/"
    assert here.get("/account/").status_code == 200
    assert elsewhere.get("/account/").status_code == 302  # signed out
    assert _password_login("alice", new)
    assert ActivityEvent.objects.filter(action="user.password_changed").exists()


@pytest.mark.django_db
def test_only_owners_create_accounts_on_their_own_gateways(alpha, bravo, alice, bob, charlie):
    data = {"username": "quinn", "email": "", "gateway": str(alpha.code), "role": "admin"}
    assert _logged_in(bob).post("/account/people/", data).status_code == 403  # admin of alpha owns nothing
    outsider = _logged_in(charlie).post("/account/people/", data)  # owns bravo, not alpha
    assert outsider.status_code == 200 and b"Select a valid choice" in outsider.content
    assert not get_user_model().objects.filter(username="quinn").exists()

    owner = _logged_in(alice)
    created = owner.post("/account/people/", data)
    assert created.status_code == 302 and created["Location"] == "/once/"  # shown once, by Post/Redirect/Get
    shown = owner.get(created["Location"])
    assert "no-store" in shown["Cache-Control"]
    password = shown.context["secret"]["value"]
    assert password in shown.content.decode() and password not in owner.get("/once/").content.decode()
    quinn = get_user_model().objects.get(username="quinn")
    assert alpha.memberships.get(user=quinn).role == Role.ADMIN
    assert _password_login("quinn", password)
    duplicate = _logged_in(alice).post("/account/people/", {**data, "username": "QUINN"})
    assert b"taken" in duplicate.content
    assert ActivityEvent.objects.filter(action="user.created", gateway=alpha).exists()


@pytest.mark.django_db
def test_creating_accounts_follows_the_owner_second_factor_rule(settings, alpha, alice):
    settings.CP_REQUIRE_OWNER_2FA = True
    data = {"username": "quinn", "email": "", "gateway": str(alpha.code), "role": "viewer"}
    assert _logged_in(alice).post("/account/people/", data).status_code == 403
    assert not get_user_model().objects.filter(username="quinn").exists()


@pytest.mark.django_db
def test_tags_are_set_by_owners_with_clear_errors(alpha, alice):
    client = _logged_in(alice)
    bad = client.post(f"/gateways/{alpha.code}/members/tags/", {"tags": "prod, Bad Tag!"})
    assert bad.status_code == 400 and b"&#x27;Tag!&#x27; is not a tag" in bad.content
    client.post(f"/gateways/{alpha.code}/members/tags/", {"tags": "Prod, eu prod"})
    alpha.refresh_from_db()
    assert alpha.tags == ["prod", "eu"]
