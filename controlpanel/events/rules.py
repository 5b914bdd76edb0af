"""Alert-evaluation rules as small state machines on an injected clock (issue 6, ux-security §3.1).

Nothing here reads the time: every call takes ``now``, so tests drive a fake clock and the ingest
service passes ``timezone.now()``. Each tracker returns the ``Transition``s its input caused; the
caller persists alerts and decides what to push. ``to_dict``/``from_dict`` make the state JSON-safe
so it can live in the database between requests handled by different workers.

- ``PressureTracker``: warning >= 80 %, critical >= 90 % of the *real* limit, only after the
  condition held for ``pending``; hysteresis on the way down (warning clears below 75 %, critical
  drops to warning below 85 %); a subject that stops reporting goes ``stale`` (never ``ok``).
- ``DenialEscalator``: repeated denials for one agent within ``window`` escalate to critical.
- ``SourceTracker``: a gateway (or any source) that stops reporting goes ``stale``.
- ``AlertEvaluator``: routes events to the above; OOM and container kills are critical and mute
  pressure notifications for the same workload for ``suppress_for``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from .models import AlertKey, Severity
from .quantities import percent_of

PRESSURE = "clw-memory-pressure"


class AlertState(StrEnum):
    """States an alert key can be in; ``stale`` and ``unknown`` are deliberately not ``ok``."""

    OK = "ok"
    PENDING = "pending"
    WARNING = "warning"
    CRITICAL = "critical"
    STALE = "stale"
    UNKNOWN = "unknown"
    LIVE = "live"


_SEVERITY = {AlertState.WARNING: Severity.WARNING, AlertState.CRITICAL: Severity.CRITICAL}
_FIRING = (AlertState.WARNING, AlertState.CRITICAL)


@dataclass(frozen=True)
class Transition:
    """A change of state for one alert key; ``notify`` is False when a toast should be suppressed."""

    key: AlertKey
    previous: AlertState
    current: AlertState
    at: datetime
    severity: Severity | None = None
    percent: float | None = None
    notify: bool = True
    detail: str = ""


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class PressureConfig:
    """Thresholds in percent of the real limit, and the timers of the pressure rule."""

    warn_at: float = 80.0
    crit_at: float = 90.0
    warn_clear: float = 75.0
    crit_clear: float = 85.0
    pending: timedelta = timedelta(seconds=60)
    # A gap longer than this between samples restarts the pending period: the condition was not
    # observed to hold in between.
    max_gap: timedelta = timedelta(seconds=120)
    stale_after: timedelta = timedelta(seconds=300)


@dataclass
class _Pressure:
    state: AlertState = AlertState.UNKNOWN
    firing: AlertState = AlertState.OK
    warn_since: datetime | None = None
    crit_since: datetime | None = None
    last_seen: datetime | None = None


class PressureTracker:
    """Memory pressure per subject (workload or agent), keyed ``("clw-memory-pressure", subject)``."""

    def __init__(self, config: PressureConfig | None = None) -> None:
        self.config = config or PressureConfig()
        self._subjects: dict[str, _Pressure] = {}

    def state(self, subject: str) -> AlertState:
        """Return the current state of ``subject`` (``unknown`` if never seen)."""
        return self._subjects.get(subject, _Pressure()).state

    def observe(
        self, subject: str, usage_bytes: int, limit_bytes: int | None, now: datetime
    ) -> list[Transition]:
        """Feed one reading; returns the transition it caused, if any.

        A reading without a limit cannot be judged: it keeps a firing alert as it is and otherwise
        leaves the subject ``unknown``. Readings older than the last one are ignored.
        """
        st = self._subjects.setdefault(subject, _Pressure())
        if st.last_seen is not None and now < st.last_seen:
            return []
        if st.last_seen is not None and now - st.last_seen > self.config.max_gap:
            st.warn_since = st.crit_since = None
        st.last_seen = now
        percent = percent_of(usage_bytes, limit_bytes) if limit_bytes else None
        if percent is None:
            return self._move(
                subject, st, st.firing if st.firing in _FIRING else AlertState.UNKNOWN, now, None
            )
        st.firing = self._firing_level(st, percent, now)
        if st.firing in _FIRING:
            new = st.firing
        else:
            new = AlertState.PENDING if st.warn_since is not None else AlertState.OK
        return self._move(subject, st, new, now, percent)

    def pending(self, subject: str, now: datetime) -> dict[str, Any] | None:
        """If ``subject`` is over a threshold that has not held for the pending period yet, say which
        level would fire and in how many seconds (the condition must keep holding); else None."""
        st = self._subjects.get(subject)
        if st is None:
            return None
        if st.crit_since is not None and st.firing != AlertState.CRITICAL:
            level, since = AlertState.CRITICAL, st.crit_since
        elif st.warn_since is not None and st.firing not in _FIRING:
            level, since = AlertState.WARNING, st.warn_since
        else:
            return None
        left = (since + self.config.pending - now).total_seconds()
        return {"level": level.value, "since": since, "fires_in_seconds": max(0, round(left))}

    def report(self, subject: str, level: AlertState, now: datetime, detail: str = "") -> list[Transition]:
        """Take a level judged by the sender as firing, e.g. a gateway ``diagnostic.memory.pressure``
        that carries no limit (the gateway compared against its real V8/cgroup limit itself)."""
        st = self._subjects.setdefault(subject, _Pressure())
        if st.last_seen is not None and now < st.last_seen:
            return []
        st.last_seen = now
        st.firing = level
        return self._move(subject, st, level, now, None, detail)

    def _firing_level(self, st: _Pressure, percent: float, now: datetime) -> AlertState:
        """Return the level the subject fires at after this reading, applying pending and hysteresis."""
        c = self.config
        st.warn_since = (st.warn_since or now) if percent >= c.warn_at else None
        st.crit_since = (st.crit_since or now) if percent >= c.crit_at else None

        def held(since: datetime | None) -> bool:
            return since is not None and now - since >= c.pending

        if held(st.crit_since) or (st.firing == AlertState.CRITICAL and percent >= c.crit_clear):
            return AlertState.CRITICAL
        if held(st.warn_since) or (st.firing in _FIRING and percent >= c.warn_clear):
            return AlertState.WARNING
        return AlertState.OK

    def tick(self, now: datetime) -> list[Transition]:
        """Mark subjects that have not reported for ``stale_after`` as stale; returns those transitions."""
        out: list[Transition] = []
        for subject, st in self._subjects.items():
            if (
                st.last_seen is not None
                and st.state != AlertState.STALE
                and now - st.last_seen >= self.config.stale_after
            ):
                st.warn_since = st.crit_since = None
                out += self._move(subject, st, AlertState.STALE, now, None)
        return out

    def _move(
        self,
        subject: str,
        st: _Pressure,
        new: AlertState,
        now: datetime,
        percent: float | None,
        detail: str = "",
    ) -> list[Transition]:
        if new == st.state:
            return []
        previous, st.state = st.state, new
        return [
            Transition(
                AlertKey(PRESSURE, subject), previous, new, now, _SEVERITY.get(new), percent, detail=detail
            )
        ]

    def to_dict(self) -> dict[str, Any]:
        """Return the tracker state as JSON-safe data."""
        return {
            subject: {
                **asdict(st),
                **{k: _ts(getattr(st, k)) for k in ("warn_since", "crit_since", "last_seen")},
            }
            for subject, st in self._subjects.items()
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], config: PressureConfig | None = None) -> PressureTracker:
        """Rebuild a tracker from ``to_dict`` output."""
        tracker = cls(config)
        for subject, raw in data.items():
            tracker._subjects[subject] = _Pressure(
                state=AlertState(raw["state"]),
                firing=AlertState(raw["firing"]),
                warn_since=_dt(raw["warn_since"]),
                crit_since=_dt(raw["crit_since"]),
                last_seen=_dt(raw["last_seen"]),
            )
        return tracker


@dataclass
class _Denials:
    hits: list[datetime] = field(default_factory=list)
    state: AlertState = AlertState.OK


class DenialEscalator:
    """Counts denials per alert key in a sliding window: warning at first, critical at ``threshold``.

    Escalation sticks until the window is empty again (``tick`` then reports ``ok``), so a burst
    that slows down does not flap between warning and critical.
    """

    def __init__(self, window: timedelta = timedelta(minutes=10), threshold: int = 5) -> None:
        self.window = window
        self.threshold = threshold
        self._keys: dict[AlertKey, _Denials] = {}
        # Saved entries not touched yet, as ``to_dict`` wrote them: parsed key by key when touched.
        self._raw: dict[str, Any] = {}
        # What changed since loading, for a caller that stores the entries one by one (``changes``).
        self._dirty: set[AlertKey] = set()
        self._forgotten: set[str] = set()

    def _entry(self, key: AlertKey) -> _Denials:
        entry = self._keys.get(key)
        if entry is None:
            raw = self._raw.pop(entry_key(key), None)
            entry = _Denials() if raw is None else _parse_denials(raw)
            self._keys[key] = entry
        return entry

    def _load_all(self) -> None:
        for raw_key in list(self._raw):
            self._entry(alert_key_of(raw_key))

    def observe(
        self, key: AlertKey, now: datetime, severity: Severity = Severity.WARNING
    ) -> list[Transition]:
        """Count one denial at ``now``; returns a transition when the key starts firing or escalates."""
        if type(key) is not AlertKey:
            key = AlertKey(*key)  # accept a plain (type, subject) tuple too
        entry = self._entry(key)
        if entry.state == AlertState.CRITICAL and entry.hits.count(now) == self.threshold:
            return []  # a flood at one instant: nothing would change (the hits are all ``now``)
        recent = [hit for hit in entry.hits if now - hit < self.window] + [now]
        # Only the last ``threshold`` hits matter, which bounds memory under a flood of denials.
        entry.hits = recent[-self.threshold :]
        self._dirty.add(key)
        escalated = len(entry.hits) >= self.threshold or severity == Severity.CRITICAL
        new = AlertState.CRITICAL if escalated or entry.state == AlertState.CRITICAL else AlertState.WARNING
        if new == entry.state:
            return []
        previous, entry.state = entry.state, new
        detail = f"{len(entry.hits)} denials within {int(self.window.total_seconds())} s"
        return [Transition(key, previous, new, now, _SEVERITY[new], detail=detail)]

    def tick(self, now: datetime) -> list[Transition]:
        """Drop hits older than the window; keys with none left go back to ``ok`` and are forgotten
        (an ``ok`` key with no hits is the same as an unknown one, and the state would otherwise
        grow with every agent ever denied)."""
        self._load_all()
        out: list[Transition] = []
        for key, entry in list(self._keys.items()):
            recent = [hit for hit in entry.hits if now - hit < self.window]
            if len(recent) != len(entry.hits):
                entry.hits = recent
                self._dirty.add(key)
            if entry.hits:
                continue
            if entry.state != AlertState.OK:
                out.append(
                    Transition(key, entry.state, AlertState.OK, now, detail="no denials within window")
                )
            del self._keys[key]
            self._dirty.discard(key)
            self._forgotten.add(entry_key(key))
        return out

    def changes(self) -> tuple[dict[str, Any], set[str]]:
        """Return (the entries changed since loading, as ``to_dict`` writes them; the keys forgotten).

        For a caller that stores one row per key and loads only the keys a batch touches
        (``from_dict`` with those rows): it writes these back instead of the whole state.
        """
        changed = {entry_key(k): _dump_denials(self._keys[k]) for k in self._dirty if k in self._keys}
        return changed, set(self._forgotten)

    def to_dict(self) -> dict[str, Any]:
        """Return the state as JSON-safe data (keys as ``type|subject``)."""
        return {**self._raw, **{entry_key(k): _dump_denials(e) for k, e in self._keys.items()}}

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], window: timedelta = timedelta(minutes=10), threshold: int = 5
    ) -> DenialEscalator:
        """Rebuild an escalator from ``to_dict`` output."""
        escalator = cls(window, threshold)
        escalator._raw = dict(data)  # parsed key by key when touched (see _entry)
        return escalator


def entry_key(key: tuple[str, str]) -> str:
    """Return the escalator's name for an alert key (type, subject) in ``to_dict``: ``type|subject``."""
    return f"{key[0]}|{key[1]}"


def alert_key_of(name: str) -> AlertKey:
    """Return the alert key ``entry_key`` named (types never contain ``|``)."""
    kind, _, subject = name.partition("|")
    return AlertKey(kind, subject)


def _dump_denials(entry: _Denials) -> dict[str, Any]:
    return {"hits": [h.isoformat() for h in entry.hits], "state": entry.state.value}


def _parse_denials(raw: dict[str, Any]) -> _Denials:
    return _Denials([datetime.fromisoformat(h) for h in raw["hits"]], AlertState(raw["state"]))


class SourceTracker:
    """``live`` while a source reports, ``stale`` after ``stale_after`` of silence; ``unknown`` before."""

    def __init__(self, stale_after: timedelta = timedelta(minutes=5)) -> None:
        self.stale_after = stale_after
        self._last_seen: dict[str, datetime] = {}
        self._state: dict[str, AlertState] = {}

    def state(self, source: str) -> AlertState:
        """Return ``live``, ``stale`` or ``unknown`` (never reported)."""
        return self._state.get(source, AlertState.UNKNOWN)

    def seen(self, source: str, now: datetime) -> list[Transition]:
        """Record a report from ``source``; returns a transition if it was not live."""
        last = self._last_seen.get(source)
        if last is None or now > last:
            self._last_seen[source] = now
        previous = self._state.get(source, AlertState.UNKNOWN)
        if previous is AlertState.LIVE:
            return []
        self._state[source] = AlertState.LIVE
        return [Transition(AlertKey("source", source), previous, AlertState.LIVE, now)]

    def to_dict(self) -> dict[str, Any]:
        """Return the state as JSON-safe data."""
        return {
            s: {"last_seen": t.isoformat(), "state": self._state[s].value} for s, t in self._last_seen.items()
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], stale_after: timedelta = timedelta(minutes=5)) -> SourceTracker:
        """Rebuild a tracker from ``to_dict`` output."""
        tracker = cls(stale_after)
        for source, raw in data.items():
            tracker._last_seen[source] = datetime.fromisoformat(raw["last_seen"])
            tracker._state[source] = AlertState(raw["state"])
        return tracker

    def tick(self, now: datetime) -> list[Transition]:
        """Return ``live -> stale`` transitions for sources silent for ``stale_after`` or longer."""
        out = []
        for source, last in self._last_seen.items():
            if self._state[source] == AlertState.LIVE and now - last >= self.stale_after:
                self._state[source] = AlertState.STALE
                out.append(
                    Transition(
                        AlertKey("source", source), AlertState.LIVE, AlertState.STALE, now, Severity.WARNING
                    )
                )
        return out
