"""``AlertEvaluator``: routes parsed events to the alert rules of ``rules`` for one gateway.

Which events feed which rule:
- MemorySample, MemoryPressure, ResourceLimit (memory) -> PressureTracker, by workload/agent;
- MemoryOOM, ContainerKill -> a critical transition, and pressure transitions for the same
  workload or container are returned with ``notify=False`` for ``suppress_for``;
- ExecDenied, MemoryDenied, AccessDenied, PolicyViolation, SandboxEscape -> DenialEscalator;
- every event marks the gateway's source as live (SourceTracker).
Other events (RegionInvalid, MemoryFault, RawEvent) cause no transition: the caller stores them
as alerts by ``alert_key()`` without a state machine.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from .models import (
    AccessDenied,
    AlertKey,
    ContainerKill,
    ExecDenied,
    MemoryDenied,
    MemoryOOM,
    MemoryPressure,
    MemorySample,
    PolicyViolation,
    ResourceLimit,
    SandboxEscape,
    Severity,
)
from .rules import (
    AlertState,
    DenialEscalator,
    PressureConfig,
    PressureTracker,
    SourceTracker,
    Transition,
)

# The rule each event model feeds (ResourceLimit is routed by its ``resource``: memory only).
_DENIAL, _CRASH, _PRESSURE = "denial", "crash", "pressure"
_ROUTES: tuple[tuple[tuple[type, ...], str], ...] = (
    ((MemoryOOM, ContainerKill), _CRASH),
    ((ExecDenied, MemoryDenied, AccessDenied, PolicyViolation, SandboxEscape), _DENIAL),
    ((MemorySample, MemoryPressure), _PRESSURE),
)


@functools.cache
def _rule_of(model: type) -> str | None:
    """Return the rule ``model``'s events feed (worked out once per class: ingest asks per event)."""
    return next((rule for bases, rule in _ROUTES if issubclass(model, bases)), None)


GATEWAY_SOURCE = "gateway"


class AlertEvaluator:
    """All alert rules for one gateway; feed it events with ``observe`` and call ``tick`` periodically."""

    def __init__(
        self,
        *,
        pressure: PressureConfig | None = None,
        denial_window: timedelta = timedelta(minutes=10),
        denial_threshold: int = 5,
        suppress_for: timedelta = timedelta(minutes=10),
        source_stale_after: timedelta = timedelta(minutes=5),
    ) -> None:
        self.pressure = PressureTracker(pressure)
        self.denials = DenialEscalator(denial_window, denial_threshold)
        self.sources = SourceTracker(source_stale_after)
        self.suppress_for = suppress_for
        self._muted_until: dict[str, datetime] = {}

    def observe(self, event: Any, now: datetime, key: AlertKey | None = None) -> list[Transition]:
        """Return the transitions ``event`` causes at ``now`` (source first, then the event's rule).

        ``key`` is ``event.alert_key()`` when the caller has it already (ingest works it out once).
        """
        out = self.sources.seen(GATEWAY_SOURCE, now)
        rule = _rule_of(type(event))
        if rule == _DENIAL:
            found = self.denials.observe(key or event.alert_key(), now, event.severity or Severity.WARNING)
        elif rule == _CRASH:
            found = self._crash(event, now)
        elif rule == _PRESSURE or _is_memory_limit(event):
            found = self._pressure(event, now)
        else:
            return out
        return out + found if out else found

    def to_dict(self, *, denials: bool = True) -> dict[str, Any]:
        """Return the whole rule state as JSON-safe data, to keep it between requests (e.g. a JSONField).

        The configuration is not included: pass the same keyword arguments to ``from_dict``. With
        ``denials=False`` the escalation entries are left out, for a caller that stores them itself
        (``DenialEscalator.changes``).
        """
        data = {
            "pressure": self.pressure.to_dict(),
            "sources": self.sources.to_dict(),
            "muted_until": {subject: until.isoformat() for subject, until in self._muted_until.items()},
        }
        if denials:
            data["denials"] = self.denials.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], **config: Any) -> AlertEvaluator:
        """Rebuild an evaluator from ``to_dict`` output with the given configuration."""
        evaluator = cls(**config)
        evaluator.pressure = PressureTracker.from_dict(data.get("pressure", {}), evaluator.pressure.config)
        evaluator.denials = DenialEscalator.from_dict(
            data.get("denials", {}), evaluator.denials.window, evaluator.denials.threshold
        )
        evaluator.sources = SourceTracker.from_dict(data.get("sources", {}), evaluator.sources.stale_after)
        evaluator._muted_until = {
            s: datetime.fromisoformat(u) for s, u in data.get("muted_until", {}).items()
        }
        return evaluator

    def tick(self, now: datetime) -> list[Transition]:
        """Return the transitions caused by time passing alone (staleness, quiet denial windows)."""
        self._muted_until = {s: until for s, until in self._muted_until.items() if until > now}
        return self.sources.tick(now) + self.pressure.tick(now) + self.denials.tick(now)

    def is_muted(self, subject: str, now: datetime) -> bool:
        """Return True while pressure notifications for ``subject`` are suppressed by a crash."""
        until = self._muted_until.get(subject)
        return until is not None and now < until

    def _crash(self, event: MemoryOOM | ContainerKill, now: datetime) -> list[Transition]:
        names = {name for name in (event.workload, event.container) if name}
        already = any(self.is_muted(name, now) for name in names)
        for name in names:
            self._muted_until[name] = now + self.suppress_for
        if already:
            return []  # the open critical alert counts the repeat; no second toast
        key = event.alert_key()
        return [
            Transition(key, AlertState.OK, AlertState.CRITICAL, now, Severity.CRITICAL, event.percent_used)
        ]

    def _pressure(
        self, event: MemorySample | MemoryPressure | ResourceLimit, now: datetime
    ) -> list[Transition]:
        subject = event.alert_key().subject
        if event.usage_bytes is None:
            return []
        if isinstance(event, MemoryPressure) and event.percent_used is None:
            # No limit to judge by: trust the gateway's own level (it used the real V8/cgroup limit).
            level = AlertState.CRITICAL if event.severity == Severity.CRITICAL else AlertState.WARNING
            transitions = self.pressure.report(subject, level, now, f"reported: {event.reason or 'pressure'}")
        else:
            transitions = self.pressure.observe(subject, event.usage_bytes, event.limit_bytes, now)
        muted = self.is_muted(subject, now)
        return [_with_notify(t, not muted) for t in transitions]


def _is_memory_limit(event: Any) -> bool:
    return isinstance(event, ResourceLimit) and (event.resource or "").lower() == "memory"


def _with_notify(transition: Transition, notify: bool) -> Transition:
    return transition if transition.notify == notify else replace(transition, notify=notify)
