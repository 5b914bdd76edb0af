"""The request plumbing (controlpanel/http.py, lib/jsonlimits.py) and where it is used: the bearer
parser, the bounded body reader, JSON nesting bounds (issue 19, finding 6) and sudo mode on the API
(finding 4)."""

from __future__ import annotations

import json
import time

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from controlpanel.gatewayclient.frames import parse_frame
from controlpanel.http import BadRequest, bearer_token, read_body
from controlpanel.lib import jsonlimits
from controlpanel.models import Alert, Gateway, GatewayMembership, Role
from controlpanel.permissions import RECENT_AUTH_SECONDS, SESSION_AUTH_AT
from controlpanel.services.api_tokens import api_token_create
from controlpanel.services.ingest_tokens import ingest_token_create
from tests.conftest import MINIMAL_CONFIG, TEST_ENV, client_for

DEEP = "[" * 5000 + "]" * 5000


# --- the bearer parser ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header, token",
    [
        (None, None),
        ("Basic dXNlcjpwdw==", None),
        ("Bearer", ""),
        ("Bearer   ", ""),
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),  # the scheme is case-insensitive (RFC 9110 section 11.1)
        ("BEARER  abc ", "abc"),
        ("Bearerabc", None),
    ],
)
def test_bearer_token(header, token):
    headers = {"Authorization": header} if header is not None else {}
    assert bearer_token(RequestFactory().get("/", headers=headers)) == token


# --- the bounded body reader ------------------------------------------------------------------------


@pytest.mark.parametrize("declared", ["abc", "-1", "1e3", "٣", "0x10"])
def test_a_content_length_that_is_not_a_number_is_a_400(declared):
    request = RequestFactory().post("/", data=b"{}", content_type="application/json", CONTENT_LENGTH=declared)
    with pytest.raises(BadRequest) as caught:
        read_body(request, limit=100)
    assert caught.value.status == 400 and "Content-Length" in caught.value.message


def test_a_declared_or_actual_body_over_the_limit_is_a_413():
    big = RequestFactory().post("/", data=b"x" * 101, content_type="text/plain")
    with pytest.raises(BadRequest) as caught:
        read_body(big, limit=100)
    assert caught.value.status == 413
    lying = RequestFactory().post("/", data=b"x" * 10, content_type="text/plain", CONTENT_LENGTH="1000")
    with pytest.raises(BadRequest):
        read_body(lying, limit=100)
    assert read_body(RequestFactory().post("/", data=b"x" * 100, content_type="text/plain"), limit=100)


@pytest.mark.django_db
@pytest.mark.parametrize("declared", ["abc", "12abc"])
def test_the_api_and_ingest_answer_400_to_a_content_length_that_is_not_a_number(alpha, alice, declared):
    """Issue 17 item 5: ``api.py`` answered 500 (``int("abc")``)."""
    body = json.dumps({"config": "{}"})
    response = client_for(alice).post(
        "/api/v1/config/validate/", body, content_type="application/json", CONTENT_LENGTH=declared
    )
    assert response.status_code == 400
    assert "Content-Length" in response.json()["error"]
    _, plaintext = ingest_token_create(gateway=alpha, name="t", actor=alice)
    cache.clear()
    response = Client().post(
        reverse("api-ingest-events", kwargs={"code": alpha.code}),
        json.dumps({"type": "exec.denied", "agent": "a"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {plaintext}"},
        CONTENT_LENGTH=declared,
    )
    assert response.status_code == 400


# --- JSON nesting (finding 6) -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.postgres
@pytest.mark.parametrize(
    "body, path",
    [
        (DEEP, "[0][0][0]"),
        (json.dumps({"type": "exec.denied", "agent": "a"})[:-1] + ', "x": ' + DEEP + "}", "x[0][0]"),
        # Nested deep, but well under the recursion limit: still refused, before any code walks it.
        ('{"events": [{"type": "raw", "text": "t", "detail": ' + "[" * 200 + "]" * 200 + "}]}", "events[0]"),
        (
            json.dumps(
                {
                    "type": "req",
                    "method": "node.event",
                    "params": {"event": "exec.denied", "payloadJSON": DEEP},
                }
            ),
            "event.params.payloadJSON",
        ),
    ],
    ids=["top", "field", "shallow-but-deep", "payloadJSON"],
)
def test_ingest_refuses_deep_json_with_400_naming_the_path(alpha, alice, body, path):
    _, plaintext = ingest_token_create(gateway=alpha, name="t", actor=alice)
    cache.clear()
    response = Client().post(
        reverse("api-ingest-events", kwargs={"code": alpha.code}),
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {plaintext}"},
    )
    assert response.status_code == 400, response.content[:300]
    answer = response.json()
    assert answer["path"].startswith(path)
    assert "nested deeper than 64 levels" in answer["error"]
    assert not Alert.objects.exists()


@pytest.mark.django_db
def test_the_api_refuses_a_deep_body_with_400_naming_the_path(alice):
    body = '{"config": "{}", "env": {"A": ' + DEEP[:400] + DEEP[-400:] + "}}"
    response = client_for(alice).post("/api/v1/config/validate/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["path"].startswith("env.A[0][0]")


def test_a_deep_gateway_frame_is_dropped_not_a_crash():
    assert parse_frame('{"type": "event", "payload": ' + DEEP + "}") is None
    assert parse_frame('{"type": "event", "payload": ' + "[" * 60 + "]" * 60 + "}") is not None


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet="[]{}\"'/*\\ab:,\n"),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(alphabet="[]{}\"'ab", max_size=3), children, max_size=3)
    ),
    max_leaves=40,
)


def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(_json_values, st.integers(min_value=1, max_value=6))
def test_the_text_scan_and_the_value_walk_agree_with_the_depth(value, max_depth):
    """Brackets and quotes inside strings and keys are not nesting; both checks see the same depth."""
    text = json.dumps(value, indent=1 if max_depth % 2 else None)
    too_deep = _depth(value) > max_depth
    for check in (jsonlimits.check_text_depth, lambda t, **kw: jsonlimits.loads(t, **kw)):
        try:
            check(text, max_depth=max_depth)
        except jsonlimits.JsonTooDeep as exc:
            assert too_deep
            assert len(exc.parts) == max_depth
        else:
            assert not too_deep


# --- sudo mode on the API (finding 4) ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_stale_session_cannot_replace_a_config_through_the_api_but_a_token_can(alpha, alice):
    """Finding 4: ``PUT /api/v1/gateways/<code>/config/`` with a stale session replaced the config."""
    url = f"/api/v1/gateways/{alpha.code}/config/"
    new = MINIMAL_CONFIG.replace('name: "Main"', 'name: "Renamed"')
    body = json.dumps({"config": new, "env": TEST_ENV})
    stale = client_for(alice)
    session = stale.session
    session[SESSION_AUTH_AT] = int(time.time()) - RECENT_AUTH_SECONDS - 1
    session.save()
    refused = stale.put(url, body, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "recent_auth_required"
    assert refused.json()["reauth"] == reverse("reauth")
    alpha.refresh_from_db()
    assert "Renamed" not in alpha.config_text
    # After the password, the same session may.
    stale.post(reverse("reauth"), {"password": "pw-alice-long-enough", "next": "/"})
    review = stale.put(url, {**json.loads(body), "dryRun": True}, content_type="application/json").json()
    saved = {**json.loads(body), "reviewToken": review["reviewToken"], "reason": "rename"}
    assert stale.put(url, saved, content_type="application/json").status_code == 200
    # A personal API token counts as recent (documented in permissions.auth_is_recent).
    _, plaintext = api_token_create(user=alice, name="ci")
    token = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    alpha.refresh_from_db()
    back = {"config": MINIMAL_CONFIG, "env": TEST_ENV}
    review = token.put(url, {**back, "dryRun": True}, content_type="application/json").json()
    again = token.put(
        url, {**back, "reviewToken": review["reviewToken"], "reason": "back"}, content_type="application/json"
    )
    assert again.status_code == 200


@pytest.mark.django_db
def test_a_stale_session_cannot_make_anyone_an_owner(alpha, alice, charlie):
    """Finding 4: ``POST members/`` made any account an owner with a stale session."""
    client = client_for(alice)
    session = client.session
    session[SESSION_AUTH_AT] = 0
    session.save()
    response = client.post(
        reverse("member-list", kwargs={"code": alpha.code}), {"username": "charlie", "role": "owner"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/reauth/?next=%2Fgateways%2F{alpha.code}%2Fmembers%2F"
    assert not GatewayMembership.objects.filter(user=charlie, gateway=alpha).exists()
    # An htmx request is told where to go instead.
    response = client.post(
        reverse("member-remove", kwargs={"code": alpha.code, "pk": alpha.memberships.first().pk}),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and response["HX-Redirect"].startswith("/reauth/?next=")
    assert Gateway.objects.get(pk=alpha.pk).memberships.filter(role=Role.OWNER).exists()
