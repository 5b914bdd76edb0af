"""Split log text into records: one per ``[timestamp] [LEVEL]``-style header, with its line number.

Seed 000 shows several ``[ts] [LEVEL]`` records run together on one physical line and seed 003 does
the same with bare ``[ERROR]`` prefixes, so a line is cut at every header, not only at its start.
A line without any header is one ``bare`` record (a ``Key: value`` continuation, a ``kubectl``
line or something unknown).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

Style = Literal["terminal", "bracket_ts", "iso", "bracket_level", "bare"]

_LEVELS = r"ERROR|WARN|WARNING|INFO|DEBUG|TRACE|NOTICE|CRITICAL|FATAL"
_TS = r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?"

# Order matters: at one position the first alternative that matches wins, so the timestamped
# bracket form is tried before the bare ``[LEVEL]`` form it contains.
_HEADER_RE = re.compile(
    rf"(?:^|(?<=\s))(?:"
    rf"(?P<terminal>\[OpenClaw v(?P<version>[^\]\s]{{1,40}})\]\s*(?:(?P<t_level>{_LEVELS}):\s*)?)"
    rf"|(?P<bracket_ts>\[(?P<b_ts>{_TS})\]\s*\[(?P<b_level>{_LEVELS})\]\s*)"
    rf"|(?P<iso>(?P<i_ts>\d{{4}}-\d{{2}}-\d{{2}}T[^\s]{{8,30}})\s+(?P<i_level>{_LEVELS})\s+"
    rf"(?:\[(?P<tag>[^\]]{{1,60}})\]\s*)?)"
    rf"|(?P<bracket_level>\[(?P<l_level>{_LEVELS})\]\s*)"
    rf")"
)


@dataclass(frozen=True)
class Record:
    """One log record: where it came from, its parsed header, its body and its verbatim text."""

    line: int
    style: Style
    body: str
    text: str
    level: str | None = None
    ts: datetime | None = None
    tag: str | None = None


def parse_timestamp(text: str) -> datetime | None:
    """Return the timestamp in ``text`` as an aware datetime (UTC when no zone is printed), or None."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _record_from_match(line_no: int, match: re.Match[str], body: str, text: str) -> Record:
    """Build the Record for one header match and the body that follows it."""
    if match["terminal"]:
        return Record(
            line_no, "terminal", body, text, level=match["t_level"], tag=f"OpenClaw v{match['version']}"
        )
    if match["bracket_ts"]:
        return Record(
            line_no, "bracket_ts", body, text, level=match["b_level"], ts=parse_timestamp(match["b_ts"])
        )
    if match["iso"]:
        ts = parse_timestamp(match["i_ts"])
        return Record(line_no, "iso", body, text, level=match["i_level"], ts=ts, tag=match["tag"])
    return Record(line_no, "bracket_level", body, text, level=match["l_level"])


def split_line(line_no: int, line: str) -> list[Record]:
    """Return the records of one physical line (never empty for a non-blank line)."""
    matches = list(_HEADER_RE.finditer(line))
    records: list[Record] = []
    start = matches[0].start() if matches else len(line)
    if line[:start].strip():
        records.append(Record(line_no, "bare", line[:start].strip(), line[:start].rstrip()))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(line)
        text = line[match.start() : end].rstrip()
        records.append(_record_from_match(line_no, match, line[match.end() : end].strip(), text))
    return records


def split_records(text: str) -> list[Record | None]:
    """Return the records of ``text`` in order, with None marking each blank line (a group boundary)."""
    out: list[Record | None] = []
    # Only CR/LF end a line: str.splitlines() would also cut at form feeds and U+2028 and shift the
    # line numbers that error messages report.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            out.append(None)
            continue
        out.extend(split_line(line_no, line))
    return out
