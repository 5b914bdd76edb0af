"""One line per event for people: the alert text, whatever shape the event arrived in.

A denial posted as JSON, one parsed from a log line and one seeded for the demo all carry the same
typed fields, so they read the same ("read denied at 0x7fff5a3c0000: needs clw_mem_read, ..."): the raw
log line is never the summary (it stays in the event's ``message``).
"""

from __future__ import annotations

from typing import Any

from .models import (
    AccessDenied,
    ContainerKill,
    ExecDenied,
    MemoryDenied,
    MemoryFault,
    MemoryOOM,
    PolicyViolation,
    RawEvent,
    RegionInvalid,
    ResourceLimit,
    SandboxEscape,
)

MIB = 2**20
_SKIP = {"type", "severity", "ts", "message", "default_severity"}


def _mib(value: int | None) -> str | None:
    return f"{value / MIB:,.0f} MiB" if value is not None else None


def _join(*parts: str | None, sep: str = ", ") -> str:
    return sep.join(p for p in parts if p)


def _who(process: str | None, pid: int | None, plugin: str | None = None) -> str:
    if plugin:
        return f"plugin {plugin}" + (f" (PID {pid})" if pid is not None else "")
    if process:
        return f"process {process}" + (f" (PID {pid})" if pid is not None else "")
    return f"PID {pid}" if pid is not None else ""


def _memory_denied(e: MemoryDenied) -> str:
    where = e.address or e.region
    head = f"{e.operation or 'Memory access'} denied" + (f" at {where}" if where else "")
    facts = _join(
        f"needs {e.required_permission}" if e.required_permission else None,
        f"session has {e.session_permissions}" if e.session_permissions else None,
        f"sandbox {e.sandbox_policy}" if e.sandbox_policy else None,
    )
    return _join(head + (f": {facts}" if facts else ""), _who(e.process, e.pid, e.plugin), sep="; ")


def _oom(e: MemoryOOM) -> str:
    figures = _join(_mib(e.usage_bytes), _mib(e.limit_bytes), sep=" of ")
    return f"Out of memory: {e.workload or e.container or 'a workload'}" + (
        f" used {figures}" if figures else ""
    )


def _kill(e: ContainerKill) -> str:
    why = _join(e.reason, f"exit code {e.exit_code}" if e.exit_code is not None else None, e.signal)
    name = e.container or e.workload or "a container"
    where = f" in {e.namespace}/{e.workload}" if e.namespace and e.workload else ""
    return f"Container {name} was killed{where}" + (f" ({why})" if why else "")


def _policy(e: PolicyViolation) -> str:
    what = _join(e.category, e.subtype, sep="/") or "policy"
    by = f" by plugin {e.plugin}" if e.plugin else ""
    return f"{what} violation{by}" + (f": {e.details}" if e.details else "")


def _escape(e: SandboxEscape) -> str:
    by = f" by plugin {e.plugin}" + (f" {e.plugin_version}" if e.plugin_version else "") if e.plugin else ""
    tail = _join(e.attempted, f"action: {e.action}" if e.action else None, sep="; ")
    return f"Sandbox escape attempt{by}" + (f": {tail}" if tail else "")


def _region(e: RegionInvalid) -> str:
    return _join(
        f"Invalid memory region {e.region or ''}".strip() + (f": {e.reason}" if e.reason else ""), e.hint
    )


def _access(e: AccessDenied) -> str:
    head = f"{e.subject or 'A caller'} was denied {e.object or 'access'}"
    facts = _join(
        e.reason,
        f"needs {e.required}" if e.required else None,
        f"has {e.available}" if e.available else None,
    )
    return head + (f": {facts}" if facts else "")


def _fault(e: MemoryFault) -> str:
    head = f"{e.signal or 'Memory fault'}" + (f" at {e.fault_address}" if e.fault_address else "")
    access = f" ({e.access_type})" if e.access_type else ""
    who = _who(e.process, e.pid)
    return head + access + (f" in {who}" if who else "")


def _limit(e: ResourceLimit) -> str:
    usage = e.usage or _mib(e.usage_bytes)
    limit = e.limit or _mib(e.limit_bytes)
    figures = f": {usage} of {limit}" if usage and limit else ""
    return f"{e.resource or 'Resource'} limit exceeded by {e.workload or 'a workload'}{figures}"


def _exec(e: ExecDenied) -> str:
    head = f"Exec denied for agent {e.agent}" if e.agent else "Exec denied"
    facts = _join(e.reason, f"on {e.host}" if e.host else None)
    return head + (f" ({facts})" if facts else "") + (f": {e.command}" if e.command else "")


_SUMMARIES = {
    MemoryDenied: _memory_denied,
    MemoryOOM: _oom,
    ContainerKill: _kill,
    PolicyViolation: _policy,
    SandboxEscape: _escape,
    RegionInvalid: _region,
    AccessDenied: _access,
    MemoryFault: _fault,
    ResourceLimit: _limit,
    ExecDenied: _exec,
}


def _fields(event: Any) -> str:
    fields = event.model_dump(exclude_none=True, exclude=_SKIP)
    for name in ("usage_bytes", "limit_bytes", "threshold_bytes"):
        if name in fields:
            fields[name.removesuffix("_bytes")] = _mib(fields.pop(name))
    return ", ".join(f"{key}={value}" for key, value in fields.items())


def summarize(event: Any) -> str:
    """Return the one-line text of ``event`` (at most 1,000 characters)."""
    if isinstance(event, RawEvent):
        return event.text[:4096]
    summary = _SUMMARIES.get(type(event))
    text = summary(event) if summary else ""
    # Nothing typed to say (a bare event): the sender's own words, else its other fields.
    if not _fields(event) and event.message:
        text = event.message
    text = text or event.message or _fields(event) or event.type
    return (text[:1].upper() + text[1:])[:1000]
