"""Hostile text from a gateway never blinds its alerting (#19 findings 1 and 2).

Anyone who names an agent, a plugin or a process controls the text of the events a gateway sends. A
subject longer than the column, a NUL character (which PostgreSQL text cannot hold) or a lone UTF-16
surrogate (which no UTF-8 database can hold) is stored in a safe form, the answer says what was
changed, and the rest of the batch (a critical sandbox escape included) is stored as usual: never a
500, never a dropped batch. Both database passes run these (PostgreSQL is where NUL used to fail).
"""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controlpanel.models import Alert, AlertEvent, DenialWindow, MemorySample
from controlpanel.services.alerts import ingest_events
from controlpanel.services.ingest_tokens import ingest_token_create

from .conftest import ev

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

ESCAPE = {"type": "clw-sandbox-escape", "plugin": "evil-plugin", "attempted": "write /etc/passwd"}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def token(alpha, alice):
    return ingest_token_create(gateway=alpha, name="shipper", actor=alice)[1]


def post(gateway, token, body, content_type="application/json"):
    return Client().post(
        reverse("api-ingest-events", kwargs={"code": gateway.code}),
        data=body if isinstance(body, str | bytes) else json.dumps(body),
        content_type=content_type,
        headers={"Authorization": f"Bearer {token}"},
    )


# --- finding 1: a subject longer than the column -----------------------------------------------------


def test_a_subject_over_300_characters_counts_on_one_alert_and_never_drops_the_batch(alpha, token):
    long_agent = "x" * 301
    for _ in range(3):
        response = post(alpha, token, [{"type": "exec.denied", "agent": long_agent}, ESCAPE])
        assert response.status_code == 202, response.content
    denied = Alert.objects.get(type="exec.denied")
    assert denied.count == 3 and len(denied.subject) <= 300
    assert denied.subject.startswith("x" * 250)
    assert Alert.objects.get(type="clw-sandbox-escape").count == 3  # the critical one was never lost


def test_two_long_subjects_that_share_their_first_300_characters_stay_two_alerts(alpha, token):
    common = "a" * 300
    body = [
        {"type": "exec.denied", "agent": common + "-one"},
        {"type": "exec.denied", "agent": common + "-two"},
    ]
    assert post(alpha, token, body).status_code == 202
    assert post(alpha, token, body).status_code == 202
    subjects = list(Alert.objects.values_list("subject", "count"))
    assert len(subjects) == 2 and {count for _, count in subjects} == {2}
    assert len({subject for subject, _ in subjects}) == 2


def test_the_longest_subjects_the_schema_allows_work_for_every_keyed_field(alpha):
    name = "p" * 512  # ShortText's limit
    events = [
        ev(type="exec.denied", agent=name),
        ev(type="clw-memory-denied", plugin=name),
        ev(type="clw-memory-oom", workload=name, usage_bytes=10, limit_bytes=10),
        ev(type="memory.sample", workload=name, usage_bytes=9, limit_bytes=10),
        ev(type="clw-access-denied", subject=name),
    ]
    for _ in range(2):
        ingest_events(gateway=alpha, events=events)
    assert {a.count for a in Alert.objects.all()} == {2}
    assert MemorySample.objects.filter(gateway=alpha).count() == 4  # the OOM and the sample, twice
    assert all(len(s) <= 300 for s in MemorySample.objects.values_list("subject", flat=True))


# --- finding 2: NUL and lone surrogates ----------------------------------------------------------------


def test_a_nul_in_a_json_string_is_stored_escaped_and_said_in_the_answer(alpha, token):
    body = (
        '[{"type": "exec.denied", "agent": "ma\\u0000in", "command": "rm\\u0000 -rf /"}, '
        + json.dumps(ESCAPE)
        + "]"
    )
    for _ in range(2):
        response = post(alpha, token, body)
        assert response.status_code == 202, response.content
    answer = response.json()
    assert {(e["path"], e["reason"]) for e in answer["escaped"]} == {
        ("events[0].agent", "NUL (U+0000) stored as \\u0000"),
        ("events[0].command", "NUL (U+0000) stored as \\u0000"),
    }
    denied = Alert.objects.get(type="exec.denied")
    assert (denied.subject, denied.count) == ("ma\\u0000in", 2)
    assert "\x00" not in denied.message and "rm\\u0000 -rf /" in denied.message
    assert Alert.objects.get(type="clw-sandbox-escape").count == 2
    assert DenialWindow.objects.filter(key="exec.denied|ma\\u0000in").exists()


def test_a_nul_in_a_text_line_is_stored_escaped_with_its_line_number(alpha, token):
    body = "first line\nsecond \x00 line\n[ERROR] clw-memory-oom: Container w\x00x exceeded memory limit\n"
    response = post(alpha, token, body, content_type="text/plain")
    assert response.status_code == 202, response.content
    assert [(e["line"], e["reason"]) for e in response.json()["escaped"]] == [
        (2, "NUL (U+0000) stored as \\u0000"),
        (3, "NUL (U+0000) stored as \\u0000"),
    ]
    oom = Alert.objects.get(type="clw-memory-oom")
    assert oom.subject == "w\\u0000x"
    lines = [line for e in AlertEvent.objects.all() for line in e.payload.get("lines", [])]
    assert "second \\u0000 line" in lines


def test_a_lone_surrogate_is_stored_escaped(alpha, token):
    body = '{"events": [{"type": "exec.denied", "agent": "a\\ud800b", "reason": "\\udfff"}]}'
    response = post(alpha, token, body)
    assert response.status_code == 202, response.content
    assert {e["path"] for e in response.json()["escaped"]} == {"events[0].agent", "events[0].reason"}
    assert Alert.objects.get().subject == "a\\ud800b"


def test_a_nul_in_an_unknown_gateway_frame_kept_raw_is_escaped(alpha, token):
    response = post(alpha, token, {"type": "event", "event": "some.thing", "payload": {"x": "a\x00b"}})
    assert response.status_code == 202, response.content
    assert response.json()["escaped"] == [
        {"path": "event.payload.x", "line": None, "reason": "NUL (U+0000) stored as \\u0000"}
    ]
    assert "a\\\\u0000b" in Alert.objects.get(type="raw").message  # the frame kept as JSON text


def test_a_field_name_with_a_nul_is_refused_by_name(alpha, token):
    response = post(alpha, token, {"type": "exec.denied", "agent\x00": "x"})
    assert response.status_code == 400
    assert response.json()["path"] == "event.agent\\u0000"
    assert not Alert.objects.exists()


HOSTILE = st.text(
    alphabet=st.sampled_from(["\x00", "\ud800", "\udfff", "a", "é", "\u202e", "|", "*", "\\", '"', " "]),
    max_size=600,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(agent=HOSTILE, command=HOSTILE)
def test_any_agent_name_or_command_is_stored_and_counted_never_a_500(alpha, token, agent, command):
    """A bounded fuzz of the two fields an agent's user controls: every batch is stored whole."""
    before = Alert.objects.filter(type="clw-sandbox-escape").values_list("count", flat=True).first() or 0
    body = json.dumps([{"type": "exec.denied", "agent": agent[:512], "command": command}, ESCAPE])
    response = post(alpha, token, body)
    assert response.status_code == 202, response.content
    assert Alert.objects.get(type="clw-sandbox-escape").count == before + 1


# --- the same class of defect on the alert pages ---------------------------------------------------------


def test_a_silence_with_a_nul_is_refused_with_a_message_not_a_500(alpha, bob):
    from controlpanel.models import Silence
    from tests.conftest import client_for

    url = reverse("alert-silence", kwargs={"code": alpha.code})
    for field in ("comment", "type_pattern", "subject_pattern"):
        data = {"hours": "2", "comment": "maintenance", "type_pattern": "*", "subject_pattern": "*"}
        data[field] = "a\x00b"
        response = client_for(bob).post(url, data, follow=True)
        assert response.status_code == 200
        assert "cannot be stored" in response.content.decode()
    assert not Silence.objects.exists()


def test_an_ingest_token_name_with_a_nul_is_refused(alpha, alice):
    from controlpanel.models import IngestToken
    from tests.conftest import client_for

    url = reverse("ingest-tokens", kwargs={"code": alpha.code})
    response = client_for(alice).post(url, {"name": "ship\x00per"}, follow=True)
    assert response.status_code == 200 and "no NUL characters" in response.content.decode()
    assert not IngestToken.objects.filter(gateway=alpha).exists()


def test_the_memory_chart_of_a_subject_with_a_nul_or_over_300_characters_answers(alpha, vera, token):
    from tests.conftest import client_for

    long_workload = "w" * 400
    body = [
        {"type": "memory.sample", "workload": "a\x00b", "usage_bytes": 5, "limit_bytes": 10},
        {"type": "memory.sample", "workload": long_workload, "usage_bytes": 6, "limit_bytes": 10},
    ]
    assert post(alpha, token, body).status_code == 202
    url = reverse("alert-memory", kwargs={"code": alpha.code})
    for subject, found in (("workload:a\x00b", True), (f"workload:{long_workload}", True), ("x\x00", False)):
        response = client_for(vera).get(url, {"subject": subject})
        assert response.status_code == 200
        assert ("No memory readings" not in response.content.decode()) is found, subject
