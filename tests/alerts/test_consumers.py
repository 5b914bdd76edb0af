"""AlertsConsumer through the real ASGI stack (origin check, session auth) with WebsocketCommunicator."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from controlpanel.asgi import application
from controlpanel.live.groups import CLOSE_LOGGED_OUT, CLOSE_RESCOPE, CLOSE_TOO_BIG, CLOSE_TOO_FAST
from controlpanel.models import GatewayMembership, Role
from controlpanel.services.alerts import ingest_events
from controlpanel.services.memberships import membership_remove, membership_set
from tests.conftest import make_gateway, make_user

from .conftest import ev

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

# What a browser on http://127.0.0.1:8000 sends: its own origin, and the host it connected to.
ORIGIN = (b"origin", b"http://127.0.0.1:8000")
HOST = (b"host", b"127.0.0.1:8000")


@sync_to_async
def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


@sync_to_async
def world():
    """alice owns alpha, bob is admin of alpha, charlie is admin of bravo only."""
    alice, bob, charlie = make_user("alice"), make_user("bob"), make_user("charlie")
    alpha = make_gateway("alpha", members={alice: Role.OWNER, bob: Role.ADMIN})
    bravo = make_gateway("bravo", members={alice: Role.OWNER, charlie: Role.ADMIN})
    return alice, bob, charlie, alpha, bravo


@sync_to_async
def ingest(gateway, agent="main", n=1):
    return ingest_events(gateway=gateway, events=[ev(type="exec.denied", agent=agent) for _ in range(n)])


async def connect(user=None, *, origin=ORIGIN, path="/ws/alerts/", host=HOST, cookie=None):
    headers = [h for h in (origin, host) if h]
    if user is not None:
        headers.append((b"cookie", cookie or await session_cookie(user)))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    return communicator, connected


async def test_it_refuses_an_anonymous_handshake():
    await world()
    communicator, connected = await connect(None)
    assert connected is False
    await communicator.disconnect()


@pytest.mark.parametrize(
    "origin",
    [
        b"http://evil.example",
        b"http://127.0.0.1:9999",  # the panel's host on another port (#19 finding 12)
        b"http://127.0.0.1",  # ... on the default port
        b"https://127.0.0.1:8000",  # ... with another scheme
        b"http://localhost:8000",  # an allowed host, but not the one the browser is on
        b"null",
        b"http://127.0.0.1:8000/path",
        None,
    ],
)
async def test_it_refuses_any_origin_but_the_panels_own(origin):
    alice, *_ = await world()
    communicator, connected = await connect(alice, origin=(b"origin", origin) if origin else None)
    assert connected is False
    await communicator.disconnect()


@pytest.mark.parametrize(
    "host,origin",
    [
        (b"127.0.0.1:8000", b"http://127.0.0.1:8000"),
        (b"LOCALHOST:8000", b"http://localhost:8000"),
        (b"127.0.0.1", b"http://127.0.0.1:80"),  # the default port, written or not
    ],
)
async def test_it_accepts_the_origin_of_the_host_the_browser_is_on(host, origin):
    alice, *_ = await world()
    communicator, connected = await connect(alice, origin=(b"origin", origin), host=(b"host", host))
    assert connected is True
    await communicator.disconnect()


async def test_a_host_outside_allowed_hosts_is_refused_even_with_a_matching_origin():
    alice, *_ = await world()
    communicator, connected = await connect(
        alice, origin=(b"origin", b"http://evil.example"), host=(b"host", b"evil.example")
    )
    assert connected is False
    await communicator.disconnect()


async def test_a_trusted_origin_is_accepted_by_scheme_host_and_port(settings):
    # Behind a proxy that rewrites Host, the public origin is listed in CSRF_TRUSTED_ORIGINS.
    settings.CSRF_TRUSTED_ORIGINS = ["https://panel.example.org"]
    alice, *_ = await world()
    trusted = (b"origin", b"https://panel.example.org")
    communicator, connected = await connect(alice, origin=trusted)
    assert connected is True
    await communicator.disconnect()
    for other in (b"https://panel.example.org:8443", b"http://panel.example.org"):
        communicator, connected = await connect(alice, origin=(b"origin", other))
        assert connected is False, other
        await communicator.disconnect()


async def test_each_user_gets_exactly_the_alerts_of_gateways_visible_to_them():
    alice, bob, charlie, alpha, bravo = await world()
    sockets = {u.username: (await connect(u))[0] for u in (alice, bob, charlie)}
    await ingest(bravo, agent="bravo-agent")
    got = await sockets["charlie"].receive_json_from(timeout=2)
    assert (
        got["type"] == "alert"
        and got["gateway"] == str(bravo.code)
        and got["title"] == "exec.denied bravo-agent"
    )
    assert "gateway_id" not in got
    assert (await sockets["alice"].receive_json_from(timeout=2))["id"] == got["id"]
    # bob (admin of alpha only) gets nothing of bravo.
    assert await sockets["bob"].receive_nothing(timeout=0.3)
    await ingest(alpha)
    assert (await sockets["bob"].receive_json_from(timeout=2))["gateway"] == str(alpha.code)
    assert await sockets["charlie"].receive_nothing(timeout=0.3)
    for s in sockets.values():
        await s.disconnect()


@sync_to_async
def ingest_agents(gateway, agents):
    return ingest_events(gateway=gateway, events=[ev(type="exec.denied", agent=a) for a in agents])


async def test_a_batch_arrives_as_one_frame_with_its_events_in_id_order():
    alice, _, _, alpha, _ = await world()
    socket, _ = await connect(alice)
    result = await ingest_agents(alpha, ["a", "b", "c"])
    got = await socket.receive_json_from(timeout=2)
    assert got["type"] == "alerts"
    assert [e["id"] for e in got["events"]] == result.event_ids
    assert [e["title"] for e in got["events"]] == ["exec.denied a", "exec.denied b", "exec.denied c"]
    assert await socket.receive_nothing(timeout=0.2)
    await socket.disconnect()


async def test_the_pushed_fragment_is_escaped():
    alice, _, _, alpha, _ = await world()
    socket, _ = await connect(alice)
    await ingest(alpha, agent="<img src=x onerror=alert(1)>")
    got = await socket.receive_json_from(timeout=2)
    assert "<img" not in got["html"] and "&lt;img src=x" in got["html"]
    await socket.disconnect()


async def test_reconnect_backfills_what_arrived_meanwhile_with_truncation():
    alice, _, charlie, alpha, bravo = await world()
    first = (await ingest(alpha, agent="a0")).event_ids[0]
    for i in range(1, 4):
        await ingest(alpha, agent=f"a{i}")
    await ingest(bravo, agent="not-for-alpha-only")  # alice sees bravo too; charlie sees only bravo
    socket, connected = await connect(alice, path=f"/ws/alerts/?since={first}")
    assert connected
    backfill = await socket.receive_json_from(timeout=2)
    assert backfill["type"] == "backfill" and backfill["truncated"] is False
    assert [e["title"] for e in backfill["events"]] == [
        "exec.denied a1",
        "exec.denied a2",
        "exec.denied a3",
        "exec.denied not-for-alpha-only",
    ]
    ids = [e["id"] for e in backfill["events"]]
    assert ids == sorted(ids)
    await socket.disconnect()

    other, _ = await connect(charlie)
    await other.send_json_to({"since": 0})
    only_bravo = await other.receive_json_from(timeout=2)
    assert [e["title"] for e in only_bravo["events"]] == ["exec.denied not-for-alpha-only"]
    await other.disconnect()


async def test_backfill_is_capped_with_a_truncated_flag(monkeypatch):
    from controlpanel import selectors

    monkeypatch.setattr(selectors, "BACKFILL_CAP", 2)
    monkeypatch.setattr(selectors.alert_backfill, "__kwdefaults__", {"cap": 2})
    alice, _, _, alpha, _ = await world()
    for i in range(5):
        await ingest(alpha, agent=f"a{i}")
    socket, _ = await connect(alice, path="/ws/alerts/?since=0")
    backfill = await socket.receive_json_from(timeout=2)
    assert backfill["truncated"] is True
    assert [e["title"] for e in backfill["events"]] == ["exec.denied a3", "exec.denied a4"]
    await socket.disconnect()


async def test_it_ignores_malformed_client_messages():
    alice, *_ = await world()
    socket, _ = await connect(alice)
    await socket.send_json_to({"since": 1, "extra": True})
    assert (await socket.receive_json_from(timeout=2))["type"] == "error"
    await asyncio.sleep(1.05)
    await socket.send_to(text_data="x" * 5000)
    assert await socket.receive_output(timeout=2) == {"type": "websocket.close", "code": CLOSE_TOO_BIG}
    await socket.disconnect()


async def test_a_client_asking_too_often_is_closed():
    alice, *_ = await world()
    socket, _ = await connect(alice)
    await socket.send_json_to({"since": 0})
    assert (await socket.receive_json_from(timeout=2))["type"] == "backfill"
    await socket.send_json_to({"since": 0})
    assert await socket.receive_output(timeout=2) == {"type": "websocket.close", "code": CLOSE_TOO_FAST}
    await socket.disconnect()


async def test_removing_a_membership_closes_the_socket_and_stops_its_alerts():
    alice, bob, _, alpha, _ = await world()
    socket, _ = await connect(bob)
    membership = await sync_to_async(GatewayMembership.objects.select_related("gateway", "user").get)(
        user=bob, gateway=alpha
    )
    await sync_to_async(membership_remove)(membership=membership, actor=alice)
    closed = await socket.receive_output(timeout=2)
    assert closed == {"type": "websocket.close", "code": CLOSE_RESCOPE}
    await socket.disconnect()
    # Reconnecting gives the new scope: nothing of alpha any more.
    socket, connected = await connect(bob)
    assert connected
    await ingest(alpha)
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


async def test_a_role_change_rescopes_open_sockets_at_once():
    alice, _, charlie, alpha, _ = await world()
    socket, _ = await connect(charlie)
    await ingest(alpha)
    assert await socket.receive_nothing(timeout=0.3)
    await sync_to_async(membership_set)(gateway=alpha, username="charlie", role=Role.VIEWER, actor=alice)
    await socket.receive_nothing(timeout=0.3)  # let the re-scope land
    await ingest(alpha, agent="after")
    got = await socket.receive_json_from(timeout=2)
    assert got["title"] == "exec.denied after"
    await socket.disconnect()


async def test_logout_closes_the_users_sockets_with_the_auth_code():
    alice, *_ = await world()
    socket, _ = await connect(alice)

    @sync_to_async
    def logout():
        client = Client()
        client.force_login(alice)
        client.post("/logout/")

    await logout()
    assert await socket.receive_output(timeout=2) == {"type": "websocket.close", "code": CLOSE_LOGGED_OUT}
    await socket.disconnect()


# --- a socket lives no longer than its session (#19 finding 5) -----------------------------------------


@sync_to_async
def logged_in_session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@sync_to_async
def expire_in(session_key: str, seconds: int) -> None:
    """Have the session expire ``seconds`` from now, as saving it with ``set_expiry`` does."""
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    store.set_expiry(seconds)
    store.save()


def cookie_of(session_key: str) -> bytes:
    return f"{settings.SESSION_COOKIE_NAME}={session_key}".encode()


async def assert_live(socket, gateway, agent: str) -> None:
    await ingest(gateway, agent=agent)
    assert (await socket.receive_json_from(timeout=5))["title"] == f"exec.denied {agent}"


async def test_deactivating_the_user_closes_their_sockets():
    alice, *_ = await world()
    socket, _ = await connect(alice)

    @sync_to_async
    def deactivate():
        alice.is_active = False
        alice.save()

    await deactivate()
    assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": CLOSE_LOGGED_OUT}
    await socket.disconnect()


async def test_changing_the_password_closes_the_sockets_of_other_sessions_only_once_they_are_stale():
    alice, _, _, alpha, _ = await world()
    socket, _ = await connect(alice)

    @sync_to_async
    def save(**fields):
        for name, value in fields.items():
            setattr(alice, name, value)
        alice.save()

    await save(first_name="Alice")  # not a change of credentials: the socket stays
    await assert_live(socket, alpha, "still-live")

    @sync_to_async
    def change_password():
        alice.set_password("a-new-password-long-enough")
        alice.save()

    await change_password()
    assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": CLOSE_LOGGED_OUT}
    await socket.disconnect()


async def test_deleting_the_session_closes_its_socket_and_no_other():
    alice, _, _, alpha, _ = await world()
    first, second = await logged_in_session(alice), await logged_in_session(alice)
    doomed, _ = await connect(alice, cookie=cookie_of(first))
    kept, _ = await connect(alice, cookie=cookie_of(second))

    @sync_to_async
    def delete_session():
        from django.contrib.sessions.models import Session

        Session.objects.filter(session_key=first).delete()

    await delete_session()
    assert await doomed.receive_output(timeout=5) == {"type": "websocket.close", "code": CLOSE_LOGGED_OUT}
    await assert_live(kept, alpha, "other-session")
    await doomed.disconnect()
    await kept.disconnect()


async def test_a_socket_closes_when_its_session_expires():
    alice, *_ = await world()
    key = await logged_in_session(alice)

    await expire_in(key, 2)
    socket, connected = await connect(alice, cookie=cookie_of(key))
    assert connected
    assert await socket.receive_output(timeout=10) == {"type": "websocket.close", "code": CLOSE_LOGGED_OUT}
    await socket.disconnect()


async def test_an_expiry_pushed_later_keeps_the_socket_open():
    alice, _, _, alpha, _ = await world()
    key = await logged_in_session(alice)

    await expire_in(key, 2)
    socket, _ = await connect(alice, cookie=cookie_of(key))
    await expire_in(key, 3600)  # the user was active meanwhile (the session was saved again)
    assert await socket.receive_nothing(timeout=3)
    await assert_live(socket, alpha, "after-first-expiry")
    await socket.disconnect()
