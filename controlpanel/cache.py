"""Django's Redis cache backend, with its connection pools shared by the whole process.

Django keeps cache backends per async context (``asgiref.local.Local``), and each ``RedisCache``
instance opens its own pool. Under ASGI every request is a new context, so every request that
touched the cache made a new backend, a new pool and a new TCP connection to Redis: the ingest
rate limiter paid about 2.5 ms of connect per request (bench/alerts_latency.py with a trace).
Here the pools live at module level, keyed by server and options, so connections are reused.
redis-py's pools are thread-safe and reset themselves in a forked child.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_pools: dict[tuple, dict[int, Any]] = {}
_lock = threading.Lock()


class SharedPoolClient(RedisCacheClient):
    def __init__(self, servers, **options: Any) -> None:
        super().__init__(servers, **options)
        key = (tuple(servers), repr(sorted(options.items(), key=lambda item: item[0])))
        with _lock:
            self._pools = _pools.setdefault(key, {})

    def _get_connection_pool(self, write: bool) -> Any:
        with _lock:  # one pool per server even when two threads ask first at once
            return super()._get_connection_pool(write)


class SharedPoolRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = SharedPoolClient
