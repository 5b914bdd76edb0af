"""Bad input on every form and API endpoint: a clear 4xx or an error on the page, the database unchanged."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.urls import reverse

from controlpanel.models import Device
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
BIG = "x" * (600 * 1024)
# Deep enough for RecursionError in json / json5 (issue 19, finding 6): refused with the path instead.
DEEP_JSON = '{"plugin": "p", "memory_policy": ' + "[" * 5000 + "]" * 5000 + "}"
DEEP_JSON5 = "{ agents: { defaults: " + "[" * 5000 + "]" * 5000 + " } }"
DEEP_BODY = '{"config": ' + "[" * 5000 + "]" * 5000 + "}"
DEEP_CREATE = json.dumps({"name": "d", "config": DEEP_JSON5})


def row_counts() -> dict[str, int]:
    skip = {"Session", "AccessAttempt", "AccessLog", "AccessFailureLog"}
    return {m.__name__: m.objects.count() for m in apps.get_models() if m.__name__ not in skip}


# (url name, needs device, form data, text expected on the page)
FORMS = [
    ("gateway-import", False, {"name": "", "config_text": "{}"}, "Give the gateway a name"),
    ("gateway-import", False, {"name": "n", "config_text": BIG}, "larger than"),
    ("gateway-import", False, {"name": "n", "config_text": "{ gateway: { port: true } }"}, "gateway.port"),
    ("gateway-import", False, {"name": "n", "config_text": "{ a: 1, a: 2 }"}, "Unrecognized key"),
    ("gateway-import", False, {"name": "n", "config_text": "{}", "env_text": "1BAD=x"}, "line 1"),
    (
        "gateway-reimport",
        False,
        {"config_text": "{ tools: { profile: 7 } }", "validate": "1"},
        "tools.profile",
    ),
    ("member-list", False, {"username": "nobody", "role": "viewer"}, "No active user"),
    ("member-list", False, {"username": "bob", "role": "superuser"}, "Select a valid choice"),
    ("memory-manifest-set", False, {"manifest": "[1, 2]"}, "expected a JSON object"),
    ("memory-manifest-set", False, {"manifest": '{"plugin": 5}'}, "plugin"),
    ("memory-policy-set", False, {"policy": "not json"}, "not JSON"),
    ("memory-workload-set", False, {"name": "w", "limit": "lots"}, "limit"),
    ("memory-manifest-set", False, {"manifest": DEEP_JSON}, "nested deeper than 64 levels at memory_policy"),
    ("memory-policy-set", False, {"policy": DEEP_JSON}, "nested deeper than 64 levels at memory_policy"),
    ("gateway-import", False, {"name": "n", "config_text": DEEP_JSON5}, "agents.defaults.0.0.0"),
    ("gateway-reimport", False, {"config_text": DEEP_JSON5, "validate": "1"}, "Nested deeper than 64"),
    ("suppression-add", False, {"check_id": "x.y", "reason": ""}, "needs the check id and a reason"),
    ("device-rename", True, {"name": ""}, "1 to 200 characters"),
]


@pytest.mark.parametrize(
    "name, needs_device, data, expected", FORMS, ids=[f"{f[0]}-{i}" for i, f in enumerate(FORMS)]
)
def test_forms_refuse_bad_input_and_save_nothing(alpha, alice, bob, name, needs_device, data, expected):
    kwargs = {"code": alpha.code} if name != "gateway-import" else {}
    if needs_device:
        kwargs["device_code"] = Device.objects.create(gateway=alpha, device_id="d", name="old").code
    before = row_counts()
    response = client_for(alice).post(reverse(name, kwargs=kwargs), data, follow=True)
    assert response.status_code == (413 if data.get("config_text") == BIG else 200)
    assert expected in response.content.decode()
    after = row_counts()
    # Only login bookkeeping may change; nothing of the panel's data.
    assert after == before


API = [
    ("/api/v1/config/validate/", "post", "text/plain", "{}", 415),
    ("/api/v1/config/validate/", "post", "application/json", "{", 400),
    ("/api/v1/config/validate/", "post", "application/json", json.dumps({"config": 1}), 400),
    ("/api/v1/config/validate/", "post", "application/json", json.dumps({"config": "{}", "x": 1}), 400),
    ("/api/v1/config/validate/", "post", "application/json", json.dumps({"config": BIG}), 413),
    ("/api/v1/gateways/new/", "post", "application/json", json.dumps({"config": "{}"}), 400),
    (
        "/api/v1/gateways/new/",
        "post",
        "application/json",
        json.dumps({"name": "n", "config": "{ x: 1 }"}),
        400,
    ),
    # A valid config is saved only with its review's token (the name is checked on that save).
    ("/api/v1/gateways/new/", "post", "application/json", json.dumps({"name": "alpha", "config": "{}"}), 428),
    ("{alpha}config/", "put", "application/json", json.dumps({"config": "{ gateway: { bind: 1 } }"}), 400),
    ("{alpha}config/", "put", "application/json", json.dumps({"config": "{}", "env": []}), 400),
    ("/api/v1/config/validate/", "post", "application/json", DEEP_BODY, 400),
    # Validation answers 200 {"valid": false, "issues": [...]}, the issue naming the path.
    ("/api/v1/config/validate/", "post", "application/json", json.dumps({"config": DEEP_JSON5}), 200),
    ("{alpha}config/", "put", "application/json", json.dumps({"config": DEEP_JSON5}), 400),
    ("/api/v1/gateways/new/", "post", "application/json", DEEP_CREATE, 400),
]


@pytest.mark.parametrize(
    "path, method, content_type, body, status", API, ids=[str(i) for i in range(len(API))]
)
def test_api_refuses_bad_input_and_saves_nothing(alpha, alice, path, method, content_type, body, status):
    url = path.replace("{alpha}", f"/api/v1/gateways/{alpha.code}/")
    before = row_counts()
    response = getattr(client_for(alice), method)(url, data=body, content_type=content_type)
    assert response.status_code == status
    payload = response.json()
    assert payload.get("error") or payload.get("issues"), payload
    if "issues" in payload:
        assert all(issue["path"] for issue in payload["issues"])
    assert row_counts() == before
