"""Personal API tokens and CSRF on the JSON API."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from controlpanel.models import ApiToken
from controlpanel.services.api_tokens import api_token_create, api_token_revoke
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def bearer(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_token_acts_with_its_users_roles(alpha, bravo, vera):
    _, plaintext = api_token_create(user=vera, name="script")
    body = bearer(plaintext).get("/api/v1/gateways/").json()
    assert [(g["name"], g["role"]) for g in body["gateways"]] == [("alpha", "viewer")]
    assert bearer(plaintext).get(f"/api/v1/gateways/{bravo.code}/").status_code == 404
    put = bearer(plaintext).put(
        f"/api/v1/gateways/{alpha.code}/config/",
        json.dumps({"config": "{}"}),
        content_type="application/json",
    )
    assert put.status_code == 403


def test_revoked_and_unknown_tokens_are_refused(vera):
    token, plaintext = api_token_create(user=vera, name="script")
    assert bearer(plaintext).get("/api/v1/gateways/").status_code == 200
    api_token_revoke(token=token, actor=vera)
    assert bearer(plaintext).get("/api/v1/gateways/").status_code == 401
    assert bearer("cpu_" + "x" * 43).get("/api/v1/gateways/").status_code == 401
    assert ApiToken.objects.get().token_hash != plaintext


def test_bearer_writes_need_no_csrf_but_session_writes_do(alice):
    _, plaintext = api_token_create(user=alice, name="ci")
    body = json.dumps({"config": "{}"})
    ok = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {plaintext}").post(
        "/api/v1/config/validate/", body, content_type="application/json"
    )
    assert ok.status_code == 200
    session = Client(enforce_csrf_checks=True)
    session.force_login(alice)
    refused = session.post("/api/v1/config/validate/", body, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]


def test_token_page_shows_the_token_once(alice):
    client = client_for(alice)
    created = client.post(reverse("account-tokens"), {"name": "deploy"})
    assert created.status_code == 302 and created["Location"] == reverse("secret-once")
    response = client.get(created["Location"])
    assert "no-store" in response["Cache-Control"]
    plaintext = response.context["secret"]["value"]
    assert plaintext.startswith("cpu_") and plaintext in response.content.decode()
    assert plaintext not in client.get(reverse("account-tokens")).content.decode()
    assert plaintext not in client.get(created["Location"]).content.decode()  # shown once


def test_only_your_own_tokens_can_be_revoked(alice, vera):
    token, _ = api_token_create(user=vera, name="mine")
    response = client_for(alice).post(reverse("account-token-revoke", kwargs={"pk": token.pk}))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    client_for(vera).post(reverse("account-token-revoke", kwargs={"pk": token.pk}), {"confirm": "yes"})
    token.refresh_from_db()
    assert token.revoked_at is not None
