"""Config pages: review before every save, the token binds the text, conflicts show three ways."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from controlpanel.models import ConfigRevision
from controlpanel.services.config_revisions import config_revision_create
from tests.conftest import MINIMAL_CONFIG, client_for, make_gateway

pytestmark = pytest.mark.django_db

SECRET = "literal-secret-token-0123456789abcdef"
WITH_SECRET = MINIMAL_CONFIG.replace('"${GW_TOKEN}"', f'"{SECRET}"')


def _url(name, gateway, **kw):
    return reverse(name, kwargs={"code": gateway.code, **kw})


def _hidden(page: str, name: str) -> str:
    if name == "text":
        match = re.search(r'<textarea name="text" hidden aria-hidden="true">(.*?)</textarea>', page, re.S)
        import html

        return html.unescape(match.group(1))
    return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)


def test_a_form_edit_is_reviewed_then_saved_with_a_reason(alpha, alice):
    client = client_for(alice)
    page = client.get(_url("config-form", alpha)).content.decode()
    assert "agents.entries.main.tools.deny" in page
    review = client.post(
        _url("config-form", alpha),
        {"base_hash": alpha.config_hash, "f:agents.entries.coder.tools.deny": "exec"},
    )
    body = review.content.decode()
    assert review.status_code == 200 and "What this change would do" in body
    assert re.search(r"whatif-agent-coder.*loses.*exec", body, re.S), "the what-if names the tool lost"
    assert alpha.revisions.count() == 1, "nothing is saved by the review"
    saved = client.post(
        _url("config-save", alpha),
        {"text": _hidden(body, "text"), "token": _hidden(body, "token"), "reason": "coder runs no shell"},
    )
    assert saved.status_code == 302
    rev = alpha.revisions.first()
    assert (rev.number, rev.source, rev.reason) == (2, "form", "coder runs no shell")
    assert "// two agents, current format" in rev.text
    assert rev.text == MINIMAL_CONFIG.replace(
        'tools: { profile: "coding" } }', 'tools: { profile: "coding", deny: ["exec"] } }'
    )


def test_a_token_is_for_one_text_only(alpha, alice):
    client = client_for(alice)
    body = client.post(
        _url("config-review", alpha), {"text": MINIMAL_CONFIG.replace("Coder", "C2")}
    ).content.decode()
    other = MINIMAL_CONFIG.replace("Coder", "C3")
    client.session.flush()
    response = client_for(alice).post(
        _url("config-save", alpha), {"text": other, "token": _hidden(body, "token"), "reason": "sneaky"}
    )
    assert response.status_code == 400 and alpha.revisions.count() == 1


def test_secrets_never_reach_the_browser_and_are_kept_on_save(alice):
    gw = make_gateway("secretive", text=WITH_SECRET)
    gw.memberships.create(user=alice, role="owner")
    client = client_for(alice)
    editor = client.get(_url("config-edit", gw)).content.decode()
    assert SECRET not in editor and "__OPENCLAW_REDACTED__" in editor
    text = re.search(r'id="config-editor"[^>]*>(.*?)</textarea>', editor, re.S).group(1)
    import html

    edited = html.unescape(text).replace("Coder", "Coder 2").replace("\n", "\r\n")  # as browsers send it
    body = client.post(
        _url("config-review", gw), {"text": edited, "base_hash": gw.config_hash}
    ).content.decode()
    assert SECRET not in body
    client.post(
        _url("config-save", gw),
        {"text": _hidden(body, "text"), "token": _hidden(body, "token"), "reason": "r"},
    )
    rev = gw.revisions.first()
    assert rev.number == 2 and SECRET in rev.text and "Coder 2" in rev.text and "\r\n" not in rev.text


def test_the_second_of_two_owners_is_refused_with_three_views(alpha, alice):
    first, second = client_for(alice), client_for(alice)
    a = first.post(
        _url("config-review", alpha), {"text": MINIMAL_CONFIG.replace("Coder", "Coder A")}
    ).content.decode()
    b = second.post(
        _url("config-review", alpha), {"text": MINIMAL_CONFIG.replace('"Main"', '"Main B"')}
    ).content.decode()
    assert (
        first.post(
            _url("config-save", alpha),
            {"text": _hidden(a, "text"), "token": _hidden(a, "token"), "reason": "a"},
        ).status_code
        == 302
    )
    refused = second.post(
        _url("config-save", alpha), {"text": _hidden(b, "text"), "token": _hidden(b, "token"), "reason": "b"}
    )
    page = refused.content.decode()
    assert refused.status_code == 409
    for part in ("three-way-yours", "three-way-theirs", "three-way-base", "Main B"):
        assert part in page
    assert "review-merged" in page, "the two changes touch different keys: a merge is offered"
    assert alpha.revisions.count() == 2


def test_rollback_restores_the_text_byte_for_byte(alpha, alice):
    config_revision_create(
        gateway=alpha, text=MINIMAL_CONFIG.replace("Coder", "X"), source="editor", reason="x", actor=alice
    )
    client = client_for(alice)
    body = client.get(_url("config-rollback", alpha, number=1)).content.decode()
    assert "Roll back to revision 1" in body
    client.post(
        _url("config-save", alpha),
        {"text": _hidden(body, "text"), "token": _hidden(body, "token"), "reason": "undo"},
    )
    rev = alpha.revisions.first()
    assert rev.number == 3 and rev.source == ConfigRevision.Source.ROLLBACK and rev.text == MINIMAL_CONFIG


def test_history_and_diff_pages_show_meaning(alpha, alice, vera):
    config_revision_create(
        gateway=alpha,
        text=MINIMAL_CONFIG.replace(
            'main: { name: "Main" }', 'main: { name: "Main", tools: { deny: ["read"] } }'
        ),
        source="editor",
        reason="no reading",
        actor=alice,
    )
    history = client_for(vera).get(_url("config-history", alpha)).content.decode()
    assert "revision-2" in history and "no reading" in history
    diff = client_for(vera).get(_url("config-diff", alpha) + "?a=1&b=2").content.decode()
    assert "agents.entries.main.tools" in diff and re.search(r"whatif-agent-main.*loses.*read", diff, re.S)


def test_live_validation_puts_issues_on_their_line(alpha, alice):
    text = "{\n  gateway: {\n    port: 'x',\n  },\n}\n"
    data = client_for(alice).post(_url("config-validate", alpha), {"text": text}).json()
    assert (
        not data["valid"] and data["issues"][0]["path"] == "gateway.port" and data["issues"][0]["line"] == 3
    )
    broken = client_for(alice).post(_url("config-validate", alpha), {"text": "{\n  a: 1,\n  b: ,\n}"}).json()
    assert broken["issues"][0]["line"] == 3


def test_a_channel_form_edit_changes_only_that_channel(alpha, alice):
    client = client_for(alice)
    page = client.get(_url("config-form", alpha)).content.decode()
    assert 'id="channel-telegram"' in page or "Channel telegram" in page
    review = client.post(
        _url("config-form", alpha),
        {
            "base_hash": alpha.config_hash,
            "f:channels.telegram.dmPolicy": "allowlist",
            "f:channels.telegram.allowFrom": "111, 222",
            "f:channels.telegram.groups": "-100123",
            "f:channels.telegram.groups.*.requireMention": "true",
        },
    )
    body = review.content.decode()
    assert review.status_code == 200 and "What this change would do" in body, body[:2000]
    saved = client.post(
        _url("config-save", alpha),
        {"text": _hidden(body, "text"), "token": _hidden(body, "token"), "reason": "allowlist the team"},
    )
    assert saved.status_code == 302
    rev = alpha.revisions.first()
    assert rev.source == "form" and "// two agents, current format" in rev.text
    alpha.refresh_from_db()
    telegram = alpha.config_raw["channels"]["telegram"]
    assert telegram["dmPolicy"] == "allowlist" and telegram["allowFrom"] == ["111", "222"]
    assert telegram["groups"] == {"-100123": {}, "*": {"requireMention": True}}
    assert rev.text.split("channels:")[0] == MINIMAL_CONFIG.split("channels:")[0], "nothing else moved"
