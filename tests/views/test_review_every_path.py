"""Nothing is saved without its review, on every path: a new gateway's first import (page and API),
the deprecated ``PUT .../config/``, the revision and rollback endpoints, and the pages' Save."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from controlpanel.models import ActivityEvent, Gateway
from controlpanel.services.api_tokens import api_token_create
from tests.conftest import MINIMAL_CONFIG, client_for, make_user

pytestmark = pytest.mark.django_db

OPEN = MINIMAL_CONFIG.replace('dmPolicy: "pairing"', 'dmPolicy: "open", allowFrom: ["*"]').replace(
    ', allowFrom: ["111"]', ""
)
DENY_EXEC = MINIMAL_CONFIG.replace(
    'main: { name: "Main" }', 'main: { name: "Main", tools: { deny: ["exec"] } }'
)
ENV_LINE = "GW_TOKEN=" + "0123456789abcdef" * 2


# --- the page: a new gateway -----------------------------------------------------------------------


def _review_new(client, name="fresh", text=MINIMAL_CONFIG):
    response = client.post(
        reverse("gateway-import"), {"name": name, "config_text": text, "env_text": ENV_LINE}
    )
    assert response.status_code == 200
    return response, response.context["token"]


def test_a_new_gateway_is_reviewed_then_created_with_a_reason(alice):
    client = client_for(alice)
    response, token = _review_new(client)
    body = response.content.decode()
    assert not Gateway.objects.filter(name="fresh").exists(), "validating saves nothing"
    assert "Review the import: fresh" in body and 'id="create-button"' in body
    # What each agent could do, from the policy engine: main has exec, coder's coding profile too.
    assert 'id="import-agent-main"' in body and 'id="import-agent-coder"' in body
    main = next(a for a in response.context["agents"] if a.agent_id == "main")
    assert "exec" in main.now.tools and main.now.sandbox == "off" and main.now.elevated in ("on", "off")
    # The audit of the file, each finding with its severity.
    assert response.context["findings"] and all(f.kind == "new" for f in response.context["findings"])
    assert 'id="import-findings"' in body
    assert "0123456789abcdef" not in body, "the environment never goes to the browser"

    refused = client.post(reverse("gateway-import-save"), {"token": token, "reason": "  "})
    assert refused.status_code == 400 and "Say why" in refused.content.decode()
    assert not Gateway.objects.filter(name="fresh").exists()

    created = client.post(reverse("gateway-import-save"), {"token": token, "reason": "the lab gateway"})
    gateway = Gateway.objects.get(name="fresh")
    assert created.status_code == 302 and created.url == reverse(
        "gateway-agents", kwargs={"code": gateway.code}
    )
    revision = gateway.revisions.get()
    assert revision.text == MINIMAL_CONFIG.strip() and revision.reason == "the lab gateway"
    assert revision.source == "import" and revision.author == alice
    assert gateway.memberships.get().user == alice and gateway.memberships.get().role == "owner"
    assert ActivityEvent.objects.get(action="gateway.created").detail["reason"] == "the lab gateway"
    again = client.post(reverse("gateway-import-save"), {"token": token, "reason": "twice"})
    assert again.status_code == 302 and Gateway.objects.filter(name="fresh").count() == 1, "one use"


def test_the_review_token_is_for_its_author_and_its_text_only(alice, bob):
    _, token = _review_new(client_for(alice))
    stolen = client_for(bob).post(reverse("gateway-import-save"), {"token": token, "reason": "mine"})
    assert stolen.status_code == 302 and not Gateway.objects.filter(name="fresh").exists()
    forged = client_for(alice).post(reverse("gateway-import-save"), {"token": token + "x", "reason": "r"})
    assert forged.status_code == 302 and not Gateway.objects.filter(name="fresh").exists()


def test_a_name_taken_meanwhile_creates_nothing_and_the_form_comes_back_filled(alice, alpha):
    client = client_for(alice)
    _, token = _review_new(client, name="alpha")  # the review does not say whether a name is taken
    response = client.post(reverse("gateway-import-save"), {"token": token, "reason": "r"})
    assert response.status_code == 409 and "already exists" in response.content.decode()
    assert Gateway.objects.filter(name="alpha").count() == 1 and alpha.revisions.count() == 1
    back = client.get(reverse("gateway-import") + f"?draft={response.context['digest']}")
    form = back.context["form"]
    assert form.initial["config_text"] == MINIMAL_CONFIG.strip() and form.initial["name"] == "alpha"


def test_an_invalid_new_config_shows_its_issues_and_no_review(alice):
    response = client_for(alice).post(
        reverse("gateway-import"), {"name": "bad", "config_text": "{ gateway: { port: true } }"}
    )
    body = response.content.decode()
    assert "gateway.port" in body and 'id="create-button"' not in body and "token" not in response.context


# --- the pages' Save --------------------------------------------------------------------------------


def test_save_without_a_reason_shows_the_review_again(alice, alpha):
    client = client_for(alice)
    review = client.post(reverse("config-review", kwargs={"code": alpha.code}), {"text": DENY_EXEC})
    token = review.context["token"]
    response = client.post(
        reverse("config-save", kwargs={"code": alpha.code}), {"token": token, "text": DENY_EXEC, "reason": ""}
    )
    assert response.status_code == 400 and "Say why" in response.content.decode()
    assert alpha.revisions.count() == 1


# --- the API ---------------------------------------------------------------------------------------


@pytest.fixture
def api(alice, client):
    token = api_token_create(user=alice, name="t")[1]

    def call(method, url, body):
        return getattr(client, method)(
            url, data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
        )

    return call


def test_api_create_is_two_steps(api, alice):
    url = reverse("api-gateway-create")
    body = {"name": "fresh", "config": MINIMAL_CONFIG, "env": {"GW_TOKEN": "0123456789abcdef" * 2}}
    missing = api("post", url, body)
    assert missing.status_code == 428 and missing.json()["path"] == "reviewToken"
    assert not Gateway.objects.filter(name="fresh").exists()
    dry = api("post", url, {**body, "dryRun": True}).json()
    assert dry["valid"] and not Gateway.objects.filter(name="fresh").exists()
    agents = {a["agentId"]: a for a in dry["whatIf"]["agents"]}
    assert agents["main"]["added"] and "exec" in agents["main"]["now"]["tools"]
    assert {"sandbox", "execSecurity", "execAsk", "elevated"} <= set(agents["main"]["now"])
    assert all(f["change"] == "new" for f in dry["whatIf"]["findings"])
    token = dry["reviewToken"]
    other = api("post", url, {**body, "config": OPEN, "reviewToken": token, "reason": "r"})
    assert other.status_code == 400 and other.json()["path"] == "reviewToken", "the token is for that text"
    renamed = api("post", url, {**body, "name": "other", "reviewToken": token, "reason": "r"})
    assert renamed.status_code == 400 and renamed.json()["path"] == "reviewToken"
    no_reason = api("post", url, {**body, "reviewToken": token})
    assert no_reason.status_code == 400 and no_reason.json()["path"] == "reason"
    created = api("post", url, {**body, "reviewToken": token, "reason": "from CI"})
    assert created.status_code == 201, created.json()
    assert Gateway.objects.get(name="fresh").revisions.get().reason == "from CI"


def test_api_dry_run_of_an_invalid_config_gives_no_token(api):
    dry = api(
        "post",
        reverse("api-gateway-create"),
        {"name": "x", "config": "{ gateway: { port: 'x' } }", "dryRun": True},
    )
    assert dry.status_code == 200 and not dry.json()["valid"] and "reviewToken" not in dry.json()


def test_the_deprecated_put_saves_only_after_its_review(api, alpha):
    url = f"/api/v1/gateways/{alpha.code}/config/"
    body = {"config": DENY_EXEC, "env": {"GW_TOKEN": "0123456789abcdef" * 2}}
    missing = api("put", url, body)
    assert missing.status_code == 428 and alpha.revisions.count() == 1
    dry = api("put", url, {**body, "dryRun": True}).json()
    assert dry["whatIf"]["agents"][0]["lost"] == ["exec"] and alpha.revisions.count() == 1
    saved = api("put", url, {**body, "reviewToken": dry["reviewToken"], "reason": "no shell for main"})
    assert saved.status_code == 200 and alpha.revisions.first().reason == "no shell for main"
    stale = api("put", url, {**body, "config": OPEN, "dryRun": True}).json()["reviewToken"]
    # Someone else saves in between:
    token = api("put", url, {**body, "config": MINIMAL_CONFIG, "dryRun": True}).json()["reviewToken"]
    back = api("put", url, {**body, "config": MINIMAL_CONFIG, "reviewToken": token, "reason": "back"})
    assert back.status_code == 200
    moved = api("put", url, {**body, "config": OPEN, "reviewToken": stale, "reason": "open it"})
    assert moved.status_code == 409 and moved.json()["head"]["number"] == 3
    assert alpha.revisions.count() == 3


def test_revision_and_rollback_endpoints_need_the_review(api, alpha):
    url = reverse("api-config-revisions", kwargs={"code": alpha.code})
    body = {"config": DENY_EXEC, "baseHash": alpha.config_hash, "reason": "r"}
    assert api("post", url, body).status_code == 428 and alpha.revisions.count() == 1
    token = api("post", url, {**body, "dryRun": True}).json()["reviewToken"]
    assert api("post", url, {**body, "reviewToken": token}).status_code == 201
    alpha.refresh_from_db()
    back = reverse("api-config-rollback", kwargs={"code": alpha.code, "number": 1})
    body = {"baseHash": alpha.config_hash, "reason": "undo"}
    assert api("post", back, body).status_code == 428
    dry = api("post", back, {**body, "dryRun": True}).json()
    assert dry["whatIf"]["agents"][0]["gained"] == ["exec"]
    other = reverse("api-config-rollback", kwargs={"code": alpha.code, "number": 2})
    assert api("post", other, {**body, "reviewToken": dry["reviewToken"]}).status_code == 400
    assert api("post", back, {**body, "reviewToken": dry["reviewToken"]}).status_code == 201
    alpha.refresh_from_db()
    assert alpha.config_text == MINIMAL_CONFIG and alpha.revisions.count() == 3


def test_a_review_token_of_another_user_is_refused(api, alpha, alice):
    bob_owner = make_user("owner2")
    alpha.memberships.create(user=bob_owner, role="owner")
    url = reverse("api-config-revisions", kwargs={"code": alpha.code})
    body = {"config": DENY_EXEC, "baseHash": alpha.config_hash}
    token = api("post", url, {**body, "dryRun": True}).json()["reviewToken"]
    other = client_for(bob_owner)
    other_token = api_token_create(user=bob_owner, name="t")[1]
    response = other.post(
        url,
        data=json.dumps({**body, "reason": "r", "reviewToken": token}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {other_token}",
    )
    assert response.status_code == 400 and "someone else" in response.json()["error"]
