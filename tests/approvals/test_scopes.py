"""Operator scopes, device/node pairing approval rules and token helpers."""

import pytest

from controlpanel.approvals import scopes as s

R, W, ADM, P, APP = s.READ, s.WRITE, s.ADMIN, s.PAIRING, s.APPROVALS


@pytest.mark.parametrize(
    ("granted", "required", "ok"),
    [
        ([R], R, True),
        ([W], R, True),  # write implies read
        ([W], s.TALK, True),  # ...and talk
        ([W], s.SESSIONS_WRITE, True),
        ([R], s.SESSIONS_READ, True),
        ([R], W, False),
        ([W], P, False),
        ([W], APP, False),
        ([W], ADM, False),
        ([ADM], W, True),  # admin implies every operator scope
        ([ADM], P, True),
        ([ADM], s.TALK_SECRETS, True),
        ([ADM], "operator.future.thing", True),
        ([P], "operator.future.thing", False),  # unknown scopes need an exact match
        (["operator.future.thing"], "operator.future.thing", True),
        ([ADM], "node.camera", False),  # admin covers operator.* only
        ([s.TALK], s.TALK_SECRETS, False),
        ([], R, False),
        ([" operator.read "], R, True),
    ],
)
def test_it_decides_whether_granted_scopes_hold_a_required_one(granted, required, ok):
    assert s.holds(granted, required) is ok


def test_it_expands_scopes_to_what_they_imply():
    assert s.expand([W]) == {W, R, s.TALK, s.SESSIONS_READ, s.SESSIONS_WRITE}
    assert set(s.OPERATOR_SCOPES) <= s.expand([ADM])
    assert s.expand(["operator.future.thing"]) == {"operator.future.thing"}
    assert s.expand([]) == frozenset()


@pytest.mark.parametrize(
    ("approver", "roles", "requested", "ok", "reason_part"),
    [
        ([P, R, W], "operator", [R, W], True, ""),
        ([P, R], "operator", [R, W], False, "missing scope: operator.write"),  # cannot grant what you lack
        ([P, W], "operator", [R], True, ""),  # write implies read
        ([P, W], "operator", [ADM], False, "missing scope: operator.admin"),
        ([ADM], "operator", [ADM, R, W, APP], True, ""),
        ([R, W], "operator", [R], False, "missing scope: operator.pairing"),  # approving needs pairing
        ([P, ADM], "node", [], True, ""),
        ([P, W, APP], "node", [], False, "needs operator.admin"),  # node role needs admin
        ([ADM], "node", [R], False, "invalid scope for requested roles: operator.read"),
        ([ADM], "operator", ["node.camera"], False, "invalid scope for requested roles: node.camera"),
        ([ADM], ["operator", "node"], [R, "node.camera"], True, ""),  # mixed-role request
        ([ADM], "robot", [], False, "unknown device role"),
        ([ADM], [], [], False, "no role"),
    ],
)
def test_it_checks_device_pairing_approvals(approver, roles, requested, ok, reason_part):
    verdict = s.check_device_approval(approver, roles, requested)
    assert bool(verdict) is ok
    assert reason_part in verdict.reason


def test_a_refusal_names_every_missing_scope():
    verdict = s.check_device_approval([P], "operator", [R, APP, s.QUESTIONS])
    assert set(verdict.missing) == {R, APP, s.QUESTIONS}


@pytest.mark.parametrize(
    ("commands", "required"),
    [
        ([], {P}),
        (["camera.snap", "location.get"], {P, W}),
        (["camera.snap", "system.run"], {P, ADM}),
        (["fs.listDir"], {P, ADM}),
        (["system.execApprovals.set"], {P, ADM}),
    ],
)
def test_it_derives_node_capability_approval_scopes(commands, required):
    assert s.node_approval_required_scopes(commands) == required


@pytest.mark.parametrize(
    ("approver", "commands", "ok"),
    [
        ([P], [], True),
        ([P], ["camera.snap"], False),
        ([P, W], ["camera.snap"], True),
        ([P, W], ["system.run"], False),
    ],
)
def test_it_checks_node_capability_approvals(approver, commands, ok):
    assert bool(s.check_node_capability_approval(approver, commands)) is ok


@pytest.mark.parametrize(
    ("tokens", "approved_roles", "role", "ok"),
    [
        (["abc"], ["operator"], "operator", True),
        ([], ["operator"], "operator", False),  # no token: fail closed
        ([""], ["operator"], "operator", False),
        (["abc"], ["operator"], "node", False),  # never approved for node
    ],
)
def test_device_records_fail_closed(tokens, approved_roles, role, ok):
    assert bool(s.check_device_record(tokens, approved_roles, role)) is ok


def test_a_repair_request_inherits_the_existing_token_scopes():
    # No explicit scopes: the existing admin token's scopes are what gets re-minted.
    assert not s.check_device_approval([P, W], "operator", [], inherited_scopes=[ADM])
    assert s.check_device_approval([ADM], "operator", [], inherited_scopes=[ADM])
    assert s.check_device_approval([P, R], "operator", [], inherited_scopes=[R])
