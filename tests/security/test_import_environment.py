"""The import environment resolves ``${VAR}`` references for the check only (issue 19, finding 3).

Agent names, workspaces, agent entries (an ssh sandbox key included) and channel allowlists were
stored from the *resolved* config, so the environment's values sat in the database and were shown
to viewers. What is stored is what was written; the environment lives in memory for the validation.
"""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core import serializers
from django.urls import reverse

from controlpanel.models import Agent, ChannelAccount, Gateway, GatewayMembership, Role
from controlpanel.services.api_tokens import api_token_create
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

ENV_CONFIG = """{
  gateway: { bind: "loopback", port: 18789, auth: { mode: "token", token: "${GW_TOKEN}" } },
  agents: {
    ownership: "explicit",
    entries: {
      main: {
        name: "${AGENT_NAME}",
        workspace: "${AGENT_HOME}/work",
        sandbox: {
          mode: "all",
          backend: "ssh",
          ssh: { target: "${SSH_TARGET}", identityData: "${SSH_KEY}" },
        },
      },
    },
  },
  channels: { telegram: { dmPolicy: "allowlist", allowFrom: ["${OWNER_ID}"] } },
}
"""
ENV = {
    "GW_TOKEN": "0123456789abcdef0123456789abcdef",
    "AGENT_NAME": "ZedFromTheEnvironment",
    "AGENT_HOME": "/home/zed-private",
    "SSH_TARGET": "zed@10.9.8.7",
    "SSH_KEY": "hunter2-ssh-private-key",
    "OWNER_ID": "4242424242",
}
ENV_TEXT = "\n".join(f"{k}={v}" for k, v in ENV.items())


def stored_everywhere() -> str:
    """Every row of every model, serialised: what a database dump would hold (sessions decoded: their
    data is signed base64, not a secret)."""
    rows = [serializers.serialize("json", m.objects.all()) for m in apps.get_models()]
    rows += [json.dumps(s.get_decoded()) for s in Session.objects.all()]
    return "\n".join(rows)


def assert_no_env_value(text: str, where: str) -> None:
    for name, value in ENV.items():
        assert value not in text, f"{name}'s value is in {where}"


def viewer_pages(gateway: Gateway, viewer) -> dict[str, str]:
    GatewayMembership.objects.get_or_create(user=viewer, gateway=gateway, defaults={"role": Role.VIEWER})
    client = client_for(viewer)
    code = gateway.code
    pages = {f"tab {tab}": reverse(f"gateway-{tab}", kwargs={"code": code}) for tab in ("config", "agents")}
    pages["overview"] = reverse("gateway-detail", kwargs={"code": code})
    pages["agent"] = reverse("agent-detail", kwargs={"code": code, "agent_id": "main"})
    pages["history"] = reverse("config-history", kwargs={"code": code})
    pages["revision"] = reverse("config-revision", kwargs={"code": code, "number": 1})
    pages["api gateway"] = reverse("api-gateway", kwargs={"code": code})
    pages["api revision"] = reverse("api-config-revision", kwargs={"code": code, "number": 1})
    pages["activity"] = reverse("activity-export", kwargs={"code": code, "fmt": "json"})
    out = {}
    for label, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (label, response.status_code)
        out[label] = response.content.decode()
    return out


def imported(client, name: str, text: str):
    """The import form as the page posts it: validate and review, then Create (with a reason)."""
    review = client.post(reverse("gateway-import"), {"name": name, "config_text": text, "env_text": ENV_TEXT})
    assert review.status_code == 200 and "token" in review.context, review.content.decode()[:2000]
    assert_no_env_value(review.content.decode(), "the review page")
    # The review keeps the import for its Create; the environment is kept only encrypted.
    assert_no_env_value(stored_everywhere(), "the database while the review is open")
    return client.post(reverse("gateway-import-save"), {"token": review.context["token"], "reason": "r"})


def reviewed(client, method: str, url: str, body: dict, **auth):
    """An API config write: the review (dryRun) first, then the same body with its reviewToken."""
    review = getattr(client, method)(url, data=json.dumps({**body, "dryRun": True}), **auth)
    assert review.status_code == 200 and "reviewToken" in review.json(), review.content
    assert_no_env_value(review.content.decode(), "the API's review")
    body = {**body, "reviewToken": review.json()["reviewToken"], "reason": "r"}
    return getattr(client, method)(url, data=json.dumps(body), **auth)


def check_gateway(gateway: Gateway, vera) -> None:
    agent = Agent.objects.get(gateway=gateway, agent_id="main")
    assert agent.name == "${AGENT_NAME}"
    assert agent.workspace == "${AGENT_HOME}/work"
    assert agent.config["sandbox"]["ssh"]["identityData"] == "${SSH_KEY}"
    assert ChannelAccount.objects.get(gateway=gateway, name="telegram").allow_from == ["${OWNER_ID}"]
    assert_no_env_value(stored_everywhere(), "the database")
    for label, body in viewer_pages(gateway, vera).items():
        assert_no_env_value(body, f"the viewer's {label} page")


def test_the_import_form_stores_what_was_written_not_the_environment(alice, vera):
    response = imported(client_for(alice), "envgw", ENV_CONFIG)
    assert response.status_code == 302, response.content.decode()[:2000]
    check_gateway(Gateway.objects.get(name="envgw"), vera)


def test_the_api_stores_what_was_written_not_the_environment(alice, vera, client):
    token = api_token_create(user=alice, name="t")[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}", "content_type": "application/json"}
    created = reviewed(
        client, "post", reverse("api-gateway-create"), {"name": "envapi", "config": "{}", "env": ENV}, **auth
    )
    assert created.status_code == 201, created.content
    gateway = Gateway.objects.get(name="envapi")
    replaced = reviewed(
        client,
        "put",
        reverse("api-gateway-config", kwargs={"code": gateway.code}),
        {"config": ENV_CONFIG, "env": ENV},
        **auth,
    )
    assert replaced.status_code == 200, replaced.content
    check_gateway(gateway, vera)


def test_a_literal_secret_in_an_agent_entry_is_kept_out_of_the_agent_row_and_the_viewers_pages(alice, vera):
    """Agent.config is a convenience copy: a literal secret stays in the config text (owners only).

    ``sandbox.ssh.identityData`` is one of the values OpenClaw's schema marks sensitive that the
    panel's name rule missed: the viewer's config tab showed the key.
    """
    text = ENV_CONFIG.replace('"${SSH_KEY}"', '"literal-ssh-key-in-the-file"')
    response = imported(client_for(alice), "litgw", text)
    assert response.status_code == 302
    gateway = Gateway.objects.get(name="litgw")
    agent = Agent.objects.get(gateway=gateway, agent_id="main")
    assert "literal-ssh-key-in-the-file" not in json.dumps(agent.config)
    for label, body in viewer_pages(gateway, vera).items():
        assert "literal-ssh-key-in-the-file" not in body, label
