"""Alertmanager's routing tree: ordered routes with matchers, ``continue``, inherited settings.

A route matches when all its matchers do. Starting at the root (which matches everything in its
tree), the children are tried in order; the first that matches takes the alert, and only a child
with ``continue`` lets the next ones try too. A matching route whose children all miss takes the
alert itself. Unset settings (receiver, group_by, timers) are inherited from the parent.
``route()`` also returns every step it took, for the route preview ("why").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

MATCHER_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")
MAX_MATCHER_VALUE = 300
ALL_LABELS = "..."  # group_by ["..."]: every label, so each alert is a group of its own

DEFAULT_GROUP_BY: tuple[str, ...] = ("gateway", "type")
DEFAULT_GROUP_WAIT = timedelta(seconds=30)
DEFAULT_GROUP_INTERVAL = timedelta(minutes=5)
DEFAULT_REPEAT_INTERVAL = timedelta(hours=4)


class MatcherError(ValueError):
    """A matcher that cannot be read; the message names it."""


@dataclass(frozen=True)
class Matcher:
    """``label=value``, ``label!=value``, ``label=~regex`` or ``label!~regex`` (regexes match whole)."""

    label: str
    op: str
    value: str
    pattern: re.Pattern | None = field(default=None, compare=False, repr=False)

    @classmethod
    def parse(cls, text: str) -> Matcher:
        found = MATCHER_RE.match(text)
        if not found:
            raise MatcherError(
                f"{text.strip()!r}: write label=value, label!=value, label=~regex or label!~regex"
            )
        label, op, value = found.groups()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if len(value) > MAX_MATCHER_VALUE:
            raise MatcherError(f"{label}: the value is longer than {MAX_MATCHER_VALUE} characters")
        pattern = None
        if op in ("=~", "!~"):
            try:
                pattern = re.compile(value)
            except re.error as exc:
                raise MatcherError(f"{label}{op}{value}: not a regular expression ({exc})") from None
        return cls(label, op, value, pattern)

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        hit = self.pattern is not None and self.pattern.fullmatch(actual) is not None
        return hit if self.op == "=~" else not hit

    def __str__(self) -> str:
        return f"{self.label}{self.op}{self.value}"


def parse_matchers(lines: Sequence[str] | str) -> list[Matcher]:
    """Matchers from text, one per line or comma-free item (blank lines ignored)."""
    if isinstance(lines, str):
        lines = lines.splitlines()
    return [Matcher.parse(line) for line in lines if line.strip()]


@dataclass
class Route:
    """One node of a tree. ``None`` settings are inherited from the parent route."""

    id: int | str
    name: str = ""
    matchers: Sequence[Matcher] = ()
    receiver: int | str | None = None
    continue_: bool = False
    group_by: Sequence[str] | None = None
    group_wait: timedelta | None = None
    group_interval: timedelta | None = None
    repeat_interval: timedelta | None = None
    children: list[Route] = field(default_factory=list)

    def label(self) -> str:
        return self.name or f"route {self.id}"


@dataclass(frozen=True)
class Timers:
    group_wait: timedelta = DEFAULT_GROUP_WAIT
    group_interval: timedelta = DEFAULT_GROUP_INTERVAL
    repeat_interval: timedelta = DEFAULT_REPEAT_INTERVAL


@dataclass(frozen=True)
class RouteMatch:
    """Where an alert goes: a receiver, through ``route`` (its ``path`` from the root), grouped so."""

    route: int | str
    path: tuple[str, ...]
    receiver: int | str
    group_by: tuple[str, ...]
    timers: Timers


@dataclass(frozen=True)
class Step:
    """One route tried: ``depth`` below the root, whether it matched and why (or why not)."""

    route: int | str
    name: str
    depth: int
    matched: bool
    why: str


@dataclass(frozen=True)
class _Resolved:
    receiver: int | str | None
    group_by: tuple[str, ...]
    timers: Timers


def _resolve(route: Route, parent: _Resolved) -> _Resolved:
    return _Resolved(
        receiver=route.receiver if route.receiver is not None else parent.receiver,
        group_by=tuple(route.group_by) if route.group_by is not None else parent.group_by,
        timers=Timers(
            group_wait=route.group_wait if route.group_wait is not None else parent.timers.group_wait,
            group_interval=route.group_interval
            if route.group_interval is not None
            else parent.timers.group_interval,
            repeat_interval=route.repeat_interval
            if route.repeat_interval is not None
            else parent.timers.repeat_interval,
        ),
    )


def _why(route: Route, labels: Mapping[str, str]) -> tuple[bool, str]:
    if not route.matchers:
        return True, "no matchers: matches everything"
    for matcher in route.matchers:
        if not matcher.matches(labels):
            return False, f"{matcher} does not hold ({matcher.label}={labels.get(matcher.label, '')!r})"
    return True, "all of " + ", ".join(str(m) for m in route.matchers) + " hold"


def route(root: Route, labels: Mapping[str, str]) -> tuple[list[RouteMatch], list[Step]]:
    """Return where ``labels`` go in the tree under ``root`` (the matches, in order) and the steps."""
    steps: list[Step] = []
    base = _Resolved(receiver=None, group_by=DEFAULT_GROUP_BY, timers=Timers())
    matches = _walk(root, labels, base, (), 0, steps)
    return [m for m in matches if m.receiver is not None], steps


def _walk(
    node: Route,
    labels: Mapping[str, str],
    parent: _Resolved,
    path: tuple[str, ...],
    depth: int,
    steps: list[Step],
) -> list[RouteMatch]:
    matched, why = _why(node, labels)
    steps.append(Step(node.id, node.label(), depth, matched, why))
    if not matched:
        return []
    here = _resolve(node, parent)
    path = (*path, node.label())
    found: list[RouteMatch] = []
    for child in node.children:
        got = _walk(child, labels, here, path, depth + 1, steps)
        if got:
            found.extend(got)
            if not child.continue_:
                break
    if found:
        return found
    if here.receiver is None:
        return [RouteMatch(node.id, path, None, here.group_by, here.timers)]  # type: ignore[arg-type]
    return [RouteMatch(node.id, path, here.receiver, here.group_by, here.timers)]


def group_labels(labels: Mapping[str, str], group_by: Sequence[str]) -> dict[str, str]:
    """The labels that name an alert's group: those in ``group_by`` (all of them for ``...``)."""
    if ALL_LABELS in group_by:
        return dict(sorted(labels.items()))
    return {name: labels.get(name, "") for name in sorted(set(group_by))}


def group_key(
    route_id: int | str, receiver: int | str, labels: Mapping[str, str], group_by: Sequence[str]
) -> str:
    """A stable text key of a group: route, receiver and the group's labels."""
    parts = [f"{k}={v}" for k, v in group_labels(labels, group_by).items()]
    return f"{route_id}/{receiver}/" + ",".join(parts)
