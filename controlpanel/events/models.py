"""pydantic models for the runtime events the panel ingests (issue 6).

One model per event ``type``; ``Event`` is their discriminated union. Every model forbids unknown
fields (JSON input is hostile), carries a ``severity`` and answers ``alert_key()``, the
(type, subject) pair the alert store deduplicates on (the gateway is added by the caller).
Parsed events are read-only: a batch that repeats an object shares one instance
(``jsonparse.parse_json_batch``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, ClassVar, Literal, NamedTuple, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from .quantities import MAX_BYTES, MAX_PERCENT, percent_of


class Severity(StrEnum):
    """Alert severity, ordered info < warning < critical (``rank`` gives the order)."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """Return 0, 1 or 2 so severities can be compared."""
        return _RANK[self]


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


def max_severity(*levels: Severity) -> Severity:
    """Return the most severe of ``levels``."""
    return max(levels, key=lambda level: level.rank)


class AlertKey(NamedTuple):
    """What identifies one alert within a gateway: the event type and its agent/workload/device."""

    type: str
    subject: str


ShortText = Annotated[str, StringConstraints(max_length=512)]
LongText = Annotated[str, StringConstraints(max_length=4096)]
Bytes = Annotated[int, Field(ge=0, le=MAX_BYTES)]
Pid = Annotated[int, Field(ge=0, le=2**32)]
Percent = Annotated[float, Field(ge=0, le=MAX_PERCENT, allow_inf_nan=False)]
# Addresses stay strings: 64-bit values do not survive JSON numbers in browsers.
HexAddress = Annotated[
    str, StringConstraints(pattern=r"^0[xX][0-9a-fA-F]{1,16}$"), AfterValidator(lambda v: v.lower())
]


class _EventBase(BaseModel):
    """Fields every event has. ``severity`` may be given, but never below the type's default."""

    model_config = ConfigDict(extra="forbid")

    default_severity: ClassVar[Severity] = Severity.WARNING

    ts: datetime | None = None
    severity: Severity | None = None
    message: LongText | None = None

    @model_validator(mode="after")
    def _fill_severity(self) -> _EventBase:
        floor = self.minimum_severity()
        # A sender may raise the severity but not lower it: a sandbox escape stays critical.
        self.severity = max_severity(self.severity, floor) if self.severity else floor
        return self

    def minimum_severity(self) -> Severity:
        """Return the lowest severity this event can have (the type default unless overridden)."""
        return self.default_severity

    def alert_key(self) -> AlertKey:  # pragma: no cover - every concrete model overrides it
        """Return the deduplication key of the alert this event feeds."""
        raise NotImplementedError


class MemoryDenied(_EventBase):
    """``clw-memory-denied``: the policy layer refused a memory operation."""

    type: Literal["clw-memory-denied"] = "clw-memory-denied"
    operation: ShortText | None = None
    address: HexAddress | None = None
    region: ShortText | None = None
    required_permission: ShortText | None = None
    session_permissions: ShortText | None = None
    sandbox_policy: ShortText | None = None
    process: ShortText | None = None
    pid: Pid | None = None
    plugin: ShortText | None = None

    def alert_key(self) -> AlertKey:
        """Key on the plugin, else the process, else the PID."""
        subject = self.plugin or self.process or (f"pid:{self.pid}" if self.pid is not None else "")
        return AlertKey(self.type, subject)


class _MemoryFigures(_EventBase):
    """Usage against a limit, both in bytes; ``percent_used`` is computed from them, never assumed."""

    usage_bytes: Bytes | None = None
    limit_bytes: Bytes | None = None

    @property
    def percent_used(self) -> float | None:
        """Return usage as a percentage of the real limit, or None if either figure is missing."""
        if self.usage_bytes is None or self.limit_bytes is None:
            return None
        return percent_of(self.usage_bytes, self.limit_bytes)


class MemoryOOM(_MemoryFigures):
    """``clw-memory-oom``: a workload hit its memory limit."""

    default_severity: ClassVar[Severity] = Severity.CRITICAL
    type: Literal["clw-memory-oom"] = "clw-memory-oom"
    workload: ShortText | None = None
    container: ShortText | None = None

    def alert_key(self) -> AlertKey:
        """Key on the workload (or container)."""
        return AlertKey(self.type, self.workload or self.container or "")


class MemoryPressure(_MemoryFigures):
    """``clw-memory-pressure`` (runtime) or ``diagnostic.memory.pressure`` (gateway)."""

    type: Literal["clw-memory-pressure"] = "clw-memory-pressure"
    workload: ShortText | None = None
    agent: ShortText | None = None
    # The percentage the sender printed; alert rules use ``percent_used`` (the real limit) instead.
    reported_percent: Percent | None = None
    # OpenClaw gateway reasons: rss_threshold, heap_threshold, rss_growth.
    reason: ShortText | None = None
    threshold_bytes: Bytes | None = None

    def minimum_severity(self) -> Severity:
        """Critical at >= 90 % of the real limit (else of the printed percentage), warning below."""
        percent = self.percent_used if self.percent_used is not None else self.reported_percent
        return Severity.CRITICAL if percent is not None and percent >= 90 else Severity.WARNING

    def alert_key(self) -> AlertKey:
        """Key on the workload, else the agent."""
        return AlertKey(self.type, self.workload or self.agent or "")


class ContainerKill(_MemoryFigures):
    """``clw-container-kill`` or a ``kubectl describe`` block with ``OOMKilled``."""

    default_severity: ClassVar[Severity] = Severity.CRITICAL
    type: Literal["clw-container-kill"] = "clw-container-kill"
    container: ShortText | None = None
    workload: ShortText | None = None
    namespace: ShortText | None = None
    reason: ShortText | None = None
    exit_code: int | None = Field(default=None, ge=-(2**31), le=2**31)
    signal: ShortText | None = None

    def alert_key(self) -> AlertKey:
        """Key on the workload (pod), else the container."""
        return AlertKey(self.type, self.workload or self.container or "")


class PolicyViolation(_EventBase):
    """``clw-policy-violation``: memory, syscall, file or network policy breach."""

    type: Literal["clw-policy-violation"] = "clw-policy-violation"
    category: ShortText | None = None
    subtype: ShortText | None = None
    details: LongText | None = None
    plugin: ShortText | None = None

    def alert_key(self) -> AlertKey:
        """Key on the plugin, else the category."""
        return AlertKey(self.type, self.plugin or self.category or "")


class SandboxEscape(_EventBase):
    """``clw-sandbox-escape``: always critical."""

    default_severity: ClassVar[Severity] = Severity.CRITICAL
    type: Literal["clw-sandbox-escape"] = "clw-sandbox-escape"
    attempted: LongText | None = None
    plugin: ShortText | None = None
    plugin_version: ShortText | None = None
    action: LongText | None = None

    def alert_key(self) -> AlertKey:
        """Key on the plugin."""
        return AlertKey(self.type, self.plugin or "")


class RegionInvalid(_EventBase):
    """``clw-region-invalid``: a malformed memory region in a manifest (a configuration error)."""

    default_severity: ClassVar[Severity] = Severity.INFO
    type: Literal["clw-region-invalid"] = "clw-region-invalid"
    region: ShortText | None = None
    reason: LongText | None = None
    hint: LongText | None = None

    def alert_key(self) -> AlertKey:
        """Key on the region text."""
        return AlertKey(self.type, self.region or "")


class AccessDenied(_EventBase):
    """``clw-access-denied``: generic capability denial."""

    type: Literal["clw-access-denied"] = "clw-access-denied"
    subject: ShortText | None = None
    object: ShortText | None = None
    reason: LongText | None = None
    required: ShortText | None = None
    available: ShortText | None = None
    pid: Pid | None = None

    def alert_key(self) -> AlertKey:
        """Key on the subject (who was denied)."""
        return AlertKey(self.type, self.subject or "")


class MemoryFault(_EventBase):
    """``clw-memory-fault``: a hardware-level fault (SIGSEGV, SIGBUS) rather than a policy denial."""

    type: Literal["clw-memory-fault"] = "clw-memory-fault"
    signal: ShortText | None = None
    signal_number: int | None = Field(default=None, ge=0, le=255)
    fault_address: HexAddress | None = None
    access_type: ShortText | None = None
    process: ShortText | None = None
    pid: Pid | None = None

    def alert_key(self) -> AlertKey:
        """Key on the process if known; faults of unknown origin share one alert."""
        return AlertKey(self.type, self.process or (f"pid:{self.pid}" if self.pid is not None else ""))


class ResourceLimit(_MemoryFigures):
    """``clw-resource-limit``: memory, CPU or other limit exceeded; bytes only for memory."""

    type: Literal["clw-resource-limit"] = "clw-resource-limit"
    resource: ShortText | None = None
    workload: ShortText | None = None
    usage: ShortText | None = None
    limit: ShortText | None = None

    def alert_key(self) -> AlertKey:
        """Key on the workload."""
        return AlertKey(self.type, self.workload or "")


class ExecDenied(_EventBase):
    """A tool/exec denial: node ``exec.denied``, ``SYSTEM_RUN_DENIED`` or an operator's deny decision."""

    type: Literal["exec.denied"] = "exec.denied"
    agent: ShortText | None = None
    command: LongText | None = None
    # OpenClaw reasons: approval-required, auto-review-denied, execution-plan-miss, user-denied, ...
    reason: ShortText | None = None
    host: ShortText | None = None
    node_id: ShortText | None = None
    session_key: ShortText | None = None
    run_id: ShortText | None = None
    approval_id: ShortText | None = None

    def alert_key(self) -> AlertKey:
        """Key on the agent, so repeated denials of one agent land on one alert."""
        return AlertKey(self.type, self.agent or "")


class MemorySample(_MemoryFigures):
    """A usage reading for charts and pressure rules; ``limit_bytes`` may be left out when unknown."""

    default_severity: ClassVar[Severity] = Severity.INFO
    type: Literal["memory.sample"] = "memory.sample"
    usage_bytes: Bytes
    workload: ShortText | None = None
    agent: ShortText | None = None
    kind: ShortText | None = None  # rss, heap, working_set

    def alert_key(self) -> AlertKey:
        """Key on the workload, else the agent."""
        return AlertKey(self.type, self.workload or self.agent or "")


class RawEvent(_EventBase):
    """Anything not recognised, kept verbatim so nothing is dropped."""

    default_severity: ClassVar[Severity] = Severity.INFO
    type: Literal["raw"] = "raw"
    text: Annotated[str, StringConstraints(max_length=65536)]
    level: ShortText | None = None

    def alert_key(self) -> AlertKey:
        """Raw lines share one key per gateway; they are listed, not alerted on individually."""
        return AlertKey(self.type, "")


Event = Annotated[
    Union[  # noqa: UP007 - a discriminated union reads better spelled out
        MemoryDenied,
        MemoryOOM,
        MemoryPressure,
        ContainerKill,
        PolicyViolation,
        SandboxEscape,
        RegionInvalid,
        AccessDenied,
        MemoryFault,
        ResourceLimit,
        ExecDenied,
        MemorySample,
        RawEvent,
    ],
    Field(discriminator="type"),
]

EVENT_TYPES: tuple[str, ...] = (
    "clw-memory-denied",
    "clw-memory-oom",
    "clw-memory-pressure",
    "clw-container-kill",
    "clw-policy-violation",
    "clw-sandbox-escape",
    "clw-region-invalid",
    "clw-access-denied",
    "clw-memory-fault",
    "clw-resource-limit",
    "exec.denied",
    "memory.sample",
    "raw",
)
