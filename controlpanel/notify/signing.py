"""The webhook signature: Standard Webhooks (standardwebhooks.com), HMAC-SHA256 with a timestamp.

Headers: ``webhook-id`` (the notification's idempotency key; equal on every retry),
``webhook-timestamp`` (Unix seconds) and ``webhook-signature: v1,<base64 HMAC-SHA256 of
"<id>.<timestamp>.<body>">``. The secret is ``whsec_`` + base64 of 32 random bytes; the HMAC key is
the decoded bytes. Receivers verify with any Standard Webhooks library and refuse old timestamps
(5 minutes is the usual tolerance) to stop replays.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode()


def headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, msg_id, timestamp, body),
    }


def verify(secret: str, headers_: dict[str, str], body: bytes, *, now: int) -> bool:
    """Check a request's signature and timestamp (for receivers written in Python without a library)."""
    try:
        timestamp = int(headers_["webhook-timestamp"])
        msg_id = headers_["webhook-id"]
        given = headers_["webhook-signature"].split()
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = signature(secret, msg_id, timestamp, body)
    return any(hmac.compare_digest(expected, sig) for sig in given)
