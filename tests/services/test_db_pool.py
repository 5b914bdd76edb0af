"""PostgreSQL connection pool (one per worker): a database restart must not fail the next requests."""

from __future__ import annotations

import os
import time

import pytest

DB_URL = os.environ.get("CP_TEST_DATABASE_URL", "")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not DB_URL, reason="needs CP_TEST_DATABASE_URL"),
    pytest.mark.django_db(transaction=True),
]


def test_after_every_pooled_connection_died_the_next_request_gets_a_live_one():
    import psycopg
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL set)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    connection.close()  # back to the pool, as at the end of a request
    # What a PostgreSQL restart does: every connection to the database is gone, the pool's included.
    with psycopg.connect(DB_URL, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            [connection.settings_dict["NAME"]],
        ).fetchall()
    assert len(killed) >= 1
    started = time.monotonic()
    with connection.cursor() as cursor:  # the next request: no error, and no wait for the pool timeout
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
    assert time.monotonic() - started < 5
