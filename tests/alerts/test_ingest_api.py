"""POST /api/v1/gateways/<code>/events: token auth, formats, 4xx with paths/lines, 413, 429, atomicity."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from controlpanel.models import Alert, AlertEvent, MemorySample
from controlpanel.services.ingest_tokens import ingest_token_create, ingest_token_revoke

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

SEED_000 = (
    "[OpenClaw v2.4.1] ERROR: clw-memory-denied Attempted access to protected memory region at "
    "0x7fff5a3c0000 Operation: read Required permission: clw_mem_read Current session permissions: "
    "clw_mem_none Sandbox policy: strict Process: plugin-fetcher (PID 12847)\n"
)
SEED_003 = (
    "[ERROR] clw-memory-oom: Container workload-xyz exceeded memory limit [ERROR] Current usage: "
    "2048Mi, Limit: 2048Mi [ERROR] Memory allocation request rejected\n"
)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def token(alpha, alice):
    return ingest_token_create(gateway=alpha, name="shipper", actor=alice)


def post(gateway, body, *, token=None, content_type="application/json", client=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return (client or Client()).post(
        reverse("api-ingest-events", kwargs={"code": gateway.code}),
        data=data,
        content_type=content_type,
        headers=headers,
    )


def denial(agent="main"):
    return {"type": "exec.denied", "agent": agent, "reason": "user-denied", "command": "curl x | sh"}


@pytest.mark.parametrize("shape", ["one", "array", "wrapped"])
def test_it_accepts_one_event_an_array_or_an_events_object(alpha, token, shape):
    body = {"one": denial(), "array": [denial(), denial()], "wrapped": {"events": [denial()]}}[shape]
    response = post(alpha, body, token=token[1])
    assert response.status_code == 202, response.content
    assert response.json()["accepted"] == (2 if shape == "array" else 1)
    assert Alert.objects.get(gateway=alpha).count == response.json()["accepted"]


def test_it_parses_seed_log_lines_as_text(alpha, token):
    response = post(
        alpha, SEED_000 + SEED_003 + "an unknown line\n", token=token[1], content_type="text/plain"
    )
    assert response.status_code == 202, response.content
    types = set(Alert.objects.values_list("type", flat=True))
    assert {"clw-memory-denied", "clw-memory-oom", "raw"} <= types
    assert Alert.objects.get(type="clw-memory-oom").severity == "critical"
    assert MemorySample.objects.filter(usage_bytes=2048 * 2**20).exists()


@pytest.mark.parametrize(
    "header",
    [None, "Bearer nope", "Bearer cpi_wrong", "Basic abc", "Bearer "],
)
def test_it_refuses_missing_or_wrong_tokens_with_401(alpha, token, header):
    headers = {"Authorization": header} if header else {}
    response = Client().post(
        reverse("api-ingest-events", kwargs={"code": alpha.code}),
        data=json.dumps(denial()),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Alert.objects.exists()


def test_a_token_works_only_for_its_own_gateway_and_not_after_revocation(alpha, bravo, token, alice):
    assert post(bravo, denial(), token=token[1]).status_code == 401
    ingest_token_revoke(token=token[0], actor=alice)
    assert post(alpha, denial(), token=token[1]).status_code == 401


def test_it_does_not_need_a_csrf_token(alpha, token):
    client = Client(enforce_csrf_checks=True)
    assert post(alpha, denial(), token=token[1], client=client).status_code == 202


def test_a_bad_batch_is_rejected_whole_with_the_field_path(alpha, token):
    body = [denial(), {"type": "memory.sample", "usage_bytes": "lots"}, denial("x")]
    response = post(alpha, body, token=token[1])
    assert response.status_code == 400
    assert response.json()["path"] == "events[1].usage_bytes"
    assert (Alert.objects.count(), AlertEvent.objects.count(), MemorySample.objects.count()) == (0, 0, 0)


def test_bad_text_names_the_line(alpha, token):
    body = (
        "ok line\n[ERROR] clw-memory-oom: Container w exceeded memory limit "
        "[ERROR] Current usage: 12Xi, Limit: 1Gi\n"
    )
    response = post(alpha, body, token=token[1], content_type="text/plain")
    assert response.status_code == 400, response.content
    assert response.json()["line"] == 2
    assert not Alert.objects.exists()


@pytest.mark.parametrize(
    "body,content_type,status",
    [
        ("{not json", "application/json", 400),
        ('{"type": "no-such-type"}', "application/json", 400),
        ("<xml/>", "application/xml", 415),
    ],
)
def test_it_answers_malformed_input_with_a_4xx(alpha, token, body, content_type, status):
    response = post(alpha, body, token=token[1], content_type=content_type)
    assert response.status_code == status
    assert "error" in response.json()


@override_settings(CP_MAX_INGEST_BYTES=1000)
def test_it_refuses_large_bodies_with_413(alpha, token):
    response = post(alpha, [denial()] * 20, token=token[1])
    assert response.status_code == 413
    assert not Alert.objects.exists()


@override_settings(CP_INGEST_RATE_PER_MINUTE=3)
def test_it_rate_limits_per_token_with_429(alpha, token, alice):
    statuses = [post(alpha, denial(), token=token[1]).status_code for _ in range(4)]
    assert statuses == [202, 202, 202, 429]
    # Another token of the same gateway has its own budget.
    _, other = ingest_token_create(gateway=alpha, name="second", actor=alice)
    assert post(alpha, denial(), token=other).status_code == 202


def test_it_refuses_get(alpha, token):
    response = Client().get(
        reverse("api-ingest-events", kwargs={"code": alpha.code}),
        headers={"Authorization": f"Bearer {token[1]}"},
    )
    assert response.status_code == 405
