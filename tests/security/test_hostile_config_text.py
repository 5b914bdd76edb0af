"""Text no database can store, in a config or from a gateway: refused naming the path, or kept
escaped; never a 500 (issue 19, finding 2, the config side).

PostgreSQL cannot hold NUL (U+0000) in text or JSON, and no UTF-8 database a lone UTF-16 surrogate.
A config holding one (``"\\u0000"`` in a string, a key, or the character in a comment) used to pass
validation and fail at the database (500 on PostgreSQL, silently stored on SQLite). Now it is a
validation issue naming the path, on every path a config is written by: the import form, the API,
the editor, the form, the review's Save, a fleet change, adopting the live gateway's config. Text a
gateway sends (its running config, mirrored requests) is stored escaped. Both database passes.
"""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.urls import reverse

from controlpanel.background.testing import run_queued_tasks
from controlpanel.models import ExecApprovalRequest, FleetChange, GatewayLink, PairingRequest
from controlpanel.reviews import review_token_for
from controlpanel.services.api_tokens import api_token_create
from controlpanel.services.config_live import live_config_record
from controlpanel.services.gateway_mirror import exec_mirror, pairing_mirror
from tests.conftest import MINIMAL_CONFIG, TEST_ENV, client_for

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

NUL_NAME = MINIMAL_CONFIG.replace('name: "Coder"', 'name: "Co\\u0000der"')
SURROGATE_DENY = MINIMAL_CONFIG.replace('allowFrom: ["111"]', 'allowFrom: ["111", "\\udc00"]')
NUL_IN_COMMENT = MINIMAL_CONFIG.replace("// two agents", "// two \x00 agents")
CASES = [
    (NUL_NAME, "agents.entries.coder.name", "NUL"),
    (SURROGATE_DENY, "channels.telegram.allowFrom.1", "surrogate"),
    (NUL_IN_COMMENT, "the text at 1:8", "NUL"),
]
IDS = ["nul-in-a-value", "surrogate-in-a-list", "nul-in-a-comment"]


def row_counts() -> dict[str, int]:
    skip = {"Session", "AccessAttempt", "AccessLog", "AccessFailureLog"}
    return {m.__name__: m.objects.count() for m in apps.get_models() if m.__name__ not in skip}


@pytest.fixture
def api(alice, client):
    token = api_token_create(user=alice, name="t")[1]

    def call(method, url, body):
        return getattr(client, method)(
            url,
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    return call


def reviewed(api, method, url, body):
    """An API config write as a client makes it: the review (dryRun) first, then the same body with
    its reviewToken. A review that gives no token refused the text: that answer is the write's answer."""
    review = api(method, url, {**body, "dryRun": True})
    token = review.json().get("reviewToken") if review.status_code == 200 else None
    if token is None:
        return review
    return api(method, url, {**body, "reviewToken": token, "reason": "r"})


@pytest.mark.parametrize("text, where, kind", CASES, ids=IDS)
def test_every_config_write_path_refuses_it_as_a_validation_issue_naming_the_path(
    alpha, alice, api, text, where, kind
):
    owner = client_for(alice)
    code = alpha.code
    before = row_counts()
    answers = {
        "import form": owner.post(
            reverse("gateway-import"),
            {"name": "hostile", "config_text": text, "env_text": "GW_TOKEN=" + "x" * 40},
        ),
        "import form, validate only": owner.post(
            reverse("gateway-import"), {"name": "hostile", "config_text": text, "validate": "1"}
        ),
        "re-import": owner.post(reverse("gateway-reimport", kwargs={"code": code}), {"config_text": text}),
        "editor review": owner.post(reverse("config-review", kwargs={"code": code}), {"text": text}),
        "editor live validation": owner.post(
            reverse("config-validate", kwargs={"code": code}), {"text": text}
        ),
        # Through the review (refused there: no token is given for it) ...
        "api create": reviewed(
            api, "post", reverse("api-gateway-create"), {"name": "hostile", "config": text}
        ),
        "api replace": reviewed(
            api, "put", reverse("api-gateway-config", kwargs={"code": code}), {"config": text}
        ),
        "api revision": reviewed(
            api,
            "post",
            reverse("api-config-revisions", kwargs={"code": code}),
            {"config": text, "baseHash": alpha.config_hash},
        ),
        # ... and at the save itself: without a review, or with a token for this very text (the save
        # re-validates what it saves; the token is no pass).
        "api create, not reviewed": api(
            "post", reverse("api-gateway-create"), {"name": "hostile", "config": text}
        ),
        "api replace, not reviewed": api(
            "put", reverse("api-gateway-config", kwargs={"code": code}), {"config": text}
        ),
        "api revision, with its token": api(
            "post",
            reverse("api-config-revisions", kwargs={"code": code}),
            {
                "config": text,
                "baseHash": alpha.config_hash,
                "reason": "r",
                "reviewToken": review_token_for(
                    text=text, base_hash=alpha.config_hash, source="editor", gateway=alpha, user=alice
                ),
            },
        ),
        "api validate": api("post", reverse("api-config-validate"), {"config": text}),
        "api revision, dry run": api(
            "post",
            reverse("api-config-revisions", kwargs={"code": code}),
            {"config": text, "baseHash": alpha.config_hash, "dryRun": True},
        ),
    }
    for label, response in answers.items():
        assert response.status_code < 500, label
        body = response.content.decode()
        assert "cannot store" in body, (label, response.status_code, body[:3000])
        assert where in body, (label, where)
    assert row_counts() == before, "nothing is written"


def test_a_reviewed_text_cannot_be_saved_either(alpha, alice):
    """Save re-validates what it saves (a token is for one text; the text is refused, with the path)."""
    from controlpanel.services.config_revisions import ConfigEditError, config_revision_create

    with pytest.raises(ConfigEditError) as refused:
        config_revision_create(gateway=alpha, text=NUL_NAME, source="editor", reason="r", actor=alice)
    assert refused.value.path == "agents.entries.coder.name"


def test_a_form_field_with_a_nul_is_refused_not_stored(alpha, alice):
    owner = client_for(alice)
    before = row_counts()
    response = owner.post(
        reverse("config-form", kwargs={"code": alpha.code}),
        {"base_hash": alpha.config_hash, "f:agents.entries.coder.tools.deny": "ex\x00ec"},
    )
    assert response.status_code < 500
    assert "cannot store" in response.content.decode()
    assert row_counts() == before


def test_a_fleet_change_holding_one_is_refused_with_the_path(alpha, alice):
    owner = client_for(alice)
    # Written as an escape: the snippet is kept, each gateway's preview names the path. The character
    # itself: the change cannot be kept, refused with its position.
    for snippet in ['{ name: "x\\u0000" }', '{ name: "x\x00" }']:
        before = row_counts()
        response = owner.post(
            reverse("fleet-change-new"),
            {
                "kind": "snippet",
                "path": "agents.entries.main",
                "snippet": snippet,
                "gateways": [str(alpha.code)],
                "reason": "r",
            },
        )
        assert response.status_code < 500
        if response.status_code == 302:  # previewed: the gateway's row names the path, nothing applied
            fleet = FleetChange.objects.get()
            run_queued_tasks()
            [target] = fleet.targets.all()
            assert target.status == "previewed" and target.revision is None
            assert not target.preview["valid"], target.preview
            assert target.preview["issues"][0]["path"] == "agents.entries.main.name", target.preview
            assert "cannot store" in target.preview["issues"][0]["message"]
            page = owner.get(response.url).content.decode()
            assert "agents.entries.main.name" in page and "cannot store" in page
            assert alpha.revisions.count() == before["ConfigRevision"], "nothing applied"
            fleet.delete()
        else:
            assert "cannot store" in response.content.decode()
            assert row_counts() == before
    for field in ("path", "reason"):
        data = {"kind": "baseline", "path": "", "gateways": [str(alpha.code)], "reason": "r", field: "a\x00"}
        response = owner.post(reverse("fleet-change-new"), data)
        assert response.status_code == 200 and "cannot store" in response.content.decode(), field
    assert not FleetChange.objects.exists()


def test_a_reason_with_a_nul_is_refused_naming_the_field(alpha, alice):
    from controlpanel.services.config_revisions import ConfigEditError, config_revision_create

    with pytest.raises(ConfigEditError) as refused:
        config_revision_create(
            gateway=alpha,
            text=MINIMAL_CONFIG.replace("Coder", "C"),
            source="editor",
            reason="a\x00",
            actor=alice,
        )
    assert refused.value.path == "reason"


def _linked(gateway):
    return GatewayLink.objects.create(gateway=gateway, state="connected")


def test_a_gateways_own_config_with_one_is_stored_escaped_and_adopting_it_names_the_path(alpha, alice):
    _linked(alpha)
    live = MINIMAL_CONFIG.replace('name: "Main"', 'name: "Ma\x00in"').replace("// two", "// t\ud800wo")
    live_config_record(gateway_id=alpha.pk, payload={"hash": "h" * 300, "raw": live})
    link = GatewayLink.objects.get(gateway=alpha)
    assert "\x00" not in link.remote_config_text and "Ma\\u0000in" in link.remote_config_text
    assert len(link.remote_config_hash) <= 200
    owner = client_for(alice)
    for name in ("config-live", "gateway-connection"):
        assert owner.get(reverse(name, kwargs={"code": alpha.code})).status_code == 200
    before = row_counts()
    review = owner.get(reverse("config-adopt", kwargs={"code": alpha.code}))
    assert review.status_code == 200
    body = review.content.decode()
    assert "cannot store" in body and "agents.entries.main.name" in body
    assert row_counts() == before


def test_mirrored_requests_keep_hostile_text_escaped(alpha):
    long = "r" * 500
    assert exec_mirror(
        gateway_id=alpha.pk,
        payload={
            "id": long,
            "request": {
                "command": "rm -rf \x00/",
                "commandArgv": ["rm", "\ud800"],
                "agentId": "a\x00" * 200,
                "cwd": "/tmp/\x00",
                "envKeys": ["K\x00"],
                "host": "h\x00",
                "sessionKey": "s\x00",
            },
            "createdAtMs": 10**20,
            "expiresAtMs": "soon",
        },
    )
    row = ExecApprovalRequest.objects.get()
    assert row.command == "rm -rf \\u0000/" and row.argv == ["rm", "\\ud800"]
    assert pairing_mirror(
        gateway_id=alpha.pk,
        kind="device",
        record={
            "requestId": long,
            "deviceId": "d\x00" * 300,
            "displayName": "Phone\x00",
            "platform": "\ud800",
            "publicKey": "k\x00",
            "scopes": ["operator.read\x00"],
            "ts": -(10**30),
        },
    )
    pairing = PairingRequest.objects.get()
    assert pairing.device_name == "Phone\\u0000" and pairing.requested_scopes == ["operator.read\\u0000"]
    # The same request again is recognised (its id fitted the same way), not mirrored twice.
    assert not exec_mirror(gateway_id=alpha.pk, payload={"id": long, "request": {"command": "x"}})
    # A deadline no datetime can hold is not believed (the default applies).
    assert exec_mirror(
        gateway_id=alpha.pk, payload={"id": "far", "request": {"command": "x"}, "expiresAtMs": 1e20}
    )


def test_the_env_of_an_import_may_hold_anything(alice):
    """The environment is never stored: a NUL in a value only reaches the validation."""
    response = client_for(alice).post(
        reverse("api-config-validate"),
        data=json.dumps({"config": MINIMAL_CONFIG, "env": {**TEST_ENV, "X": "a\x00"}}),
        content_type="application/json",
    )
    assert response.status_code == 200
