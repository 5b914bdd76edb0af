"""WebSocket consumers. Thin: they subscribe to the worker's alert hub, forward its frames and replay
the backfill.

Which gateways a socket may see is ``Gateway.objects.visible_to(user)``, computed at connect and
again whenever the services send a re-scope; every frame is checked against that set, so a hub
subscription that outlived a permission change delivers nothing.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from pydantic import BaseModel, ConfigDict, Field, ValidationError

try:  # daphne's transport (twisted is daphne's dependency; the write fast path needs nothing else)
    from twisted.internet.tcp import Connection as _TcpConnection
except ImportError:  # pragma: no cover - another ASGI server without twisted installed
    _TcpConnection = None

from controlpanel.alert_hub import alert_hub, client_message, latest_event_id
from controlpanel.models import Gateway
from controlpanel.services.alerts import (
    CLOSE_LOGGED_OUT,
    alert_backfill,
    user_group,
)

MAX_FRAME = 1024  # the client only ever sends {"since": <id>}
MIN_RESYNC_SECONDS = 1.0  # each message costs a query: a client asking faster is closed (1008)


def daphne_wire(send: Any) -> Any | None:
    """Return daphne's WebSocket protocol (autobahn) under the ASGI ``send`` a consumer got, or None.

    Under daphne, ``send`` is Channels' session wrapper around ``partial(Server.handle_reply,
    protocol)``. The alert fan-out writes a hub's frame to each socket through the protocol as one
    prepared message (framed once per doorbell for all sockets, ``sendPreparedMessage``) instead of
    a ``websocket.send`` through the middleware, daphne and autobahn per socket: that chain cost
    about 80 µs per socket, and a doorbell reaches 100 sockets per worker. Anything else (another
    server, tests' communicators, a changed daphne) returns None and the consumer uses ``send``.
    """
    seen = 0
    while (inner := getattr(getattr(send, "__self__", None), "real_send", None)) is not None and seen < 8:
        send, seen = inner, seen + 1  # Channels' session wrappers, outermost first
    if not isinstance(send, functools.partial) or getattr(send.func, "__name__", "") != "handle_reply":
        return None
    if type(getattr(send.func, "__self__", None)).__module__ != "daphne.server" or len(send.args) != 1:
        return None
    wire = send.args[0]
    needed = ("sendPreparedMessage", "STATE_OPEN", "factory")
    return wire if all(hasattr(wire, name) for name in needed) else None


def write_prepared(wire: Any, prepared: Any) -> None:
    """Write a prepared frame to daphne's protocol ``wire``: onto its socket at once when it can.

    ``sendPreparedMessage`` hands the bytes to twisted, which buffers them, registers the socket with
    the event loop and writes them on the loop's next turn (``doWrite``, then unregisters it): three
    system calls and about 50 µs of Python per socket, and the first byte leaves only after the whole
    fan-out. When nothing is queued ahead (no autobahn send queue, no compression, twisted's buffer
    empty, the connection open), the frame goes straight to the non-blocking socket here: one
    ``send``. What the kernel does not take, and every other case, goes through twisted as before,
    behind anything already buffered, so frames keep their order.
    """
    transport = getattr(wire, "transport", None)
    data = prepared.payloadHybi
    if (
        _TcpConnection is not None
        and isinstance(transport, _TcpConnection)
        # Read defensively: an autobahn without these falls back to its own send, never raises.
        and getattr(wire, "_perMessageCompress", True) is None
        and not getattr(wire, "send_queue", True)
        and transport.connected
        and not transport.disconnecting
        and not transport._writeDisconnected
        and not transport._tempDataLen
        and transport.offset == len(transport.dataBuffer)
    ):
        try:
            sent = transport.socket.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:  # the peer is gone: let twisted find out and close it its own way
            sent = None
        if sent is not None:
            if sent < len(data):
                transport.write(data[sent:])
            return
    wire.sendPreparedMessage(prepared)


class SinceMessage(BaseModel):
    """The one message a client sends: the last alert event id it has (0 for none)."""

    model_config = ConfigDict(extra="forbid")
    since: int = Field(ge=0, le=2**63 - 1)


def _query_since(scope: dict[str, Any]) -> int | None:
    for part in scope.get("query_string", b"").decode("latin-1").split("&"):
        name, _, value = part.partition("=")
        if name == "since" and value.isdigit() and len(value) < 19:
            return int(value)
    return None


class AlertsConsumer(AsyncJsonWebsocketConsumer):
    """Live alert feed for one logged-in user: alerts of the gateways visible to them, nothing else."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Run the consumer; however it ends (closed, or crashed when the layer fails), leave the hub.

        ``disconnect`` is not called when the consumer crashes (the core Redis layer's receive raises
        while Redis is down), so the hub would keep a dead socket.
        """
        try:
            await super().__call__(scope, receive, send)
        finally:
            if getattr(self, "hub", None) is not None:
                self.hub.unsubscribe(self)

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()  # before accept(): the handshake is refused
            return
        self.user_id: int = user.pk
        self.gateway_ids: set[int] = set()
        # Frames the hub pushes before the connect-time backfill went out wait here, so a socket
        # gets its backfill first, then the live frames in order (None once connected).
        self.held: list[str] | None = []
        self.hub = alert_hub(self.channel_layer)
        await self.channel_layer.group_add(user_group(self.user_id), self.channel_name)
        await self.accept()
        self.wire = daphne_wire(self.base_send)
        # Subscribe first, then replay: an event committed in between arrives twice, never zero
        # times (the client dedupes by id).
        await self._rescope()
        since = _query_since(self.scope)
        if since is not None:
            await self._backfill(since)
        if self.hub is not None:
            # Read after subscribing: every later event rings or is the hub's to find.
            self.synced_to = await latest_event_id()
            self.hub.watch(self)
        held, self.held = self.held, None
        for text in held:
            await self.send(text_data=text)

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "user_id"):
            return
        if self.hub is not None:
            self.hub.unsubscribe(self)
        await self.channel_layer.group_discard(user_group(self.user_id), self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None or len(text_data) > MAX_FRAME:
            await self.close(code=1009 if text_data else 1003)
            return
        now = time.monotonic()
        if now - getattr(self, "last_request", -MIN_RESYNC_SECONDS) < MIN_RESYNC_SECONDS:
            await self.close(code=1008)
            return
        self.last_request = now
        try:
            message = SinceMessage.model_validate_json(text_data)
        except ValidationError:
            await self.send_json({"type": "error", "error": 'expected {"since": <last id>}'})
            return
        await self._backfill(message.since)

    async def push(self, gateway_id: int, text: str, shared: dict | None = None) -> None:
        """Send a frame from the hub (live doorbell or lost-doorbell backfill) if its gateway is visible.

        ``shared`` is the hub's scratch space for this frame, the same dict for every socket: under
        daphne the frame is prepared there once and written to each open socket directly (see
        ``daphne_wire`` and ``write_prepared``); in the same loop turn as ``send`` would, so the order
        of frames is kept.
        """
        if gateway_id not in self.gateway_ids:
            return
        if self.held is not None:
            self.held.append(text)
            return
        wire = getattr(self, "wire", None)
        if wire is not None and shared is not None and getattr(wire, "state", None) == wire.STATE_OPEN:
            key = ("prepared", id(wire.factory))
            if (prepared := shared.get(key)) is None:
                prepared = shared[key] = wire.factory.prepareMessage(text.encode())
            write_prepared(wire, prepared)
            return
        await self.send(text_data=text)

    # --- handlers for user-group messages -----------------------------------------------------------

    async def alerts_rescope(self, event: dict[str, Any]) -> None:
        """Recompute the visible gateways (membership or role change)."""
        await self._rescope()

    async def alerts_close(self, event: dict[str, Any]) -> None:
        """Close the socket at the services' request (logout, membership removed)."""
        await self.close(code=int(event.get("code", CLOSE_LOGGED_OUT)))

    # --- helpers ----------------------------------------------------------------------------------

    async def _rescope(self) -> None:
        # The visible set changes first: push() drops a removed gateway's frames from here on.
        self.gateway_ids = await _visible_gateway_ids(self.user_id)
        if self.hub is not None:
            await self.hub.subscribe(self)

    async def _backfill(self, since: int) -> None:
        events, truncated = await database_sync_to_async(alert_backfill)(
            gateway_ids=set(self.gateway_ids), since=since
        )
        await self.send_json(
            {
                "type": "backfill",
                "events": [client_message("alert", e) for e in events],
                "truncated": truncated,
            }
        )


@database_sync_to_async
def _visible_gateway_ids(user_id: int) -> set[int]:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return set()
    return set(Gateway.objects.visible_to(user).values_list("pk", flat=True))
