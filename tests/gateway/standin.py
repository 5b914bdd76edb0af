"""A protocol-level stand-in for an OpenClaw gateway, and a counting relay for real ones.

``StandIn`` speaks enough of protocol 4 for the gateway worker: the connect challenge, hello-ok,
``health``, ``config.get``, ``diagnostics.stability``, the device/node pairing and exec approval
lists, and their approve/reject/resolve calls (answered like the real gateway: the request leaves
the list, a ``*.resolved`` event goes to every connection, an unknown id is refused), and in its
restart window (``unavailable``) answers UNAVAILABLE as the real one does. It counts its
own WebSocket connections (open now, most ever open at once, every connect) and every call it
receives. ``Relay`` sits in front of a real gateway and counts the connections passing through it.

Everything runs on one event loop in a thread of its own (``Loop``); the test thread reads the
counters and calls ``Loop.call`` to change a stand-in.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections import Counter
from typing import Any

import websockets

QUIET = logging.getLogger("tests.standin")  # not websockets' INFO line per connection
QUIET.setLevel(logging.WARNING)


class Counted:
    """Connections seen: open now, the most ever open at once, and when each opened/closed."""

    def __init__(self) -> None:
        self.open = 0
        self.max_open = 0
        self.connects = 0
        self.opened_at: list[float] = []  # time.monotonic() of each connect
        self.closed_at: list[float] = []

    def opened(self) -> int:
        self.open += 1
        self.connects += 1
        self.max_open = max(self.max_open, self.open)
        self.opened_at.append(time.monotonic())
        return self.connects

    def closed(self) -> None:
        self.open -= 1
        self.closed_at.append(time.monotonic())


class StandIn(Counted):
    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.port = 0
        self.exec_pending: dict[str, dict] = {}
        self.device_pending: dict[str, dict] = {}
        self.calls: Counter[tuple[str, str]] = Counter()  # (method, request or approval id)
        self.log: list[tuple[int, str, str]] = []  # (connection number, method, id), in order
        self.clients: set[Any] = set()
        self.unavailable = ""  # set: in its restart window, it answers UNAVAILABLE with this message

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def start(self, port: int = 0) -> StandIn:
        self.server = await websockets.serve(self.handler, "127.0.0.1", port, compression=None, logger=QUIET)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self.server.close()
        await self.server.wait_closed()

    # --- what a test does to it -------------------------------------------------------------

    async def add_exec(self, approval_id: str, command: str = "echo hi") -> None:
        now = int(time.time() * 1000)
        record = {
            "id": approval_id,
            "approvalKind": "exec",
            "createdAtMs": now,
            "expiresAtMs": now + 1_800_000,
            "request": {
                "command": command,
                "host": "gateway",
                "agentId": "main",
                "sessionKey": "agent:main:main",
                "allowedDecisions": ["allow-once", "deny"],
            },
        }
        self.exec_pending[approval_id] = record
        await self.broadcast("exec.approval.requested", record)

    async def add_device(self, request_id: str, device_id: str) -> None:
        record = {
            "requestId": request_id,
            "deviceId": device_id,
            "publicKey": "",
            "displayName": "laptop",
            "platform": "linux",
            "role": "operator",
            "scopes": ["operator.read"],
            "ts": int(time.time() * 1000),
        }
        self.device_pending[request_id] = record
        await self.broadcast("device.pair.requested", record)

    async def broadcast(self, event: str, payload: dict) -> None:
        frame = json.dumps({"type": "event", "event": event, "payload": payload})
        for ws in list(self.clients):
            with contextlib.suppress(websockets.ConnectionClosed):
                await ws.send(frame)

    # --- the protocol -------------------------------------------------------------------------

    async def handler(self, ws) -> None:
        number = self.opened()
        try:
            await ws.send(
                json.dumps(
                    {
                        "type": "event",
                        "event": "connect.challenge",
                        "payload": {"nonce": f"n-{number}", "ts": int(time.time() * 1000)},
                    }
                )
            )
            request = json.loads(await ws.recv())
            params = request.get("params") or {}
            if self.unavailable:
                error = {"code": "UNAVAILABLE", "message": self.unavailable, "retryable": True}
                await ws.send(
                    json.dumps({"type": "res", "id": request.get("id"), "ok": False, "error": error})
                )
                return
            if request.get("method") != "connect" or (params.get("auth") or {}).get("token") != self.token:
                error = {
                    "code": "INVALID_REQUEST",
                    "message": "unauthorized",
                    "details": {"code": "AUTH_TOKEN_MISMATCH"},
                }
                await ws.send(
                    json.dumps({"type": "res", "id": request.get("id"), "ok": False, "error": error})
                )
                return
            hello = {
                "type": "hello-ok",
                "protocol": 4,
                "server": {"version": "stand-in", "connId": f"c-{number}"},
                "auth": {"role": "operator", "scopes": params.get("scopes") or []},
                "snapshot": {"health": {"ok": True}},
                "policy": {"tickIntervalMs": 30000},
            }
            await ws.send(json.dumps({"type": "res", "id": request.get("id"), "ok": True, "payload": hello}))
            self.clients.add(ws)
            async for text in ws:
                frame = json.loads(text)
                ok, payload = await self.answer(number, frame.get("method"), frame.get("params") or {})
                reply: dict[str, Any] = {"type": "res", "id": frame.get("id"), "ok": ok}
                reply["payload" if ok else "error"] = payload
                await ws.send(json.dumps(reply))
        except websockets.ConnectionClosed:
            pass
        finally:
            self.clients.discard(ws)
            self.closed()

    async def answer(self, number: int, method: str, params: dict) -> tuple[bool, Any]:
        key = str(params.get("id") or params.get("requestId") or "")
        self.calls[(method, key)] += 1
        self.log.append((number, method, key))
        if self.unavailable:
            return False, {"code": "UNAVAILABLE", "message": self.unavailable, "retryable": True}
        if method == "health":
            return True, {"ok": True, "ts": int(time.time() * 1000)}
        if method == "config.get":
            return True, {"hash": "stand-in-hash-1"}
        if method == "diagnostics.stability":
            return True, {"events": [], "lastSeq": 0}
        if method == "device.pair.list":
            return True, {"pending": list(self.device_pending.values()), "paired": []}
        if method == "node.pair.list":
            return True, {"pending": [], "paired": []}
        if method == "exec.approval.list":
            return True, list(self.exec_pending.values())
        if method == "exec.approval.resolve":
            record = self.exec_pending.pop(key, None)
            if record is None:
                return False, {"code": "INVALID_REQUEST", "message": "unknown or expired approval id"}
            decision = params.get("decision")
            await self.broadcast(
                "exec.approval.resolved", {"id": key, "decision": decision, "resolvedBy": "panel"}
            )
            return True, {"ok": True}
        if method in ("device.pair.approve", "device.pair.reject"):
            record = self.device_pending.pop(key, None)
            if record is None:
                return False, {"code": "INVALID_REQUEST", "message": "unknown requestId"}
            decision = "approved" if method.endswith("approve") else "rejected"
            await self.broadcast(
                "device.pair.resolved",
                {"requestId": key, "deviceId": record["deviceId"], "decision": decision},
            )
            return True, {"requestId": key}
        return False, {"code": "INVALID_REQUEST", "message": f"unknown method: {method}"}

    def decisions(self) -> Counter[str]:
        """How many times each request or approval id was decided by a call (resolve/approve/reject)."""
        out: Counter[str] = Counter()
        for (method, key), n in self.calls.items():
            if method.endswith((".resolve", ".approve", ".reject")):
                out[key] += n
        return out


class Relay(Counted):
    """A TCP relay to ``target_port`` counting the connections through it (for a real gateway)."""

    def __init__(self, target_port: int) -> None:
        super().__init__()
        self.target_port = target_port
        self.port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def start(self) -> Relay:
        self.server = await asyncio.start_server(self.handler, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self.server.close()
        await self.server.wait_closed()

    async def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.opened()
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            self.closed()
            return

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        finally:
            self.closed()


class Loop:
    """An event loop on a daemon thread for the stand-ins; ``call`` runs a coroutine there."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="stand-ins")
        self.thread.start()

    def call(self, coro, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
