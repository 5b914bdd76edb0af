"""Per-request overhead of a daphne worker: time to the first response byte for cheap requests.

Usage: CP_TEST_DATABASE_URL=... CP_TEST_REDIS_URL=... .venv/bin/python bench/request_overhead.py [N]

Starts the two-worker stage of bench/alerts_latency.py (PostgreSQL + Redis), then sends N (default
200) sequential requests per case to one idle worker, each on a new connection, and prints the median
and p90 to the first byte: a 404, the login page, an ingest POST with a
bad token (one query) and with one event. The same for a bare ASGI app under daphne would be about
1 ms on the benchmark machine: the rest is Django's request path.

The sync-only innermost middleware (controlpanel/middleware.py), which lets Django run the chain in
one thread hop instead of two per middleware, took an idle 404 from 10.5 to 6.8 ms in one A/B run.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from alerts_latency import batch_events, two_workers


async def first_byte(port: int, raw: bytes) -> tuple[float, bytes]:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    head = await reader.read(12)
    elapsed = time.perf_counter() - started
    await reader.read()
    writer.close()
    return elapsed, head[9:12]


def post(port: int, code: str, token: str, body: bytes) -> bytes:
    return (
        f"POST /api/v1/gateways/{code}/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


async def run(port: int, world: dict, n: int) -> None:
    alpha = world["alpha"]
    one_event = json.dumps(batch_events(0, 0, 1)).encode()
    get = "GET {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n"
    cases = {
        "GET 404": get.format("/nope", port).encode(),
        "GET login page": get.format("/login/", port).encode(),
        "POST ingest, bad token": post(port, alpha["code"], "bad", b"[]"),
        "POST ingest, 1 event": post(port, alpha["code"], alpha["token"], one_event),
    }
    for name, raw in cases.items():
        samples, status = [], b""
        for _ in range(n + 20):
            elapsed, status = await first_byte(port, raw)
            samples.append(elapsed * 1000)
        samples = samples[20:]  # warm-up
        p90 = statistics.quantiles(samples, n=10)[8]
        median = statistics.median(samples)
        print(f"  {name:24s} {status.decode()}  median {median:5.1f} ms  p90 {p90:5.1f} ms")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with two_workers(0) as stage:
        print(f"time to first byte, {n} sequential requests per case, one idle worker:")
        asyncio.run(run(stage.ports[0], stage.world, n))


if __name__ == "__main__":
    main()
