"""Real servers on loopback that receive the panel's notifications, and count what they got."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    peer: tuple = ()  # the client's (address, port): one per connection

    def json(self):
        return json.loads(self.body)


@dataclass
class Recorder:
    """What a server received; ``fail_first`` answers that many requests with ``fail_status``."""

    received: list[Received] = field(default_factory=list)
    fail_first: int = 0
    fail_status: int = 500
    hold_at: int | None = None  # the request with this number (1-based) waits for ``release``
    release: threading.Event = field(default_factory=threading.Event)
    delay: float = 0.0  # seconds before each answer
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.arrived = threading.Condition(self.lock)

    def keys(self, header: str = "webhook-id") -> Counter:
        with self.lock:
            return Counter(r.headers.get(header, "") for r in self.received)

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received)


class _Handler(BaseHTTPRequestHandler):
    recorder: Recorder

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        rec = self.server.recorder  # type: ignore[attr-defined]
        with rec.arrived:
            failing = rec.fail_first > 0
            if failing:
                rec.fail_first -= 1
            else:
                headers = {k.lower(): v for k, v in self.headers.items()}
                rec.received.append(Received(self.path, headers, body, self.client_address))
                rec.arrived.notify_all()
            hold = not failing and rec.hold_at == len(rec.received)
        if hold:
            rec.release.wait(60)
        if rec.delay:
            time.sleep(rec.delay)
        self.send_response(rec.fail_status if failing else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "12")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    do_PUT = do_POST


class HttpReceiver:
    """``with HttpReceiver() as server: server.url ...``: a threaded HTTP server on 127.0.0.1
    (``keep_alive``: HTTP/1.1, connections stay open between requests)."""

    def __init__(self, *, keep_alive: bool = False) -> None:
        self.recorder = Recorder()
        handler = (
            type("_KeepAlive", (_Handler,), {"protocol_version": "HTTP/1.1"}) if keep_alive else _Handler
        )
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.recorder = self.recorder  # type: ignore[attr-defined]
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> HttpReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
