"""Page behaviour beyond the access matrix: partials, redaction, errors that name paths, the API."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from controlpanel.models import Gateway
from tests.conftest import client_for, make_gateway

SECRET_CONFIG = """{
  gateway: { auth: { mode: "token", token: "literal-secret-token-value-1234567890" } },
  channels: { telegram: { botToken: "123:ABCsecretbot", dmPolicy: "pairing" } },
}"""


@pytest.mark.django_db
def test_gateway_list_shows_only_my_gateways(alpha, bravo, vera):
    body = client_for(vera).get(reverse("gateway-list")).content.decode()
    assert "alpha" in body and "bravo" not in body


@pytest.mark.django_db
def test_tab_click_returns_the_partial_only(alpha, vera):
    url = reverse("gateway-agents", kwargs={"code": alpha.code})
    partial = client_for(vera).get(url, headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<div id="gateway-tabs"')
    assert "<html" not in partial and 'id="agent-table"' in partial
    full = client_for(vera).get(url).content.decode()
    assert "<html" in full and 'id="agent-table"' in full


@pytest.mark.django_db
def test_config_page_redacts_literal_secrets(vera, alice):
    from controlpanel.models import GatewayMembership, Role

    gw = make_gateway("secretive", text=SECRET_CONFIG, members={vera: Role.VIEWER, alice: Role.OWNER})
    body = client_for(vera).get(reverse("gateway-config", kwargs={"code": gw.code})).content.decode()
    assert "literal-secret-token-value" not in body
    assert "ABCsecretbot" not in body
    assert "__OPENCLAW_REDACTED__" in body
    assert GatewayMembership.objects.filter(gateway=gw).count() == 2


@pytest.mark.django_db
def test_export_gives_the_owner_the_file_as_imported(alpha, alice):
    response = client_for(alice).get(reverse("gateway-export", kwargs={"code": alpha.code}))
    assert response["Cache-Control"] == "no-store"
    assert response.content.decode() == alpha.config_text


@pytest.mark.django_db
def test_import_page_shows_the_path_and_saves_nothing(alice):
    response = client_for(alice).post(
        reverse("gateway-import"),
        {"name": "gw", "config_text": "{ gateway: { bind: 42 } }", "import": "1"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "gateway.bind" in body and "Nothing was saved" in body
    assert not Gateway.objects.exists()


@pytest.mark.django_db
def test_import_page_offers_the_migration_for_legacy_keys(alice):
    legacy = '{ tools: { exec: { approvals: { enabled: true, policy: "allowlist" } } } }'
    response = client_for(alice).post(reverse("gateway-import"), {"name": "gw", "config_text": legacy})
    body = response.content.decode()
    assert "tools.exec" in body
    assert 'id="migration"' in body


@pytest.mark.django_db
def test_import_form_errors(alice):
    client = client_for(alice)
    body = client.post(reverse("gateway-import"), {"name": "bad name!", "config_text": ""}).content.decode()
    assert "letters, digits" in body and "Paste the config" in body
    body = client.post(
        reverse("gateway-import"), {"name": "gw", "config_text": "{}", "env_text": "NOT VALID"}
    ).content.decode()
    assert "line 1" in body
    assert not Gateway.objects.exists()


@pytest.mark.django_db
def test_delete_needs_the_name_typed(alpha, alice):
    url = reverse("gateway-delete", kwargs={"code": alpha.code})
    client_for(alice).post(url, {"confirm_name": "wrong"})
    assert Gateway.objects.filter(pk=alpha.pk).exists()
    client_for(alice).post(url, {"confirm_name": "alpha"})
    assert not Gateway.objects.filter(pk=alpha.pk).exists()


class TestApi:
    url = "/api/v1/config/validate/"

    def post(self, client, body, content_type="application/json"):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return client.post(self.url, data=data, content_type=content_type)

    @pytest.mark.django_db
    def test_validate_returns_the_cli_shape(self, alice):
        response = self.post(client_for(alice), {"config": "{ gateway: { port: 'x' } }"})
        body = response.json()
        assert response.status_code == 200
        assert body["valid"] is False and body["issues"][0]["path"] == "gateway.port"

    @pytest.mark.django_db
    @pytest.mark.parametrize(
        "body, content_type, status, path",
        [
            ({"config": "{}"}, "text/plain", 415, None),
            ("not json", "application/json", 400, None),
            ([1, 2], "application/json", 400, ""),
            ({"config": 5}, "application/json", 400, "config"),
            ({"config": "{}", "env": {"A": 1}}, "application/json", 400, "env"),
            ({"config": "{}", "surprise": 1}, "application/json", 400, "surprise"),
        ],
    )
    def test_bad_requests_are_4xx_with_a_path(self, alice, body, content_type, status, path):
        response = self.post(client_for(alice), body, content_type)
        assert response.status_code == status
        if path is not None:
            assert response.json()["path"] == path

    @pytest.mark.django_db
    def test_oversized_body_is_413(self, alice, settings):
        settings.CP_MAX_CONFIG_BYTES = 1000
        response = self.post(client_for(alice), {"config": "{}" + " " * 2000})
        assert response.status_code == 413

    @pytest.mark.django_db
    def test_create_then_replace_config(self, alice):
        client = client_for(alice)

        def create():
            body = {"name": "api", "config": "{}"}
            review = client.post(
                "/api/v1/gateways/new/", {**body, "dryRun": True}, content_type="application/json"
            )
            token = review.json()["reviewToken"]
            body |= {"reviewToken": token, "reason": "r"}
            return client.post("/api/v1/gateways/new/", body, content_type="application/json")

        created = create()
        assert created.status_code == 201
        code = created.json()["code"]
        bad = client.put(
            f"/api/v1/gateways/{code}/config/",
            json.dumps({"config": "{ tools: { profile: 'everything' } }", "dryRun": True}),
            content_type="application/json",
        )
        assert not bad.json()["valid"] and bad.json()["issues"][0]["path"] == "tools.profile"
        assert "reviewToken" not in bad.json(), "an invalid config cannot be saved"
        assert create().status_code == 409


@pytest.mark.django_db
def test_inbox_filters_ignore_garbage(alpha, vera):
    from tests.conftest import make_pairing

    make_pairing(alpha)
    response = client_for(vera).get(reverse("approvals-inbox"), {"gateway": "not-a-uuid", "kind": "<script>"})
    assert response.status_code == 200 and "Dana" in response.content.decode()
    nobody = "00000000-0000-0000-0000-000000000000"
    other = client_for(vera).get(reverse("approvals-inbox"), {"gateway": nobody})
    assert "Dana" not in other.content.decode()
