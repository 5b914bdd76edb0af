"""JSON events: our own event format and the real OpenClaw gateway frames (the JSON half of ingest).

Accepted shapes for ``parse_json_event``:
- ``{"type": "<event type>", ...}`` for any type in ``EVENT_TYPES`` (unknown fields rejected);
- gateway event frames ``{"type": "event", "event": "exec.denied" | "exec.approval.resolved", ...}``;
- node request frames ``{"type": "req", "method": "node.event", "params": {"event": "exec.denied",
  "payloadJSON": "..."}}`` (how a node host reports ``SYSTEM_RUN_DENIED`` to the gateway);
- gateway diagnostics ``{"type": "diagnostic.memory.sample" | "diagnostic.memory.pressure", ...}``.
Other gateway frames and diagnostics are kept as RawEvent. Anything else raises
EventValidationError naming the field path.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from controlpanel.lib import jsonlimits

from .errors import EventValidationError, FieldProblem
from .models import EVENT_TYPES, Event, ExecDenied, MemoryPressure, MemorySample, RawEvent
from .quantities import MAX_BYTES

MAX_BATCH_EVENTS = 10_000
_RAW_LIMIT = 65536
_EVENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(Event)

_SHORT_REASONS = {
    "int_type": "expected integer",
    "int_parsing": "expected integer",
    "int_from_float": "expected integer",
    "float_type": "expected number",
    "float_parsing": "expected number",
    "string_type": "expected string",
    "bool_type": "expected boolean",
    "missing": "field required",
    "extra_forbidden": "unexpected field",
    "model_type": "expected object",
    "dict_type": "expected object",
    "list_type": "expected array",
    "string_too_long": "too long",
    "string_pattern_mismatch": "invalid format",
    "datetime_type": "expected datetime",
    "datetime_parsing": "expected datetime",
    "datetime_from_date_parsing": "expected datetime",
    "datetime_object_invalid": "expected datetime",
}


def _join(root: str, loc: tuple[Any, ...]) -> str:
    """Return ``root`` plus ``loc`` as a path: ``events[3].usage_bytes``."""
    path = root
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _problems(exc: ValidationError, root: str, *, strip_tag: bool) -> list[FieldProblem]:
    """Map pydantic errors to FieldProblems; ``strip_tag`` drops the union tag pydantic puts first."""
    out = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        if strip_tag and loc and isinstance(loc[0], str) and loc[0] in EVENT_TYPES:
            loc = loc[1:]
        out.append(
            FieldProblem(path=_join(root, loc), reason=_SHORT_REASONS.get(error["type"], error["msg"]))
        )
    return out


class _GatewayMemory(BaseModel):
    """The ``memory`` object of gateway diagnostics; extra fields are ignored as the gateway adds them."""

    model_config = ConfigDict(extra="ignore")
    rssBytes: int = Field(ge=0, le=MAX_BYTES)  # camelCase: the gateway's field names
    heapUsedBytes: int = Field(default=0, ge=0, le=MAX_BYTES)


class _GatewayDiagnostic(BaseModel):
    """A ``diagnostic.memory.*`` event as the gateway emits it (see diagnostics.stability captures)."""

    model_config = ConfigDict(extra="ignore")
    type: str
    ts: datetime | None = None
    memory: _GatewayMemory
    level: str | None = Field(default=None, pattern=r"^(warning|critical)$")
    reason: str | None = Field(default=None, max_length=100)
    thresholdBytes: int | None = Field(default=None, ge=0, le=MAX_BYTES)


def _from_ms(ms: Any) -> Any:
    """Gateway ``ts`` is epoch milliseconds; convert it, or return it as is for pydantic to reject."""
    if isinstance(ms, int | float) and not isinstance(ms, bool):
        try:
            return datetime.fromtimestamp(ms / 1000, tz=UTC)
        except (ValueError, OverflowError, OSError):
            return ms
    return ms


def _diagnostic(obj: dict[str, Any], root: str) -> Event:
    kind = obj.get("type")
    if kind not in ("diagnostic.memory.sample", "diagnostic.memory.pressure"):
        return _raw(obj)
    try:
        diag = _GatewayDiagnostic.model_validate({**obj, "ts": _from_ms(obj.get("ts"))})
    except ValidationError as exc:
        raise EventValidationError(_problems(exc, root, strip_tag=False)) from None
    if kind == "diagnostic.memory.sample":
        # The gateway reports no limit with its samples; the pressure rules treat that as unknown.
        return MemorySample(ts=diag.ts, usage_bytes=diag.memory.rssBytes, kind="rss")
    heap = diag.reason == "heap_threshold"
    return MemoryPressure(
        ts=diag.ts,
        severity=diag.level,
        reason=diag.reason,
        usage_bytes=diag.memory.heapUsedBytes if heap else diag.memory.rssBytes,
        threshold_bytes=diag.thresholdBytes,
    )


def _agent_of(session_key: Any) -> str | None:
    """Return ``main`` from a session key ``agent:main:main``."""
    if isinstance(session_key, str) and session_key.startswith("agent:"):
        return session_key.split(":")[1] or None
    return None


def _exec_denied(payload: dict[str, Any], root: str, **extra: Any) -> Event:
    """Build ExecDenied from a node ``exec.denied`` payload (or an approval request), validating it."""
    data = {
        "ts": _from_ms(payload.get("ts")),
        "agent": payload.get("agentId") or _agent_of(payload.get("sessionKey")),
        "command": payload.get("command"),
        "reason": payload.get("reason"),
        "host": payload.get("host"),
        "node_id": payload.get("nodeId"),
        "session_key": payload.get("sessionKey"),
        "run_id": payload.get("runId") or None,
        **extra,
    }
    try:
        return ExecDenied.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        raise EventValidationError(_problems(exc, root, strip_tag=False)) from None


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise EventValidationError([FieldProblem(path=path, reason="expected object")])
    return value


def _gateway_frame(obj: dict[str, Any], root: str) -> Event:
    name = obj.get("event")
    if name == "exec.denied":
        return _exec_denied(_object(obj.get("payload"), f"{root}.payload"), f"{root}.payload")
    if name == "exec.approval.resolved":
        payload = _object(obj.get("payload"), f"{root}.payload")
        if payload.get("decision") != "deny":
            return _raw(obj)
        request = _object(payload.get("request", {}), f"{root}.payload.request")
        # An operator's deny is a denial too; "user-denied" is the gateway's own wording for it.
        merged = {**request, "ts": payload.get("ts")}
        return _exec_denied(merged, f"{root}.payload", reason="user-denied", approval_id=payload.get("id"))
    return _raw(obj)


def _node_request(obj: dict[str, Any], root: str) -> Event:
    params = _object(obj.get("params"), f"{root}.params")
    if obj.get("method") != "node.event" or params.get("event") != "exec.denied":
        return _raw(obj)
    raw_payload = params.get("payloadJSON")
    try:
        payload = jsonlimits.loads(raw_payload) if isinstance(raw_payload, str) else None
    except jsonlimits.JsonTooDeep as exc:
        problem = FieldProblem(path=f"{root}.params.payloadJSON", reason=str(exc))
        raise EventValidationError([problem]) from None
    except ValueError:
        payload = None
    return _exec_denied(_object(payload, f"{root}.params.payloadJSON"), f"{root}.params.payloadJSON")


def _raw(obj: Any) -> RawEvent:
    """Keep an unrecognised gateway frame verbatim (as compact JSON, cut at 64 KiB)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str)
    return RawEvent(text=text[:_RAW_LIMIT])


def parse_json_event(obj: Any, *, root: str = "event") -> Event:
    """Return the event model for one decoded JSON value.

    Raises EventValidationError (with a path such as ``event.usage_bytes``) if ``obj`` is not an
    object, has no string ``type``, names an unknown type, or has invalid fields. Unknown gateway
    frames are returned as RawEvent rather than rejected.
    """
    obj = _object(obj, root)
    kind = obj.get("type")
    if kind is None:
        raise EventValidationError([FieldProblem(path=f"{root}.type", reason="field required")])
    if not isinstance(kind, str):
        raise EventValidationError([FieldProblem(path=f"{root}.type", reason="expected string")])
    if kind == "event":
        return _gateway_frame(obj, root)
    if kind == "req":
        return _node_request(obj, root)
    if kind.startswith("diagnostic."):
        return _diagnostic(obj, root)
    if kind not in EVENT_TYPES:
        raise EventValidationError(
            [FieldProblem(path=f"{root}.type", reason=f"unknown event type {kind[:60]!r}")]
        )
    try:
        return _EVENT_ADAPTER.validate_python(obj)
    except ValidationError as exc:
        raise EventValidationError(_problems(exc, root, strip_tag=True)) from None


def parse_json_batch(data: Any, *, max_events: int = MAX_BATCH_EVENTS) -> list[Event]:
    """Return the events of a JSON batch: an array of events, ``{"events": [...]}`` or one event.

    All-or-nothing: every problem in every event is collected and raised together as one
    EventValidationError (paths ``events[3].usage_bytes``), so a rejected batch stores nothing.
    """
    if isinstance(data, dict) and "events" in data and "type" not in data:
        data = data["events"]
    if isinstance(data, dict):
        return [parse_json_event(data)]
    if not isinstance(data, list):
        raise EventValidationError([FieldProblem(path="events", reason="expected an array or an object")])
    if len(data) > max_events:
        raise EventValidationError(
            [FieldProblem(path="events", reason=f"too many events (max {max_events})")]
        )
    events: list[Event] = []
    problems: list[FieldProblem] = []
    # Batches repeat themselves (a denial storm is one line many times): an object equal to one
    # already parsed gets that event (models are read-only once parsed). Only flat objects are
    # looked up, by their fields in order with each value's type (1, 1.0 and true are equal in
    # Python, not in JSON).
    seen: dict[tuple, Event] = {}
    for index, item in enumerate(data):
        try:
            key = (
                tuple((name, type(value), value) for name, value in item.items())
                if type(item) is dict
                else None
            )
            hash(key)
        except TypeError:  # a nested value (list, object): parsed each time
            key = None
        if key is not None and (event := seen.get(key)) is not None:
            events.append(event)
            continue
        try:
            event = parse_json_event(item, root=f"events[{index}]")
        except EventValidationError as exc:
            problems.extend(exc.problems)
            continue
        events.append(event)
        if key is not None:
            seen[key] = event
    if problems:
        raise EventValidationError(problems)
    return events
