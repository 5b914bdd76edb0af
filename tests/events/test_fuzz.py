"""Property tests: parse_lines never raises; the JSON parsers raise only EventValidationError."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controlpanel.events.errors import EventValidationError
from controlpanel.events.models import EVENT_TYPES
from controlpanel.events.parse import decode_text, parse_json_batch, parse_json_event, parse_lines

FRAGMENTS = [
    "[OpenClaw v2.4.1] ",
    "ERROR: ",
    "FATAL: ",
    "[2025-01-15 08:32:14] [WARN] ",
    "2024-01-15T10:23:45.123Z ERROR [runtime] ",
    "[ERROR] ",
    "clw-memory-oom",
    "clw-memory-denied",
    "clw-container-kill",
    "clw-memory-pressure",
    "clw-resource-limit",
    "clw-memory-fault",
    ": ",
    "Current usage: ",
    "Limit: ",
    "Usage: ",
    "Memory stats: used=",
    "Process: ",
    "(PID 99999999999)",
    "Fault address: ",
    "Signal: SIG",
    "Reason: OOMKilled",
    "Exit Code: ",
    "Status: OOMKilled",
    "Containers:",
    "Memory: ",
    "2048Mi",
    " / ",
    "9" * 25,
    "Gi",
    "0x",
    "%",
    "\n",
    "\r\n",
    " ",
    "memory pressure: level=critical reason=rss_threshold rssBytes=",
    "Exec denied (gateway id=x, user-denied): ",
    "SYSTEM_RUN_DENIED: ",
]
log_like = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=40).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), log_like))
def test_parse_lines_never_raises_and_keeps_every_non_blank_line(text: str) -> None:
    parsed = parse_lines(text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    covered = set()
    for item in parsed:
        assert 1 <= item.line <= item.end_line <= len(lines)
        covered.update(range(item.line, item.end_line + 1))
    for number, line in enumerate(lines, start=1):
        if line.strip():
            assert number in covered


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_decode_and_parse(body: bytes) -> None:
    parse_lines(decode_text(body))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=15,
)
event_like = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            [*EVENT_TYPES, "event", "req", "diagnostic.memory.sample", "diagnostic.memory.pressure"]
        )
    },
    optional={
        "usage_bytes": json_values,
        "limit_bytes": json_values,
        "workload": json_values,
        "ts": json_values,
        "severity": json_values,
        "text": json_values,
        "event": st.sampled_from(["exec.denied", "exec.approval.resolved", "tick"]),
        "payload": json_values,
        "method": st.just("node.event"),
        "params": st.fixed_dictionaries(
            {"event": st.just("exec.denied"), "payloadJSON": st.text(max_size=20)}
        ),
        "memory": json_values,
        "level": json_values,
    },
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(json_values, event_like))
def test_parse_json_event_raises_only_event_validation_errors_with_a_path(obj: object) -> None:
    try:
        event = parse_json_event(obj)
    except EventValidationError as exc:
        assert exc.path.startswith("event")
        assert all(p.path for p in exc.problems)
    else:
        # Whatever was accepted must serialise for storage.
        json.loads(event.model_dump_json())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(json_values, event_like), max_size=3))
def test_parse_json_batch_raises_only_event_validation_errors(data: list) -> None:
    try:
        parse_json_batch(data)
    except EventValidationError as exc:
        assert all(p.path.startswith("events") for p in exc.problems)


numbers = st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.text(max_size=5))
gateway_like = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["diagnostic.memory.sample", "diagnostic.memory.pressure"]),
            "ts": numbers,
            "memory": st.fixed_dictionaries({"rssBytes": numbers, "heapUsedBytes": numbers}),
            "level": st.sampled_from(["warning", "critical", "x"]),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("event"),
            "event": st.sampled_from(["exec.denied", "exec.approval.resolved"]),
            "payload": st.fixed_dictionaries(
                {
                    "ts": numbers,
                    "decision": st.just("deny"),
                    "sessionKey": st.text(max_size=12),
                    "request": json_values,
                }
            ),
        }
    ),
)


@settings(max_examples=150, deadline=None)
@given(gateway_like)
def test_gateway_shaped_input_raises_only_event_validation_errors(obj: dict) -> None:
    try:
        parse_json_event(obj)
    except EventValidationError as exc:
        assert exc.path.startswith("event")
