"""CSV that a spreadsheet opens as data, never as formulas (CWE-1236, "CSV injection").

A cell whose text starts with ``= + - @``, a tab or a carriage return may be run as a formula by
Excel, LibreOffice or Google Sheets (``=HYPERLINK(...)`` in an audit suppression's check id, say).
Such text gets a leading ``'``, as OWASP recommends; numbers, booleans and empty cells are written as
they are. Every CSV the panel writes goes through ``writer``. [pure]
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """``value`` as a CSV cell that cannot start a formula (strings only; other types unchanged)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _SafeWriter:
    """``csv.writer`` with every cell passed through ``cell``."""

    def __init__(self, stream: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(stream: Any, **kwargs: Any) -> _SafeWriter:
    """A CSV writer onto ``stream`` (a file or an HttpResponse) that neutralises formula cells."""
    return _SafeWriter(stream, **kwargs)
