"""The routing tree, table-driven: which receivers an alert reaches, in order, and why (pure)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from controlpanel.notify.labels import alert_labels, approval_labels
from controlpanel.notify.routing import Matcher, MatcherError, Route, group_key, parse_matchers, route


def r(id_, matchers="", receiver=None, cont=False, children=(), **settings):
    return Route(
        id=id_,
        name=id_,
        matchers=parse_matchers(matchers.split(";")) if matchers else [],
        receiver=receiver,
        continue_=cont,
        children=list(children),
        **settings,
    )


TREE = r(
    "root",
    children=[
        r("critical-pager", "severity=critical", "pager", cont=True),
        r(
            "memory",
            "type=~clw-memory-.*",
            "mem-team",
            children=[r("etl-only", "workload=etl", "etl-team"), r("not-api", "workload!=api", None)],
        ),
        r("denials", "type=exec.denied;agent!~test-.*", "sec"),
        r("catch-all", "", "ops"),
    ],
)


def labels(type_, subject="", severity="warning", gateway="alpha"):
    return alert_labels(gateway=gateway, type_=type_, subject=subject, severity=severity)


@pytest.mark.parametrize(
    ("case", "alert", "receivers"),
    [
        ("first match wins", labels("exec.denied", "main"), ["sec"]),
        ("negative regex stops a match", labels("exec.denied", "test-bot"), ["ops"]),
        ("continue lets the next route try", labels("exec.denied", "main", "critical"), ["pager", "sec"]),
        ("a child takes the alert", labels("clw-memory-oom", "etl", "critical"), ["pager", "etl-team"]),
        ("a child without receiver inherits", labels("clw-memory-pressure", "web"), ["mem-team"]),
        ("no child matches: the parent takes it", labels("clw-memory-pressure", "api"), ["mem-team"]),
        ("catch-all", labels("gateway.stale", "gateway"), ["ops"]),
    ],
)
def test_routes(case, alert, receivers):
    matches, steps = route(TREE, alert)
    assert [m.receiver for m in matches] == receivers, case
    assert steps[0].matched and steps[0].name == "root"


def test_the_steps_say_why_a_route_did_not_match():
    _, steps = route(TREE, labels("exec.denied", "test-bot"))
    denial = next(s for s in steps if s.name == "denials")
    assert not denial.matched
    assert "agent!~test-.*" in denial.why and "'test-bot'" in denial.why


def test_settings_are_inherited_and_overridden():
    tree = r(
        "root",
        group_by=["gateway"],
        group_wait=timedelta(seconds=10),
        children=[
            r("a", "", "x", repeat_interval=timedelta(hours=1), children=[r("b", "", None, group_by=["..."])])
        ],
    )
    [m] = route(tree, labels("exec.denied", "main"))[0]
    assert m.receiver == "x"
    assert m.group_by == ("...",)
    assert m.timers.group_wait == timedelta(seconds=10)
    assert m.timers.repeat_interval == timedelta(hours=1)
    assert m.path == ("root", "a", "b")


def test_a_tree_without_receivers_reaches_nobody():
    assert route(r("root", children=[r("x", "type=a")]), labels("a"))[0] == []


def test_a_matched_route_without_receiver_stops_its_siblings():
    tree = r("root", children=[r("drop", "type=noise"), r("all", "", "ops")])
    assert route(tree, labels("noise"))[0] == []
    assert [m.receiver for m in route(tree, labels("other"))[0]] == ["ops"]


@pytest.mark.parametrize(
    ("text", "hits", "misses"),
    [
        ("severity=critical", {"severity": "critical"}, {"severity": "warning"}),
        ('agent="main"', {"agent": "main"}, {"agent": "mainx"}),
        ("agent!=main", {"agent": "x"}, {"agent": "main"}),
        ("type=~clw-.*", {"type": "clw-memory-oom"}, {"type": "xclw-"}),  # anchored
        ("channel!~tele.*", {}, {"channel": "telegram"}),
        ("workload=", {}, {"workload": "etl"}),  # empty value: the label is absent
    ],
)
def test_matchers(text, hits, misses):
    matcher = Matcher.parse(text)
    assert matcher.matches(hits)
    assert not matcher.matches(misses)


@pytest.mark.parametrize("text", ["severity", "=x", "type=~(", "a b=c"])
def test_bad_matchers_are_refused_naming_them(text):
    with pytest.raises(MatcherError):
        Matcher.parse(text)


def test_labels_name_what_the_subject_is():
    assert labels("exec.denied", "main")["agent"] == "main"
    assert labels("clw-memory-oom", "etl")["workload"] == "etl"
    assert labels("x", "workload:api")["workload"] == "api"
    approval = approval_labels(gateway="alpha", kind="dm", channel="telegram", subject="555")
    assert approval["type"] == "approval.dm" and approval["channel"] == "telegram"
    assert approval["kind"] == "approval"


def test_group_keys_follow_group_by():
    a, b = labels("exec.denied", "main"), labels("exec.denied", "coder")
    assert group_key(1, 2, a, ["gateway", "type"]) == group_key(1, 2, b, ["gateway", "type"])
    assert group_key(1, 2, a, ["..."]) != group_key(1, 2, b, ["..."])
    assert group_key(1, 2, a, ["gateway"]) != group_key(1, 3, a, ["gateway"])
