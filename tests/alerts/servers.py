"""Real ASGI servers for the browser and scale-out tests: daphne subprocesses on loopback ports.

Each server gets its own environment (a temp CP_VAR_DIR with a file SQLite DB, or DATABASE_URL and
REDIS_URL for the scale-out shape). ``setup_world`` runs a management shell in the same environment
to create users, gateways and ingest tokens.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[2]
DAPHNE = Path(sys.executable).with_name("daphne")
PASSWORD = "pw-live-alerts-long-enough"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="controlpanel.settings",
        CP_DEBUG="False",
        CP_SECRET_KEY="live-alerts-test-secret-" + "s" * 40,
        CP_ALLOWED_HOSTS="127.0.0.1,localhost",
        CP_VAR_DIR=str(var_dir),
        CP_LOG_LEVEL="WARNING",
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


SETUP = """
import json
from django.contrib.auth import get_user_model
from controlpanel.models import Gateway, GatewayMembership
from controlpanel.services.ingest_tokens import ingest_token_create
User = get_user_model()
out = {}
for user_name, gw_name in (("alice", "alpha"), ("charlie", "bravo")):
    user = User.objects.create_user(user_name, password=PASSWORD)
    gateway = Gateway.objects.create(name=gw_name)
    GatewayMembership.objects.create(user=user, gateway=gateway, role="owner")
    token = ingest_token_create(gateway=gateway, name="t", actor=user)[1]
    out[gw_name] = {"code": str(gateway.code), "token": token}
print("WORLD" + json.dumps(out))
"""

INGEST_DIRECT = """
from controlpanel.events.parse import parse_json_event
from controlpanel.models import Gateway
from controlpanel.services.alerts import ingest_events
ingest_events(gateway=Gateway.objects.get(name=GW), events=[parse_json_event(EVENT)])
"""


def setup_world(env: dict[str, str]) -> dict:
    """Migrate and create alice (owner of alpha) and charlie (owner of bravo) with ingest tokens."""
    manage(env, "migrate", "--noinput", "-v", "0")
    # Hashed static files: pages 500 without the manifest when CP_DEBUG is False.
    manage(env, "collectstatic", "--noinput", "-v", "0")
    out = manage(env, "shell", "-c", f"PASSWORD = {PASSWORD!r}\n" + SETUP)
    return json.loads(out.split("WORLD", 1)[1])


def ingest_direct(env: dict[str, str], gateway: str, event: dict) -> None:
    """Store an event with no server running (as another worker would): rows only, no doorbell."""
    manage(env, "shell", "-c", f"GW = {gateway!r}\nEVENT = {event!r}\n" + INGEST_DIRECT)


class Server:
    """One daphne process serving controlpanel.asgi on a loopback port."""

    def __init__(
        self,
        env: dict[str, str],
        port: int | None = None,
        args: Sequence[str] = (),
        command: Sequence[str] = (str(DAPHNE),),
        ready_path: str = "/login/",
    ) -> None:
        self.env, self.port, self.args = env, port or free_port(), list(args)
        self.command = list(command)  # daphne's command line before its arguments
        self.ready_path = ready_path  # polled until it answers
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        """Start the process and return once it answers."""
        return self.spawn().ready()

    def spawn(self) -> Server:
        """Start the process without waiting (several servers start side by side; then ``ready``)."""
        cmd = [
            *self.command,
            "-b",
            "127.0.0.1",
            "-p",
            str(self.port),
            *self.args,
            "controlpanel.asgi:application",
        ]
        # A log file, not a pipe: a full pipe would block the server.
        self.log = Path(self.env["CP_VAR_DIR"]) / f"daphne-{self.port}.log"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=log, stderr=log)
        return self

    def ready(self) -> Server:
        """Return once the server answers HTTP (raises if it exited or did not within 30 s)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.log.read_text()[-3000:])
            try:
                urllib.request.urlopen(self.url + self.ready_path, timeout=1).close()
                return self
            except urllib.error.HTTPError:
                return self  # it answers
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise RuntimeError("daphne did not start: " + self.log.read_text()[-3000:])

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def post_events(url: str, code: str, token: str, events: list | dict) -> dict:
    request = urllib.request.Request(
        f"{url}/api/v1/gateways/{code}/events",
        data=json.dumps(events).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


SESSION = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
user = get_user_model().objects.get(username=USER)
store = SessionStore()
store[SESSION_KEY] = str(user.pk)
store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
store[HASH_SESSION_KEY] = user.get_session_auth_hash()
store.create()
print("SESSION" + store.session_key)
"""


def session_for(env: dict[str, str], username: str) -> str:
    """Return a session key for ``username`` (a logged-in browser's cookie value)."""
    return manage(env, "shell", "-c", f"USER = {username!r}\n" + SESSION).split("SESSION", 1)[1].strip()


class TinyWebSocket:
    """A minimal RFC 6455 client (receive-only) so the tests need no extra dependency."""

    def __init__(
        self, port: int, path: str, session_key: str, timeout: float = 5.0, origin: str | None = None
    ) -> None:
        import base64

        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        origin = origin or f"http://127.0.0.1:{port}"
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n"
            f"Cookie: sessionid={session_key}\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("closed during handshake")
            head += chunk
        self.status = int(head.split(b" ", 2)[1])

    def _exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def _frame(self) -> tuple[int, bytes]:
        """Return (opcode, payload) of the next frame from the server (unmasked)."""
        b0, b1 = self._exact(2)
        length = b1 & 0x7F
        if length == 126:
            length = int.from_bytes(self._exact(2), "big")
        elif length == 127:
            length = int.from_bytes(self._exact(8), "big")
        return b0 & 0x0F, self._exact(length)

    def recv_json(self, timeout: float = 5.0) -> dict:
        """Return the next text frame as JSON (control frames are skipped)."""
        self.sock.settimeout(timeout)
        while True:
            opcode, payload = self._frame()
            if opcode == 0x8:
                raise ConnectionError(f"closed by server: {payload[:2].hex()}")
            if opcode == 0x1:
                return json.loads(payload)

    def send(self, payload: bytes, *, opcode: int = 0x1) -> None:
        """Send one client frame (text by default)."""
        _send_frame(self.sock, opcode, payload)

    def recv_close(self, timeout: float = 5.0) -> int | None:
        """Return the code of the server's close frame (text frames before it are skipped)."""
        self.sock.settimeout(timeout)
        while True:
            opcode, payload = self._frame()
            if opcode == 0x8:
                return int.from_bytes(payload[:2], "big") if payload else None

    def close(self) -> None:
        self.sock.close()


def _send_frame(sock: socket.socket, opcode: int, payload: bytes) -> None:
    """Send one masked client frame (RFC 6455 requires clients to mask)."""
    mask = os.urandom(4)
    head = bytes([0x80 | opcode])
    if len(payload) < 126:
        head += bytes([0x80 | len(payload)])
    elif len(payload) < 2**16:
        head += bytes([0x80 | 126]) + len(payload).to_bytes(2, "big")
    else:
        head += bytes([0x80 | 127]) + len(payload).to_bytes(8, "big")
    sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


class AlertClient:
    """A reconnecting live-alerts client speaking the protocol of static/js/alerts.js, on a thread.

    Connects to ``/ws/alerts/?since=<last id>``, dedupes by event id, understands ``alert``,
    ``alerts`` and ``backfill`` frames, reconnects after any close or failed handshake with capped
    exponential backoff and full jitter (sleep = uniform(0, min(cap, base * 2**attempt)), attempt
    reset by a successful handshake), answers pings, and sends ``{"since": last}`` every ``resync``
    seconds (None: never, so a test proves the server delivers without the browser's safety net).
    Records every attempt, delay and connection so tests can assert how it got its events.
    """

    def __init__(
        self,
        port: int,
        session_key: str,
        *,
        since: int = 0,
        base: float = 0.5,
        cap: float = 30.0,
        resync: float | None = 25.0,
    ) -> None:
        import threading

        self.port, self.session_key, self.last = port, session_key, since
        self.base, self.cap, self.resync = base, cap, resync
        self.seen: dict[int, tuple[str, float]] = {}  # event id -> (frame type, monotonic time)
        self.attempts = 0  # handshakes tried
        self.connections = 0  # handshakes that succeeded (101)
        self.failures: list[str] = []  # why attempts failed or sockets closed
        self.delays: list[float] = []  # backoff sleeps, in order
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> AlertClient:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.kick()
        self._thread.join(timeout=10)

    def kick(self) -> None:
        """Drop the current connection from the client side (the client then reconnects)."""
        import contextlib

        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def missing(self, ids: set[int]) -> set[int]:
        return ids - set(self.seen)

    def wait_for(self, ids: set[int], timeout: float) -> set[int]:
        """Wait until every id in ``ids`` was seen; returns the ids still missing at the deadline."""
        deadline = time.monotonic() + timeout
        while self.missing(ids) and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.missing(ids)

    def _run(self) -> None:
        import random

        attempt = 0
        while not self._stop.is_set():
            self.attempts += 1
            try:
                ws = TinyWebSocket(self.port, f"/ws/alerts/?since={self.last}", self.session_key, timeout=5)
            except OSError as exc:
                self.failures.append(f"connect: {exc!r}")
            else:
                if ws.status == 101:
                    attempt = 0
                    self.connections += 1
                    self._sock = ws.sock
                    self.connected.set()
                    self.failures.append(f"closed: {self._read(ws.sock)}")
                    self.connected.clear()
                    self._sock = None
                else:
                    self.failures.append(f"handshake: {ws.status}")
                ws.close()
            if self._stop.is_set():
                return
            delay = random.uniform(0, min(self.cap, self.base * 2**attempt))
            attempt += 1
            self.delays.append(delay)
            self._stop.wait(delay)

    def _read(self, sock: socket.socket) -> str:
        """Read frames until the connection ends; returns why it ended."""
        next_resync = time.monotonic() + (self.resync or float("inf"))
        try:
            while not self._stop.is_set():
                if time.monotonic() >= next_resync:
                    _send_frame(sock, 0x1, json.dumps({"since": self.last}).encode())
                    next_resync = time.monotonic() + (self.resync or float("inf"))
                # A short timeout only between frames, so a timeout never splits one.
                sock.settimeout(0.5)
                try:
                    first = sock.recv(1)
                except TimeoutError:
                    continue
                if not first:
                    return "eof"
                sock.settimeout(10)
                opcode, payload = self._frame(sock, first[0])
                if opcode == 0x8:
                    return f"close {int.from_bytes(payload[:2], 'big') if payload else None}"
                if opcode == 0x9:
                    _send_frame(sock, 0xA, payload)
                elif opcode == 0x1:
                    self._handle(json.loads(payload))
        except OSError as exc:
            return repr(exc)
        return "stopped"

    @staticmethod
    def _frame(sock: socket.socket, b0: int) -> tuple[int, bytes]:
        def exact(n: int) -> bytes:
            data = b""
            while len(data) < n:
                chunk = sock.recv(n - len(data))
                if not chunk:
                    raise ConnectionError("closed mid-frame")
                data += chunk
            return data

        length = exact(1)[0] & 0x7F
        if length == 126:
            length = int.from_bytes(exact(2), "big")
        elif length == 127:
            length = int.from_bytes(exact(8), "big")
        return b0 & 0x0F, exact(length)

    def _handle(self, frame: dict) -> None:
        kind = frame.get("type")
        events = frame.get("events", []) if kind in ("alerts", "backfill") else [frame]
        if kind not in ("alert", "alerts", "backfill"):
            return
        now = time.monotonic()
        for event in events:
            event_id = event.get("id")
            if isinstance(event_id, int) and event_id not in self.seen:
                self.seen[event_id] = (kind, now)
                self.last = max(self.last, event_id)


class RedisServer:
    """A private ``redis-server`` on a loopback port, for tests that kill it (never the shared one)."""

    def __init__(self, log_dir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.log = log_dir / f"redis-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        cmd = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", ""]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([*cmd, "--appendonly", "no"], stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(7).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start: " + self.log.read_text()[-2000:])

    def kill(self) -> None:
        """SIGKILL: no shutdown, connections drop as in a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


@contextlib.contextmanager
def scratch_database(base_url: str, prefix: str):
    """Yield the URL of a fresh PostgreSQL database next to ``base_url`` (dropped afterwards)."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunparse(urlparse(base_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
