"""The one exception the event parsers raise, so callers can turn it into a clear 4xx."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with the input: where (``events[3].usage_bytes`` or a line number) and what."""

    path: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.path}: {self.reason}" if self.path else f"{where}{self.reason}"


class EventValidationError(ValueError):
    """Input that looked like an event but is malformed.

    ``problems`` lists every problem found (at least one); ``path``, ``reason`` and ``line`` repeat the
    first one for the common case of reporting a single message. ``str(exc)`` reads like
    ``events[3].usage_bytes: expected integer`` or ``line 7: Current usage: unknown unit 'Xi'``.
    """

    def __init__(self, problems: list[FieldProblem]) -> None:
        if not problems:
            problems = [FieldProblem(path="", reason="invalid event")]
        self.problems: tuple[FieldProblem, ...] = tuple(problems)
        first = self.problems[0]
        self.path: str = first.path
        self.reason: str = first.reason
        self.line: int | None = first.line
        super().__init__(str(first))
