"""The labels an alert or an approval request is routed by."""

from __future__ import annotations

# What an alert type's subject names (events.models: each event type's ``alert_key``).
SUBJECT_LABEL = {
    "exec.denied": "agent",
    "clw-memory-oom": "workload",
    "clw-container-kill": "workload",
    "clw-memory-pressure": "workload",
    "clw-resource-limit": "workload",
    "clw-memory-denied": "plugin",
    "clw-policy-violation": "plugin",
    "clw-sandbox-escape": "plugin",
    "clw-memory-fault": "process",
    "clw-region-invalid": "region",
}
# Labels the route form offers (any label may be matched; these are the ones the panel sets).
KNOWN_LABELS = ("gateway", "type", "severity", "agent", "workload", "channel", "subject", "kind")
SEVERITIES = ("info", "warning", "critical")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}

APPROVAL_TYPES = ("approval.dm", "approval.device", "approval.node", "approval.exec")


def alert_labels(*, gateway: str, type_: str, subject: str, severity: str) -> dict[str, str]:
    """Return the labels of an alert: gateway, type, severity, subject, plus what the subject names
    (``agent``, ``workload``, ...): by a ``agent:``/``workload:`` prefix, else by the alert type."""
    labels = {"kind": "alert", "gateway": gateway, "type": type_, "severity": severity, "subject": subject}
    prefix, sep, rest = subject.partition(":")
    if sep and prefix in ("agent", "workload", "channel", "device"):
        labels[prefix] = rest
    elif subject and (name := SUBJECT_LABEL.get(type_)):
        labels[name] = subject
    return labels


def approval_labels(
    *, gateway: str, kind: str, agent: str = "", channel: str = "", subject: str = ""
) -> dict[str, str]:
    """Return the labels of a pending approval request (``kind``: dm, device, node or exec)."""
    labels = {
        "kind": "approval",
        "gateway": gateway,
        "type": f"approval.{kind}",
        "severity": "warning",
        "subject": subject,
    }
    if agent:
        labels["agent"] = agent
    if channel:
        labels["channel"] = channel
    return labels
