"""Alert rules as state machines, driven by a controlled clock (table-driven)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from controlpanel.events.evaluate import AlertEvaluator
from controlpanel.events.models import (
    ContainerKill,
    ExecDenied,
    MemoryOOM,
    MemoryPressure,
    MemorySample,
    RawEvent,
    SandboxEscape,
)
from controlpanel.events.rules import (
    AlertState,
    DenialEscalator,
    PressureConfig,
    PressureTracker,
    SourceTracker,
)

T0 = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
LIMIT = 1000


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def run_pressure(steps: list[tuple[float, object]], config: PressureConfig | None = None) -> list[tuple]:
    """Feed (second, percent | None | "tick") steps; return (second, previous, current) transitions."""
    tracker = PressureTracker(config)
    out = []
    for second, value in steps:
        if value == "tick":
            transitions = tracker.tick(at(second))
        elif value is None:
            transitions = tracker.observe("w", 500, None, at(second))
        else:
            transitions = tracker.observe("w", round(value * LIMIT / 100), LIMIT, at(second))
        out += [(second, t.previous.value, t.current.value) for t in transitions]
    return out


PRESSURE_CASES = {
    "a spike does not fire": (
        [(0, 85), (10, 70)],
        [(0, "unknown", "pending"), (10, "pending", "ok")],
    ),
    "warning after the pending period": (
        [(0, 85), (30, 85), (59, 85), (60, 85)],
        [(0, "unknown", "pending"), (60, "pending", "warning")],
    ),
    "critical after the pending period": (
        [(0, 95), (60, 95)],
        [(0, "unknown", "pending"), (60, "pending", "critical")],
    ),
    "critical needs its own pending period": (
        [(0, 85), (60, 85), (70, 95), (100, 95), (129, 95), (130, 95)],
        [(0, "unknown", "pending"), (60, "pending", "warning"), (130, "warning", "critical")],
    ),
    "warning holds down to 75 and clears below": (
        [(0, 85), (60, 85), (70, 78), (80, 75), (90, 74.9)],
        [(0, "unknown", "pending"), (60, "pending", "warning"), (90, "warning", "ok")],
    ),
    "critical holds down to 85, drops to warning below, clears below 75": (
        [(0, 95), (60, 95), (70, 85), (80, 84), (90, 76), (100, 74)],
        [
            (0, "unknown", "pending"),
            (60, "pending", "critical"),
            (80, "critical", "warning"),
            (100, "warning", "ok"),
        ],
    ),
    "critical clears straight to ok below 75": (
        [(0, 95), (60, 95), (70, 50)],
        [(0, "unknown", "pending"), (60, "pending", "critical"), (70, "critical", "ok")],
    ),
    "dropping below 80 restarts the pending period": (
        [(0, 85), (50, 79), (60, 85), (110, 85), (120, 85)],
        [
            (0, "unknown", "pending"),
            (50, "pending", "ok"),
            (60, "ok", "pending"),
            (120, "pending", "warning"),
        ],
    ),
    "a gap between samples restarts the pending period": (
        [(0, 85), (200, 85), (259, 85), (260, 85)],
        [(0, "unknown", "pending"), (260, "pending", "warning")],
    ),
    "exactly 80 and 90 count": (
        [(0, 80), (60, 90), (120, 90)],
        [(0, "unknown", "pending"), (60, "pending", "warning"), (120, "warning", "critical")],
    ),
    "a reading without a limit is unknown, never ok": (
        [(0, None), (10, 50), (20, None)],
        [(10, "unknown", "ok"), (20, "ok", "unknown")],
    ),
    "a reading without a limit keeps a firing alert": (
        [(0, 95), (60, 95), (70, None)],
        [(0, "unknown", "pending"), (60, "pending", "critical")],
    ),
    "silence makes it stale, a new reading revives it": (
        [(0, 50), (299, "tick"), (300, "tick"), (400, "tick"), (410, 50)],
        [(0, "unknown", "ok"), (300, "ok", "stale"), (410, "stale", "ok")],
    ),
    "a critical alert that goes stale comes back critical": (
        [(0, 95), (60, 95), (400, "tick"), (500, 95)],
        [
            (0, "unknown", "pending"),
            (60, "pending", "critical"),
            (400, "critical", "stale"),
            (500, "stale", "critical"),
        ],
    ),
    "a stale low reading after critical resolves it": (
        [(0, 95), (60, 95), (400, "tick"), (500, 10)],
        [
            (0, "unknown", "pending"),
            (60, "pending", "critical"),
            (400, "critical", "stale"),
            (500, "stale", "ok"),
        ],
    ),
    "out-of-order readings are ignored": (
        [(0, 50), (100, 50), (50, 99)],
        [(0, "unknown", "ok")],
    ),
}


@pytest.mark.parametrize(("steps", "expected"), PRESSURE_CASES.values(), ids=PRESSURE_CASES.keys())
def test_pressure_rule(steps: list, expected: list) -> None:
    assert run_pressure(steps) == expected


def test_pressure_rule_with_no_pending_period_fires_at_once() -> None:
    assert run_pressure([(0, 91)], PressureConfig(pending=timedelta(0))) == [(0, "unknown", "critical")]


def test_pressure_transitions_carry_key_severity_and_percent() -> None:
    tracker = PressureTracker(PressureConfig(pending=timedelta(0)))
    (transition,) = tracker.observe("payment-processor", 1740 * 2**20, 2048 * 2**20, T0)
    assert transition.key == ("clw-memory-pressure", "payment-processor")
    assert transition.severity == "warning"
    assert transition.percent == pytest.approx(84.96, abs=0.01)


def test_pressure_state_survives_a_json_round_trip() -> None:
    tracker = PressureTracker()
    tracker.observe("w", 850, LIMIT, at(0))
    restored = PressureTracker.from_dict(json.loads(json.dumps(tracker.to_dict())))
    assert restored.state("w") == AlertState.PENDING
    (transition,) = restored.observe("w", 850, LIMIT, at(60))
    assert transition.current == AlertState.WARNING


DENIAL_CASES = {
    "first denial warns, the fifth within ten minutes escalates": (
        [0, 60, 120, 180, 240],
        [(0, "ok", "warning"), (240, "warning", "critical")],
    ),
    "denials spread over more than the window do not escalate": (
        [0, 200, 400, 600, 800, 1000],
        [(0, "ok", "warning")],
    ),
    "escalation sticks while denials keep coming": (
        [0, 1, 2, 3, 4, 500, 1000],
        [(0, "ok", "warning"), (4, "warning", "critical")],
    ),
}


@pytest.mark.parametrize(("seconds", "expected"), DENIAL_CASES.values(), ids=DENIAL_CASES.keys())
def test_denial_escalation(seconds: list[int], expected: list) -> None:
    escalator = DenialEscalator(window=timedelta(minutes=10), threshold=5)
    out = []
    for second in seconds:
        out += [
            (second, t.previous.value, t.current.value)
            for t in escalator.observe(("exec.denied", "main"), at(second))
        ]
    assert out == expected


def test_denials_go_quiet_after_the_window_and_can_escalate_again() -> None:
    escalator = DenialEscalator(window=timedelta(minutes=10), threshold=2)
    key = ("exec.denied", "main")
    escalator.observe(key, at(0))
    escalator.observe(key, at(1))
    assert escalator.tick(at(300)) == []
    (quiet,) = escalator.tick(at(601))
    assert (quiet.previous, quiet.current) == (AlertState.CRITICAL, AlertState.OK)
    restored = DenialEscalator.from_dict(json.loads(json.dumps(escalator.to_dict())), threshold=2)
    assert [t.current for t in restored.observe(key, at(700))] == [AlertState.WARNING]


def test_quiet_denial_keys_are_forgotten_so_the_state_does_not_grow() -> None:
    escalator = DenialEscalator(window=timedelta(minutes=10), threshold=2)
    for i in range(50):
        escalator.observe(("exec.denied", f"agent-{i}"), at(i))
    assert len(escalator.to_dict()) == 50
    escalator.observe(("exec.denied", "late"), at(900))
    escalator.tick(at(901))
    assert list(escalator.to_dict()) == ["exec.denied|late"]


def test_a_restored_escalator_keeps_keys_it_did_not_touch() -> None:
    escalator = DenialEscalator(threshold=3)
    escalator.observe(("exec.denied", "a"), at(0))
    escalator.observe(("exec.denied", "b"), at(1))
    escalator.observe(("exec.denied", "b"), at(2))
    restored = DenialEscalator.from_dict(json.loads(json.dumps(escalator.to_dict())), threshold=3)
    # Touch only "a"; "b" is written back exactly as it was read, then still counts its two hits.
    restored.observe(("exec.denied", "a"), at(3))
    again = DenialEscalator.from_dict(json.loads(json.dumps(restored.to_dict())), threshold=3)
    assert [t.current for t in again.observe(("exec.denied", "b"), at(4))] == [AlertState.CRITICAL]
    assert [t.current for t in again.observe(("exec.denied", "a"), at(5))] == [AlertState.CRITICAL]


def test_denials_are_counted_per_agent() -> None:
    escalator = DenialEscalator(threshold=2)
    escalator.observe(("exec.denied", "a"), at(0))
    assert [t.key for t in escalator.observe(("exec.denied", "b"), at(1))] == [("exec.denied", "b")]
    assert [t.current for t in escalator.observe(("exec.denied", "a"), at(2))] == [AlertState.CRITICAL]


def test_a_source_is_unknown_then_live_then_stale() -> None:
    sources = SourceTracker(stale_after=timedelta(minutes=5))
    assert sources.state("gw") == AlertState.UNKNOWN
    assert [t.current for t in sources.seen("gw", at(0))] == [AlertState.LIVE]
    assert sources.seen("gw", at(10)) == []
    assert sources.tick(at(309)) == []
    assert [t.current for t in sources.tick(at(310))] == [AlertState.STALE]
    assert sources.tick(at(400)) == []
    assert [(t.previous, t.current) for t in sources.seen("gw", at(500))] == [
        (AlertState.STALE, AlertState.LIVE)
    ]


def _evaluator() -> AlertEvaluator:
    return AlertEvaluator(pressure=PressureConfig(pending=timedelta(0)), suppress_for=timedelta(minutes=10))


def test_oom_is_critical_and_mutes_pressure_toasts_for_the_workload() -> None:
    ev = _evaluator()
    ev.observe(RawEvent(text="hello"), at(0))
    (oom,) = ev.observe(MemoryOOM(workload="pay", usage_bytes=2048, limit_bytes=2048), at(1))
    assert (oom.key, oom.current, oom.severity, oom.notify) == (
        ("clw-memory-oom", "pay"),
        AlertState.CRITICAL,
        "critical",
        True,
    )
    (muted,) = ev.observe(MemorySample(workload="pay", usage_bytes=950, limit_bytes=LIMIT), at(2))
    assert (muted.current, muted.notify) == (AlertState.CRITICAL, False)
    (other,) = ev.observe(MemorySample(workload="other", usage_bytes=950, limit_bytes=LIMIT), at(3))
    assert other.notify is True
    ev.observe(MemorySample(workload="pay", usage_bytes=100, limit_bytes=LIMIT), at(300))
    (after,) = ev.observe(MemorySample(workload="pay", usage_bytes=950, limit_bytes=LIMIT), at(602))
    assert after.notify is True


def test_a_repeated_oom_within_the_window_does_not_toast_again() -> None:
    ev = _evaluator()
    assert len(ev.observe(MemoryOOM(workload="pay"), at(0))) == 2  # source live + oom
    assert ev.observe(MemoryOOM(workload="pay"), at(60)) == []
    assert len(ev.observe(MemoryOOM(workload="pay"), at(60 + 601))) == 1


def test_a_container_kill_mutes_both_its_pod_and_container_names() -> None:
    ev = _evaluator()
    ev.observe(ContainerKill(workload="pay", container="pay-svc"), at(0))
    assert ev.is_muted("pay", at(1)) and ev.is_muted("pay-svc", at(1))
    assert not ev.is_muted("pay", at(600))


def test_denials_escalate_through_the_evaluator_and_escapes_are_critical_at_once() -> None:
    ev = AlertEvaluator(denial_threshold=3)
    states = []
    for second in range(3):
        states += [
            t.current for t in ev.observe(ExecDenied(agent="main"), at(second)) if t.key[0] == "exec.denied"
        ]
    assert states == [AlertState.WARNING, AlertState.CRITICAL]
    (escape,) = [t for t in ev.observe(SandboxEscape(plugin="evil"), at(5)) if t.key[0] != "source"]
    assert escape.current == AlertState.CRITICAL


def test_a_gateway_pressure_report_without_limit_is_trusted_once() -> None:
    ev = _evaluator()
    report = MemoryPressure(agent="main", severity="critical", reason="heap_threshold", usage_bytes=345734104)
    (first,) = [t for t in ev.observe(report, at(0)) if t.key[0] != "source"]
    assert (first.key, first.current, first.detail) == (
        ("clw-memory-pressure", "main"),
        AlertState.CRITICAL,
        "reported: heap_threshold",
    )
    assert ev.observe(report, at(10)) == []


def test_the_evaluator_reports_a_silent_gateway_as_stale() -> None:
    ev = AlertEvaluator(source_stale_after=timedelta(minutes=5))
    ev.observe(RawEvent(text="x"), at(0))
    (stale,) = ev.tick(at(300))
    assert (stale.key, stale.current) == (("source", "gateway"), AlertState.STALE)


def test_the_evaluator_state_survives_a_json_round_trip() -> None:
    config = {"pressure": PressureConfig(pending=timedelta(seconds=60)), "denial_threshold": 2}
    ev = AlertEvaluator(**config)
    ev.observe(MemorySample(workload="w", usage_bytes=950, limit_bytes=LIMIT), at(0))
    ev.observe(ExecDenied(agent="main"), at(1))
    ev.observe(MemoryOOM(workload="pay"), at(2))
    restored = AlertEvaluator.from_dict(json.loads(json.dumps(ev.to_dict())), **config)
    assert restored.is_muted("pay", at(3))
    assert [
        t.current for t in restored.observe(ExecDenied(agent="main"), at(4)) if t.key[0] == "exec.denied"
    ] == [AlertState.CRITICAL]
    (fired,) = restored.observe(MemorySample(workload="w", usage_bytes=950, limit_bytes=LIMIT), at(60))
    assert fired.current == AlertState.CRITICAL
    assert [t.current for t in restored.tick(at(2000))] == [AlertState.STALE, AlertState.STALE, AlertState.OK]


def test_a_flood_of_denials_at_one_instant_escalates_once_and_keeps_its_window() -> None:
    escalator = DenialEscalator(window=timedelta(minutes=10), threshold=5)
    key = ("exec.denied", "main")
    flood = [t for _ in range(200) for t in escalator.observe(key, at(0))]  # one batch, one clock
    assert [(t.previous, t.current) for t in flood] == [
        (AlertState.OK, AlertState.WARNING),
        (AlertState.WARNING, AlertState.CRITICAL),
    ]
    assert escalator.to_dict()["exec.denied|main"]["hits"] == [at(0).isoformat()] * 5
    assert escalator.observe(key, at(30)) == []  # still critical; the window now runs from 30 s
    assert escalator.tick(at(601)) == []
    (quiet,) = escalator.tick(at(631))
    assert (quiet.previous, quiet.current) == (AlertState.CRITICAL, AlertState.OK)
