"""Batch ingest throughput into PostgreSQL: events/s through the ingest service and through HTTP.

Usage: CP_TEST_DATABASE_URL=postgresql://cp:cp@127.0.0.1:5432/cp \
       .venv/bin/python bench/ingest_throughput.py [EVENTS] [BATCH]

Creates a scratch database (dropped at the end), migrates it, then ingests EVENTS events (default
50,000) in batches of BATCH (default 1,000): first in-process (JSON bytes -> parse_json_batch ->
ingest_events, one transaction per batch), then over HTTP to one daphne worker (the same path
plus token auth, rate limit and the request). The mix: exec denials over 20 agents, memory samples
over 10 workloads, OOMs and raw lines. Target: >= 5,000 events/s.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MI = 2**20


def make_events(n: int, offset: int = 0) -> list[dict]:
    out = []
    for i in range(offset, offset + n):
        kind = i % 10
        if kind < 5:
            out.append(
                {"type": "exec.denied", "agent": f"agent-{i % 20}", "reason": "user-denied", "command": "ls"}
            )
        elif kind < 9:
            out.append(
                {
                    "type": "memory.sample",
                    "workload": f"wl-{i % 10}",
                    "usage_bytes": (400 + i % 300) * MI,
                    "limit_bytes": 1024 * MI,
                }
            )
        elif i % 20 == 9:
            out.append(
                {"type": "clw-memory-oom", "workload": f"wl-{i % 10}", "usage_bytes": MI, "limit_bytes": MI}
            )
        else:
            out.append({"type": "raw", "text": f"unrecognised line {i}"})
    return out


def scratch_db(base: str) -> tuple[str, str]:
    import psycopg

    name = f"cp_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, urlunparse(urlparse(base)._replace(path=f"/{name}"))


def drop_db(base: str, name: str) -> None:
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def in_process(total: int, batch: int) -> float:
    import django

    django.setup()
    from django.core.management import call_command

    from controlpanel.events.parse import parse_json_batch
    from controlpanel.models import Gateway
    from controlpanel.services.alerts import ingest_events

    call_command("migrate", verbosity=0)
    gateway = Gateway.objects.create(name="bench-in-process")
    bodies = [json.dumps(make_events(batch, i)).encode() for i in range(0, total, batch)]
    started = time.perf_counter()
    for body in bodies:
        ingest_events(gateway=gateway, events=parse_json_batch(json.loads(body)))
    return total / (time.perf_counter() - started)


def over_http(env: dict, total: int, batch: int) -> float:
    from tests.alerts.servers import Server, post_events, setup_world

    world = setup_world(env)
    server = Server(env).start()
    try:
        alpha = world["alpha"]
        started = time.perf_counter()
        for i in range(0, total, batch):
            post_events(server.url, alpha["code"], alpha["token"], make_events(batch, i))
        return total / (time.perf_counter() - started)
    finally:
        server.stop()


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
    base = os.environ.get("CP_TEST_DATABASE_URL")
    if not base:
        sys.exit("set CP_TEST_DATABASE_URL (PostgreSQL)")
    name, url = scratch_db(base)
    try:
        os.environ.update(
            DJANGO_SETTINGS_MODULE="controlpanel.settings",
            DATABASE_URL=url,
            CP_SECRET_KEY="bench-" + "b" * 50,
            CP_DEBUG="False",
            CP_LOG_LEVEL="WARNING",
        )
        rate = in_process(total, batch)
        print(f"in-process ingest_events: {total} events in batches of {batch}: {rate:,.0f} events/s")
        from tests.alerts.servers import server_env

        with tempfile.TemporaryDirectory() as tmp:
            env = server_env(
                Path(tmp), DATABASE_URL=url, CP_INGEST_RATE_PER_MINUTE="100000", CP_MAX_INGEST_BYTES="4194304"
            )
            rate = over_http(env, total, batch)
        print(
            f"HTTP POST /events (1 daphne worker): {total} events in batches of {batch}: {rate:,.0f} events/s"
        )
    finally:
        from django.db import connections

        connections.close_all()
        drop_db(base, name)


if __name__ == "__main__":
    main()
