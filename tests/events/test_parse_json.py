"""parse_json_event / parse_json_batch: our own event format, real gateway frames, error paths."""

from __future__ import annotations

import json

import pytest

from controlpanel.events.errors import EventValidationError
from controlpanel.events.models import ExecDenied, MemoryOOM, MemoryPressure, MemorySample, RawEvent
from controlpanel.events.parse import parse_json_batch, parse_json_event


def test_it_parses_our_own_event_format() -> None:
    event = parse_json_event(
        {
            "type": "clw-memory-oom",
            "workload": "w",
            "usage_bytes": 2**31,
            "limit_bytes": 2**31,
            "ts": "2026-01-01T00:00:00Z",
        }
    )
    assert isinstance(event, MemoryOOM)
    assert event.percent_used == 100.0
    assert event.ts is not None and event.ts.year == 2026


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([], "event: expected object"),
        ("clw-memory-oom", "event: expected object"),
        ({}, "event.type: field required"),
        ({"type": 5}, "event.type: expected string"),
        ({"type": "nope"}, "event.type: unknown event type 'nope'"),
        ({"type": "clw-memory-oom", "usage_bytes": "lots"}, "event.usage_bytes: expected integer"),
        ({"type": "clw-memory-oom", "usage_bytes": 1.5}, "event.usage_bytes: expected integer"),
        (
            {"type": "clw-memory-oom", "usage_bytes": -1},
            "event.usage_bytes: Input should be greater than or equal to 0",
        ),
        (
            {"type": "clw-memory-oom", "usage_bytes": 2**80},
            "event.usage_bytes: Input should be less than or equal to 9223372036854775807",
        ),
        ({"type": "clw-memory-oom", "colour": "red"}, "event.colour: unexpected field"),
        ({"type": "clw-memory-denied", "address": "0xZZ"}, "event.address: invalid format"),
        ({"type": "clw-memory-denied", "address": "0x" + "f" * 17}, "event.address: invalid format"),
        ({"type": "memory.sample"}, "event.usage_bytes: field required"),
        (
            {"type": "raw", "text": "x", "severity": "loud"},
            "event.severity: Input should be 'info', 'warning' or 'critical'",
        ),
        ({"type": "exec.denied", "agent": "a" * 600}, "event.agent: too long"),
        ({"type": "clw-memory-oom", "ts": "yesterday"}, "event.ts: expected datetime"),
    ],
)
def test_it_rejects_malformed_events_with_a_field_path(obj: object, message: str) -> None:
    with pytest.raises(EventValidationError) as info:
        parse_json_event(obj)
    assert str(info.value) == message
    assert info.value.path.startswith("event")


def test_it_reports_every_problem_of_a_batch_with_its_index() -> None:
    batch = [
        {"type": "memory.sample", "usage_bytes": 1},
        {"type": "memory.sample", "usage_bytes": "a"},
        {"type": "memory.sample", "usage_bytes": 1},
        {"type": "clw-memory-oom", "usage_bytes": 1.5, "extra": True},
    ]
    with pytest.raises(EventValidationError) as info:
        parse_json_batch(batch)
    assert [str(p) for p in info.value.problems] == [
        "events[1].usage_bytes: expected integer",
        "events[3].usage_bytes: expected integer",
        "events[3].extra: unexpected field",
    ]
    assert str(info.value) == "events[1].usage_bytes: expected integer"


@pytest.mark.parametrize(
    "data",
    [
        [{"type": "memory.sample", "usage_bytes": 1}],
        {"events": [{"type": "memory.sample", "usage_bytes": 1}]},
        {"type": "memory.sample", "usage_bytes": 1},
    ],
)
def test_it_accepts_the_three_batch_shapes(data: object) -> None:
    (event,) = parse_json_batch(data)
    assert isinstance(event, MemorySample)


def test_it_rejects_oversized_and_non_list_batches() -> None:
    with pytest.raises(EventValidationError, match=r"events: too many events \(max 2\)"):
        parse_json_batch([{"type": "raw", "text": "x"}] * 3, max_events=2)
    with pytest.raises(EventValidationError, match="events: expected an array or an object"):
        parse_json_batch("nope")


def test_a_sender_cannot_lower_a_fixed_severity() -> None:
    event = parse_json_event({"type": "clw-sandbox-escape", "plugin": "p", "severity": "info"})
    assert event.severity == "critical"


NODE_DENIED_PAYLOAD = {
    "sessionKey": "agent:ops:main",
    "runId": "r-1",
    "host": "node",
    "command": "/usr/bin/uname -s",
    "reason": "approval-required",
    "suppressNotifyOnExit": False,
}


def test_it_reads_a_node_exec_denied_request() -> None:
    # Shape of what the node host sends (node.event with payloadJSON) per openclaw dist sendSystemRunDenied.
    frame = {
        "type": "req",
        "id": "7",
        "method": "node.event",
        "params": {"event": "exec.denied", "payloadJSON": json.dumps(NODE_DENIED_PAYLOAD)},
    }
    event = parse_json_event(frame)
    assert isinstance(event, ExecDenied)
    assert (event.agent, event.reason, event.command, event.run_id) == (
        "ops",
        "approval-required",
        "/usr/bin/uname -s",
        "r-1",
    )
    assert event.alert_key() == ("exec.denied", "ops")


def test_it_reads_an_exec_denied_event_frame() -> None:
    event = parse_json_event({"type": "event", "event": "exec.denied", "payload": NODE_DENIED_PAYLOAD})
    assert isinstance(event, ExecDenied)
    assert event.host == "node"


@pytest.mark.parametrize(
    ("frame", "path"),
    [
        (
            {
                "type": "req",
                "method": "node.event",
                "params": {"event": "exec.denied", "payloadJSON": "{oops"},
            },
            "event.params.payloadJSON",
        ),
        ({"type": "req", "method": "node.event", "params": "x"}, "event.params"),
        ({"type": "event", "event": "exec.denied", "payload": []}, "event.payload"),
        ({"type": "event", "event": "exec.denied", "payload": {"command": 5}}, "event.payload.command"),
        ({"type": "diagnostic.memory.sample", "ts": 1, "memory": {"rssBytes": -4}}, "event.memory.rssBytes"),
        (
            {"type": "diagnostic.memory.pressure", "ts": 1, "memory": {"rssBytes": 1}, "level": "mild"},
            "event.level",
        ),
        # Year 10000 in epoch milliseconds (found by hypothesis): rejected, not a crash.
        ({"type": "diagnostic.memory.sample", "ts": 253402300800000, "memory": {"rssBytes": 1}}, "event.ts"),
        ({"type": "event", "event": "exec.denied", "payload": {"ts": 10**30}}, "event.payload.ts"),
    ],
)
def test_it_rejects_malformed_gateway_frames_with_a_path(frame: dict, path: str) -> None:
    with pytest.raises(EventValidationError) as info:
        parse_json_event(frame)
    assert info.value.path == path


def test_an_approved_resolution_is_not_a_denial() -> None:
    frame = {
        "type": "event",
        "event": "exec.approval.resolved",
        "payload": {"id": "a", "decision": "allow-once"},
    }
    assert isinstance(parse_json_event(frame), RawEvent)


def test_it_reads_a_gateway_memory_pressure_diagnostic() -> None:
    # Field set from openclaw's DiagnosticMemoryPressureEvent type (diagnostic-events .d.ts).
    event = parse_json_event(
        {
            "type": "diagnostic.memory.pressure",
            "seq": 9,
            "ts": 1795237344379,
            "level": "critical",
            "reason": "heap_threshold",
            "memory": {
                "rssBytes": 1274408960,
                "heapTotalBytes": 1,
                "heapUsedBytes": 345734104,
                "externalBytes": 0,
                "arrayBuffersBytes": 0,
            },
            "thresholdBytes": 314572800,
        }
    )
    assert isinstance(event, MemoryPressure)
    assert (event.severity, event.reason, event.usage_bytes, event.threshold_bytes) == (
        "critical",
        "heap_threshold",
        345734104,
        314572800,
    )
    assert event.limit_bytes is None  # a threshold is not a limit


def test_unknown_gateway_frames_are_kept_raw() -> None:
    event = parse_json_event({"type": "event", "event": "tick", "payload": {"ts": 1}})
    assert isinstance(event, RawEvent)
    assert json.loads(event.text) == {"type": "event", "event": "tick", "payload": {"ts": 1}}


def test_a_batch_that_repeats_an_object_parses_it_once_and_keeps_every_occurrence() -> None:
    denial = {"type": "exec.denied", "agent": "main", "reason": "user-denied"}
    other = {"type": "exec.denied", "agent": "ops", "reason": "user-denied"}
    events = parse_json_batch([denial, other, dict(denial), denial])
    assert len(events) == 4
    assert events[0] is events[2] is events[3]  # equal objects: one (read-only) event
    assert events[1] is not events[0] and events[1].agent == "ops"
    # Same fields in another order, or a value of another JSON type: parsed on their own.
    reordered = parse_json_batch([denial, dict(reversed(denial.items()))])
    assert reordered[0] is not reordered[1] and reordered[0] == reordered[1]
    typed = parse_json_batch(
        [{"type": "clw-memory-denied", "pid": 1}, {"type": "clw-memory-denied", "pid": 1.0}]
    )
    assert typed[0] is not typed[1]


def test_a_repeated_invalid_object_is_reported_at_each_of_its_paths() -> None:
    bad = {"type": "clw-memory-oom", "usage_bytes": "lots"}
    with pytest.raises(EventValidationError) as caught:
        parse_json_batch([bad, {"type": "clw-memory-oom", "usage_bytes": 1}, bad])
    assert [p.path for p in caught.value.problems] == ["events[0].usage_bytes", "events[2].usage_bytes"]


def test_objects_with_nested_values_are_parsed_each_time() -> None:
    frame = {"type": "event", "event": "exec.denied", "payload": {"agentId": "main", "reason": "user-denied"}}
    events = parse_json_batch([frame, frame])
    assert events[0] is not events[1] and events[0] == events[1]
