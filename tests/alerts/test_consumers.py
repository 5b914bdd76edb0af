"""AlertsConsumer through the real ASGI stack (origin check, session auth) with WebsocketCommunicator."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from controlpanel.asgi import application
from controlpanel.models import GatewayMembership, Role
from controlpanel.services.alerts import CLOSE_LOGGED_OUT, CLOSE_RESCOPE, ingest_events
from controlpanel.services.memberships import membership_remove, membership_set
from tests.conftest import make_gateway, make_user

from .conftest import ev

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

ORIGIN = (b"origin", b"http://127.0.0.1")


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


async def connect(user=None, *, origin=ORIGIN, path="/ws/alerts/"):
    headers = [origin] if origin else []
    if user is not None:
        headers.append((b"cookie", await session_cookie(user)))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    return communicator, connected


async def test_it_refuses_an_anonymous_handshake():
    await world()
    communicator, connected = await connect(None)
    assert connected is False
    await communicator.disconnect()


@pytest.mark.parametrize("origin", [(b"origin", b"http://evil.example"), None])
async def test_it_refuses_a_foreign_or_missing_origin(origin):
    alice, *_ = await world()
    communicator, connected = await connect(alice, origin=origin)
    assert connected is False
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
    from controlpanel.services import alerts

    monkeypatch.setattr(alerts, "BACKFILL_CAP", 2)
    monkeypatch.setattr(alerts.alert_backfill, "__kwdefaults__", {"cap": 2})
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
    assert (await socket.receive_output(timeout=2))["type"] == "websocket.close"
    await socket.disconnect()


async def test_a_client_asking_too_often_is_closed():
    alice, *_ = await world()
    socket, _ = await connect(alice)
    await socket.send_json_to({"since": 0})
    assert (await socket.receive_json_from(timeout=2))["type"] == "backfill"
    await socket.send_json_to({"since": 0})
    assert await socket.receive_output(timeout=2) == {"type": "websocket.close", "code": 1008}
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
