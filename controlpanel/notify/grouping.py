"""When a group of alerts is sent: Alertmanager's group_wait, group_interval and repeat_interval.

A group is the alerts one route sends one receiver with equal ``group_by`` labels. Its first
notification waits ``group_wait`` after the group appears (to gather the alerts that come together);
later ones go at most every ``group_interval``, and only when the group changed (an alert joined,
fired again or resolved); an unchanged group that still fires is sent again every
``repeat_interval``. A group whose alerts have all resolved, and said so, is finished.

``plan()`` is the whole rule, with the time passed in (tests drive it with their own clock).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .routing import Timers


@dataclass(frozen=True)
class Item:
    """One alert of a group as the flush sees it. ``muted``: silenced or inhibited now (left out)."""

    fingerprint: str
    firing: bool
    muted: bool = False


@dataclass(frozen=True)
class GroupState:
    created_at: datetime
    flushed_at: datetime | None  # the last notification (None: never sent)
    sent_firing: frozenset[str]  # the firing fingerprints the last notification carried
    sent_resolved: frozenset[str]  # resolved fingerprints already notified


@dataclass(frozen=True)
class Plan:
    """What to do at ``now``: send (``firing`` and ``resolved`` fingerprints) or not, and when to look
    again (``next_at``; None: nothing to wait for). ``finished``: every alert resolved and notified."""

    send: bool
    firing: tuple[str, ...]
    resolved: tuple[str, ...]
    next_at: datetime | None
    finished: bool
    why: str


def first_due(state: GroupState, timers: Timers) -> datetime:
    """When the group may be sent next, changes assumed."""
    if state.flushed_at is None:
        return state.created_at + timers.group_wait
    return state.flushed_at + timers.group_interval


def plan(
    state: GroupState, items: Iterable[Item], timers: Timers, now: datetime, *, send_resolved: bool = True
) -> Plan:
    """Decide the group's notification at ``now`` (Alertmanager's rule).

    News: an alert firing that no notification carried yet, or (``send_resolved``) the resolution of
    one that a notification said was firing. News goes out once the wait is over (``group_wait``
    before the first notification, ``group_interval`` after the last); an unchanged group that still
    fires goes out again ``repeat_interval`` after the last. Muted alerts (silenced, inhibited) are
    left out and are no news.
    """
    items = list(items)
    firing = tuple(sorted(i.fingerprint for i in items if i.firing and not i.muted))
    open_ = any(i.firing for i in items)
    resolved_now = {i.fingerprint for i in items if not i.firing}
    news_resolved = tuple(sorted((resolved_now & state.sent_firing) - state.sent_resolved))
    if not send_resolved:
        news_resolved = ()
    news_firing = set(firing) - state.sent_firing
    if not open_ and not news_resolved:
        return Plan(False, (), (), None, True, "every alert resolved")
    if news_firing or news_resolved:
        due = first_due(state, timers)
        if now < due:
            phase = "group_wait" if state.flushed_at is None else "group_interval"
            return Plan(False, (), (), due, False, f"{phase}: sending at {due:%H:%M:%S}")
        what = "new alerts" if news_firing else "resolved alerts"
        return Plan(
            True, firing, news_resolved, now + timers.repeat_interval if open_ else None, not open_, what
        )
    if not firing:
        # Every open alert is muted: look again later (a silence may end).
        return Plan(False, (), (), now + timers.group_interval, False, "every firing alert is muted")
    repeat_at = (state.flushed_at or now) + timers.repeat_interval
    if now >= repeat_at:
        return Plan(True, firing, (), now + timers.repeat_interval, False, "repeat_interval: still firing")
    return Plan(False, (), (), repeat_at, False, f"unchanged: repeating at {repeat_at:%H:%M:%S}")


def after_send(state: GroupState, sent: Plan, now: datetime) -> GroupState:
    """The state once ``sent`` has been handed to delivery."""
    return GroupState(
        created_at=state.created_at,
        flushed_at=now,
        sent_firing=frozenset(sent.firing),
        sent_resolved=(state.sent_resolved | frozenset(sent.resolved)) - frozenset(sent.firing),
    )
