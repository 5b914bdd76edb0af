"""Public parsing API for ingest: text/plain log lines and JSON events.

- ``parse_lines(text)`` never raises: unknown lines become RawEvents, unreadable fields are listed
  in ``ParsedLine.problems`` with their line number; call ``raise_for_problems`` to be strict.
- ``parse_json_event(obj)`` / ``parse_json_batch(data)`` raise only ``EventValidationError``.
"""

from __future__ import annotations

from .errors import EventValidationError, FieldProblem
from .jsonparse import MAX_BATCH_EVENTS, parse_json_batch, parse_json_event
from .textparse import ParsedLine, parse_lines

__all__ = [
    "MAX_BATCH_EVENTS",
    "EventValidationError",
    "ParsedLine",
    "decode_text",
    "parse_json_batch",
    "parse_json_event",
    "parse_lines",
    "raise_for_problems",
]


def decode_text(body: bytes) -> str:
    """Return ``body`` decoded as UTF-8, with invalid bytes replaced by U+FFFD rather than rejected."""
    return body.decode("utf-8", errors="replace")


def raise_for_problems(parsed: list[ParsedLine]) -> None:
    """Raise EventValidationError listing every problem in ``parsed`` (line numbers included), if any."""
    problems = [
        FieldProblem(path="", reason=problem.split(": ", 1)[1], line=item.line)
        if problem.startswith("line ")
        else FieldProblem(path="", reason=problem, line=item.line)
        for item in parsed
        for problem in item.problems
    ]
    if problems:
        raise EventValidationError(problems)
