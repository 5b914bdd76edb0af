"""The three frame kinds (req / res / event) and the errors the gateway answers with."""

from __future__ import annotations

import json
from typing import Any

from controlpanel.lib import jsonlimits
from controlpanel.lib.safetext import escape_unstorable_json


class GatewayError(Exception):
    """An ``ok: false`` response: ``code`` (INVALID_REQUEST, FORBIDDEN, ...), message and details."""

    def __init__(
        self, code: str, message: str, details: dict[str, Any] | None = None, *, retryable: bool = False
    ):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details or {}
        self.retryable = retryable

    @property
    def transient(self) -> bool:
        """Return True for "try again later" answers (e.g. UNAVAILABLE while the gateway restarts)."""
        return self.retryable or self.code == "UNAVAILABLE"

    @property
    def detail_code(self) -> str:
        """Return ``details.code`` (e.g. PAIRING_REQUIRED, AUTH_TOKEN_MISMATCH, MISSING_SCOPE) or ''."""
        return str(self.details.get("code") or "")


class PairingRequired(GatewayError):
    """The gateway does not know this device yet; someone must approve ``request_id`` once."""

    @property
    def request_id(self) -> str:
        return str(self.details.get("requestId") or "")


class ConnectionClosed(Exception):
    """The socket closed while a request waited; ``code`` is the close code (1012 = restart)."""

    def __init__(self, code: int | None, reason: str = ""):
        super().__init__(f"connection closed ({code}) {reason}".strip())
        self.code = code
        self.reason = reason


def error_from(payload: dict[str, Any] | None) -> GatewayError:
    """Return the exception for a response's ``error`` object (PairingRequired when it is one)."""
    payload = payload or {}
    code = str(payload.get("code") or "ERROR")
    message = str(payload.get("message") or "")
    details = payload.get("details") if isinstance(payload.get("details"), dict) else {}
    retryable = payload.get("retryable") is True
    if code == "NOT_PAIRED" or details.get("code") == "PAIRING_REQUIRED":
        return PairingRequired(code, message, details, retryable=retryable)
    return GatewayError(code, message, details, retryable=retryable)


def request_frame(request_id: str, method: str, params: dict[str, Any]) -> str:
    """Return a ``req`` frame as text."""
    return json.dumps({"type": "req", "id": request_id, "method": method, "params": params})


def parse_frame(text: str | bytes) -> dict[str, Any] | None:
    """Return the decoded frame, or None when it is not a JSON object (ignored, never fatal)."""
    try:
        # A gateway is hostile input too: a frame nesting deeper than any real one is dropped.
        frame = jsonlimits.loads(text)
    except ValueError:  # JsonTooDeep included
        return None
    if not isinstance(frame, dict):
        return None
    # ... and text no database can store (NUL, lone surrogates) is kept escaped wherever the panel
    # may store it (lib.safetext); the services that store gateway text escape it again themselves.
    return escape_unstorable_json(frame)[0]
