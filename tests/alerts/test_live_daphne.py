"""The live-alert socket under real daphne processes: close codes autobahn accepts (#19 finding 11),
the origin check with the port (#19 finding 12), and the fast path's fallback when twisted changed
under it (#17 item 4).

One SQLite world (a copy of the migrated test database) and two daphne processes serve the module:
an ordinary one, and one whose twisted renamed a private attribute the fast path reads
(``renamed_twisted_daphne``). The sockets are ``TinyWebSocket``s, which never resync: what they get,
the server pushed live.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time

import pytest
from django.db import connection

from .servers import Server, TinyWebSocket, manage, post_events, server_env

# The tests use no database themselves; the mark has the test database created (the servers' copy).
pytestmark = pytest.mark.django_db

WORLD = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from controlpanel.models import Gateway, GatewayMembership
from controlpanel.services.ingest_tokens import ingest_token_create
user = get_user_model().objects.create_user("live-alice", password="pw-live-alice-long-enough")
gateway = Gateway.objects.create(name="live-alpha")
GatewayMembership.objects.create(user=user, gateway=gateway, role="owner")
sessions = []
for _ in range(4):
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    sessions.append(store.session_key)
token = ingest_token_create(gateway=gateway, name="t", actor=user)[1]
print("WORLD" + json.dumps({"code": str(gateway.code), "token": token, "sessions": sessions}))
"""


@pytest.fixture(scope="module")
def live(tmp_path_factory, django_db_setup, django_db_blocker):
    """(world, ordinary server, server on a renamed twisted); SQLite only (a copy of the test DB)."""
    if connection.vendor != "sqlite":
        pytest.skip("the servers run on a copy of the SQLite test database")
    var = tmp_path_factory.mktemp("live-daphne")
    with django_db_blocker.unblock():
        source = sqlite3.connect(connection.settings_dict["NAME"])
        with sqlite3.connect(var / "controlpanel.sqlite3") as target:
            source.backup(target)  # migrated already: no migrate run per module
        source.close()
    env = server_env(var)  # log level WARNING: what an operator would see
    world = json.loads(manage(env, "shell", "-c", WORLD).split("WORLD", 1)[1])
    ready = "/api/v1/openapi.json"  # no template: pages need collected static files
    plain = Server(env, ready_path=ready)
    renamed = Server(
        env, ready_path=ready, command=[sys.executable, "-m", "tests.alerts.renamed_twisted_daphne"]
    )
    try:
        plain.spawn(), renamed.spawn()  # side by side
        yield world, plain.ready(), renamed.ready()
    finally:
        plain.stop()
        renamed.stop()


def connect(server: Server, world: dict, n: int = 0, **kwargs) -> TinyWebSocket:
    socket = TinyWebSocket(server.port, "/ws/alerts/", world["sessions"][n], **kwargs)
    assert socket.status == 101
    return socket


def post(server: Server, world: dict, agent: str) -> int:
    event = {"type": "exec.denied", "agent": agent}
    return post_events(server.url, world["code"], world["token"], event)["last_event_id"]


def wait_for_log(server: Server, text: str, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while text not in (log := server.log.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return log


@pytest.mark.parametrize(
    "frame,opcode,code",
    [
        (b"x" * 5000, 0x1, 4009),  # larger than a client ever sends (was 1009)
        (b"\x00\x01", 0x2, 4003),  # binary (was 1003)
        (None, 0x1, 4008),  # asking again within a second (was 1008)
    ],
)
def test_the_server_closes_with_a_code_the_client_receives_and_logs_no_traceback(live, frame, opcode, code):
    world, plain, _ = live
    socket = connect(plain, world, n=1)
    if frame is None:
        socket.send(b'{"since": 0}')
        assert socket.recv_json()["type"] == "backfill"
        socket.send(b'{"since": 0}')
    else:
        socket.send(frame, opcode=opcode)
    assert socket.recv_close() == code
    socket.close()
    log = plain.log.read_text()
    assert "Traceback" not in log and "Exception inside application" not in log, log[-3000:]


def test_an_origin_on_another_port_is_refused_by_the_real_server(live):
    world, plain, _ = live
    other_port = TinyWebSocket(
        plain.port, "/ws/alerts/", world["sessions"][1], origin=f"http://127.0.0.1:{plain.port + 1}"
    )
    assert other_port.status == 403
    other_port.close()
    assert connect(plain, world, n=1).status == 101


def test_on_a_twisted_that_changed_the_alert_still_arrives_at_once_with_one_warning(live):
    world, _, renamed = live
    socket = connect(renamed, world, n=2)
    first = post(renamed, world, "renamed-1")
    got = socket.recv_json(timeout=5)  # no resync from this client: only a live push gets here
    assert (got["id"], got["title"]) == (first, "exec.denied renamed-1")
    second = post(renamed, world, "renamed-2")
    assert socket.recv_json(timeout=5)["id"] == second
    other = connect(renamed, world, n=3)
    third = post(renamed, world, "renamed-3")
    assert socket.recv_json(timeout=5)["id"] == third and other.recv_json(timeout=5)["id"] == third
    socket.close()
    other.close()
    log = wait_for_log(renamed, "fast path")
    # The panel logs at WARNING (its records are bare messages; daphne's access log goes there too).
    warnings = [line for line in log.splitlines() if line.startswith("alerts:")]
    assert len(warnings) == 1 and "fast path" in warnings[0] and "_tempDataLen" in warnings[0], log[-3000:]
    assert "Traceback" not in log, log[-3000:]
