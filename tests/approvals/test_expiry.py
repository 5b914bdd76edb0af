"""Expiry rules on a controlled clock."""

from datetime import UTC, datetime, timedelta

import pytest

from controlpanel.approvals import expiry

T0 = datetime(2026, 9, 6, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expires_at", "now", "expired"),
    [
        (T0, T0 - timedelta(seconds=1), False),
        (T0, T0, True),  # the deadline itself is too late: no approval at the last instant
        (T0, T0 + timedelta(seconds=1), True),
        (None, T0 + timedelta(days=3650), False),
    ],
)
def test_it_decides_expiry(expires_at, now, expired):
    assert expiry.is_expired(expires_at, now) is expired


def test_it_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="timezone-aware"):
        expiry.is_expired(datetime(2026, 1, 1), T0)


def test_dm_codes_live_one_hour_from_creation():
    deadline = expiry.dm_code_expires_at(T0)
    assert not expiry.is_expired(deadline, T0 + timedelta(minutes=59, seconds=59))
    assert expiry.is_expired(deadline, T0 + timedelta(hours=1))


def test_device_pairing_requests_live_five_minutes_after_the_last_retry():
    assert expiry.device_pairing_expires_at(T0) == T0 + timedelta(minutes=5)
    retried = T0 + timedelta(minutes=4)
    deadline = expiry.device_pairing_expires_at(T0, retried)
    assert deadline == retried + timedelta(minutes=5)
    assert not expiry.is_expired(deadline, T0 + timedelta(minutes=8))


def test_exec_approvals_use_the_gateway_deadline_or_thirty_minutes():
    gateway_ms = int((T0 + timedelta(minutes=2)).timestamp() * 1000)
    assert expiry.exec_approval_expires_at(T0, gateway_ms) == T0 + timedelta(minutes=2)
    assert expiry.exec_approval_expires_at(T0) == T0 + timedelta(minutes=30)
