"""Grouping, repeat and resolution, table-driven with a controllable clock (pure: notify.grouping)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from controlpanel.notify.grouping import GroupState, Item, after_send, plan
from controlpanel.notify.inhibit import inhibited_by
from controlpanel.notify.labels import alert_labels
from controlpanel.notify.quiet import QuietHours
from controlpanel.notify.routing import Timers

T0 = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
TIMERS = Timers(
    group_wait=timedelta(seconds=30), group_interval=timedelta(minutes=5), repeat_interval=timedelta(hours=4)
)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def run(script, *, send_resolved=True):
    """Play a script of (seconds, {fingerprint: "firing" | "resolved" | "muted"}) and return when
    notifications went out and what they carried: [(seconds, firing, resolved)]."""
    state = GroupState(
        created_at=at(script[0][0]), flushed_at=None, sent_firing=frozenset(), sent_resolved=frozenset()
    )
    sent = []
    for seconds, alerts in script:
        items = [Item(fp, status != "resolved", status == "muted") for fp, status in alerts.items()]
        p = plan(state, items, TIMERS, at(seconds), send_resolved=send_resolved)
        if p.send:
            sent.append((seconds, p.firing, p.resolved))
            state = after_send(state, p, at(seconds))
    return sent


CASES = [
    (
        "group_wait gathers what comes together",
        [(0, {"a": "firing"}), (10, {"a": "firing", "b": "firing"}), (30, {"a": "firing", "b": "firing"})],
        [(30, ("a", "b"), ())],
    ),
    (
        "a new alert after the first notification waits for group_interval",
        [(0, {"a": "firing"}), (30, {"a": "firing"}), (60, {"a": "firing", "b": "firing"}),
         (329, {"a": "firing", "b": "firing"}), (330, {"a": "firing", "b": "firing"})],
        [(30, ("a",), ()), (330, ("a", "b"), ())],
    ),
    (
        "unchanged and firing: repeated after repeat_interval, not before",
        [(0, {"a": "firing"}), (30, {"a": "firing"}), (600, {"a": "firing"}), (4 * 3600, {"a": "firing"}),
         (4 * 3600 + 30, {"a": "firing"})],
        [(30, ("a",), ()), (4 * 3600 + 30, ("a",), ())],
    ),
    (
        "resolution is sent once, after group_interval",
        [(0, {"a": "firing"}), (30, {"a": "firing"}), (60, {"a": "resolved"}), (330, {"a": "resolved"}),
         (700, {"a": "resolved"})],
        [(30, ("a",), ()), (330, (), ("a",))],
    ),
    (
        "no resolved notification when the receiver does not want them",
        [(0, {"a": "firing"}), (30, {"a": "firing"}), (330, {"a": "resolved"})],
        [(30, ("a",), ())],
    ),
    (
        "an alert resolved before it was ever sent is never sent",
        [(0, {"a": "firing"}), (10, {"a": "resolved"}), (30, {"a": "resolved"})],
        [],
    ),
    (
        "muted alerts are left out and are no news",
        [(0, {"a": "firing", "b": "muted"}), (30, {"a": "firing", "b": "muted"}),
         (400, {"a": "firing", "b": "muted"})],
        [(30, ("a",), ())],
    ),
    (
        "an alert unmuted (silence over) is news",
        [(0, {"b": "muted"}), (30, {"b": "muted"}), (400, {"b": "firing"})],
        [(400, ("b",), ())],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("case", "script", "expected"), CASES, ids=[c[0] for c in CASES])
def test_grouping(case, script, expected):
    send_resolved = "does not want" not in case
    assert run(script, send_resolved=send_resolved) == expected


def test_a_group_is_finished_when_all_resolved_and_told():
    state = GroupState(at(0), at(30), frozenset({"a"}), frozenset())
    p = plan(state, [Item("a", False)], TIMERS, at(400))
    assert p.send and p.finished and p.resolved == ("a",)
    state = after_send(state, p, at(400))
    assert plan(state, [Item("a", False)], TIMERS, at(800)).finished


def test_the_plan_says_when_to_look_again():
    state = GroupState(at(0), None, frozenset(), frozenset())
    p = plan(state, [Item("a", True)], TIMERS, at(5))
    assert not p.send and p.next_at == at(30) and "group_wait" in p.why
    p = plan(state, [Item("a", True)], TIMERS, at(30))
    assert p.next_at == at(30 + 4 * 3600)


def labels(type_, subject, gateway="alpha"):
    return alert_labels(gateway=gateway, type_=type_, subject=subject, severity="warning")


DOWN, STALE = labels("gateway.down", "gateway"), labels("gateway.stale", "gateway")
OOM_ETL, KILL_ETL = labels("clw-memory-oom", "etl"), labels("clw-container-kill", "etl")
PRESSURE_ETL, PRESSURE_API = labels("clw-memory-pressure", "etl"), labels("clw-memory-pressure", "api")
DENIAL = labels("exec.denied", "main")


@pytest.mark.parametrize(
    ("case", "target", "firing", "inhibited"),
    [
        ("gateway down inhibits its other alerts", DENIAL, [DOWN], True),
        ("stale too", OOM_ETL, [STALE], True),
        ("not another gateway's", DENIAL, [labels("gateway.down", "gateway", "bravo")], False),
        ("not itself", DOWN, [DOWN], False),
        ("OOM inhibits pressure of the workload", PRESSURE_ETL, [OOM_ETL], True),
        ("container kill too", PRESSURE_ETL, [KILL_ETL], True),
        ("not another workload", PRESSURE_API, [OOM_ETL], False),
        ("OOM inhibits only pressure", labels("exec.denied", "etl"), [OOM_ETL], False),
    ],
)  # fmt: skip
def test_inhibition(case, target, firing, inhibited):
    assert (inhibited_by(target, firing) is not None) is inhibited, case


@pytest.mark.parametrize(
    ("case", "start", "end", "hour", "severity", "overrides", "held"),
    [
        ("inside the window", 22, 7, 23, "warning", True, True),
        ("after midnight", 22, 7, 3, "warning", True, True),
        ("outside", 22, 7, 12, "warning", True, False),
        ("critical wakes them when they said so", 22, 7, 23, "critical", True, False),
        ("critical held when they said no", 22, 7, 23, "critical", False, True),
        ("a daytime window", 9, 17, 12, "info", True, True),
    ],
)
def test_quiet_hours(case, start, end, hour, severity, overrides, held):
    from datetime import time

    quiet = QuietHours(time(start), time(end), "Europe/Berlin", overrides)
    now = datetime(2026, 1, 15, hour, 30, tzinfo=UTC) - timedelta(hours=1)  # Berlin is UTC+1 in January
    assert (quiet.holds_back(now, severity) is not None) is held, case
