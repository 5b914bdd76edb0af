"""The gateway worker: an asyncio process keeping a connection to each gateway whose lease it holds.

Several workers share the linked gateways (``GatewayWorker``): every few seconds a worker renews
its leases and takes free or expired ones up to its fair share, or hands back what a newcomer
needs (services/gateway_leases.py). A dead worker's gateways are taken over once its leases
expire; a worker that cannot renew in time drops its connections on its own first, and every
database write a session makes is fenced by its lease's generation, so a gateway never has two
panel connections, and never gets a decision twice.

Per gateway (``GatewaySession``): connect (or explain in words why not), backfill pending pairing
and exec requests and the config hash, then follow events; every second send the decisions taken
in the panel and run the gateway's queued tasks (queue "gateways": config pushes); poll ``health``
and memory diagnostics now and then.
A restart announced by the gateway (``shutdown`` event, close 1012, or an ``UNAVAILABLE`` answer
while it restarts) is recorded as *restarting*, and connections refused during the restart too;
reconnects are quick then. Otherwise back off with jitter up to 30 s.

Database work is plain synchronous Django code run on dedicated threads (``Db``): one for the
sessions, one for the leases (so a renewal never waits behind the sessions' work); the event loop
never blocks on the ORM. The worker also beats a task-worker heartbeat (as ``db_worker`` does), so
a gateway task it held when it died is taken back and run by the next holder of the gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from inspect import iscoroutinefunction
from typing import Any

import websockets
from django.conf import settings
from django.db import close_old_connections, connection

from controlpanel.background.worker import GATEWAY_QUEUE, Heartbeat, any_ready, claim_next, task_failed
from controlpanel.gatewayclient import Connection, GatewayError, PairingRequired, backoff_delay, connect
from controlpanel.gatewayclient.frames import ConnectionClosed
from controlpanel.models import GatewayLink
from controlpanel.services import config_live as live
from controlpanel.services import gateway_leases as leases
from controlpanel.services import gateway_links as links
from controlpanel.services import gateway_mirror as mirror
from controlpanel.services.gateway_leases import Lease, LeaseLost

logger = logging.getLogger(__name__)
State = GatewayLink.State

RESTART_CLOSE_CODE = 1012
PAIRING_POLL_SECONDS = 3.0  # how often to retry while the panel waits for its one-time approval
# After the gateway announced a restart: refused connections count as the restart for this long,
# and reconnects are tried this often. An in-process restart takes ~7 s on an idle host (shutdown to
# "ready", 14 plugins reloaded); on a loaded one node alone took 80 s to load the gateway, so two
# minutes was too short to tell a slow restart from an outage.
RESTART_GRACE_SECONDS = 300.0
RESTART_RETRY_SECONDS = 1.0
# A worker stops its connections this long before its leases could expire (its clock vs the
# database's, and the time a close takes).
LEASE_MARGIN_SECONDS = 1.5


class Db:
    """Runs synchronous ORM calls on one thread, so the ORM never runs inside the event loop."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gateway-db")

    async def __call__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        def run() -> Any:
            close_old_connections()
            return fn(*args, **kwargs)

        return await asyncio.get_running_loop().run_in_executor(self._executor, run)

    def close(self) -> None:
        self._executor.submit(lambda: connection.close()).result()
        self._executor.shutdown()


class LeaseKeeper:
    """What this worker holds as of its last successful renewal, and until when it may act on it."""

    def __init__(self, lease_seconds: float, margin: float = LEASE_MARGIN_SECONDS) -> None:
        self.lease_seconds = lease_seconds
        self.margin = margin
        self.held: dict[int, int] = {}
        self.valid_until = 0.0  # time.monotonic()

    def renewed(self, started: float, held: dict[int, int]) -> None:
        """Record a renewal whose database statement was sent after ``started`` (monotonic)."""
        self.held = dict(held)
        self.valid_until = started + self.lease_seconds - self.margin

    @property
    def fresh(self) -> bool:
        return time.monotonic() < self.valid_until

    def holds(self, lease: Lease) -> bool:
        """Return True while ``lease`` is held and its renewal is recent enough to act on it."""
        return self.held.get(lease.gateway_id) == lease.generation and self.fresh


@dataclass(frozen=True)
class GatewayContext:
    """What a task of the "gateways" queue is called with (controlpanel/tasks/gateways.py)."""

    conn: Connection
    # ``await gw.db(fn, *args)`` runs synchronous ORM code on the worker's database thread, fenced
    # by the gateway's lease.
    db: Callable[..., Any]
    gateway_id: int
    # Call when the gateway said it will restart (a change that requires it): the refusals and the
    # close that follow are the restart, even if this connection ends before its ``shutdown`` event.
    restart_expected: Callable[[], None] = lambda: None


def describe_error(exc: BaseException, url: str) -> tuple[str, str]:
    """Return (link state, the reason in words) for a failed connect."""
    if isinstance(exc, PairingRequired):
        return State.PAIRING_REQUIRED, (
            "The gateway has not approved this panel yet. On the gateway host, run: "
            f"openclaw devices approve {exc.request_id}"
        )
    if isinstance(exc, GatewayError):
        if exc.transient:
            return State.RESTARTING, f"The gateway is not ready yet: {exc.message}."
        if exc.detail_code in ("AUTH_TOKEN_MISMATCH", "AUTH_PASSWORD_MISMATCH"):
            return State.REFUSED, "The gateway refused the stored shared secret: set the current one here."
        if exc.detail_code == "AUTH_DEVICE_TOKEN_MISMATCH":
            return (
                State.REFUSED,
                "The gateway revoked this panel's device token: set the shared secret again.",
            )
        return (
            State.REFUSED,
            f"The gateway refused the connection: {exc.message} ({exc.detail_code or exc.code}).",
        )
    if isinstance(exc, websockets.InvalidStatus):
        status = exc.response.status_code
        if status == 503:
            return State.RESTARTING, "The gateway answered HTTP 503: it is shutting down or restarting."
        return State.UNREACHABLE, f"The gateway answered HTTP {status} instead of a WebSocket."
    if isinstance(exc, websockets.ConnectionClosed):
        if exc.rcvd is not None and exc.rcvd.code == RESTART_CLOSE_CODE:
            return State.RESTARTING, "The gateway closed the connection: it is restarting (close 1012)."
        return State.UNREACHABLE, f"The gateway closed the connection during the handshake ({exc})."
    if isinstance(exc, TimeoutError):
        return State.UNREACHABLE, f"No answer from {url} in time."
    if isinstance(exc, OSError):
        return State.UNREACHABLE, f"Cannot reach {url}: {exc.strerror or exc}."
    return State.UNREACHABLE, f"Connection to {url} failed: {exc}."


class GatewaySession:
    """Keeps one gateway connected until ``stop`` is set (or the task is cancelled).

    With a ``lease``, every database call that may write runs fenced by it (``self.db``), and
    nothing is sent to the gateway unless ``keeper`` says the lease is held and fresh; losing it
    ends the session (the connection closes). Reads that cannot harm run unfenced (``self.read``).
    """

    def __init__(
        self,
        gateway_id: int,
        db: Db,
        *,
        lease: Lease | None = None,
        keeper: LeaseKeeper | None = None,
        poll: float = 1.0,
        health_every: float = 20.0,
        diag_every: float = 60.0,
        worker_id: str = "",
        restarts: dict[int, float] | None = None,
    ) -> None:
        self.gateway_id = gateway_id
        self._db = db
        self.worker_id = worker_id
        self.lease = lease
        self.keeper = keeper
        self.poll = poll
        self.health_every = health_every
        self.diag_every = diag_every
        self.diag_seq: int | None = None
        self.config_stale = False  # a config.changed arrived: read the running config again
        self.connected = False
        # Gateway id -> monotonic time: the gateway announced a restart; expect refusals until then.
        # The worker's, so a session started afresh during the restart (its lease round was slow, or
        # the last session crashed) still knows about it.
        self.restarts = restarts if restarts is not None else {}
        # What the gateway lists as pending on this connection, per kind (None: could not tell).
        self.remote_pending: dict[str, set[str] | None] = {"device": None, "node": None, "exec": None}

    async def db(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a database call that may write for this gateway, fenced by the lease."""
        if self.lease is None:
            return await self._db(fn, *args, **kwargs)
        return await self._db(leases.fenced, self.lease, fn, *args, **kwargs)

    async def read(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await self._db(fn, *args, **kwargs)

    def _may_send(self) -> None:
        """Raise LeaseLost unless this worker may still act on the gateway (checked before each write)."""
        if self.keeper is not None and self.lease is not None and not self.keeper.holds(self.lease):
            raise LeaseLost(f"gateway {self.gateway_id}: lease not held or not renewed in time")

    def _restarting(self) -> bool:
        return time.monotonic() < self.restarts.get(self.gateway_id, 0.0)

    def _restart_announced(self) -> None:
        self.restarts[self.gateway_id] = time.monotonic() + RESTART_GRACE_SECONDS

    async def run(self, stop: asyncio.Event) -> None:
        try:
            await self._run(stop)
        except LeaseLost as exc:
            logger.warning("gateway %s: %s; connection dropped", self.gateway_id, exc)

    async def _run(self, stop: asyncio.Event) -> None:
        attempt = 0
        while not stop.is_set():
            options = await self.db(links.connect_options_for, self.gateway_id)
            if options is None:
                await _sleep(stop, 5.0)
                continue
            self._may_send()
            queue: asyncio.Queue = asyncio.Queue()
            try:
                conn = await connect(options, on_event=queue.put_nowait)
            except (
                GatewayError,
                OSError,
                TimeoutError,
                websockets.InvalidHandshake,
                websockets.ConnectionClosed,  # closed during the handshake (e.g. shutting down)
                ConnectionClosed,
            ) as exc:
                state, error = describe_error(exc, options.url)
                if state == State.UNREACHABLE and self._restarting():
                    state = State.RESTARTING
                    error = f"The gateway is restarting and not accepting connections yet. {error}"
                pairing_id = exc.request_id if isinstance(exc, PairingRequired) else ""
                await self.db(
                    links.link_record_problem,
                    gateway_id=self.gateway_id,
                    state=state,
                    error=error,
                    pairing_request_id=pairing_id,
                )
                if pairing_id:
                    delay = PAIRING_POLL_SECONDS
                elif state == State.RESTARTING:
                    delay = RESTART_RETRY_SECONDS
                else:
                    delay = backoff_delay(attempt)
                attempt += 1
                await _sleep(stop, delay)
                continue
            attempt = 0
            try:
                ended = await self._serve(conn, queue, stop)
            finally:
                self.connected = False
                await conn.close()
            if stop.is_set():
                break
            if ended is not None:
                await self.db(
                    links.link_record_problem, gateway_id=self.gateway_id, state=ended[0], error=ended[1]
                )
            await _sleep(stop, 0.5)

    async def _serve(
        self, conn: Connection, queue: asyncio.Queue, stop: asyncio.Event
    ) -> tuple[str, str] | None:
        """Follow the connection until it ends; return the (state, reason) to record, None for none."""
        await self.db(links.link_record_connected, gateway_id=self.gateway_id, hello=conn.hello)
        self.connected = True
        self.restarts.pop(self.gateway_id, None)
        connected_ms = int(time.time() * 1000)
        next_health = time.monotonic() + self.health_every
        next_diag = time.monotonic() + self.diag_every
        try:
            await self._backfill(conn)
            while not stop.is_set() and not conn.closed:
                self._may_send()  # e.g. after a pause past the lease: drop it before anything else
                with contextlib.suppress(TimeoutError):
                    frame = await asyncio.wait_for(queue.get(), timeout=self.poll)
                    await self._on_event(frame)
                    while not queue.empty():
                        await self._on_event(queue.get_nowait())
                await self._deliver(conn)
                await self._run_tasks(conn)
                if self.config_stale:
                    await self._fetch_config(conn)
                if time.monotonic() >= next_health:
                    next_health = time.monotonic() + self.health_every
                    if await self._credentials_changed(conn):
                        return None  # reconnect with what the owner just saved
                    health = await conn.call("health")
                    await self.db(links.link_record_health, gateway_id=self.gateway_id, health=health or {})
                if time.monotonic() >= next_diag:
                    next_diag = time.monotonic() + self.diag_every
                    await self._diagnostics(conn, since_ms=connected_ms)
        except ConnectionClosed:
            pass
        except GatewayError as exc:
            if exc.transient:
                # e.g. "UNAVAILABLE: health unavailable during gateway restart": the restart window.
                self._restart_announced()
                return State.RESTARTING, f"The gateway is restarting ({exc.message}); reconnecting."
            # Unexpected refusal on a call that must work: start the connection afresh.
            logger.warning("gateway %s: %s; reconnecting", self.gateway_id, exc)
            return State.UNREACHABLE, f"The gateway refused a routine call ({exc}); reconnecting."
        except TimeoutError:
            logger.warning("gateway %s: no answer in time; reconnecting", self.gateway_id)
            if self._restarting():  # e.g. draining its work before an announced restart
                return State.RESTARTING, "The gateway stopped answering while it restarts; reconnecting."
            return State.UNREACHABLE, "The gateway stopped answering; reconnecting."
        if stop.is_set():
            return None
        await conn.wait_closed()
        if conn.close_code == RESTART_CLOSE_CODE or self._restarting():
            self._restart_announced()
            return State.RESTARTING, f"The gateway is restarting (close {conn.close_code}); reconnecting."
        return State.UNREACHABLE, f"The connection closed (code {conn.close_code})."

    async def _credentials_changed(self, conn: Connection) -> bool:
        """Return True when the URL or shared secret saved in the panel differ from this connection's."""
        current = await self.db(links.connect_options_for, self.gateway_id)
        if current is None:
            return True
        before = conn.options
        return (current.url, current.token, current.password) != (before.url, before.token, before.password)

    async def _call_quietly(self, conn: Connection, method: str, params: dict | None = None) -> Any:
        """Call ``method``; a refusal (e.g. a missing scope) is logged, not fatal. Returns None then."""
        try:
            return await conn.call(method, params)
        except GatewayError as exc:
            if exc.transient:
                raise  # the gateway is restarting: the connection ends
            logger.warning("gateway %s: %s refused: %s", self.gateway_id, method, exc)
            return None
        except TimeoutError:
            logger.warning("gateway %s: %s timed out", self.gateway_id, method)
            return None

    async def _backfill(self, conn: Connection) -> None:
        """After every (re)connect: what is pending there now, and the config hash."""
        self.remote_pending = {"device": None, "node": None, "exec": None}
        for kind in ("device", "node"):
            listing = await self._call_quietly(conn, f"{kind}.pair.list")
            if isinstance(listing, dict):
                pending = [p for p in listing.get("pending") or [] if isinstance(p, dict)]
                self.remote_pending[kind] = {str(p.get("requestId") or "") for p in pending}
                await self.db(
                    mirror.pairing_reconcile, gateway_id=self.gateway_id, kind=kind, pending=pending
                )
        approvals = await self._call_quietly(conn, "exec.approval.list")
        if isinstance(approvals, list):
            pending = [a for a in approvals if isinstance(a, dict)]
            self.remote_pending["exec"] = {str(a.get("id") or "") for a in pending}
            await self.db(mirror.exec_reconcile, gateway_id=self.gateway_id, pending=pending)
        await self._fetch_config(conn)

    async def _fetch_config(self, conn: Connection) -> None:
        """Read the running config (hash and redacted text): the panel compares it with its revisions."""
        self.config_stale = False
        config = await self._call_quietly(conn, "config.get")
        if isinstance(config, dict) and config.get("hash"):
            await self.db(live.live_config_record, gateway_id=self.gateway_id, payload=config)

    def _seen_pending(self, kind: str, external_id: str, pending: bool) -> None:
        known = self.remote_pending.get(kind)
        if known is not None and external_id:
            if pending:
                known.add(external_id)
            else:
                known.discard(external_id)

    async def _on_event(self, frame: dict[str, Any]) -> None:
        name = frame.get("event")
        payload = frame.get("payload") if isinstance(frame.get("payload"), dict) else {}
        gid = self.gateway_id
        if name in ("device.pair.requested", "node.pair.requested"):
            self._seen_pending(name.split(".")[0], str(payload.get("requestId") or ""), True)
            await self.db(mirror.pairing_mirror, gateway_id=gid, kind=name.split(".")[0], record=payload)
        elif name in ("device.pair.resolved", "node.pair.resolved"):
            self._seen_pending(name.split(".")[0], str(payload.get("requestId") or ""), False)
            await self.db(
                mirror.pairing_resolved_elsewhere,
                gateway_id=gid,
                kind=name.split(".")[0],
                request_id=str(payload.get("requestId") or ""),
                decision=str(payload.get("decision") or ""),
            )
        elif name == "exec.approval.requested":
            self._seen_pending("exec", str(payload.get("id") or ""), True)
            await self.db(mirror.exec_mirror, gateway_id=gid, payload=payload)
        elif name == "exec.approval.resolved":
            self._seen_pending("exec", str(payload.get("id") or ""), False)
            await self.db(
                mirror.exec_resolved_elsewhere,
                gateway_id=gid,
                approval_id=str(payload.get("id") or ""),
                decision=str(payload.get("decision") or ""),
                by=str(payload.get("resolvedBy") or ""),
            )
        elif name == "config.changed" and payload.get("hash"):
            # Read it again: the event carries the hash only, the drift check needs the text.
            self.config_stale = True
        elif name == "shutdown":
            self._restart_announced()
            await self.db(
                links.link_record_problem,
                gateway_id=gid,
                state=State.RESTARTING,
                error=f"The gateway announced a shutdown: {payload.get('reason') or 'no reason given'}.",
            )
        if events := mirror.alert_events_from_frame(frame):
            await self.db(mirror.alerts_ingest, gateway_id=gid, events=events)

    async def _deliver(self, conn: Connection) -> None:
        """Send the panel's decisions; record each answer (delivered, or refused in the gateway's words).

        Each is marked ``sending`` first. One whose answer an earlier connection lost is sent again
        only if the gateway still lists it as pending here; if it does not, the decision took effect
        (or the request closed there) and it is recorded without a second send.
        """
        for item in await self.read(mirror.deliveries_pending, self.gateway_id):
            if item.invalid:
                await self.db(
                    mirror.delivery_record, model=item.model, pk=item.pk, ok=False, error=item.invalid
                )
                continue
            if item.sent:
                pending_there = self.remote_pending.get(item.kind)
                if pending_there is None:
                    continue  # cannot tell without the gateway's list: never risk a second send
                if item.external_id not in pending_there:
                    await self.db(
                        mirror.delivery_record,
                        model=item.model,
                        pk=item.pk,
                        ok=True,
                        note="Sent before a reconnect; the gateway no longer lists the request as pending.",
                    )
                    continue
            if not await self.db(mirror.delivery_sending, model=item.model, pk=item.pk):
                continue
            self._may_send()
            try:
                await conn.call(item.method, item.params)
            except GatewayError as exc:
                if exc.transient:
                    # e.g. restarting: it did not take effect; it stays pending and is sent again.
                    await self.db(mirror.delivery_unsent, model=item.model, pk=item.pk)
                    return
                await self.db(
                    mirror.delivery_record, model=item.model, pk=item.pk, ok=False, error=exc.message
                )
            else:
                await self.db(mirror.delivery_record, model=item.model, pk=item.pk, ok=True)

    async def _run_tasks(self, conn: Connection) -> None:
        """Run this gateway's queued tasks (queue "gateways") on this connection, one at a time.

        The claim is fenced by the lease (only the holder runs them); the task's own writes go
        through ``GatewayContext.db``, fenced too. Its outcome is recorded on the task row
        unfenced: it is this worker's claim, and the next holder must be able to run it again.
        """
        context = GatewayContext(
            conn=conn, db=self.db, gateway_id=self.gateway_id, restart_expected=self._restart_announced
        )
        match = {"gateway_id": self.gateway_id}
        while await self.read(any_ready, queue_name=GATEWAY_QUEUE, match=match):  # polled: no lock
            row = await self.db(
                claim_next,
                worker_id=self.worker_id,
                queue_name=GATEWAY_QUEUE,
                match=match,
            )
            if row is None:
                return
            args, kwargs = row.args_kwargs["args"], row.args_kwargs["kwargs"]
            try:
                self._may_send()
                func = row.task.func
                if iscoroutinefunction(func):
                    value = await func(context, *args, **kwargs)
                else:
                    value = await self.db(func, context, *args, **kwargs)
            except BaseException as exc:  # recorded as a failed attempt: retried or given up
                error_class = f"{type(exc).__module__}.{type(exc).__qualname__}"
                text = "".join(traceback.format_exception(exc))
                # The lease is gone: due again at once, for the next holder.
                backoff = not isinstance(exc, LeaseLost)
                await self._db(task_failed, row, error_class=error_class, error=text, backoff=backoff)
                if not isinstance(exc, Exception) or isinstance(exc, LeaseLost):
                    raise  # cancelled (the worker is stopping or lost the lease), or the lease is lost
                if isinstance(exc, ConnectionClosed | GatewayError | TimeoutError):
                    return  # the connection is in trouble: later, maybe on a fresh one
            else:
                await self._db(row.set_successful, value)

    async def _diagnostics(self, conn: Connection, *, since_ms: int) -> None:
        """Feed new memory diagnostics to the alerts service (each ``seq`` once per worker run)."""
        answer = await self._call_quietly(conn, "diagnostics.stability")
        if not isinstance(answer, dict):
            return
        fresh = []
        for item in answer.get("events") or []:
            if not isinstance(item, dict):
                continue
            seq = item.get("seq") if isinstance(item.get("seq"), int) else -1
            if self.diag_seq is not None and seq <= self.diag_seq:
                continue
            if self.diag_seq is None and (item.get("ts") or 0) < since_ms:
                continue
            fresh.append(item)
        if isinstance(answer.get("lastSeq"), int):
            self.diag_seq = answer["lastSeq"]
        if events := mirror.alert_events_from_diagnostics(fresh):
            await self.db(mirror.alerts_ingest, gateway_id=self.gateway_id, events=events)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


@dataclass
class _Running:
    session: GatewaySession
    task: asyncio.Task
    since: float  # monotonic


class GatewayWorker:
    """Holds the leases of its share of the linked gateways and runs a GatewaySession for each.

    ``only``: a worker for these gateways alone (``--gateway``), outside the fair share.
    """

    def __init__(
        self,
        *,
        only: set[int] | None = None,
        lease_seconds: float | None = None,
        renew_every: float | None = None,
        **session_options: Any,
    ) -> None:
        self.only = only
        self.lease_seconds = lease_seconds or settings.CP_GATEWAY_LEASE_SECONDS
        self.renew_every = renew_every or settings.CP_GATEWAY_LEASE_RENEW_SECONDS
        self.session_options = session_options
        host = socket.gethostname()
        self.identity = leases.WorkerIdentity(
            worker_id=f"gateway-{host[:30]}-{os.getpid()}-{uuid.uuid4().hex[:8]}",
            hostname=host,
            pid=os.getpid(),
            fleet=only is None,
        )
        self.db = Db()  # the sessions' database thread
        self.lease_db = Db()  # renewals never queue behind the sessions' work
        self.keeper = LeaseKeeper(self.lease_seconds)
        self.sessions: dict[int, _Running] = {}
        self.restarts: dict[int, float] = {}  # shared by the sessions: see GatewaySession.restarts
        self.handing_back: dict[int, asyncio.Task] = {}
        # The task-worker heartbeat: the gateway tasks this process claims are its (one id for both).
        self.heartbeat = Heartbeat(self.worker_id, schedule=False)

    @property
    def worker_id(self) -> str:
        return self.identity.worker_id

    async def run(self, stop: asyncio.Event) -> None:
        await self.lease_db(self.heartbeat.start)
        watchdog = asyncio.create_task(self._watchdog(stop), name="lease-watchdog")
        try:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    round_ = await self.lease_db(
                        leases.lease_round,
                        worker=self.identity,
                        lease_seconds=self.lease_seconds,
                        only=self.only,
                    )
                except Exception:
                    # The database is away: the watchdog drops the connections before the leases expire.
                    logger.exception("gateway worker %s: lease renewal failed", self.worker_id)
                    await _sleep(stop, self.renew_every)
                    continue
                self.keeper.renewed(started, round_.held)
                self._apply(round_, stop)
                await _sleep(stop, self._pause(round_))
        finally:
            stop.set()
            watchdog.cancel()
            closing = [self._cancel(gateway_id) for gateway_id in list(self.sessions)]
            # Every connection closed before the leases are handed back.
            await asyncio.gather(*closing, *self.handing_back.values(), return_exceptions=True)
            with contextlib.suppress(Exception):
                await self.lease_db(leases.worker_retire, worker_id=self.worker_id)
            with contextlib.suppress(Exception):
                await self.lease_db(self.heartbeat.stop)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, self.db.close)
            await loop.run_in_executor(None, self.lease_db.close)

    def _apply(self, round_: leases.Round, stop: asyncio.Event) -> None:
        """Make the running sessions match the leases: stop lost ones, hand back, start new ones."""
        for gateway_id, running in list(self.sessions.items()):
            lease = running.session.lease
            if lease is None or round_.held.get(gateway_id) != lease.generation:
                logger.warning(
                    "gateway %s: lease lost to another worker; dropping the connection", gateway_id
                )
                self._cancel(gateway_id)
            elif running.task.done():
                self.sessions.pop(gateway_id)
                if not running.task.cancelled() and running.task.exception() is not None:
                    logger.error("gateway %s session crashed", gateway_id, exc_info=running.task.exception())
        for gateway_id in round_.held.keys() - round_.wanted:
            self._hand_back(gateway_id, round_)  # unlinked, or not ours to hold
        if round_.release:
            # Hand back the gateways in trouble first, then the most recently taken.
            keep = sorted(
                (g for g in self.sessions if g not in self.handing_back),
                key=lambda g: (self.sessions[g].session.connected, -self.sessions[g].since),
            )
            for gateway_id in keep[: round_.release]:
                self._hand_back(gateway_id, round_)
        for gateway_id in sorted(round_.held.keys() & round_.wanted):
            if gateway_id in self.sessions or gateway_id in self.handing_back:
                continue
            lease = round_.lease(gateway_id, self.worker_id)
            session = GatewaySession(
                gateway_id,
                self.db,
                lease=lease,
                keeper=self.keeper,
                worker_id=self.worker_id,
                restarts=self.restarts,
                **self.session_options,
            )
            task = asyncio.create_task(session.run(stop), name=f"gateway-{gateway_id}")
            self.sessions[gateway_id] = _Running(session, task, time.monotonic())
            if gateway_id in round_.acquired:
                logger.info("gateway %s: lease taken (generation %s)", gateway_id, lease.generation)

    def _cancel(self, gateway_id: int) -> asyncio.Task | None:
        running = self.sessions.pop(gateway_id, None)
        if running is None:
            return None
        running.task.cancel()  # its finally closes the connection
        return running.task

    def _hand_back(self, gateway_id: int, round_: leases.Round) -> None:
        """Close the connection, then free the lease, so the next holder never overlaps with it."""
        if gateway_id in self.handing_back:
            return
        lease = round_.lease(gateway_id, self.worker_id)
        task = self._cancel(gateway_id)

        async def hand_back() -> None:
            try:
                if task is not None:
                    await asyncio.gather(task, return_exceptions=True)
                await self.lease_db(leases.lease_release, lease=lease)
                logger.info("gateway %s: lease handed back", gateway_id)
            finally:
                self.handing_back.pop(gateway_id, None)

        self.handing_back[gateway_id] = asyncio.create_task(hand_back(), name=f"hand-back-{gateway_id}")

    def _pause(self, round_: leases.Round) -> float:
        """Until the next round: the renewal interval, or less when another worker's lease expires sooner."""
        pause = self.renew_every
        if round_.next_expiry is not None:
            until = (round_.next_expiry - round_.now).total_seconds() + 0.05
            pause = max(0.05, min(pause, until))
        return pause

    async def _watchdog(self, stop: asyncio.Event) -> None:
        """Drop every connection once the last renewal is too old to vouch for the leases."""
        while not stop.is_set():
            await _sleep(stop, 0.25)
            if self.sessions and not self.keeper.fresh:
                logger.error(
                    "gateway worker %s: leases not renewed in time; dropping %d connection(s)",
                    self.worker_id,
                    len(self.sessions),
                )
                for gateway_id in list(self.sessions):
                    self._cancel(gateway_id)
