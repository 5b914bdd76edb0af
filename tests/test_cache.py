"""The Redis cache backend shares its connection pools across ASGI requests (controlpanel.cache)."""

from __future__ import annotations

from controlpanel.cache import SharedPoolRedisCache

OPTIONS = {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}


def test_backends_of_different_requests_share_one_pool_per_server_and_options():
    # Django makes one backend per async context: each ASGI request used to get a new pool and a
    # new connection to Redis.
    one = SharedPoolRedisCache("redis://127.0.0.1:6399/0", OPTIONS)
    two = SharedPoolRedisCache("redis://127.0.0.1:6399/0", OPTIONS)
    assert one is not two
    pool = one._cache._get_connection_pool(write=True)
    assert two._cache._get_connection_pool(write=True) is pool
    other_db = SharedPoolRedisCache("redis://127.0.0.1:6399/1", OPTIONS)
    assert other_db._cache._get_connection_pool(write=True) is not pool
    other_options = SharedPoolRedisCache("redis://127.0.0.1:6399/0", {"OPTIONS": {"socket_timeout": 5}})
    assert other_options._cache._get_connection_pool(write=True) is not pool
