"""Group log records into events and build the event models (the text/plain half of ingest).

Grouping rules, in order (see ``_continues``):
- a record whose body starts with a ``clw-*`` code opens a new event;
- records on the same physical line as the previous record of an event belong to it (seed 000/003
  run several records together on one line);
- after a ``[OpenClaw vX] LEVEL: clw-...`` header, bare ``Key: value`` lines belong to it;
- otherwise (not for ``[OpenClaw vX]`` headers) a record with the same header style and tag belongs
  to it if both carry timestamps within one second of the opening record, or neither does and the
  body is a ``Key: value`` line;
- consecutive bare ``Key: value`` lines outside an event form a block that becomes a ContainerKill
  when it reads like ``kubectl describe`` output with ``OOMKilled``, else one RawEvent per line.
Anything else is one RawEvent per record. Blank lines end every group.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from .fields import Fields, extract
from .models import Event, RawEvent, Severity
from .quantities import QuantityError, parse_bytes
from .records import Record, parse_timestamp, split_records
from .textforms import BUILDERS, kubectl_oom_kill

MAX_GROUP_RECORDS = 50
MAX_BLOCK_RECORDS = 200
_SAME_EVENT_WINDOW = timedelta(seconds=1)
_MESSAGE_LIMIT = 4096
_RAW_LIMIT = 65536

_CODE_RE = re.compile(r"^(clw-[a-z0-9]+(?:-[a-z0-9]+)*)(?::|\b)\s*")
_KV_RE = re.compile(r"^[A-Za-z][A-Za-z0-9 _()/.-]{0,40}:(?:\s|$)")
_KUBECTL_KV_RE = re.compile(r"^\s*[A-Za-z0-9][A-Za-z0-9 _()/.-]{0,60}:(?:\s|$)")
_MONITOR_DENIED_RE = re.compile(
    r"^(?P<ts>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\s+(?P<pid>\d{1,10})\s+(?P<plugin>\S+)\s+"
    r"(?P<op>[A-Z]+)\s+(?P<addr>\S+)\s+DENIED\s*$"
)
_GATEWAY_PRESSURE_RE = re.compile(
    r"memory pressure: level=(?P<level>warning|critical) reason=(?P<reason>\w+)"
)
_GATEWAY_METRIC_RE = re.compile(r"\b(rssBytes|heapUsedBytes|thresholdBytes)=(\d{1,20})\b")
_EXEC_DENIED_RE = re.compile(
    r"Exec denied \((?P<host>[\w-]+) id=(?P<id>[^,\s)]+), (?P<reason>[^)]+)\): (?P<command>.*)$"
)
_SYSTEM_RUN_DENIED_RE = re.compile(r"\bSYSTEM_RUN_DENIED: (?P<detail>.+)$")

_LEVEL_SEVERITY = {
    "CRITICAL": Severity.CRITICAL,
    "FATAL": Severity.CRITICAL,
    "ERROR": Severity.WARNING,
    "WARN": Severity.WARNING,
    "WARNING": Severity.WARNING,
}
_EVENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(Event)


class ParsedLine(BaseModel):
    """One event found in text, with the 1-based lines it spans and any fields that could not be read."""

    line: int
    end_line: int
    event: Event
    problems: list[str] = Field(default_factory=list)


def _severity_of(level: str | None) -> Severity | None:
    return _LEVEL_SEVERITY.get((level or "").upper())


def _code_of(record: Record) -> str | None:
    match = _CODE_RE.match(record.body)
    return match[1] if match else None


def _continues(group: list[Record], record: Record) -> bool:
    """Return True if ``record`` continues the ``clw-*`` event opened by ``group[0]``."""
    head, last = group[0], group[-1]
    if len(group) >= MAX_GROUP_RECORDS:
        return False
    if record.line == last.line:
        return True
    if record.style == "bare":
        return head.style == "terminal" and bool(_KV_RE.match(record.body))
    # Terminal blocks continue only with bare "Key: value" lines; another "[OpenClaw vX]" line is
    # a new message ("[OpenClaw v2.4.1] Starting plugin: ..." also looks like "Key: value").
    if head.style == "terminal" or record.style != head.style or record.tag != head.tag:
        return False
    if head.ts is not None and record.ts is not None:
        return abs(record.ts - head.ts) <= _SAME_EVENT_WINDOW
    return head.ts is None and record.ts is None and bool(_KV_RE.match(record.body))


def _message(records: list[Record]) -> str:
    return "\n".join(record.text for record in records)[:_MESSAGE_LIMIT]


def _raw(records: list[Record], problems: list[str] | None = None) -> ParsedLine:
    text = "\n".join(record.text for record in records)[:_RAW_LIMIT]
    event = RawEvent(
        text=text, level=records[0].level, ts=records[0].ts, severity=_severity_of(records[0].level)
    )
    return ParsedLine(line=records[0].line, end_line=records[-1].line, event=event, problems=problems or [])


def _validated(data: dict[str, Any], records: list[Record], problems: list[str]) -> ParsedLine:
    """Validate builder output into a model; on failure keep the text as a RawEvent with the reasons."""
    try:
        event = _EVENT_ADAPTER.validate_python(data)
    except ValidationError as exc:
        reasons = [
            f"line {records[0].line}: {'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in exc.errors()
        ]
        return _raw(records, problems + reasons)
    return ParsedLine(line=records[0].line, end_line=records[-1].line, event=event, problems=problems)


def _common(records: list[Record]) -> dict[str, Any]:
    head = records[0]
    return {"ts": head.ts, "severity": _severity_of(head.level), "message": _message(records)}


def _clw_event(group: list[Record]) -> ParsedLine:
    head = group[0]
    match = _CODE_RE.match(head.body)
    code = match[1] if match else ""
    builder = BUILDERS.get(code)
    if match is None or builder is None:
        return _raw(group, [f"line {head.line}: unknown event code {code!r}"])
    # The text after the code is the summary ("Container w exceeded memory limit") plus any fields.
    bodies = [head.body[match.end() :], *(record.body for record in group[1:])]
    fields: Fields = extract("\n".join(bodies), head.line)
    data = {**_common(group), **builder(fields)}
    return _validated(data, group, fields.problems)


def _kv_block(block: list[Record]) -> list[ParsedLine]:
    fields = extract("\n".join(record.body for record in block), block[0].line)
    data = kubectl_oom_kill(fields)
    if data is None:
        return [_raw([record]) for record in block]
    return [_validated({**_common(block), **data}, block, fields.problems)]


def _single_data(record: Record) -> dict[str, Any] | None:
    body = record.body
    if match := _MONITOR_DENIED_RE.match(body):
        address = match["addr"]
        return {
            "type": "clw-memory-denied",
            "ts": parse_timestamp(match["ts"]),
            "pid": int(match["pid"]),
            "plugin": match["plugin"],
            "operation": match["op"].lower(),
            # /dev/mem and similar are mapped objects, not addresses.
            **({"address": address} if address.startswith("0x") else {"region": address}),
        }
    if match := _GATEWAY_PRESSURE_RE.search(body):
        metrics = dict(_GATEWAY_METRIC_RE.findall(body))
        usage_key = "heapUsedBytes" if match["reason"] == "heap_threshold" else "rssBytes"
        return {
            "type": "clw-memory-pressure",
            "severity": match["level"],
            "reason": match["reason"],
            "usage_bytes": _int_or_none(metrics.get(usage_key)),
            "threshold_bytes": _int_or_none(metrics.get("thresholdBytes")),
        }
    if match := _EXEC_DENIED_RE.search(body):
        return {
            "type": "exec.denied",
            "host": match["host"],
            "approval_id": match["id"],
            "reason": match["reason"].strip(),
            "command": match["command"].rstrip("'\""),
        }
    if "Memory cgroup out of memory" in body:
        # Docker's wording for the kernel OOM killer; the container is not named on this line.
        return {"type": "clw-memory-oom"}
    if match := _SYSTEM_RUN_DENIED_RE.search(body):
        return {"type": "exec.denied", "reason": f"SYSTEM_RUN_DENIED: {match['detail']}"[:512]}
    return None


def _int_or_none(raw: str | None) -> int | None:
    try:
        return parse_bytes(raw) if raw is not None else None
    except QuantityError:
        return None


def parse_lines(text: str) -> list[ParsedLine]:
    """Return the events in ``text`` in input order; never raises.

    Unknown lines become RawEvents (kept verbatim); known events whose fields cannot be read keep
    those fields empty and list why in ``problems`` (with the line number). Blank lines are skipped.
    """
    out: list[ParsedLine] = []
    group: list[Record] = []
    block: list[Record] = []

    def flush() -> None:
        if group:
            out.append(_clw_event(group))
            group.clear()
        if block:
            out.extend(_kv_block(block))
            block.clear()

    for record in split_records(text):
        if record is None:
            flush()
        elif _code_of(record):
            flush()
            group.append(record)
        elif group and _continues(group, record):
            group.append(record)
        elif (data := _single_data(record)) is not None:
            flush()
            out.append(_validated({**_common([record]), **data}, [record], []))
        elif record.style == "bare" and _KUBECTL_KV_RE.match(record.text):
            if group or len(block) >= MAX_BLOCK_RECORDS:
                flush()
            block.append(record)
        else:
            flush()
            out.append(_raw([record]))
    flush()
    return out
