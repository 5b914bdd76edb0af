"""Server time and query count of the gateway pages with 100 agents, 500 devices and 1,000 alerts.

Builds a throw-away test database (SQLite, or PostgreSQL with DATABASE_URL), fills one gateway and
renders each page N times through Django's test client. Prints median / p95 server time and queries.

    DJANGO_SETTINGS_MODULE=tests.settings .venv/bin/python bench/gateway_page.py [N]
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        from controlpanel.models import Role
        from tests.conftest import client_for, make_gateway, make_user
        from tests.views.test_query_counts import PAGES, populate

        owner = make_user("bench-owner")
        gateway = make_gateway("bench", members={owner: Role.OWNER})
        populate(gateway, agents=100, devices=500, alerts=1000, requests=20, actor=owner)
        client = client_for(owner)
        print(f"100 agents, 500 devices, 1000 alerts; {rounds} renders per page ({connection.vendor})")
        print(f"{'page':22} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
        for name in PAGES:
            scoped = name not in ("gateway-list", "approvals-inbox", "audit-fleet")
            url = reverse(name, kwargs={"code": gateway.code}) if scoped else reverse(name)
            times = []
            for _ in range(rounds):
                with CaptureQueriesContext(connection) as ctx:
                    start = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (name, response.status_code)
            times.sort()
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            print(f"{name:22} {statistics.median(times):10.1f} {p95:8.1f} {len(ctx.captured_queries):8d}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
