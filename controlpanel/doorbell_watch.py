"""Per-worker watch for lost doorbells: the database is the record, the channel layer only a hint.

Why: channel-layer pub/sub delivers at most once. Observed with ``RedisPubSubChannelLayer``
(tests/alerts/test_faults.py): when Redis dies the sockets stay open, and every doorbell published
while it is down, or in the second after it returns (before the layer has re-subscribed), is gone
without a trace; nothing closes the socket, so only the browser's 25 s resync would find those
alerts. The same happens if a worker dies between commit and ``group_send``, or when the core layer
drops messages past its capacity.

How: one watch per event loop (one per daphne worker), started by the first socket that connects.
It joins, with a channel of its own, the group of every gateway a local socket watches, so it hears
exactly the doorbells this worker's layer delivers. Every ``POLL_SECONDS`` it reads the new
``AlertEvent`` ids of those gateways (one indexed query on the primary key); an id whose doorbell
has not arrived ``GRACE_SECONDS`` after the watch first read it is taken as lost. The watch renders
the lost events once and sends them, as a ``backfill`` frame, to the local sockets of that gateway.
Clients dedupe by id, so a doorbell that was merely late costs a duplicate frame, nothing more.

Limits (the client's 25 s resync remains the last net): the watch reads ids above one cursor, so an
event committed after a higher id was already read is not checked (ingest commits a gateway's events
in order under its rule-state lock; the client's ``?since=`` has the same assumption); and it knows
the worker heard a doorbell, not that a given socket's queue accepted it.

In-process layers (``InMemoryChannelLayer``, dev and unit tests) cannot lose a doorbell to a network
fault, so no watch runs there.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict
from typing import Any, Protocol

from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer
from django.db.models import Max

from controlpanel.models import AlertEvent
from controlpanel.services.alerts import alert_backfill, gateway_group

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0
# A doorbell arrives milliseconds after commit; 2 s tolerates a busy worker without duplicate frames.
GRACE_SECONDS = 2.0
SCAN_LIMIT = 5000  # ids read per poll; a larger burst is read over the next polls
RUNG_TTL_SECONDS = 60.0  # doorbells heard for ids not read yet (e.g. a gateway just unwatched)


class Watched(Protocol):
    """What the watch needs from a socket (``AlertsConsumer``)."""

    gateway_ids: set[int]
    # The highest AlertEvent id when the socket had joined its groups: later events either ring its
    # doorbell or are the watch's to find.
    synced_to: int

    async def deliver_missed(self, gateway_id: int, text: str) -> None: ...


def client_message(kind: str, event: dict[str, Any]) -> dict[str, Any]:
    """Return the browser's frame for one socket message of ``alert_backfill`` (no gateway id)."""
    return {"type": kind, **{k: v for k, v in event.items() if k not in ("type", "gateway_id")}}


def doorbell_ids(message: dict[str, Any]) -> list[int]:
    """Return the AlertEvent ids a doorbell (group message ``alert.event``) carries."""
    try:
        frame = json.loads(message["text"])
    except (KeyError, TypeError, ValueError):
        return []
    events = frame.get("events", []) if frame.get("type") == "alerts" else [frame]
    return [e["id"] for e in events if isinstance(e, dict) and isinstance(e.get("id"), int)]


class DoorbellWatch:
    """The watch of one event loop; see the module docstring for why and how."""

    def __init__(self, layer: Any, *, poll: float = POLL_SECONDS, grace: float = GRACE_SECONDS) -> None:
        self.layer, self.poll, self.grace = layer, poll, grace
        self.sockets: set[Watched] = set()
        self.cursor: int | None = None  # highest AlertEvent id read
        self.waiting: dict[int, tuple[int, float]] = {}  # id -> (gateway id, when read), not rung yet
        self.rung: dict[int, float] = {}  # id -> when its doorbell arrived, not read yet
        self.joined: set[int] = set()
        self.channel: str | None = None
        self.missed = 0  # events sent from the database since the worker started (for tests, logs)
        self._tasks: list[asyncio.Task] = []

    def add(self, socket: Watched) -> None:
        """Watch the gateways of ``socket`` (starts the watch's tasks on first use)."""
        self.sockets.add(socket)
        if self.cursor is not None and socket.synced_to < self.cursor:
            # Re-read from where this socket is synced: an event read meanwhile whose doorbell was
            # lost reached only the sockets watched then (at worst a duplicate frame for the others).
            self.cursor = socket.synced_to
        if not self._tasks:
            self._tasks = [asyncio.ensure_future(self._listen()), asyncio.ensure_future(self._run())]

    def discard(self, socket: Watched) -> None:
        self.sockets.discard(socket)

    def heard(self, ids: list[int]) -> None:
        """Record the ids of one doorbell this worker received."""
        now = time.monotonic()
        for pk in ids:
            if self.waiting.pop(pk, None) is None:
                self.rung[pk] = now

    async def check(self) -> int:
        """Follow the watched gateways, read new ids, send the lost ones; returns how many were lost."""
        gateways = set().union(*(s.gateway_ids for s in self.sockets))
        await self._follow(gateways)
        if not gateways:
            self.cursor, self.waiting = None, {}
            return 0
        if self.cursor is None:
            # Older events are the sockets' own backfill at connect. Not the current highest id: an
            # event committed after a socket joined, whose doorbell was lost (Redis just restarted),
            # would fall below the cursor and never be checked.
            self.cursor = min(s.synced_to for s in self.sockets)
        rows = await _new_ids(gateways, self.cursor)
        now = time.monotonic()
        for pk, gateway_id in rows:
            if self.rung.pop(pk, None) is None:
                self.waiting[pk] = (gateway_id, now)
        if rows:
            self.cursor = rows[-1][0]
        lost: dict[int, set[int]] = defaultdict(set)
        for pk, (gateway_id, read_at) in list(self.waiting.items()):
            if now - read_at >= self.grace:
                del self.waiting[pk]
                lost[gateway_id].add(pk)
        self.rung = {pk: t for pk, t in self.rung.items() if now - t < RUNG_TTL_SECONDS}
        for gateway_id, ids in lost.items():
            await self._deliver(gateway_id, ids)
        count = sum(len(ids) for ids in lost.values())
        if count:
            self.missed += count
            logger.warning(
                "alerts: %d doorbell(s) never reached this worker (gateways %s); sent from the database",
                count,
                sorted(lost),
            )
        return count

    async def _deliver(self, gateway_id: int, ids: set[int]) -> None:
        events, truncated = await database_sync_to_async(alert_backfill)(
            gateway_ids={gateway_id}, since=min(ids) - 1
        )
        frames = [client_message("alert", e) for e in events if e["id"] in ids]
        text = json.dumps({"type": "backfill", "events": frames, "truncated": truncated})
        for socket in list(self.sockets):
            try:
                await socket.deliver_missed(gateway_id, text)
            except Exception:  # a socket closing under us must not stop the others
                logger.debug("alerts: could not send missed events to a socket", exc_info=True)

    async def _follow(self, gateways: set[int]) -> None:
        """Join the groups of ``gateways``, leave the others (retried next poll while the layer is down)."""
        if self.channel is None:
            return
        for gateway_id in gateways - self.joined:
            try:
                await self.layer.group_add(gateway_group(gateway_id), self.channel)
                self.joined.add(gateway_id)
            except Exception as exc:
                logger.debug("alerts: watch cannot join gateway %s yet: %r", gateway_id, exc)
        for gateway_id in self.joined - gateways:
            self.joined.discard(gateway_id)
            try:
                await self.layer.group_discard(gateway_group(gateway_id), self.channel)
            except Exception as exc:
                logger.debug("alerts: watch cannot leave gateway %s: %r", gateway_id, exc)

    async def _listen(self) -> None:
        while True:
            try:
                if self.channel is None:
                    self.channel = await self.layer.new_channel()
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the core layer's receive fails while Redis is down
                logger.debug("alerts: watch cannot receive: %r", exc)
                # A Redis that restarted forgot the core layer's group memberships: join again.
                self.joined = set()
                await asyncio.sleep(self.poll)
                continue
            if message.get("type") == "alert.event":
                self.heard(doorbell_ids(message))

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.poll)
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:  # e.g. the database restarting: try again next poll
                logger.exception("alerts: doorbell watch check failed")


@database_sync_to_async
def latest_event_id() -> int:
    """Return the highest AlertEvent id (0 when there is none)."""
    return AlertEvent.objects.aggregate(m=Max("id"))["m"] or 0


@database_sync_to_async
def _new_ids(gateways: set[int], cursor: int) -> list[tuple[int, int]]:
    return list(
        AlertEvent.objects.filter(gateway_id__in=list(gateways), pk__gt=cursor)
        .order_by("pk")
        .values_list("pk", "gateway_id")[:SCAN_LIMIT]
    )


_watches: dict[asyncio.AbstractEventLoop, DoorbellWatch] = {}


def doorbell_watch(layer: Any) -> DoorbellWatch | None:
    """Return this event loop's watch for ``layer``, or None when the layer needs none (in-process)."""
    if layer is None or isinstance(layer, InMemoryChannelLayer):
        return None
    loop = asyncio.get_running_loop()
    watch = _watches.get(loop)
    if watch is None:
        watch = _watches[loop] = DoorbellWatch(layer)
    return watch
