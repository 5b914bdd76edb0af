"""The gateway client against a small fake gateway: handshake signature, correlation, errors, 1012."""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import json
import threading

import pytest
import websockets
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from controlpanel.gatewayclient import (
    ConnectOptions,
    DeviceIdentity,
    GatewayError,
    PairingRequired,
    connect,
    signature_payload_v3,
)
from controlpanel.gatewayclient.frames import ConnectionClosed


def threaded(test):
    """Run an async test on a fresh thread with its own loop.

    Not pytest-asyncio: when the browser tests run first, Playwright keeps an event loop running
    in the main thread for the rest of the session.
    """

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        box: dict = {}

        def target() -> None:
            try:
                asyncio.run(test(*args, **kwargs))
            except BaseException as exc:
                box["error"] = exc

        thread = threading.Thread(target=target)
        thread.start()
        thread.join(timeout=30)
        if "error" in box:
            raise box["error"]

    return wrapper


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FakeGateway:
    """Speaks just enough of protocol 4; verifies the v3 signature like the real gateway does."""

    def __init__(self, *, refuse_token: bool = False, pairing: bool = False):
        self.refuse_token = refuse_token
        self.pairing = pairing
        self.connects: list[dict] = []
        self.handlers = {}

    async def handler(self, ws) -> None:
        await ws.send(
            json.dumps(
                {"type": "event", "event": "connect.challenge", "payload": {"nonce": "n-1", "ts": 1234}}
            )
        )
        req = json.loads(await ws.recv())
        params = req["params"]
        self.connects.append(params)
        device, auth = params["device"], params["auth"]
        token = auth.get("token") or auth.get("deviceToken") or ""
        message = signature_payload_v3(
            device_id=device["id"],
            client_id=params["client"]["id"],
            client_mode=params["client"]["mode"],
            role=params["role"],
            scopes=params["scopes"],
            signed_at_ms=device["signedAt"],
            token=token,
            nonce=device["nonce"],
            platform=params["client"]["platform"],
        )
        key = _unb64(device["publicKey"])
        Ed25519PublicKey.from_public_bytes(key).verify(_unb64(device["signature"]), message.encode())
        assert device["id"] == hashlib.sha256(key).hexdigest()
        if self.pairing:
            error = {
                "code": "NOT_PAIRED",
                "message": "pairing required",
                "details": {"code": "PAIRING_REQUIRED", "requestId": "req-9"},
            }
            await ws.send(json.dumps({"type": "res", "id": req["id"], "ok": False, "error": error}))
            return
        if self.refuse_token and "token" in auth:
            error = {
                "code": "INVALID_REQUEST",
                "message": "unauthorized",
                "details": {"code": "AUTH_TOKEN_MISMATCH"},
            }
            await ws.send(json.dumps({"type": "res", "id": req["id"], "ok": False, "error": error}))
            return
        hello = {
            "type": "hello-ok",
            "protocol": 4,
            "server": {"version": "fake"},
            "auth": {"scopes": params["scopes"], "deviceToken": "dt-1"},
        }
        await ws.send(json.dumps({"type": "res", "id": req["id"], "ok": True, "payload": hello}))
        waiting = []
        async for text in ws:
            frame = json.loads(text)
            method = frame["method"]
            if method == "slow":
                waiting.append(frame["id"])
            elif method == "fast":
                await ws.send(json.dumps({"type": "res", "id": frame["id"], "ok": True, "payload": "fast"}))
                for rid in waiting:  # the older request is answered after the newer one
                    await ws.send(json.dumps({"type": "res", "id": rid, "ok": True, "payload": "slow"}))
            elif method == "bad":
                error = {
                    "code": "FORBIDDEN",
                    "message": "missing scope",
                    "details": {"code": "MISSING_SCOPE"},
                }
                await ws.send(json.dumps({"type": "res", "id": frame["id"], "ok": False, "error": error}))
            elif method == "emit":
                await ws.send(json.dumps({"type": "event", "event": "tick", "payload": {"n": 1}, "seq": 1}))
            elif method == "restart":
                await ws.send(
                    json.dumps(
                        {"type": "event", "event": "shutdown", "payload": {"reason": "gateway restarting"}}
                    )
                )
                await ws.close(1012, "service restart")
                return

    async def __aenter__(self) -> str:
        self.server = await websockets.serve(self.handler, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"ws://127.0.0.1:{port}"

    async def __aexit__(self, *exc) -> None:
        self.server.close()
        await self.server.wait_closed()


def _options(url: str, **kw) -> ConnectOptions:
    return ConnectOptions(url=url, identity=DeviceIdentity.generate(), token="shared", **kw)


@threaded
async def test_it_signs_the_challenge_and_correlates_out_of_order_answers():
    fake = FakeGateway()
    async with fake as url:
        conn = await connect(_options(url))
        assert conn.protocol == 4 and conn.device_token == "dt-1"
        assert "operator.approvals" in conn.scopes
        slow = asyncio.create_task(conn.call("slow"))
        await asyncio.sleep(0.05)
        assert await conn.call("fast") == "fast"
        assert await slow == "slow"
        await conn.close()
    sent = fake.connects[0]
    assert sent["minProtocol"] == sent["maxProtocol"] == 4
    assert sent["client"]["id"] == "gateway-client" and sent["auth"] == {"token": "shared"}


@threaded
async def test_it_dispatches_events_and_raises_gateway_errors():
    events = []
    async with FakeGateway() as url:
        conn = await connect(_options(url), on_event=events.append)
        with pytest.raises(GatewayError) as exc:
            await conn.call("bad")
        assert exc.value.code == "FORBIDDEN" and exc.value.detail_code == "MISSING_SCOPE"
        # "emit" is never answered; the event it triggers must reach the handler.
        await conn.ws.send(json.dumps({"type": "req", "id": "x", "method": "emit", "params": {}}))
        for _ in range(50):
            if events:
                break
            await asyncio.sleep(0.02)
        await conn.close()
    assert events and events[0]["event"] == "tick"


@threaded
async def test_a_pending_call_fails_with_the_close_code_on_restart():
    async with FakeGateway() as url:
        conn = await connect(_options(url))
        with pytest.raises(ConnectionClosed) as exc:
            await conn.call("restart")
        assert exc.value.code == 1012
        assert await conn.wait_closed() == 1012
        assert conn.closed


@threaded
async def test_pairing_required_carries_the_request_id():
    async with FakeGateway(pairing=True) as url:
        with pytest.raises(PairingRequired) as exc:
            await connect(_options(url))
    assert exc.value.request_id == "req-9"


@threaded
async def test_it_falls_back_to_the_device_token_when_the_shared_token_is_refused():
    fake = FakeGateway(refuse_token=True)
    async with fake as url:
        conn = await connect(_options(url, device_token="dt-1"))
        await conn.close()
    assert [c["auth"] for c in fake.connects] == [{"token": "shared"}, {"deviceToken": "dt-1"}]


@threaded
async def test_it_does_not_fall_back_without_a_device_token():
    async with FakeGateway(refuse_token=True) as url:
        with pytest.raises(GatewayError) as exc:
            await connect(_options(url))
    assert exc.value.detail_code == "AUTH_TOKEN_MISMATCH"
