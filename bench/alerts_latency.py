"""Ingest -> socket latency with 2 daphne workers on PostgreSQL + Redis, against a bare group_send.

Usage: CP_TEST_DATABASE_URL=postgresql://cp:cp@127.0.0.1:5432/cp CP_TEST_REDIS_URL=redis://127.0.0.1:6379/0 \
       .venv/bin/python bench/alerts_latency.py [SOCKETS] [EVENTS_PER_S] [SECONDS] [BATCHES_PER_S]

Starts two workers on a scratch database, opens SOCKETS (default 200) WebSockets split between them,
then posts EVENTS_PER_S (default 1,000) events/s for SECONDS (default 10) to the workers' ingest API
(round robin, as behind a load balancer) in BATCHES_PER_S (default 20) batches. Each batch holds one
new alert (a fresh agent) and repeats of four others, so each POST yields five alert events, pushed
to every socket as one frame. The same load runs for WARMUP_SECONDS (15) first, not measured. Latency
is taken from the start of the POST to the arrival of that batch's last alert event on each socket:
the kernel's receive time of the frame's bytes on the client socket (SO_TIMESTAMPNS; the sockets are
read between batches, see Socket). Then the same frame rate goes through a bare channels-redis
``group_send`` (no HTTP, no DB) for comparison. The sockets and the load generator run in this
process, on the same machine as the workers, PostgreSQL and Redis.

What shaped the alert path (docs/architecture.md, "Choices"), as measured here and by the steps' A/B
runs on the benchmark machine, in the order the changes landed:

- one hub per worker instead of one channel-layer member per socket: Channels delivered, deserialised
  and dispatched each copy, about 100 us per socket before any byte went out;
- the frame prepared once for all sockets: fan-out to 100 sockets 8.4 -> 3.7 ms;
- the hot path's statements hand-written (services/rawsql.py): the ORM took about 0.7 ms to compile
  each, more than the statement's round trip;
- each frame written onto its socket in the fan-out loop instead of through twisted's buffer
  (register, write on the next turn, unregister): 100 sockets, fan-out plus the last byte out
  9.6 -> 2.2 ms;
- a batch's equal JSON objects parsed once: a 200-event storm 2.4 -> 0.7 ms;
- full collections kept short (asgi.py's gc.freeze, gcpolicy.py): with 100 sockets a full collection
  scanned about 50,000 objects in 22-39 ms every few seconds; now a few ms.

Then a batch of 200 events spent about 11-13 ms in the transaction, the largest step of the path;
p50 ingest to socket about 26 ms. The middleware figure is in bench/request_overhead.py.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import json
import os
import socket
import statistics
import struct
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# Kernel receive timestamps (SO_TIMESTAMPNS) are CLOCK_REALTIME; t0s are perf_counter. Both tick at the
# same rate over a run, so one offset, taken at import, converts between them.
_REALTIME_MINUS_PERF = time.time() - time.perf_counter()
_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def _frame_size(head: bytes) -> int | None:
    """Return the size of the unmasked frame that starts with ``head``, or None if too little is there."""
    if len(head) < 2:
        return None
    length = head[1] & 0x7F
    if length == 126:
        return 4 + int.from_bytes(head[2:4], "big") if len(head) >= 4 else None
    if length == 127:
        return 10 + int.from_bytes(head[2:10], "big") if len(head) >= 10 else None
    return 2 + length


class Socket:
    """A receive-only RFC 6455 client. Frames are read one at a time, each stamped with the kernel's
    receive time of its bytes; their JSON is parsed after the run; pings are answered (daphne closes
    a socket that misses its pongs).

    The load generator shares the two cores with the servers. So that its own work does not compete
    with the workers' fan-out, it does not read while a batch is in flight: ``drain`` is called
    between batches (``drained``). The kernel's timestamp (``SO_TIMESTAMPNS``) still gives when each
    frame reached the socket: each frame is read alone, and one frame is one segment on loopback.
    """

    def __init__(self) -> None:
        self.texts: list[tuple[float, bytes]] = []  # (kernel receive time, payload)
        self.sock: socket.socket | None = None
        self._arrivals: dict[int, float] | None = None

    def drain(self) -> None:
        """Read every complete frame waiting on the socket (never blocks)."""
        while self.sock is not None:
            try:
                head = self.sock.recv(10, socket.MSG_PEEK)
                size = _frame_size(head)
                if head and (size is None or len(self.sock.recv(size, socket.MSG_PEEK)) < size):
                    return  # the rest of the frame is still on its way
                data, ancillary, _flags, _addr = self.sock.recvmsg(size or 1, socket.CMSG_SPACE(16))
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data, ancillary = b"", []
            if not data:
                self.close()
                return
            now = time.perf_counter()
            received = now
            for level, kind, raw in ancillary:
                if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", raw[:16])
                    received = sec + nsec / 1e9 - _REALTIME_MINUS_PERF
            header = {126: 4, 127: 10}.get(data[1] & 0x7F, 2)
            opcode, payload = data[0] & 0x0F, data[header:]
            if opcode == 0x1:
                self.texts.append((received, payload))
            elif opcode == 0x9:  # ping -> pong, masked as a client must
                self._send(0xA, payload)

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        assert len(payload) < 126 and self.sock is not None
        self.sock.sendall(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    async def open(self, port: int, session: str) -> None:
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        await loop.sock_sendall(
            sock,
            (
                f"GET /ws/alerts/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Origin: http://127.0.0.1:{port}\r\nCookie: sessionid={session}\r\n\r\n"
            ).encode(),
        )
        head = b""
        deadline = time.monotonic() + 10
        while b"\r\n\r\n" not in head:  # peek: the frames after the head stay for drain()
            assert time.monotonic() < deadline, "no handshake response"
            await asyncio.sleep(0.005)
            with contextlib.suppress(BlockingIOError):
                head = sock.recv(4096, socket.MSG_PEEK)
                assert head, "closed during the handshake"
        end = head.index(b"\r\n\r\n") + 4
        head = sock.recv(end)
        assert b" 101 " in head.split(b"\r\n", 1)[0], head
        sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        self.sock = sock

    def close(self) -> None:
        if self.sock is not None:
            sock, self.sock = self.sock, None
            sock.close()

    @property
    def arrivals(self) -> dict[int, float]:
        """Event id -> when its frame reached this socket (kernel receive time, perf_counter scale)."""
        if self._arrivals is None:
            self._arrivals = {}
            for received, payload in self.texts:
                msg = json.loads(payload)
                for item in msg.get("events", [msg]) if msg.get("type") in ("alerts", "backfill") else [msg]:
                    if item.get("type") == "alert":
                        self._arrivals.setdefault(item["id"], received)
        return self._arrivals

    def frames_after(self, after: int) -> int:
        """Return how many frames carried alert events with ids above ``after``."""
        count = 0
        for _received, payload in self.texts:
            msg = json.loads(payload)
            items = msg.get("events", [msg]) if msg.get("type") in ("alerts", "backfill") else [msg]
            count += any(item.get("type") == "alert" and item["id"] > after for item in items)
        return count


@contextlib.asynccontextmanager
async def drained(sockets: list[Socket], first_due: float, period: float):
    """Drain ``sockets`` between batches while the block runs: at three quarters of each ``period``
    after a batch is due (perf_counter times), when its frames are in, before the next one leaves;
    and once more at the end. A frame that comes later still has its kernel time, read a period on."""

    async def run() -> None:
        k = 0
        while True:
            await asyncio.sleep(max(0.0, first_due + (k + 0.75) * period - time.perf_counter()))
            for s in sockets:
                s.drain()
            k += 1

    task = asyncio.ensure_future(run())
    try:
        yield
    finally:
        task.cancel()
        for s in sockets:
            s.drain()


@contextlib.contextmanager
def client_gc_off():
    """Keep the load generator's own garbage collector out of the figures.

    The sockets are timestamped in this process: a full collection here (40-80 ms with Django
    loaded) would show up as server latency. Only this process is affected; the workers run as
    configured.
    """
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


# Load before the measured seconds, not counted: the figures are for workers that have been serving
# for a while. Each worker's first full garbage collection after start scans every object it made
# (30-40 ms with 100 sockets, see controlpanel/gcpolicy.py); under this load it comes after about
# 10 s, so it falls here, as does the first use of each code path.
WARMUP_SECONDS = 15


# The sockets are read between batches (see Socket). A segment that arrives on top of an unread one is
# merged with it by the kernel, and the merged data carries the later arrival time: a keepalive ping
# landing after a frame would move that frame's time up to 150 ms later. daphne pings every socket
# idle for 20 s, and the bench's sockets, opened together, would be pinged together, so the workers
# here ping hourly (a ping costs the worker about what one frame does; the figures lose nothing).
QUIET_KEEPALIVE = ["--ping-interval", "3600", "--ping-timeout", "3600"]


def percentiles(values: list[float]) -> str:
    if not values:
        return "no samples"
    qs = statistics.quantiles(values, n=100, method="inclusive")
    p50, p99, top = qs[49] * 1000, qs[98] * 1000, max(values) * 1000
    return f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {top:.1f} ms (n={len(values)})"


def batch_events(second: int, index: int, per_batch: int) -> list[dict]:
    fresh = {"type": "exec.denied", "agent": f"new-{second}-{index}", "reason": "user-denied"}
    repeats = [
        {"type": "exec.denied", "agent": f"agent-{i % 4}", "reason": "user-denied"}
        for i in range(per_batch - 1)
    ]
    return [fresh, *repeats]


async def post(port: int, code: str, token: str, events: list[dict]) -> int | None:
    """POST one batch; returns its last alert event id, or None if it was not accepted (202)."""
    body = json.dumps(events).encode()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            (
                f"POST /api/v1/gateways/{code}/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode()
            + body
        )
        raw = await asyncio.wait_for(reader.read(), 30)
        writer.close()
    except (TimeoutError, OSError):
        return None
    head, _, payload = raw.partition(b"\r\n\r\n")
    if b" 202 " not in head.split(b"\r\n", 1)[0]:
        return None
    return json.loads(payload)["last_event_id"]


async def via_ingest(
    ports, sessions, world, rate: int, seconds: int, batches: int
) -> tuple[list[float], int]:
    sockets = await open_sockets(ports, sessions)
    alpha = world["alpha"]
    per_batch = max(1, rate // batches)
    sent: list[tuple[float, int]] = []
    answered: list[float] = []
    warm: list[int] = []
    pending = []

    async def one(second: int, index: int) -> None:
        t0 = time.perf_counter()
        # Round robin over the workers, as a load balancer in front of them would.
        port = ports[(second * batches + index) % len(ports)]
        last = await post(port, alpha["code"], alpha["token"], batch_events(second, index, per_batch))
        assert last is not None, "a batch was not accepted"
        if second >= 0:  # negative seconds are the warm-up
            answered.append(time.perf_counter() - t0)
            sent.append((t0, last))
        else:
            warm.append(last)

    start = time.perf_counter() + WARMUP_SECONDS
    async with drained(sockets, start - WARMUP_SECONDS, 1 / batches):
        for second in range(-WARMUP_SECONDS, seconds):
            for index in range(batches):
                due = start + second + index / batches
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                pending.append(asyncio.create_task(one(second, index)))
        await asyncio.gather(*pending)
        await asyncio.sleep(2)
    after = max(warm, default=0)  # the measured events' ids are above the warm-up's
    latencies = [s.arrivals[last] - t0 for t0, last in sent for s in sockets if last in s.arrivals]
    missing = sum(1 for _, last in sent for s in sockets if last not in s.arrivals)
    pushes = sockets[0].frames_after(after)
    events = len([i for i in sockets[0].arrivals if i > after])
    print(f"  batches {len(sent)}, alert events {events} in {pushes} frames per socket, missing {missing}")
    print("  POST -> 202 response:", percentiles(answered))
    for s in sockets:
        s.close()
    return latencies, pushes


async def via_group_send(ports, sessions, gateway_id: int, pushes_per_s: int, seconds: int) -> list[float]:
    from channels.layers import get_channel_layer

    from controlpanel.live.groups import gateway_group

    layer = get_channel_layer()
    sockets = await open_sockets(ports, sessions)
    sent: dict[int, float] = {}
    start = time.perf_counter()
    n = pushes_per_s * seconds
    async with drained(sockets, start, 1 / pushes_per_s):
        for i in range(n):
            due = start + i / pushes_per_s
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            msg_id = 10**9 + i
            sent[msg_id] = time.perf_counter()
            # The shape alert_publish sends: the browser frame encoded once, about the size of a real one.
            frame = json.dumps({"type": "alert", "id": msg_id, "html": "<li>x</li>" * 60, "notify": False})
            doorbell = {"type": "alert.event", "gateway_id": gateway_id, "ids": [msg_id], "text": frame}
            await layer.group_send(gateway_group(gateway_id), doorbell)
        await asyncio.sleep(2)
    latencies = [s.arrivals[i] - t for i, t in sent.items() for s in sockets if i in s.arrivals]
    print(f"  pushes {n}, socket deliveries missing {n * len(sockets) - len(latencies)}")
    for s in sockets:
        s.close()
    return latencies


async def open_sockets(ports, sessions) -> list[Socket]:
    sockets = []
    for i, session in enumerate(sessions):
        s = Socket()
        await s.open(ports[i % len(ports)], session)
        sockets.append(s)
    await asyncio.sleep(0.5)  # let every consumer join its groups
    return sockets


def forget_groups(redis_url: str) -> None:
    """Delete leftover alert groups: channels of dead workers stay in a group until group_expiry (1 day),
    and every group_send would still write to them."""
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter("asgi:group:alerts.*"):
        client.delete(key)


@dataclass
class Stage:
    """Two daphne workers on a scratch PostgreSQL database and Redis, with a session per socket."""

    ports: list[int]
    pids: list[int]
    sessions: list[str]
    world: dict
    database_url: str
    redis_url: str


@contextlib.contextmanager
def two_workers(n_sockets: int):
    """Yield a Stage; drops the scratch database and the leftover alert groups afterwards."""
    base, redis = os.environ.get("CP_TEST_DATABASE_URL"), os.environ.get("CP_TEST_REDIS_URL")
    if not (base and redis):
        sys.exit("set CP_TEST_DATABASE_URL and CP_TEST_REDIS_URL")
    import psycopg

    from tests.alerts.servers import Server, server_env, session_for, setup_world

    name = f"cp_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlunparse(urlparse(base)._replace(path=f"/{name}"))
    servers = []
    forget_groups(redis)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = server_env(
                Path(tmp), DATABASE_URL=url, REDIS_URL=redis, CP_INGEST_RATE_PER_MINUTE="1000000"
            )
            world = setup_world(env)
            sessions = [session_for(env, "alice")] * n_sockets
            servers = [Server(env, args=QUIET_KEEPALIVE).start(), Server(env, args=QUIET_KEEPALIVE).start()]
            yield Stage([s.port for s in servers], [s.proc.pid for s in servers], sessions, world, url, redis)
    finally:
        for s in servers:
            s.stop()
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        forget_groups(redis)


def main() -> None:
    n_sockets = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rate = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    batches = int(sys.argv[4]) if len(sys.argv) > 4 else 20
    with two_workers(n_sockets) as stage:
        ports, sessions = stage.ports, stage.sessions
        print(f"{n_sockets} sockets on 2 workers; {rate} events/s in {batches} batches/s for {seconds} s")
        with client_gc_off():
            latencies, pushed = asyncio.run(via_ingest(ports, sessions, stage.world, rate, seconds, batches))
        print("ingest API -> socket (kernel receive time):", percentiles(latencies))
        os.environ.update(
            DJANGO_SETTINGS_MODULE="controlpanel.settings",
            REDIS_URL=stage.redis_url,
            DATABASE_URL=stage.database_url,
        )
        os.environ.update(CP_SECRET_KEY="bench-" + "b" * 50, CP_DEBUG="False")
        import django

        django.setup()
        from controlpanel.models import Gateway

        gateway_id = Gateway.objects.get(name="alpha").pk
        pushes = max(1, round(pushed / seconds))
        print(f"bare group_send at {pushes} pushes/s (the same frame rate):")
        with client_gc_off():
            bare = asyncio.run(via_group_send(ports, sessions, gateway_id, pushes, seconds))
        print("group_send -> socket (kernel receive time):", percentiles(bare))


if __name__ == "__main__":
    main()
