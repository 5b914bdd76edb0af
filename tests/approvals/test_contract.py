"""The approval contract around the services' compare-and-set."""

from datetime import UTC, datetime, timedelta

import pytest

from controlpanel.approvals.contract import Answer, after_lost_race, check_self_approval, grants

NOW = datetime(2026, 9, 6, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
EARLIER = NOW - timedelta(seconds=1)


@pytest.mark.parametrize(
    ("visible", "status", "expires_at", "requested", "answer", "http"),
    [
        (False, "approved", LATER, "approved", Answer.NOT_FOUND, 404),  # never reveal existence
        (True, None, LATER, "approved", Answer.NOT_FOUND, 404),
        (True, "pending", EARLIER, "approved", Answer.EXPIRED, 410),  # expired requests cannot be approved
        (True, "pending", NOW, "approved", Answer.EXPIRED, 410),
        (True, "expired", LATER, "approved", Answer.EXPIRED, 410),
        (True, "cancelled", LATER, "denied", Answer.EXPIRED, 410),
        (True, "approved", LATER, "approved", Answer.ALREADY_DECIDED_SAME, 200),  # a repeat is harmless
        (True, "denied", LATER, "approved", Answer.ALREADY_DECIDED_OTHER, 409),  # first answer wins
        (True, "pending", LATER, "approved", Answer.RETRY, 409),
    ],
)
def test_it_answers_a_decision_that_lost_the_race(visible, status, expires_at, requested, answer, http):
    result = after_lost_race(
        visible=visible,
        status=status,
        expires_at=expires_at,
        now=NOW,
        requested_status=requested,
        decided_by="alice",
    )
    assert result.answer is answer
    assert result.http_status == http
    assert result.message


def test_already_decided_names_the_winner():
    result = after_lost_race(
        visible=True,
        status="denied",
        expires_at=LATER,
        now=NOW,
        requested_status="approved",
        decided_by="alice",
    )
    assert "alice" in result.message and "denied" in result.message


@pytest.mark.parametrize(
    ("status", "ok"),
    [
        ("approved", True),
        ("allowed", True),
        ("denied", False),
        ("expired", False),
        ("cancelled", False),
        ("pending", False),
        ("", False),
    ],
)
def test_only_approval_grants(status, ok):
    assert grants(status) is ok


@pytest.mark.parametrize(
    ("requester", "decider", "allow", "ok"),
    [
        ("bob", "bob", False, False),
        ("bob", "alice", False, True),
        ("bob", "bob", True, True),
        (None, "bob", False, True),
    ],
)
def test_self_approval_is_off_by_default(requester, decider, allow, ok):
    assert check_self_approval(requester, decider, allow_self_approval=allow) is ok
