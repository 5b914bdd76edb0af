"""Whether a silence mutes an alert: the one matching rule, for the ingest batch and the pages alike."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Protocol


class SilenceLike(Protocol):
    type_pattern: str  # shell-style globs (fnmatch, case-sensitive); "*" matches everything
    subject_pattern: str


def silence_matches(silences: Iterable[SilenceLike], type_: str, subject: str) -> bool:
    """Return True when one of ``silences`` matches the alert key (``type_``, ``subject``)."""
    return any(
        fnmatch.fnmatchcase(type_, s.type_pattern) and fnmatch.fnmatchcase(subject, s.subject_pattern)
        for s in silences
    )
