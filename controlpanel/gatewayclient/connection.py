"""One authenticated connection to a gateway: handshake, request/response correlation, events.

The socket is read by one task: responses resolve the future of their request ``id`` (they may come
out of order), events go to the ``on_event`` callback in arrival order. When the socket closes every
waiting request fails with ConnectionClosed carrying the close code (1012 = the gateway restarts
in-process and accepts connections again a few seconds later; the caller reconnects).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import websockets

from .frames import ConnectionClosed, GatewayError, error_from, parse_frame, request_frame
from .identity import DeviceIdentity, signature_payload_v3

logger = logging.getLogger(__name__)

PROTOCOL_VERSION = 4
# The gateway validates client.id and client.mode against closed lists (PROTOCOL.md §3.2): a
# made-up id such as "django-panel" is refused at connect, so refuse it here with a clear message.
ALLOWED_CLIENT_IDS = frozenset(
    [
        "webchat-ui",
        "openclaw-control-ui",
        "openclaw-browser-copilot",
        "openclaw-tui",
        "webchat",
        "cli",
        "gateway-client",
        "openclaw-macos",
        "openclaw-linux",
        "openclaw-ios",
        "openclaw-watchos",
        "openclaw-android",
        "node-host",
        "openclaw-worker",
        "test",
        "fingerprint",
        "openclaw-probe",
    ]
)
ALLOWED_CLIENT_MODES = frozenset(["webchat", "cli", "ui", "backend", "node", "worker", "probe", "test"])
OPERATOR_SCOPES = (
    "operator.read",
    "operator.write",
    "operator.admin",
    "operator.approvals",
    "operator.pairing",
)
# Pre-auth frames are limited to 64 KiB by the gateway; afterwards it allows 25 MiB payloads.
MAX_FRAME_BYTES = 26_214_400


@dataclass(frozen=True)
class ConnectOptions:
    """Everything a connect needs. ``token`` / ``password`` is the gateway's shared secret;
    ``device_token`` is what the gateway issued this device after pairing (used when no shared
    secret is given, or when the shared one is refused)."""

    url: str
    identity: DeviceIdentity
    token: str = ""
    password: str = ""
    device_token: str = ""
    display_name: str = "OpenClaw control panel"
    client_id: str = "gateway-client"
    client_mode: str = "ui"
    role: str = "operator"
    scopes: tuple[str, ...] = OPERATOR_SCOPES
    caps: tuple[str, ...] = ("exec-approvals", "approvals")
    platform: str = "linux"
    version: str = "0.1.0"
    connect_timeout: float = 10.0
    request_timeout: float = 15.0

    def __post_init__(self) -> None:
        if self.client_id not in ALLOWED_CLIENT_IDS:
            raise ValueError(f"client id {self.client_id!r} is not one the gateway accepts")
        if self.client_mode not in ALLOWED_CLIENT_MODES:
            raise ValueError(f"client mode {self.client_mode!r} is not one the gateway accepts")


def connect_params(options: ConnectOptions, *, nonce: str, ts: int, use_device_token: bool) -> dict[str, Any]:
    """Return the ``connect`` params, signed for the challenge (``nonce``, server ``ts``)."""
    auth: dict[str, str] = {}
    if use_device_token:
        auth["deviceToken"] = options.device_token
    elif options.token:
        auth["token"] = options.token
    elif options.password:
        auth["password"] = options.password
    signed_token = auth.get("token") or auth.get("deviceToken") or ""
    identity = options.identity
    payload = signature_payload_v3(
        device_id=identity.device_id,
        client_id=options.client_id,
        client_mode=options.client_mode,
        role=options.role,
        scopes=list(options.scopes),
        signed_at_ms=ts,
        token=signed_token,
        nonce=nonce,
        platform=options.platform,
    )
    return {
        "minProtocol": PROTOCOL_VERSION,
        "maxProtocol": PROTOCOL_VERSION,
        "client": {
            "id": options.client_id,
            "displayName": options.display_name,
            "version": options.version,
            "platform": options.platform,
            "mode": options.client_mode,
        },
        "role": options.role,
        "scopes": list(options.scopes),
        "caps": list(options.caps),
        "auth": auth,
        "locale": "en-US",
        "userAgent": f"openclaw-controlpanel/{options.version}",
        "device": {
            "id": identity.device_id,
            "publicKey": identity.public_key,
            "signature": identity.sign(payload),
            "signedAt": ts,
            "nonce": nonce,
        },
    }


EventHandler = Callable[[dict[str, Any]], None]


@dataclass
class Connection:
    """An open, authenticated connection. ``hello`` is the gateway's hello-ok payload."""

    ws: Any
    hello: dict[str, Any]
    options: ConnectOptions
    on_event: EventHandler | None = None
    _pending: dict[str, asyncio.Future] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _reader: asyncio.Task | None = None
    close_code: int | None = None
    close_reason: str = ""

    @property
    def scopes(self) -> list[str]:
        """Return the scopes the gateway granted (hello-ok ``auth.scopes``)."""
        return list((self.hello.get("auth") or {}).get("scopes") or [])

    @property
    def device_token(self) -> str:
        """Return the device token issued in this hello (empty if none was issued)."""
        return str((self.hello.get("auth") or {}).get("deviceToken") or "")

    @property
    def protocol(self) -> int | None:
        return self.hello.get("protocol")

    @property
    def server_version(self) -> str:
        return str((self.hello.get("server") or {}).get("version") or "")

    @property
    def closed(self) -> bool:
        """Return True once the socket is closed (the reader has finished)."""
        return self._reader is not None and self._reader.done()

    def start(self) -> None:
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                frame = parse_frame(text)
                if frame is None:
                    continue
                if frame.get("type") == "res":
                    future = self._pending.pop(str(frame.get("id")), None)
                    if future is not None and not future.done():
                        future.set_result(frame)
                elif frame.get("type") == "event" and self.on_event is not None:
                    try:
                        self.on_event(frame)
                    except Exception:
                        # A broken handler must not take the connection down with it.
                        logger.exception("event handler failed for %s", frame.get("event"))
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self.close_reason = self.ws.close_reason or ""
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ConnectionClosed(self.close_code, self.close_reason))
            self._pending.clear()

    async def call(
        self, method: str, params: dict[str, Any] | None = None, timeout: float | None = None
    ) -> Any:
        """Send one request; return its ``payload``.

        Raises GatewayError (refused), ConnectionClosed or TimeoutError.
        """
        request_id = f"cp-{next(self._ids)}"
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await self.ws.send(request_frame(request_id, method, params or {}))
        except websockets.ConnectionClosed as exc:
            self._pending.pop(request_id, None)
            raise ConnectionClosed(self.ws.close_code, str(exc)) from None
        try:
            frame = await asyncio.wait_for(future, timeout or self.options.request_timeout)
        finally:
            self._pending.pop(request_id, None)
        if not frame.get("ok"):
            raise error_from(frame.get("error"))
        return frame.get("payload")

    async def wait_closed(self) -> int | None:
        """Wait until the socket is closed; return the close code."""
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._reader)
        return self.close_code

    async def close(self) -> None:
        await self.ws.close()
        await self.wait_closed()


async def _handshake(options: ConnectOptions, *, use_device_token: bool) -> tuple[Any, dict[str, Any]]:
    # No Origin header: a browser origin would trigger the gateway's origin checks.
    ws = await websockets.connect(
        options.url, max_size=MAX_FRAME_BYTES, open_timeout=options.connect_timeout, compression=None
    )
    try:
        async with asyncio.timeout(options.connect_timeout):
            challenge = None
            while challenge is None:
                frame = parse_frame(await ws.recv())
                if frame and frame.get("type") == "event" and frame.get("event") == "connect.challenge":
                    challenge = frame.get("payload") or {}
            params = connect_params(
                options,
                nonce=str(challenge.get("nonce") or ""),
                ts=int(challenge.get("ts") or 0),
                use_device_token=use_device_token,
            )
            await ws.send(request_frame("connect", "connect", params))
            while True:
                frame = parse_frame(await ws.recv())
                if frame and frame.get("type") == "res" and frame.get("id") == "connect":
                    break
    except BaseException:
        await ws.close()
        raise
    if not frame.get("ok"):
        await ws.close()
        raise error_from(frame.get("error"))
    return ws, frame.get("payload") or {}


async def connect(options: ConnectOptions, *, on_event: EventHandler | None = None) -> Connection:
    """Open a connection and complete the handshake; return it with its reader running.

    Raises PairingRequired (with ``request_id``) when the device waits for approval, GatewayError
    for other refusals, OSError / websockets errors when the gateway cannot be reached.
    """
    has_shared_secret = bool(options.token or options.password)
    try:
        ws, hello = await _handshake(options, use_device_token=not has_shared_secret)
    except GatewayError as exc:
        # The shared secret was changed on the gateway: a paired device may still get in with its
        # own token (the gateway suggests it with recommendedNextStep).
        refused = exc.detail_code in ("AUTH_TOKEN_MISMATCH", "AUTH_PASSWORD_MISMATCH")
        if not (refused and has_shared_secret and options.device_token):
            raise
        ws, hello = await _handshake(options, use_device_token=True)
    connection = Connection(ws=ws, hello=hello, options=options, on_event=on_event)
    connection.start()
    return connection
