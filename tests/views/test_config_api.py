"""The config API: revisions list/get/diff, edit with a base hash, rollback, drift."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from controlpanel.services.api_tokens import api_token_create
from tests.conftest import MINIMAL_CONFIG

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(alice, client):
    token = api_token_create(user=alice, name="t")[1]

    def call(method, name, gateway, body=None, query="", **kw):
        url = reverse(name, kwargs={"code": gateway.code, **kw}) + query
        args = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if body is not None:
            args.update(data=json.dumps(body), content_type="application/json")
        return getattr(client, method)(url, **args)

    return call


@pytest.fixture
def save(api):
    """A save as a client makes it: the review (dryRun) first, then the same body with its token."""

    def call(name, gateway, body, **kw):
        token = api("post", name, gateway, {**body, "dryRun": True}, **kw).json()["reviewToken"]
        return api("post", name, gateway, {**body, "reviewToken": token}, **kw)

    return call


def test_edit_with_base_hash_dry_run_then_save_then_conflict(api, save, alpha):
    edited = MINIMAL_CONFIG.replace(
        'main: { name: "Main" }', 'main: { name: "Main", tools: { deny: ["exec"] } }'
    )
    dry = api(
        "post",
        "api-config-revisions",
        alpha,
        {"config": edited, "baseHash": alpha.config_hash, "dryRun": True},
    )
    assert dry.status_code == 200 and dry.json()["whatIf"]["agents"][0]["lost"] == ["exec"]
    saved = save(
        "api-config-revisions", alpha, {"config": edited, "baseHash": alpha.config_hash, "reason": "r"}
    )
    assert saved.status_code == 201 and saved.json()["number"] == 2 and saved.json()["source"] == "editor"
    stale = api(
        "post",
        "api-config-revisions",
        alpha,
        {"config": MINIMAL_CONFIG, "baseHash": alpha.config_hash, "reason": "r"},
    )
    assert stale.status_code == 409 and stale.json()["head"]["number"] == 2
    listed = api("get", "api-config-revisions", alpha).json()["revisions"]
    assert [r["number"] for r in listed] == [2, 1]
    one = api("get", "api-config-revision", alpha, number=2).json()
    assert "deny" in one["text"]
    diff = api("get", "api-config-diff", alpha, query="?from=1&to=2").json()
    assert "+" in diff["unified"] and diff["keys"][0]["path"] == "agents.entries.main.tools"
    assert api("get", "api-config-diff", alpha, query="?from=1").status_code == 400


def test_rollback_and_drift(api, save, alpha):
    alpha.refresh_from_db()
    save(
        "api-config-revisions",
        alpha,
        {"config": MINIMAL_CONFIG.replace("Coder", "X"), "baseHash": alpha.config_hash, "reason": "x"},
    )
    alpha.refresh_from_db()
    back = save("api-config-rollback", alpha, {"baseHash": alpha.config_hash, "reason": "undo"}, number=1)
    assert back.status_code == 201 and back.json()["source"] == "rollback"
    alpha.refresh_from_db()
    assert alpha.config_text == MINIMAL_CONFIG
    drift = api("get", "api-config-drift", alpha).json()
    assert drift == {
        "linked": False,
        "liveHash": "",
        "fetchedAt": None,
        "currentRevision": 3,
        "runningRevision": None,
        "drift": False,
        "keys": [],
        "whatIf": None,
    }
