"""Faults and load (issue #8): real daphne workers on PostgreSQL + Redis, real sockets, real faults.

Events stream in over the ingest API (one new AlertEvent per POST: a distinct agent each time)
while Redis is killed and restarted, or while a worker is restarted. Every socket must end up with
every id the API returned: zero lost. The clients never send the browser's 25 s resync
(``resync=None``), so only the server's own mechanisms (doorbells, connect backfill, the worker's
alert hub) can deliver. Both tests use a private redis-server, so a fault never touches the
shared Redis or pushes our test alerts into someone else's benchmark sockets.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import threading
import time
import urllib.error

import pytest

from . import servers
from .conftest import in_fresh_loop
from .servers import AlertClient, RedisServer, Server, post_events, server_env, session_for, setup_world

DB_URL = os.environ.get("CP_TEST_DATABASE_URL", "")

# The fault tests start servers; the doorbell-watch unit tests at the end need nothing.
REAL_SERVERS = [
    pytest.mark.postgres,
    pytest.mark.skipif(not DB_URL, reason="needs CP_TEST_DATABASE_URL"),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server (.ci/services)"),
]


def real_servers(test):
    """Mark a test that starts daphne workers on PostgreSQL and a private redis-server."""
    for mark in REAL_SERVERS:
        test = mark(test)
    return test


RATE = 7.0  # POSTs per second
CATCH_UP = 15.0  # seconds a client may take to have everything once the fault is over
BACKOFF = {"base": 0.25, "cap": 2.0}  # the browser's algorithm; smaller numbers keep the test short


@pytest.fixture
def scratch_database():
    """A fresh PostgreSQL database for the servers (dropped afterwards); returns its URL."""
    with servers.scratch_database(DB_URL, "cp_faults") as url:
        yield url


@pytest.fixture
def redis(tmp_path):
    """A private redis-server (killed afterwards, whatever the test did to it)."""
    server = RedisServer(tmp_path).start()
    yield server
    server.kill()


class Stream(threading.Thread):
    """POSTs one event at ``RATE`` per second through ``url`` until stopped; records every answer."""

    def __init__(self, url: str, gateway: dict) -> None:
        super().__init__(daemon=True)
        self.url, self.gateway = url, gateway
        self.posted: list[tuple[int, float, str]] = []  # (event id, monotonic time, phase)
        self.errors: list[str] = []
        self.slowest = 0.0  # seconds, the slowest POST
        self.phase = "before"
        self.stopping = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.stopping.is_set():
            started = time.monotonic()
            n += 1
            try:
                body = {"type": "exec.denied", "agent": f"fault-{n}"}
                answer = post_events(self.url, self.gateway["code"], self.gateway["token"], body)
                assert answer["accepted"] == 1 and answer["alerts_created"] == 1, answer
                self.posted.append((answer["last_event_id"], time.monotonic(), self.phase))
            except (OSError, urllib.error.HTTPError, AssertionError) as exc:
                self.errors.append(f"{self.phase}: {exc!r}")
            self.slowest = max(self.slowest, time.monotonic() - started)
            self.stopping.wait(max(0.0, 1 / RATE - (time.monotonic() - started)))

    def ids(self, phase: str | None = None) -> set[int]:
        return {pk for pk, _, p in self.posted if phase in (None, p)}

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=15)


def stored_ids(database_url: str) -> set[int]:
    """Every AlertEvent id in the servers' database (the record the counts are checked against)."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM controlpanel_alertevent")}


def lateness(client: AlertClient, stream: Stream) -> float:
    """Return the worst delay, in seconds, between an ingest answer and the client having that id."""
    return max(client.seen[pk][1] - at for pk, at, _ in stream.posted)


@real_servers
@pytest.mark.parametrize("layer", ["pubsub", "core"])
def test_redis_killed_mid_stream_loses_no_alert(tmp_path, scratch_database, redis, layer):
    """pubsub: sockets stay open but deaf while Redis is down, and the worker's alert hub sends
    what they missed from the database. core: the consumers' receive fails, sockets close (1011),
    handshakes fail (500) until Redis is back, then the clients reconnect and backfill."""
    env = server_env(tmp_path, DATABASE_URL=scratch_database, REDIS_URL=redis.url, CP_CHANNEL_LAYER=layer)
    world = setup_world(env)
    session = session_for(env, "alice")
    worker_a, worker_b = Server(env).start(), Server(env).start()
    clients = [AlertClient(w.port, session, resync=None, **BACKOFF).start() for w in (worker_a, worker_b) * 2]
    stream = Stream(worker_a.url, world["alpha"])
    try:
        assert all(c.connected.wait(10) for c in clients)
        stream.start()
        time.sleep(2)
        redis.kill()
        stream.phase = "redis down"
        time.sleep(1)
        # A socket that drops during the outage must come back by itself once Redis does.
        clients[-1].kick()
        time.sleep(2.5)
        stream.phase = "redis back"
        redis.start()
        back = time.monotonic()
        time.sleep(4)
        stream.phase = "after"
        time.sleep(2)
        stream.stop()

        # Ingest never stopped: every POST was a 202 (database first) and answered quickly.
        assert stream.errors == []
        assert stream.slowest < 2.0
        assert len(stream.ids("redis down")) >= 10
        assert stream.ids() == stored_ids(scratch_database)
        for client in clients:
            assert client.wait_for(stream.ids(), timeout=back + CATCH_UP - time.monotonic()) == set()
            # Promptly, not by a 25 s resync: no id waited more than a few seconds.
            assert lateness(client, stream) < 10.0
            # The outage's events came from the database (alert hub or connect backfill) ...
            assert {client.seen[pk][0] for pk in stream.ids("redis down")} == {"backfill"}
            if layer == "pubsub":
                # ... and once Redis is back the doorbells work again on the same sockets (the layer
                # re-subscribed). With the core layer the sockets are new ones, reconnected at a
                # jittered moment: a late one gets even the "after" events from its connect backfill.
                assert {client.seen[pk][0] for pk in stream.ids("after")} & {"alert", "alerts"}
        for client in clients[:-1]:
            if layer == "pubsub":
                assert client.connections == 1, client.failures
            else:
                assert client.connections >= 2 and "closed: close 1011" in client.failures
        kicked = clients[-1]
        assert kicked.connections == 2, kicked.failures
        assert "handshake: 500" in kicked.failures, "the handshake fails while Redis is down"
        assert kicked.attempts > kicked.connections
    finally:
        stream.stop()
        for client in clients:
            client.stop()
        worker_a.stop()
        worker_b.stop()


@real_servers
def test_a_worker_restarted_mid_stream_loses_no_alert(tmp_path, scratch_database, redis):
    env = server_env(tmp_path, DATABASE_URL=scratch_database, REDIS_URL=redis.url)
    world = setup_world(env)
    session = session_for(env, "alice")
    worker_a, worker_b = Server(env).start(), Server(env).start()
    on_a = [AlertClient(worker_a.port, session, resync=None, **BACKOFF).start() for _ in range(2)]
    on_b = [AlertClient(worker_b.port, session, resync=None, **BACKOFF).start() for _ in range(3)]
    stream = Stream(worker_a.url, world["alpha"])
    try:
        assert all(c.connected.wait(10) for c in on_a + on_b)
        stream.start()
        time.sleep(2)
        stream.phase = "b down"
        worker_b.stop()  # SIGTERM
        time.sleep(1.5)
        stream.phase = "b starting"
        worker_b = Server(env, port=worker_b.port).start()
        back = time.monotonic()
        stream.phase = "after"
        time.sleep(3)
        stream.stop()

        assert stream.errors == []
        assert len(stream.ids("b down") | stream.ids("b starting")) >= 10
        assert stream.ids() == stored_ids(scratch_database)
        for client in on_a + on_b:
            assert client.wait_for(stream.ids(), timeout=back + CATCH_UP - time.monotonic()) == set()
        for client in on_a:
            assert client.connections == 1, client.failures
        for client in on_b:
            assert client.connections == 2, client.failures
            # Backoff: the port was refused at least once and the client waited between attempts.
            assert client.attempts > client.connections, client.failures
            assert sum(d > 0 for d in client.delays) >= 2
            # What B's clients missed while away came from the reconnect's backfill.
            assert "backfill" in {client.seen[pk][0] for pk in stream.ids("b down")}
    finally:
        stream.stop()
        for client in on_a + on_b:
            client.stop()
        worker_a.stop()
        worker_b.stop()


# --- the alert hub's bookkeeping, without servers ---------------------------------------------


class FakeSocket:
    def __init__(self, *gateway_ids: int, synced_to: int = 1) -> None:
        self.gateway_ids = set(gateway_ids)
        self.synced_to = synced_to
        self.frames: list[dict] = []

    async def push(self, gateway_id: int, text: str, shared: dict | None = None) -> None:
        if gateway_id in self.gateway_ids:
            self.frames.append(json.loads(text))


@pytest.fixture
def fake_database(monkeypatch):
    """The hub's reads, served from a list of (event id, gateway id) rows."""
    from controlpanel.live import hub

    rows: list[tuple[int, int]] = [(1, 7)]

    def new_ids(*, gateway_ids: set[int], since: int, limit: int) -> list[tuple[int, int]]:
        return [(pk, g) for pk, g in rows if pk > since and g in gateway_ids][:limit]

    def backfill(*, gateway_ids, since):
        events = [{"id": pk, "gateway_id": g, "title": f"t{pk}"} for pk, g in rows if pk > since]
        return [e for e in events if e["gateway_id"] in gateway_ids], False

    monkeypatch.setattr(hub, "alert_event_ids_after", new_ids)
    monkeypatch.setattr(hub, "alert_backfill", backfill)
    return rows


def test_the_watch_sends_only_the_events_whose_doorbell_never_came(fake_database):
    in_fresh_loop(lambda: _watch_sends_only_lost_events(fake_database))


async def _watch_sends_only_lost_events(fake_database) -> None:
    from controlpanel.live.hub import AlertHub

    watch = AlertHub(layer=None, grace=0.2)
    alpha, bravo = FakeSocket(7), FakeSocket(8)
    watch.watch(alpha)
    watch.watch(bravo)
    assert await watch.check() == 0  # first look: everything up to id 1 is the sockets' own backfill
    fake_database.extend([(2, 7), (3, 7), (4, 8)])
    watch.heard([2])  # rung before the watch read it
    assert await watch.check() == 0  # 3 and 4 are read but still within the grace period
    watch.heard([4])  # late, but within the grace period
    await asyncio.sleep(0.25)
    assert await watch.check() == 1
    assert alpha.frames == [
        {"type": "backfill", "events": [{"type": "alert", "id": 3, "title": "t3"}], "truncated": False}
    ]
    assert bravo.frames == []
    assert await watch.check() == 0  # sent once
    assert watch.missed == 1


def test_an_event_committed_before_the_watch_first_looks_is_still_checked(fake_database):
    in_fresh_loop(lambda: _event_before_first_look(fake_database))


async def _event_before_first_look(fake_database) -> None:
    from controlpanel.live.hub import AlertHub

    # The socket joined its groups when id 1 was the latest (its backfill covered that); id 2 was
    # committed before the watch's first poll, and its doorbell was lost (Redis just restarted).
    watch = AlertHub(layer=None, grace=0.0)
    socket = FakeSocket(7, synced_to=1)
    watch.watch(socket)
    fake_database.append((2, 7))
    assert await watch.check() == 1
    assert [e["id"] for e in socket.frames[0]["events"]] == [2]


def test_doorbell_ids_reads_the_ids_or_else_the_frame():
    from controlpanel.live.frames import doorbell_ids

    single = {"type": "alert.event", "text": json.dumps({"type": "alert", "id": 5})}
    batch = {"type": "alert.event", "text": json.dumps({"type": "alerts", "events": [{"id": 6}, {"id": 7}]})}
    assert doorbell_ids(single) == [5]
    assert doorbell_ids(batch) == [6, 7]
    assert doorbell_ids({"type": "alert.event", "ids": [8, "x", 9], "text": "{}"}) == [8, 9]
    assert doorbell_ids({"type": "alert.event", "text": "not json"}) == []


def test_one_hub_per_event_loop_and_layer_polling_only_network_layers():
    from channels.layers import InMemoryChannelLayer

    from controlpanel.live.hub import alert_hub

    async def check() -> None:
        layer, network = InMemoryChannelLayer(), object()
        assert alert_hub(None) is None
        assert alert_hub(layer) is alert_hub(layer)  # one per event loop
        assert alert_hub(layer).recover is False  # an in-process layer cannot lose a doorbell
        assert alert_hub(network) is not alert_hub(layer)  # a replaced layer gets a new hub
        assert alert_hub(network).recover is True

    in_fresh_loop(check)


class FakeLayer:
    """The channel-layer calls the hub makes, recorded; ``receive`` waits forever."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    async def new_channel(self) -> str:
        return "hub!1"

    async def group_add(self, group: str, channel: str) -> None:
        self.calls.append(("add", group))

    async def group_discard(self, group: str, channel: str) -> None:
        self.calls.append(("discard", group))

    async def receive(self, channel: str) -> dict:
        await asyncio.Event().wait()
        return {}


def test_the_hub_fans_out_to_the_sockets_of_the_gateway_and_follows_rescopes():
    in_fresh_loop(_hub_fan_out)


async def _hub_fan_out() -> None:
    from controlpanel.live.hub import AlertHub

    layer = FakeLayer()
    hub = AlertHub(layer, poll=3600)
    alpha, both, bravo = FakeSocket(7), FakeSocket(7, 8), FakeSocket(8)
    for socket in (alpha, both, bravo):
        await hub.subscribe(socket)
    assert sorted(layer.calls) == [("add", "alerts.gw-7"), ("add", "alerts.gw-8")]  # once each
    frame = {"type": "alert", "id": 3}
    await hub.fan_out({"type": "alert.event", "gateway_id": 7, "ids": [3], "text": json.dumps(frame)})
    assert alpha.frames == [frame] and both.frames == [frame] and bravo.frames == []
    # A re-scope: ``both`` no longer sees 7; ``bravo`` closes. Gateway 8 has nobody left here.
    both.gateway_ids = {8}
    await hub.subscribe(both)
    hub.unsubscribe(bravo)
    await hub.fan_out({"type": "alert.event", "gateway_id": 7, "ids": [4], "text": json.dumps(frame)})
    assert len(alpha.frames) == 2 and len(both.frames) == 1
    both.gateway_ids = set()
    await hub.subscribe(both)
    await hub.follow()
    assert layer.calls[-1] == ("discard", "alerts.gw-8")
    assert hub.joined == {7}
    for task in hub._tasks:
        task.cancel()


# --- ingest while the rate-limit cache is down -----------------------------------------------------


class DeadCache:
    """A cache whose server is gone (what django's RedisCache does with Redis down)."""

    def incr(self, key, delta=1):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    add = incr


@pytest.mark.django_db
def test_ingest_keeps_storing_with_the_cache_down_and_limits_per_process(alpha, alice, monkeypatch, settings):
    from django.test import Client
    from django.urls import reverse

    from controlpanel.models import AlertEvent
    from controlpanel.services.ingest_tokens import ingest_token_create
    from controlpanel.views import ingest

    monkeypatch.setattr(ingest, "cache", DeadCache())
    monkeypatch.setattr(ingest, "_local", ingest._LocalCounts())
    settings.CP_INGEST_RATE_PER_MINUTE = 3
    _, token = ingest_token_create(gateway=alpha, name="shipper", actor=alice)
    statuses = [
        Client()
        .post(
            reverse("api-ingest-events", kwargs={"code": alpha.code}),
            data=json.dumps({"type": "exec.denied", "agent": f"a{n}"}),
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
        .status_code
        for n in range(4)
    ]
    # Fails open to this process's own count: stored, and a runaway sender is still stopped.
    assert statuses == [202, 202, 202, 429]
    assert AlertEvent.objects.filter(gateway=alpha).count() == 3
