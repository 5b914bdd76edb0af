"""Sustained load: 1,000 events/s for 60 s into 2 daphne workers with 200 sockets (PostgreSQL + Redis).

Usage: CP_TEST_DATABASE_URL=postgresql://cp:cp@127.0.0.1:5432/cp CP_TEST_REDIS_URL=redis://127.0.0.1:6379/0 \
       .venv/bin/python bench/sustained_load.py [SOCKETS] [EVENTS_PER_S] [SECONDS] [BATCHES_PER_S]

The same set-up as bench/alerts_latency.py (scratch database, two workers, sockets split between
them, POSTs round robin over the workers, one new alert and repeats of four others per batch), held
for SECONDS (default 60). Prints, per 10 s and overall: ingest -> socket latency p50/p99, POSTs that
failed (anything but 202, or a connection error), deliveries missing on sockets, sockets that
dropped, and each worker's resident memory (VmRSS) at the start, its peak and at the end.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from alerts_latency import (  # noqa: E402
    batch_events,
    client_gc_off,
    drained,
    open_sockets,
    percentiles,
    post,
    two_workers,
)


def rss_mib(pid: int) -> float:
    """Return the resident set size of ``pid`` in MiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


async def run(ports, sessions, world, pids, rate: int, seconds: int, batches: int) -> None:
    sockets = await open_sockets(ports, sessions)
    alpha = world["alpha"]
    per_batch = max(1, rate // batches)
    sent: list[tuple[float, int, int]] = []  # (t0, last event id, second)
    failed = 0
    rss = {pid: [rss_mib(pid)] for pid in pids}

    async def one(second: int, index: int) -> None:
        nonlocal failed
        t0 = time.perf_counter()
        port = ports[(second * batches + index) % len(ports)]
        last = await post(port, alpha["code"], alpha["token"], batch_events(second, index, per_batch))
        if last is None:
            failed += 1
        else:
            sent.append((t0, last, second))

    pending = []
    start = time.perf_counter()
    async with drained(sockets, start, 1 / batches):
        for second in range(seconds):
            for index in range(batches):
                due = start + second + index / batches
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                pending.append(asyncio.create_task(one(second, index)))
            for pid in pids:
                rss[pid].append(rss_mib(pid))
        await asyncio.gather(*pending)
        elapsed = time.perf_counter() - start
        await asyncio.sleep(2)
    for pid in pids:
        rss[pid].append(rss_mib(pid))

    dropped = sum(1 for s in sockets if s.sock is None)  # closed by the server
    print(f"  sent {len(sent) * per_batch:,} events in {len(sent)} batches over {elapsed:.1f} s")
    for lo in range(0, seconds, 10):
        window = [
            s.arrivals[last] - t0
            for t0, last, second in sent
            if lo <= second < lo + 10
            for s in sockets
            if last in s.arrivals
        ]
        print(f"  {lo:>3}-{lo + 10:<3} s: {percentiles(window)}")
    latencies = [s.arrivals[last] - t0 for t0, last, _ in sent for s in sockets if last in s.arrivals]
    missing = sum(1 for _, last, _ in sent for s in sockets if last not in s.arrivals)
    print("ingest API -> socket, whole run:", percentiles(latencies))
    print(f"errors: {failed} failed POSTs, {missing} missing deliveries, {dropped} sockets dropped")
    for n, pid in enumerate(pids, 1):
        values = rss[pid]
        start_, peak, end = values[0], max(values), values[-1]
        print(f"worker {n} RSS: start {start_:.0f} MiB, peak {peak:.0f} MiB, end {end:.0f} MiB")
    for s in sockets:
        s.close()


def main() -> None:
    n_sockets = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rate = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 60
    batches = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    with two_workers(n_sockets) as stage:
        print(f"{n_sockets} sockets on 2 workers; {rate} events/s in {batches} batches/s for {seconds} s")
        with client_gc_off():
            asyncio.run(run(stage.ports, stage.sessions, stage.world, stage.pids, rate, seconds, batches))


if __name__ == "__main__":
    main()
