"""Exec approval decision rules: which answer may be recorded, when a flow fails closed."""

import pytest

from controlpanel.approvals.decisions import approval_flow_state, validate_decision
from controlpanel.policy.exec_policy import allowed_decisions, mode_from_pair


@pytest.mark.parametrize(
    ("security", "ask", "mode"),
    [
        ("deny", "always", "deny"),
        ("allowlist", "off", "allowlist"),
        ("allowlist", "on-miss", "ask"),
        ("allowlist", "always", "ask"),
        ("full", "off", "full"),
        ("full", "on-miss", "full"),
        ("full", "always", "ask"),
    ],
)
def test_it_maps_security_and_ask_to_modes(security, ask, mode):
    assert mode_from_pair(security, ask) == mode


@pytest.mark.parametrize(
    ("ask", "expected"),
    [
        ("off", ("allow-once", "allow-always", "deny")),
        ("on-miss", ("allow-once", "allow-always", "deny")),
        ("always", ("allow-once", "deny")),
    ],
)
def test_ask_always_offers_no_durable_grant(ask, expected):
    assert allowed_decisions(ask) == expected


@pytest.mark.parametrize(
    ("decision", "allowed", "ok"),
    [
        ("allow-once", ("allow-once", "deny"), True),
        ("deny", ("allow-once", "deny"), True),
        ("allow-always", ("allow-once", "deny"), False),
        ("allow-always", ("allow-once", "allow-always", "deny"), True),
        ("approve", ("allow-once", "allow-always", "deny"), False),
        ("", ("allow-once",), False),
    ],
)
def test_it_validates_decisions(decision, allowed, ok):
    result = validate_decision(decision, allowed)
    assert result.ok is ok
    assert bool(result.reason) is not ok


@pytest.mark.parametrize(
    ("approvers", "enabled", "state"),
    [
        (["123456789"], True, "enabled"),
        ([], True, "fails_closed"),
        (None, True, "fails_closed"),
        (["  "], True, "fails_closed"),
        ([], False, "disabled"),
    ],
)
def test_it_fails_closed_with_an_empty_approver_list(approvers, enabled, state):
    assert approval_flow_state(approvers, enabled=enabled) == state
