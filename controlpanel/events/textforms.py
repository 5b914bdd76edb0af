"""Turn the fields of one grouped ``clw-*`` block (or a kubectl block) into event-model input.

Each builder returns a plain dict for the model named by its ``type``; the caller validates it and
falls back to a RawEvent if validation fails, so nothing here may raise on odd input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import fields as f
from .fields import Fields
from .quantities import MAX_PERCENT

Builder = Callable[[Fields], dict[str, Any]]


def _memory_denied(x: Fields) -> dict[str, Any]:
    process, pid = f.name_and_pid(x.get("Process"))
    return {
        "type": "clw-memory-denied",
        "operation": (x.get("Operation") or "").lower() or None,
        "address": f.hex_address_in(x.summary),
        "region": f.region_in(x.text),
        "required_permission": x.get("Required permission"),
        "session_permissions": x.get("Current session permissions"),
        "sandbox_policy": x.get("Sandbox policy"),
        "process": process,
        "pid": pid if pid is not None else f.pid_in(x.text),
        "plugin": x.get("Plugin") or f.quoted_plugin_in(x.text),
    }


def _container_in(summary: str) -> str | None:
    """Return the name in ``Container workload-xyz exceeded ...`` / ``Container payment-svc was killed``."""
    words = summary.split()
    if len(words) >= 2 and words[0].lower() == "container":
        return words[1].rstrip(":,")
    return None


def _memory_oom(x: Fields) -> dict[str, Any]:
    usage, limit = f.memory_stats(x)
    if usage is None and limit is None:
        usage = x.bytes_of("Current usage", x.get("Current usage"))
        limit = x.bytes_of("Limit", x.get("Limit"))
    return {
        "type": "clw-memory-oom",
        "workload": x.get("Workload"),
        "container": _container_in(x.summary),
        "usage_bytes": usage,
        "limit_bytes": limit,
    }


def _memory_pressure(x: Fields) -> dict[str, Any]:
    usage, limit = f.usage_and_limit(x, "Usage")
    percent = f.percent_in(x.summary)
    if percent is not None and percent > MAX_PERCENT:
        x.problem("percent", f"out of range: {percent}")
        percent = None
    return {
        "type": "clw-memory-pressure",
        "workload": x.get("Workload"),
        "reported_percent": percent,
        "usage_bytes": usage,
        "limit_bytes": limit,
    }


def _container_kill(x: Fields) -> dict[str, Any]:
    reason = x.get("Reason")
    signal, _number = f.signal_in(x.get("Signal"))
    return {
        "type": "clw-container-kill",
        "container": x.get("Container") or _container_in(x.summary),
        "workload": x.get("Workload"),
        "reason": reason.split("(")[0].strip() if reason else None,
        "exit_code": f.exit_code_in(reason) if reason else None,
        "signal": signal,
    }


def _resource_limit(x: Fields) -> dict[str, Any]:
    resource = x.get("Resource")
    usage, limit = x.get("Usage"), x.get("Limit")
    is_memory = (resource or "").lower() == "memory"
    return {
        "type": "clw-resource-limit",
        "resource": resource,
        "workload": x.get("Workload"),
        "usage": usage,
        "limit": limit,
        # CPU and other limits are not byte counts; only memory figures are converted.
        "usage_bytes": x.bytes_of("Usage", usage) if is_memory else None,
        "limit_bytes": x.bytes_of("Limit", limit) if is_memory else None,
    }


def _policy_violation(x: Fields) -> dict[str, Any]:
    return {
        "type": "clw-policy-violation",
        "category": x.get("Category"),
        "subtype": x.get("Subtype"),
        "details": x.get("Details"),
        "plugin": x.get("Plugin") or f.quoted_plugin_in(x.text),
    }


def _sandbox_escape(x: Fields) -> dict[str, Any]:
    plugin, version = f.name_and_version(x.get("Plugin"))
    return {
        "type": "clw-sandbox-escape",
        "attempted": x.get("Attempted"),
        "plugin": plugin,
        "plugin_version": version,
        "action": x.get("Action"),
    }


def _region_invalid(x: Fields) -> dict[str, Any]:
    region = x.get("Region")
    return {
        "type": "clw-region-invalid",
        "region": region.strip("\"'“”") if region else None,
        "reason": x.get("Reason"),
        "hint": x.get("Hint"),
    }


def _access_denied(x: Fields) -> dict[str, Any]:
    subject = x.get("Subject")
    return {
        "type": "clw-access-denied",
        "subject": subject,
        "object": x.get("Object"),
        "reason": x.get("Reason"),
        "required": x.get("Required"),
        "available": x.get("Available"),
        "pid": f.pid_in(subject or ""),
    }


def _memory_fault(x: Fields) -> dict[str, Any]:
    signal, number = f.signal_in(x.get("Signal"))
    process, pid = f.name_and_pid(x.get("Process"))
    return {
        "type": "clw-memory-fault",
        "signal": signal,
        "signal_number": number,
        "fault_address": x.hex_of("Fault address"),
        "access_type": x.get("Access type"),
        "process": process,
        "pid": pid,
    }


BUILDERS: dict[str, Builder] = {
    "clw-memory-denied": _memory_denied,
    "clw-memory-oom": _memory_oom,
    "clw-memory-pressure": _memory_pressure,
    "clw-container-kill": _container_kill,
    "clw-resource-limit": _resource_limit,
    "clw-policy-violation": _policy_violation,
    "clw-sandbox-escape": _sandbox_escape,
    "clw-region-invalid": _region_invalid,
    "clw-access-denied": _access_denied,
    "clw-memory-fault": _memory_fault,
}


def kubectl_oom_kill(x: Fields) -> dict[str, Any] | None:
    """Return ContainerKill input for a ``kubectl describe`` block that says OOMKilled, else None.

    Container names appear as a bare ``payment-svc:`` line under ``Containers:``.
    """
    reason, status = x.get("Reason"), x.get("Status")
    if "OOMKilled" not in (reason or "") and "OOMKilled" not in (status or ""):
        return None
    usage, limit = f.usage_and_limit(x, "Memory")
    exit_code = x.get("Exit Code")
    return {
        "type": "clw-container-kill",
        "workload": x.get("Name"),
        "namespace": x.get("Namespace"),
        "container": _kubectl_container(x.text),
        "reason": "OOMKilled",
        "exit_code": int(exit_code) if exit_code and exit_code.lstrip("-").isdigit() else None,
        "usage_bytes": usage,
        "limit_bytes": limit,
    }


def _kubectl_container(text: str) -> str | None:
    """Return the first ``name:`` line after ``Containers:`` in a kubectl block."""
    lines = [line.strip() for line in text.split("\n")]
    if "Containers:" not in lines:
        return None
    for line in lines[lines.index("Containers:") + 1 :]:
        if line.endswith(":") and " " not in line:
            return line[:-1]
    return None
