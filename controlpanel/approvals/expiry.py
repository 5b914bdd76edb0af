"""Expiry rules on an injected clock: every function takes ``now`` and never reads the system time.

Lifetimes (OpenClaw 2026.9.6):

* DM pairing code: 1 hour from creation; repeat messages do not extend it.
* Device pairing request: 5 minutes from its last refresh (a retry by the same device refreshes it).
* Node *capability* requests on an already paired device do not expire with time (the docs of
  2026.9.6 say so explicitly; older notes said "5 minutes after the last retry", which is the
  device-pairing rule). They end by approval, rejection, supersession or node lifecycle.
* Exec approvals: the gateway sends ``expiresAtMs``; its default timeout is 30 minutes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

DM_CODE_TTL = timedelta(hours=1)
DEVICE_PAIRING_TTL = timedelta(minutes=5)
EXEC_APPROVAL_DEFAULT_TTL = timedelta(minutes=30)


def _check_aware(*values: datetime) -> None:
    # Mixing naive and aware datetimes would compare wrongly or raise deep inside a service.
    if any(v.tzinfo is None for v in values):
        raise ValueError("expiry rules need timezone-aware datetimes")


def is_expired(expires_at: datetime | None, now: datetime) -> bool:
    """Return True when ``expires_at`` is at or before ``now`` (None never expires by time)."""
    if expires_at is None:
        return False
    _check_aware(expires_at, now)
    return expires_at <= now


def dm_code_expires_at(created_at: datetime) -> datetime:
    """Return when a DM pairing code created at ``created_at`` expires."""
    return created_at + DM_CODE_TTL


def device_pairing_expires_at(created_at: datetime, last_refreshed_at: datetime | None = None) -> datetime:
    """Return when a device pairing request expires: 5 minutes after its last refresh (or creation)."""
    return (last_refreshed_at or created_at) + DEVICE_PAIRING_TTL


def exec_approval_expires_at(created_at: datetime, expires_at_ms: float | None = None) -> datetime:
    """Return the exec approval deadline: the gateway's ``expiresAtMs`` when sent, else the default."""
    if expires_at_ms is not None:
        return datetime.fromtimestamp(expires_at_ms / 1000, tz=created_at.tzinfo)
    return created_at + EXEC_APPROVAL_DEFAULT_TTL
