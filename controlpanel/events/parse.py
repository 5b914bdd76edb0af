"""Public parsing API for ingest: text/plain log lines and JSON events.

- ``parse_lines(text)`` never raises: unknown lines become RawEvents, unreadable fields are listed
  in ``ParsedLine.problems`` with their line number; call ``raise_for_problems`` to be strict.
- ``parse_json_event(obj)`` / ``parse_json_batch(data)`` raise only ``EventValidationError``.
- ``storable_json_batch(data)`` / ``storable_text(text)``, called before parsing, escape the text no
  database can store (NUL, lone surrogates; see ``lib.safetext``) and say where, so hostile text is
  kept visibly instead of failing the whole batch.
"""

from __future__ import annotations

from typing import Any

from controlpanel.lib.safetext import (
    UNSTORABLE_JSON_ESCAPE,
    describe,
    escape_unstorable,
    escape_unstorable_json,
    first_unstorable,
)

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
    "storable_json_batch",
    "storable_text",
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


def storable_json_batch(data: Any, *, raw: bytes | None = None) -> tuple[Any, list[FieldProblem]]:
    """Return (a decoded JSON batch with unstorable text escaped, where it was), before parsing.

    Paths are the parser's: ``events[3].agent`` in an array or ``{"events": [...]}``, ``event.agent``
    for a single event. A field *name* holding such text is escaped too, and then refused by the
    parser as an unknown field (named in its printable form). ``raw``, the body ``data`` was decoded
    from: NUL and surrogates can only arrive there as ``\\u`` escapes, so a body without one is not
    walked (the common case, on the ingest hot path).
    """
    if raw is not None and UNSTORABLE_JSON_ESCAPE.search(raw) is None:
        return data, []
    if isinstance(data, list):
        root = "events"
    elif isinstance(data, dict) and "events" in data and "type" not in data:
        root = ""
    else:
        root = "event"
    data, escaped = escape_unstorable_json(data, root)
    return data, [FieldProblem(path=e.path, reason=e.reason) for e in escaped]


def storable_text(text: str) -> tuple[str, list[FieldProblem]]:
    """Return (log ``text`` with unstorable characters escaped, one note per line that had some)."""
    if first_unstorable(text) is None:
        return text, []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")  # as parse_lines numbers them
    notes = [
        FieldProblem(path="", reason=describe(char), line=number)
        for number, line in enumerate(lines, start=1)
        if (char := first_unstorable(line)) is not None
    ]
    return escape_unstorable(text), notes
