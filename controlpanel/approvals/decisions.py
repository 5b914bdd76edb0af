"""Decision rules of exec approvals: which answer may be recorded, and when a flow fails closed.

What an agent's exec policy *is* (mode, security, ask, the decisions a request offers) is
OpenClaw's rule and lives in the policy engine (`controlpanel.policy.exec_policy`); these are the
rules the panel applies when someone answers a request.
"""

from __future__ import annotations

from collections.abc import Sequence

from controlpanel.policy.exec_policy import DECISIONS

from .scopes import OK, Verdict, refuse


def validate_decision(decision: str, allowed: Sequence[str]) -> Verdict:
    """Return whether ``decision`` is one of ``allowed`` (the request's own ``allowedDecisions``)."""
    if decision not in DECISIONS:
        return refuse(f"unknown decision {decision!r}")
    if decision not in allowed:
        return refuse(f"this request does not allow {decision!r}")
    return OK


def approval_flow_state(approvers: Sequence[object] | None, *, enabled: bool = True) -> str:
    """Return ``disabled``, ``enabled`` or ``fails_closed`` for an exec approval flow.

    Since 2026.3 an empty approver list grants nobody explicit approval authority: it fails closed
    (every request that needs approval is denied) instead of letting anyone approve.
    """
    if not enabled:
        return "disabled"
    real = [a for a in (approvers or []) if str(a).strip()]
    return "enabled" if real else "fails_closed"
