"""Per-worker alert hub: one channel-layer member per worker fans doorbells out to its sockets, and
watches for doorbells that never came. The database is the record, the channel layer only a hint.

Fan-out. The hub, not each socket, is the member of the gateway groups (one hub per event loop, that
is per daphne worker). A doorbell (group message ``alert.event``, the browser frame encoded once)
reaches the worker once and the hub hands the text to each local socket of that gateway in one
loop. With every socket a group member, Channels delivered one message per socket: a queue put, a
receive task, a deserialisation and a dispatch per socket, about 100 us each, before any byte was
written; at 100 sockets per worker that was most of the ingest-to-socket latency
(bench/alerts_latency.py). The socket still checks the gateway against its own visible set
(``AlertsConsumer.push``), so the hub's index is not a security boundary. A push that fails is
logged at WARNING (at most once a minute, with a count): that socket's frame waits for its resync.

Lost doorbells. Channel-layer pub/sub delivers at most once. Observed with ``RedisPubSubChannelLayer``
(tests/alerts/test_faults.py): when Redis dies the sockets stay open, and every doorbell published
while it is down, or in the second after it returns (before the layer has re-subscribed), is gone
without a trace; nothing closes the socket, so only the browser's 25 s resync would find those
alerts. The same happens if a worker dies between commit and ``group_send``, or when the core layer
drops messages past its capacity. So, on network layers, every ``POLL_SECONDS`` the hub reads the
new ``AlertEvent`` ids of the gateways its sockets watch (one indexed query on the primary key); an id
whose doorbell has not arrived ``GRACE_SECONDS`` after the hub first read it is taken as lost. The
hub renders the lost events once and sends them, as a ``backfill`` frame, to the local sockets of
that gateway. Clients dedupe by id, so a doorbell that was merely late costs a duplicate frame.

Limits (the client's 25 s resync remains the last net): the hub reads ids above one cursor, so an
event committed after a higher id was already read is not checked (ingest commits a gateway's events
in order under its rule-state lock; the client's ``?since=`` has the same assumption); and it knows
the worker heard a doorbell, not that a given socket's connection delivered it.

In-process layers (``InMemoryChannelLayer``, dev and unit tests) cannot lose a doorbell to a network
fault: the hub fans out there too, without the polling.
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

from controlpanel.selectors import alert_backfill, alert_event_ids_after

from .frames import client_message, doorbell_ids
from .groups import gateway_group

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0
# A doorbell arrives milliseconds after commit; 2 s tolerates a busy worker without duplicate frames.
GRACE_SECONDS = 2.0
SCAN_LIMIT = 5000  # ids read per poll; a larger burst is read over the next polls
RUNG_TTL_SECONDS = 60.0  # doorbells heard for ids not read yet (e.g. a gateway just unwatched)
# Group memberships expire (channel layers' group_expiry, one day by default): re-join well before.
REJOIN_SECONDS = 3600.0


class Subscriber(Protocol):
    """What the hub needs from a socket (``AlertsConsumer``)."""

    gateway_ids: set[int]
    # The highest AlertEvent id when the socket had joined its groups: later events either ring its
    # doorbell or are the hub's to find.
    synced_to: int

    async def push(self, gateway_id: int, text: str, shared: dict | None = None) -> None: ...


class Throttled:
    """A WARNING at most once per ``every`` seconds; the ones held back are counted in the next."""

    def __init__(self, message: str, every: float = 60.0) -> None:
        self.message, self.every = message, every
        self.last = -float("inf")
        self.held = 0

    def warn(self, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self.last < self.every:
            self.held += 1
            return
        held, self.held, self.last = self.held, 0, now
        more = f" ({held} more in the last {self.every:.0f} s)" if held else ""
        logger.warning("%s: %r%s", self.message, exc, more, exc_info=logger.isEnabledFor(logging.DEBUG))


class AlertHub:
    """The hub of one event loop; see the module docstring for why and how."""

    def __init__(
        self, layer: Any, *, poll: float = POLL_SECONDS, grace: float = GRACE_SECONDS, recover: bool = True
    ) -> None:
        self.layer, self.poll, self.grace, self.recover = layer, poll, grace, recover
        self.subscribers: dict[int, set[Subscriber]] = defaultdict(set)  # gateway id -> its local sockets
        self.sockets: set[Subscriber] = set()  # sockets whose lost doorbells are looked for
        self.cursor: int | None = None  # highest AlertEvent id read
        self.waiting: dict[int, tuple[int, float]] = {}  # id -> (gateway id, when read), not rung yet
        self.rung: dict[int, float] = {}  # id -> when its doorbell arrived, not read yet
        self.joined: set[int] = set()
        self.joined_at = time.monotonic()
        self.channel: str | None = None
        self.missed = 0  # events sent from the database since the worker started (for tests, logs)
        self._tasks: list[asyncio.Task] = []
        # A socket that fails a push loses that frame until its resync: said, but not per frame.
        self.push_failed = Throttled("alerts: could not push a frame to a socket")

    # --- fan-out ------------------------------------------------------------------------------------

    async def subscribe(self, socket: Subscriber) -> None:
        """Send ``socket`` the doorbells of its ``gateway_ids`` from now on (call again after a re-scope).

        Returns once the hub is a member of those gateways' groups: an event committed after that
        rings here. Raises if the channel layer cannot be reached (the socket then closes and its
        client reconnects).
        """
        for members in self.subscribers.values():
            members.discard(socket)
        for gateway_id in socket.gateway_ids:
            self.subscribers[gateway_id].add(socket)
        if self.channel is None:
            self.channel = await self.layer.new_channel()
        if not self._tasks:
            self._tasks = [asyncio.ensure_future(self._listen()), asyncio.ensure_future(self._run())]
        for gateway_id in set(socket.gateway_ids) - self.joined:
            await self.layer.group_add(gateway_group(gateway_id), self.channel)
            self.joined.add(gateway_id)

    def unsubscribe(self, socket: Subscriber) -> None:
        """Forget ``socket`` (closed); groups nobody here watches any more are left at the next poll."""
        self.sockets.discard(socket)
        for members in self.subscribers.values():
            members.discard(socket)

    async def fan_out(self, message: dict[str, Any]) -> None:
        """Hand one doorbell's frame to every local socket of its gateway, in one pass."""
        self.heard(doorbell_ids(message))
        gateway_id, text = message.get("gateway_id"), message.get("text")
        if not isinstance(text, str):
            return
        shared: dict = {}  # the sockets' scratch for this frame (prepared once for all of them)
        for socket in list(self.subscribers.get(gateway_id, ())):
            try:
                await socket.push(gateway_id, text, shared)
            except Exception as exc:  # one socket failing must not stop the others
                self.push_failed.warn(exc)

    # --- lost doorbells -----------------------------------------------------------------------------

    def watch(self, socket: Subscriber) -> None:
        """Look for lost doorbells of ``socket``'s gateways from its ``synced_to`` on."""
        self.sockets.add(socket)
        if self.cursor is not None and socket.synced_to < self.cursor:
            # Re-read from where this socket is synced: an event read meanwhile whose doorbell was
            # lost reached only the sockets watched then (at worst a duplicate frame for the others).
            self.cursor = socket.synced_to

    def heard(self, ids: list[int]) -> None:
        """Record the ids of one doorbell this worker received."""
        if not self.recover:
            return
        now = time.monotonic()
        for pk in ids:
            if self.waiting.pop(pk, None) is None:
                self.rung[pk] = now

    async def check(self) -> int:
        """Read the watched gateways' new ids and send the lost ones; returns how many were lost."""
        gateways = set().union(*(s.gateway_ids for s in self.sockets))
        if not gateways:
            self.cursor, self.waiting = None, {}
            return 0
        if self.cursor is None:
            # Older events are the sockets' own backfill at connect. Not the current highest id: an
            # event committed after a socket joined, whose doorbell was lost (Redis just restarted),
            # would fall below the cursor and never be checked.
            self.cursor = min(s.synced_to for s in self.sockets)
        rows = await database_sync_to_async(alert_event_ids_after)(
            gateway_ids=gateways, since=self.cursor, limit=SCAN_LIMIT
        )
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
            if gateway_id not in socket.gateway_ids:
                continue
            try:
                await socket.push(gateway_id, text)
            except Exception as exc:
                self.push_failed.warn(exc)

    # --- group membership and the hub's tasks -------------------------------------------------------

    async def follow(self) -> None:
        """Be in the groups of exactly the gateways local sockets watch (retried while the layer is down).

        Memberships expire (``group_expiry``), so they are renewed every ``REJOIN_SECONDS``.
        """
        if self.channel is None:
            return
        if time.monotonic() - self.joined_at > REJOIN_SECONDS:
            self.joined, self.joined_at = set(), time.monotonic()
        gateways = {gateway_id for gateway_id, members in self.subscribers.items() if members}
        for gateway_id in gateways - self.joined:
            try:
                await self.layer.group_add(gateway_group(gateway_id), self.channel)
                self.joined.add(gateway_id)
            except Exception as exc:
                logger.debug("alerts: hub cannot join gateway %s yet: %r", gateway_id, exc)
        for gateway_id in self.joined - gateways:
            if self.subscribers.get(gateway_id):
                continue  # a socket subscribed during an await above
            self.joined.discard(gateway_id)
            self.subscribers.pop(gateway_id, None)
            try:
                await self.layer.group_discard(gateway_group(gateway_id), self.channel)
            except Exception as exc:
                logger.debug("alerts: hub cannot leave gateway %s: %r", gateway_id, exc)

    async def _listen(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the core layer's receive fails while Redis is down
                logger.debug("alerts: hub cannot receive: %r", exc)
                # A Redis that restarted forgot the core layer's group memberships: join again.
                self.joined = set()
                await asyncio.sleep(self.poll)
                continue
            if message.get("type") == "alert.event":
                await self.fan_out(message)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.poll)
            try:
                await self.follow()
                if self.recover:
                    await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:  # e.g. the database restarting: try again next poll
                logger.exception("alerts: hub check failed")


_hubs: dict[asyncio.AbstractEventLoop, AlertHub] = {}


def alert_hub(layer: Any) -> AlertHub | None:
    """Return this event loop's hub for ``layer`` (None without a layer).

    Only network layers are polled for lost doorbells: an in-process layer cannot lose one.
    """
    if layer is None:
        return None
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None or hub.layer is not layer:
        if hub is not None:  # the layer was replaced (tests): the old hub's tasks go with it
            for task in hub._tasks:
                task.cancel()
        for dead in [other for other in _hubs if other.is_closed()]:
            del _hubs[dead]
        hub = _hubs[loop] = AlertHub(layer, recover=not isinstance(layer, InMemoryChannelLayer))
    return hub
