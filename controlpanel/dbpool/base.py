"""Django's PostgreSQL backend, with one change to its connection pool (``OPTIONS["pool"]``).

Why a pool: under ASGI each request runs its sync code in a fresh thread, so per-thread persistent
connections (``CONN_MAX_AGE``) reconnect, with a SCRAM handshake, on every request: about 20 ms of a
worker's time on the benchmark machine (bench/alerts_latency.py: p99 114 ms without the pool, 69 ms
with it).

Why the change: when a connection taken from the pool fails its check, psycopg_pool discards it and
waits 1 s, then 2 s, 4 s... before trying the next one. After a PostgreSQL restart every idle
connection is dead, so the first requests would wait out the pool timeout and fail. Here a failed
check first sweeps the whole pool (``ConnectionPool.check()``: each idle connection is tested and the
dead ones replaced), so the retry a second later gets a live connection.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import NO_DB_ALIAS
from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self) -> ConnectionPool | None:
        options = self.settings_dict["OPTIONS"].get("pool")
        if self.alias == NO_DB_ALIAS or not options:
            return None
        if self.alias not in self._connection_pools:
            made: dict[str, ConnectionPool] = {}

            def check(conn: Any) -> None:
                try:
                    ConnectionPool.check_connection(conn)
                except Exception:
                    made["pool"].check()  # the others are most likely dead too: replace them now
                    raise

            kwargs = self.get_connection_params()
            kwargs["autocommit"] = True  # as Django's own pool: it sets autocommit itself later
            pool = ConnectionPool(
                kwargs=kwargs,
                open=False,
                configure=self._configure_connection,
                check=check,
                **({} if options is True else options),
            )
            made["pool"] = pool
            self._connection_pools.setdefault(self.alias, pool)
        return self._connection_pools[self.alias]
