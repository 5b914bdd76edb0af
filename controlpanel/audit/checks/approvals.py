"""approvals.*: exec approval flows (seed 002) against 2026.9.6 config and panel settings."""

from __future__ import annotations

from collections.abc import Iterator

from controlpanel.approvals.decisions import approval_flow_state
from controlpanel.policy.exec_policy import DEFAULT_SECURITY

from ..catalogue import check
from ..facts import Facts, as_list, as_map, sub
from ..schema import CheckClass, Finding, Severity


def _flows(f: Facts) -> list[tuple[str, bool, list]]:
    """(path, enabled, approvers) of every exec approval flow: channels and panel settings."""
    out = []
    for channel_id, section in f.channels.items():
        approvals = as_map(sub(section, "execApprovals"))
        if approvals:
            out.append(
                (
                    f"channels.{channel_id}.execApprovals",
                    approvals.get("enabled") is True,
                    as_list(approvals.get("approvers")),
                )
            )
    settings = f.context.approvals if f.context is not None else None
    if settings is not None:
        out.append(("panel exec approvals", settings.enabled, list(settings.approvers)))
    return out


@check(
    "approvals.empty_approvers",
    severity=Severity.WARN,
    title="Exec approvals enabled with no approvers (fails closed)",
    remediation="Add at least one approver, or disable the approval flow and deny exec explicitly.",
    cls=CheckClass.PANEL,
    paths=("channels.*.execApprovals.approvers",),
    order=840,
)
def empty_approvers(f: Facts) -> Iterator[Finding]:
    """An enabled approval flow nobody can approve: every exec request is denied."""
    for path, enabled, approvers in _flows(f):
        if approval_flow_state(approvers, enabled=enabled) == "fails_closed":
            yield empty_approvers.finding(
                f"{path} is enabled but has no approvers: every exec request waits and is then "
                "denied (fails closed)."
            )


def _always(f: Facts) -> bool:
    settings = f.context.approvals if f.context is not None else None
    if settings is not None and settings.enabled and settings.policy == "always":
        return True
    return f.requested_exec(None, DEFAULT_SECURITY).ask == "always"


@check(
    "approvals.always_with_open_channels",
    severity=Severity.WARN,
    title="Exec approval policy 'always' with open channels",
    remediation=(
        "Tighten dmPolicy/groupPolicy to pairing or allowlist; with open channels anyone can "
        "queue approval prompts and approvers learn to click through them."
    ),
    cls=CheckClass.PANEL,
    paths=("tools.exec.ask", "channels.*.dmPolicy", "channels.*.groupPolicy"),
    order=841,
)
def always_with_open_channels(f: Facts) -> Iterator[Finding]:
    """Every command asks for approval while strangers can talk to the agent."""
    if _always(f) and f.open_inbound_policies:
        yield always_with_open_channels.finding(
            "Every exec request needs approval, and open inbound policies exist at: "
            + ", ".join(f.open_inbound_policies)
            + ". Strangers can flood approvers with prompts (approval fatigue)."
        )
