"""The live-alert socket. Thin: it subscribes to the worker's alert hub, forwards its frames and
replays the backfill.

Which gateways a socket may see is ``selectors.visible_gateway_ids``, computed at connect and again
whenever the services send a re-scope; every frame is checked against that set, so a hub
subscription that outlived a permission change delivers nothing. The socket lives no longer than
its session: it re-checks the session when the services say the user changed or a session was
deleted, and when the session's expiry comes (``live.sessions``); a session that no longer
authenticates the user closes it with ``CLOSE_LOGGED_OUT``.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from controlpanel.selectors import alert_backfill, latest_alert_event_id, visible_gateway_ids

from . import fastpath
from .frames import client_message
from .groups import CLOSE_LOGGED_OUT, CLOSE_TOO_BIG, CLOSE_TOO_FAST, CLOSE_UNSUPPORTED, user_group
from .hub import alert_hub
from .sessions import session_expiry, session_user_id

MAX_FRAME = 1024  # the client only ever sends {"since": <id>}
MIN_RESYNC_SECONDS = 1.0  # each message costs a query: a client asking faster is closed
MAX_TIMER_SECONDS = 24 * 3600.0  # the expiry is re-read at least daily (a clock jump cannot strand it)


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
            self._stop_expiry_timer()
            if getattr(self, "hub", None) is not None:
                self.hub.unsubscribe(self)

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()  # before accept(): the handshake is refused
            return
        self.user_id: int = user.pk
        session = self.scope.get("session")
        self.session_key: str | None = getattr(session, "session_key", None)
        self.gateway_ids: set[int] = set()
        # Frames the hub pushes before the connect-time backfill went out wait here, so a socket
        # gets its backfill first, then the live frames in order (None once connected).
        self.held: list[str] | None = []
        self.hub = alert_hub(self.channel_layer)
        await self.channel_layer.group_add(user_group(self.user_id), self.channel_name)
        await self.accept()
        self.wire = fastpath.wire_for(self.base_send)
        # Subscribe first, then replay: an event committed in between arrives twice, never zero
        # times (the client dedupes by id).
        await self._rescope()
        since = _query_since(self.scope)
        if since is not None:
            await self._backfill(since)
        if self.hub is not None:
            # Read after subscribing: every later event rings or is the hub's to find.
            self.synced_to = await database_sync_to_async(latest_alert_event_id)()
            self.hub.watch(self)
        held, self.held = self.held, None
        for text in held:
            await self.send(text_data=text)
        self._start_expiry_timer(await database_sync_to_async(session_expiry)(self.session_key))

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "user_id"):
            return
        self._stop_expiry_timer()
        if self.hub is not None:
            self.hub.unsubscribe(self)
        await self.channel_layer.group_discard(user_group(self.user_id), self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            await self.close(code=CLOSE_UNSUPPORTED)
            return
        if len(text_data) > MAX_FRAME:
            await self.close(code=CLOSE_TOO_BIG)
            return
        now = time.monotonic()
        if now - getattr(self, "last_request", -MIN_RESYNC_SECONDS) < MIN_RESYNC_SECONDS:
            await self.close(code=CLOSE_TOO_FAST)
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
        daphne the frame is prepared there once and written to each open socket directly
        (``live.fastpath``), in the same loop turn as ``send`` would, so the order of frames is
        kept. If the fast path fails, this frame and the next go through ``send``.
        """
        if gateway_id not in self.gateway_ids:
            return
        if self.held is not None:
            self.held.append(text)
            return
        wire = self.wire
        if wire is not None and shared is not None and fastpath.active() and wire.state == wire.STATE_OPEN:
            try:
                fastpath.write_prepared(wire, fastpath.prepare(wire, text, shared))
                return
            except Exception as exc:  # twisted or autobahn changed under us: said once, then sent
                fastpath.fail(exc)
        await self.send(text_data=text)

    # --- handlers for user-group messages -----------------------------------------------------------

    async def alerts_rescope(self, event: dict[str, Any]) -> None:
        """Recompute the visible gateways (membership or role change)."""
        await self._rescope()

    async def alerts_close(self, event: dict[str, Any]) -> None:
        """Close the socket at the services' request (logout, membership removed)."""
        await self.close(code=int(event.get("code", CLOSE_LOGGED_OUT)))

    async def alerts_recheck(self, event: dict[str, Any] | None = None) -> None:
        """Close the socket unless its session still authenticates its user (user saved, a session
        deleted, or the session's expiry reached)."""
        if getattr(self, "session_ended", False):
            return
        user_id = await database_sync_to_async(session_user_id)(self.session_key)
        if getattr(self, "session_ended", False):  # another re-check closed it meanwhile
            return
        if user_id != self.user_id:
            self.session_ended = True
            await self.close(code=CLOSE_LOGGED_OUT)
            return
        self._start_expiry_timer(await database_sync_to_async(session_expiry)(self.session_key))

    # --- helpers ----------------------------------------------------------------------------------

    async def _rescope(self) -> None:
        # The visible set changes first: push() drops a removed gateway's frames from here on.
        self.gateway_ids = await database_sync_to_async(visible_gateway_ids)(user_id=self.user_id)
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

    def _start_expiry_timer(self, expires_at: datetime | None) -> None:
        """Re-check the session when it expires (None: not known; a deletion rings a re-check)."""
        self._stop_expiry_timer()
        delay = MAX_TIMER_SECONDS if expires_at is None else (expires_at - timezone.now()).total_seconds()
        delay = min(max(delay, 0.0), MAX_TIMER_SECONDS)
        loop = asyncio.get_running_loop()
        self.expiry_timer = loop.call_later(delay, lambda: asyncio.ensure_future(self.alerts_recheck()))

    def _stop_expiry_timer(self) -> None:
        timer = getattr(self, "expiry_timer", None)
        if timer is not None:
            timer.cancel()
            self.expiry_timer = None
