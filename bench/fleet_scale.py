"""The fleet at scale: 1,000 gateways, 20,000 agents, 100,000 alerts (and 8,000 approval requests,
2,700 audit runs); server time of the fleet pages (wall and CPU), then a fleet-wide audit on 2 task workers.

Builds a throw-away test database on the PostgreSQL server of DATABASE_URL, fills it with
``tests.views.test_query_counts.populate_fleet`` (bulk inserts), renders each fleet page (first and
a later page) ROUNDS times through Django's test client as the owner of every gateway, and prints
median / p95 server time and query count. Then starts two ``manage.py db_worker`` processes on that
database, starts a fleet-wide audit of all 1,000 gateways (``services.audits.audit_fleet_start``:
a fan-out task queues one audit each) and times it until every run is final.

    DATABASE_URL=postgresql://cp:cp@127.0.0.1:5432/cp_i22_fleet \\
        DJANGO_SETTINGS_MODULE=tests.settings .venv/bin/python bench/fleet_scale.py [ROUNDS] [GATEWAYS]

The last line: ``fleet: worst page p50 N ms, fleet audit of 1000 gateways M s``.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

PAGES = [
    ("gateway-list", ""),
    ("gateway-list", "?page=20"),
    ("audit-fleet", ""),
    ("audit-fleet", "?page=20"),
    ("approvals-inbox", ""),
    ("approvals-inbox", "?page=20"),
    ("approvals-inbox", "?view=history"),
    ("alert-list", ""),
    ("alert-list", "?page=20"),
]


def page_times(client, rounds: int) -> list[tuple[str, float, float, float, int]]:
    results = []
    for name, query in PAGES:
        url = reverse(name) + query
        client.get(url)  # warm (templates, session)
        times, cpu = [], []
        for _ in range(rounds):
            with CaptureQueriesContext(connection) as ctx:
                start, start_cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        queries = len(ctx.captured_queries)
        results.append((f"{name}{query}", statistics.median(times), p95, statistics.median(cpu), queries))
    return results


def worker_env() -> dict[str, str]:
    """The workers' settings: this process's, on the test database just built."""
    env = dict(os.environ)
    settings = connection.settings_dict
    env["DATABASE_URL"] = (
        f"postgresql://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    env["CP_LOG_LEVEL"] = "WARNING"
    return env


def fleet_audit(owner, gateways: int) -> tuple[float, int]:
    """Two task workers, one fleet-wide audit: wall time from the request to the last run's end."""
    from controlpanel.models import AuditRun, Gateway, TaskWorker
    from controlpanel.services.audits import audit_fleet_start

    env = worker_env()
    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--no-reload", "--worker-id", f"bench-{i}"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        for i in range(2)
    ]
    try:
        deadline = time.monotonic() + 120
        while TaskWorker.objects.filter(worker_id__startswith="bench-").count() < 2:
            assert time.monotonic() < deadline, "the task workers did not start"
            time.sleep(0.2)
        start = time.perf_counter()
        fleet = audit_fleet_start(actor=owner, gateways=Gateway.objects.all())
        while True:
            runs = AuditRun.objects.filter(fleet_audit=fleet)
            if runs.filter(status__in=AuditRun.FINAL).count() == gateways:
                break
            time.sleep(0.25)
        wall = time.perf_counter() - start
        failed = runs.exclude(status="succeeded").count()
        return wall, failed
    finally:
        for proc in workers:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in workers:
            proc.wait(timeout=60)


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL server: the fleet is measured where it runs.")
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    gateways = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, serialize=False)
    try:
        from tests.conftest import client_for, make_user
        from tests.views.test_query_counts import populate_fleet

        owner = make_user("bench-owner")
        start = time.perf_counter()
        populate_fleet(owner, gateways=gateways, agents=20, alerts=100, requests=2, runs=3)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(
            f"{gateways} gateways, {gateways * 20} agents, {gateways * 100} alerts, {gateways * 8} requests "
            f"({connection.vendor}; built in {time.perf_counter() - start:.0f} s); {rounds} renders per page"
        )
        # Wall time on a shared machine includes waiting for a core: the load average and the
        # panel's own CPU time per page (Python side, without PostgreSQL's) tell the two apart.
        print("load average (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
        print(f"{'page':32} {'median ms':>10} {'p95 ms':>8} {'cpu ms':>8} {'queries':>8}")
        results = page_times(client_for(owner), rounds)
        for name, median, p95, cpu, queries in results:
            print(f"{name:32} {median:10.1f} {p95:8.1f} {cpu:8.1f} {queries:8d}")
        worst = max(median for _, median, _, _, _ in results)
        wall, failed = fleet_audit(owner, gateways)
        print(
            f"fleet-wide audit on 2 task workers: {gateways} runs in {wall:.1f} s "
            f"({gateways / wall:.1f} audits/s), {failed} not succeeded"
        )
        print(f"fleet: worst page p50 {worst:.0f} ms, fleet audit of {gateways} gateways {wall:.0f} s")
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
