"""WebSocket consumers. Thin: they join groups, forward doorbells and replay the backfill.

Which gateways a socket may see is ``Gateway.objects.visible_to(user)``, computed at connect and
again whenever the services send a re-scope; every forwarded event is checked against that set, so
a group membership that outlived a permission change delivers nothing.
"""

from __future__ import annotations

import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from controlpanel.doorbell_watch import client_message, doorbell_watch, latest_event_id
from controlpanel.models import Gateway
from controlpanel.services.alerts import (
    CLOSE_LOGGED_OUT,
    alert_backfill,
    gateway_group,
    user_group,
)

MAX_FRAME = 1024  # the client only ever sends {"since": <id>}
MIN_RESYNC_SECONDS = 1.0  # each message costs a query: a client asking faster is closed (1008)


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
        """Run the consumer; however it ends (closed, or crashed when the layer fails), leave the watch.

        ``disconnect`` is not called when the consumer crashes (the core Redis layer's receive raises
        while Redis is down), so the watch would keep a dead socket.
        """
        try:
            await super().__call__(scope, receive, send)
        finally:
            if getattr(self, "watch", None) is not None:
                self.watch.discard(self)

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()  # before accept(): the handshake is refused
            return
        self.user_id: int = user.pk
        self.gateway_ids: set[int] = set()
        await self.channel_layer.group_add(user_group(self.user_id), self.channel_name)
        await self.accept()
        # Subscribe first, then replay: an event committed in between arrives twice, never zero
        # times (the client dedupes by id).
        await self._rescope()
        since = _query_since(self.scope)
        if since is not None:
            await self._backfill(since)
        # The worker's safety net for doorbells the channel layer loses (controlpanel/doorbell_watch.py).
        self.watch = doorbell_watch(self.channel_layer)
        if self.watch is not None:
            # Read after joining the groups: every later event rings or is the watch's to find.
            self.synced_to = await latest_event_id()
            self.watch.add(self)

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "user_id"):
            return
        await self.channel_layer.group_discard(user_group(self.user_id), self.channel_name)
        for gateway_id in self.gateway_ids:
            await self.channel_layer.group_discard(gateway_group(gateway_id), self.channel_name)

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

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Forward doorbells straight away; everything else goes through Channels' dispatch.

        Channels' dispatch first hops to the one sync thread to close stale database connections,
        for every message. A doorbell touches no database and is forwarded to every socket of the
        gateway at once: with 100 sockets a worker would queue 100 thread round trips per push,
        which was half the fan-out time (bench/alerts_latency.py). Database work here goes through
        ``database_sync_to_async``, which closes stale connections itself.
        """
        if message.get("type") == "alert.event":
            await self.alert_event(message)
            return
        await super().dispatch(message)

    # --- handlers for group messages (type "alert.event" -> alert_event) ---------------------------

    async def alert_event(self, event: dict[str, Any]) -> None:
        """Forward one doorbell if its gateway is (still) visible to this user."""
        if event.get("gateway_id") in self.gateway_ids:
            await self.send(text_data=event["text"])

    async def deliver_missed(self, gateway_id: int, text: str) -> None:
        """Send a backfill frame of events whose doorbell was lost (called by the worker's watch)."""
        if gateway_id in self.gateway_ids:
            await self.send(text_data=text)

    async def alerts_rescope(self, event: dict[str, Any]) -> None:
        """Recompute the visible gateways (membership or role change)."""
        await self._rescope()

    async def alerts_close(self, event: dict[str, Any]) -> None:
        """Close the socket at the services' request (logout, membership removed)."""
        await self.close(code=int(event.get("code", CLOSE_LOGGED_OUT)))

    # --- helpers ----------------------------------------------------------------------------------

    async def _rescope(self) -> None:
        visible = await _visible_gateway_ids(self.user_id)
        for gateway_id in self.gateway_ids - visible:
            await self.channel_layer.group_discard(gateway_group(gateway_id), self.channel_name)
        for gateway_id in visible - self.gateway_ids:
            await self.channel_layer.group_add(gateway_group(gateway_id), self.channel_name)
        self.gateway_ids = visible

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
