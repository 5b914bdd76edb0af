"""Posture regressions between two audits of one gateway: what raises a posture alert.   [pure]

A finding is known by its check id and title (a check that reports several things titles each).
Between the previous audit and this one, a **regression** is

* a critical finding more than before: a new critical finding, or one raised to critical;
* a finding whose highest severity rose (info to warn, warn to critical).

Findings that are new but not critical, or that got milder, are not regressions (the run's diff
lists them). Suppressed findings (accepted risks) take part in neither audit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

RANK = {"info": 0, "warn": 1, "critical": 2}

# (check id, title, severity) of one active finding
FindingKey = tuple[str, str, str]


class Regression(NamedTuple):
    check_id: str
    title: str
    severity: str  # now
    before: str | None  # its highest severity in the previous audit; None: it was not there

    def describe(self) -> str:
        if self.before is None:
            return f"{self.check_id} ({self.severity}, new)"
        if self.before == self.severity:
            return f"{self.check_id} (one more {self.severity})"
        return f"{self.check_id} ({self.before} to {self.severity})"


def _index(findings: Iterable[FindingKey]) -> tuple[dict[tuple[str, str], str], Counter]:
    top: dict[tuple[str, str], str] = {}
    critical: Counter = Counter()
    for check_id, title, severity in findings:
        key = (check_id, title)
        if key not in top or RANK.get(severity, 0) > RANK.get(top[key], 0):
            top[key] = severity
        if severity == "critical":
            critical[key] += 1
    return top, critical


def regressions(before: Iterable[FindingKey], after: Iterable[FindingKey]) -> list[Regression]:
    """The regressions of ``after`` against ``before`` (an empty ``before``: the first audit, where
    every critical finding is one), the most severe first."""
    top_before, critical_before = _index(before)
    top_after, critical_after = _index(after)
    found = []
    for key, severity in top_after.items():
        previous = top_before.get(key)
        rose = previous is not None and RANK.get(severity, 0) > RANK.get(previous, 0)
        if critical_after[key] > critical_before[key] or rose:
            found.append(Regression(key[0], key[1], severity, previous))
    return sorted(found, key=lambda r: (-RANK.get(r.severity, 0), r.check_id, r.title))


def still_present(regressed: Iterable[Iterable[str]], after: Iterable[FindingKey]) -> bool:
    """Whether any of ``regressed`` ((check id, title, severity)) is still found at that severity or
    worse: while one is, its posture alert stays open."""
    top_after, _ = _index(after)
    for check_id, title, severity in regressed:
        now = top_after.get((check_id, title))
        if now is not None and RANK.get(now, 0) >= RANK.get(severity, 0):
            return True
    return False


def alert_text(regressed: list[Regression]) -> str:
    """The posture alert's message: what got worse, the most severe first."""
    critical = [r for r in regressed if r.severity == "critical"]
    head = (
        f"{len(critical)} critical finding(s) more than the last audit"
        if critical
        else f"{len(regressed)} finding(s) more severe than in the last audit"
    )
    listed = ", ".join(r.describe() for r in regressed[:5])
    more = f" and {len(regressed) - 5} more" if len(regressed) > 5 else ""
    return f"Security posture got worse: {head}: {listed}{more}."
