"""Scale-out for real: two daphne workers on PostgreSQL + Redis; an event ingested through worker A
reaches a socket held by worker B. Runs when CP_TEST_DATABASE_URL and CP_TEST_REDIS_URL are set."""

from __future__ import annotations

import os

import pytest

from . import servers
from .servers import Server, TinyWebSocket, post_events, server_env, session_for, setup_world

DB_URL = os.environ.get("CP_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("CP_TEST_REDIS_URL", "")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not (DB_URL and REDIS_URL), reason="needs CP_TEST_DATABASE_URL and CP_TEST_REDIS_URL"),
]


@pytest.fixture
def scratch_database():
    """A fresh PostgreSQL database for the servers (dropped afterwards); returns its URL."""
    with servers.scratch_database(DB_URL, "cp_scale") as url:
        yield url


def test_an_event_ingested_on_worker_a_reaches_a_socket_on_worker_b(tmp_path, scratch_database):
    env = server_env(tmp_path, DATABASE_URL=scratch_database, REDIS_URL=REDIS_URL)
    world = setup_world(env)
    session = session_for(env, "alice")
    worker_a, worker_b = Server(env).start(), Server(env).start()
    try:
        socket = TinyWebSocket(worker_b.port, "/ws/alerts/", session)
        assert socket.status == 101
        alpha = world["alpha"]
        accepted = post_events(
            worker_a.url, alpha["code"], alpha["token"], {"type": "exec.denied", "agent": "x-ab"}
        )
        got = socket.recv_json(timeout=5)
        assert got["type"] == "alert" and got["title"] == "exec.denied x-ab"
        assert got["id"] == accepted["last_event_id"]
        socket.close()
        # charlie (bravo only) connected to worker B gets nothing of alpha.
        other = TinyWebSocket(worker_b.port, "/ws/alerts/", session_for(env, "charlie"))
        post_events(worker_a.url, alpha["code"], alpha["token"], {"type": "exec.denied", "agent": "x-2"})
        with pytest.raises(TimeoutError):
            other.recv_json(timeout=1)
        other.close()
    finally:
        worker_a.stop()
        worker_b.stop()
