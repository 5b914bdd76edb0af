"""The gateway worker: one asyncio process keeping a connection to every linked gateway.

Per gateway (``GatewaySession``): connect (or explain in words why not), backfill pending pairing
and exec requests and the config hash, then follow events; every second send the decisions taken in
the panel and run the gateway's queued tasks (queue "gateways": config pushes); poll ``health``
and memory diagnostics now and then. On close 1012 (the gateway restarts in-process) reconnect at
once and keep retrying briefly; otherwise back off with jitter up to 30 s.

Database work is plain synchronous Django code run on one dedicated thread (``Db``): simple, and
the event loop never blocks on the ORM. The worker beats a task-worker heartbeat (as ``db_worker``
does), so a gateway task it held when it died is taken back and run by the next connection.
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
from django.db import close_old_connections, connection

from controlpanel.background.worker import GATEWAY_QUEUE, Heartbeat, claim_next, task_failed
from controlpanel.gatewayclient import Connection, GatewayError, PairingRequired, backoff_delay, connect
from controlpanel.gatewayclient.frames import ConnectionClosed
from controlpanel.models import GatewayLink
from controlpanel.services import config_live as live
from controlpanel.services import gateway_links as links
from controlpanel.services import gateway_mirror as mirror

logger = logging.getLogger(__name__)
State = GatewayLink.State

RESTART_CLOSE_CODE = 1012
PAIRING_POLL_SECONDS = 3.0  # how often to retry while the panel waits for its one-time approval


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


@dataclass(frozen=True)
class GatewayContext:
    """What a task of the "gateways" queue is called with (controlpanel/tasks/gateways.py)."""

    conn: Connection
    db: Db  # ``await gw.db(fn, *args)`` runs synchronous ORM code on the worker's database thread
    gateway_id: int


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
    if isinstance(exc, TimeoutError):
        return State.UNREACHABLE, f"No answer from {url} in time."
    if isinstance(exc, OSError):
        return State.UNREACHABLE, f"Cannot reach {url}: {exc.strerror or exc}."
    return State.UNREACHABLE, f"Connection to {url} failed: {exc}."


class GatewaySession:
    """Keeps one gateway connected until ``stop`` is set."""

    def __init__(
        self,
        gateway_id: int,
        db: Db,
        *,
        poll: float = 1.0,
        health_every: float = 20.0,
        diag_every: float = 60.0,
        worker_id: str = "",
    ) -> None:
        self.gateway_id = gateway_id
        self.db = db
        self.worker_id = worker_id
        self.poll = poll
        self.health_every = health_every
        self.diag_every = diag_every
        self.diag_seq: int | None = None
        self.config_stale = False  # a config.changed arrived: read the running config again

    async def run(self, stop: asyncio.Event) -> None:
        attempt = 0
        while not stop.is_set():
            options = await self.db(links.connect_options_for, self.gateway_id)
            if options is None:
                await _sleep(stop, 5.0)
                continue
            queue: asyncio.Queue = asyncio.Queue()
            try:
                conn = await connect(options, on_event=queue.put_nowait)
            except (
                GatewayError,
                OSError,
                TimeoutError,
                websockets.InvalidHandshake,
                ConnectionClosed,
            ) as exc:
                state, error = describe_error(exc, options.url)
                pairing_id = exc.request_id if isinstance(exc, PairingRequired) else ""
                await self.db(
                    links.link_record_problem,
                    gateway_id=self.gateway_id,
                    state=state,
                    error=error,
                    pairing_request_id=pairing_id,
                )
                delay = PAIRING_POLL_SECONDS if pairing_id else backoff_delay(attempt)
                attempt += 1
                await _sleep(stop, delay)
                continue
            attempt = 0
            try:
                await self._serve(conn, queue, stop)
            finally:
                await conn.close()
            if stop.is_set():
                break
            if conn.close_code == RESTART_CLOSE_CODE:
                state, error = State.RESTARTING, "The gateway is restarting (close 1012); reconnecting."
            else:
                state, error = State.UNREACHABLE, f"The connection closed (code {conn.close_code})."
            await self.db(links.link_record_problem, gateway_id=self.gateway_id, state=state, error=error)
            await _sleep(stop, 0.5)

    async def _serve(self, conn: Connection, queue: asyncio.Queue, stop: asyncio.Event) -> None:
        await self.db(links.link_record_connected, gateway_id=self.gateway_id, hello=conn.hello)
        connected_ms = int(time.time() * 1000)
        next_health = time.monotonic() + self.health_every
        next_diag = time.monotonic() + self.diag_every
        try:
            await self._backfill(conn)
            while not stop.is_set() and not conn.closed:
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
                        return  # reconnect with what the owner just saved
                    health = await conn.call("health")
                    await self.db(links.link_record_health, gateway_id=self.gateway_id, health=health or {})
                if time.monotonic() >= next_diag:
                    next_diag = time.monotonic() + self.diag_every
                    await self._diagnostics(conn, since_ms=connected_ms)
        except ConnectionClosed:
            return
        except (GatewayError, TimeoutError) as exc:
            # Unexpected refusal or silence on a call that must work: start the connection afresh.
            logger.warning("gateway %s: %s; reconnecting", self.gateway_id, exc)
            return

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
            logger.warning("gateway %s: %s refused: %s", self.gateway_id, method, exc)
            return None
        except TimeoutError:
            logger.warning("gateway %s: %s timed out", self.gateway_id, method)
            return None

    async def _backfill(self, conn: Connection) -> None:
        """After every (re)connect: what is pending there now, and the config hash."""
        for kind in ("device", "node"):
            listing = await self._call_quietly(conn, f"{kind}.pair.list")
            if isinstance(listing, dict):
                await self.db(
                    mirror.pairing_reconcile,
                    gateway_id=self.gateway_id,
                    kind=kind,
                    pending=[p for p in listing.get("pending") or [] if isinstance(p, dict)],
                )
        approvals = await self._call_quietly(conn, "exec.approval.list")
        if isinstance(approvals, list):
            await self.db(
                mirror.exec_reconcile,
                gateway_id=self.gateway_id,
                pending=[a for a in approvals if isinstance(a, dict)],
            )
        await self._fetch_config(conn)

    async def _fetch_config(self, conn: Connection) -> None:
        """Read the running config (hash and redacted text): the panel compares it with its revisions."""
        self.config_stale = False
        config = await self._call_quietly(conn, "config.get")
        if isinstance(config, dict) and config.get("hash"):
            await self.db(live.live_config_record, gateway_id=self.gateway_id, payload=config)

    async def _on_event(self, frame: dict[str, Any]) -> None:
        name = frame.get("event")
        payload = frame.get("payload") if isinstance(frame.get("payload"), dict) else {}
        gid = self.gateway_id
        if name in ("device.pair.requested", "node.pair.requested"):
            await self.db(mirror.pairing_mirror, gateway_id=gid, kind=name.split(".")[0], record=payload)
        elif name in ("device.pair.resolved", "node.pair.resolved"):
            await self.db(
                mirror.pairing_resolved_elsewhere,
                gateway_id=gid,
                kind=name.split(".")[0],
                request_id=str(payload.get("requestId") or ""),
                decision=str(payload.get("decision") or ""),
            )
        elif name == "exec.approval.requested":
            await self.db(mirror.exec_mirror, gateway_id=gid, payload=payload)
        elif name == "exec.approval.resolved":
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
            await self.db(
                links.link_record_problem,
                gateway_id=gid,
                state=State.RESTARTING,
                error=f"The gateway announced a shutdown: {payload.get('reason') or 'no reason given'}.",
            )
        if events := mirror.alert_events_from_frame(frame):
            await self.db(mirror.alerts_ingest, gateway_id=gid, events=events)

    async def _deliver(self, conn: Connection) -> None:
        """Send the panel's decisions; record each answer (delivered, or refused in the gateway's words)."""
        for item in await self.db(mirror.deliveries_pending, self.gateway_id):
            try:
                await conn.call(item.method, item.params)
            except GatewayError as exc:
                if exc.transient:
                    return  # e.g. restarting: the decision stays pending and is sent again
                await self.db(
                    mirror.delivery_record, model=item.model, pk=item.pk, ok=False, error=exc.message
                )
            else:
                await self.db(mirror.delivery_record, model=item.model, pk=item.pk, ok=True)

    async def _run_tasks(self, conn: Connection) -> None:
        """Run this gateway's queued tasks (queue "gateways") on this connection, one at a time."""
        context = GatewayContext(conn=conn, db=self.db, gateway_id=self.gateway_id)
        while True:
            row = await self.db(
                claim_next,
                worker_id=self.worker_id,
                queue_name=GATEWAY_QUEUE,
                match={"gateway_id": self.gateway_id},
            )
            if row is None:
                return
            args, kwargs = row.args_kwargs["args"], row.args_kwargs["kwargs"]
            try:
                func = row.task.func
                if iscoroutinefunction(func):
                    value = await func(context, *args, **kwargs)
                else:
                    value = await self.db(func, context, *args, **kwargs)
            except BaseException as exc:  # recorded as a failed attempt: retried or given up
                error_class = f"{type(exc).__module__}.{type(exc).__qualname__}"
                text = "".join(traceback.format_exception(exc))
                await self.db(task_failed, row, error_class=error_class, error=text)
                if not isinstance(exc, Exception):
                    raise  # cancelled: the worker is stopping
                if isinstance(exc, ConnectionClosed | GatewayError | TimeoutError):
                    return  # the connection is in trouble: later, maybe on a fresh one
            else:
                await self.db(row.set_successful, value)

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


class GatewayWorker:
    """Runs a GatewaySession for every linked gateway; picks up new links every ``rescan`` seconds."""

    def __init__(self, *, rescan: float = 5.0, only: set[int] | None = None, **session_options: Any) -> None:
        self.rescan = rescan
        self.only = only
        self.session_options = session_options
        self.db = Db()
        self.worker_id = f"gateway-{socket.gethostname()[:30]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.heartbeat = Heartbeat(self.worker_id, schedule=False)

    async def run(self, stop: asyncio.Event) -> None:
        tasks: dict[int, asyncio.Task] = {}
        await self.db(self.heartbeat.start)
        try:
            while not stop.is_set():
                wanted = set(await self.db(links.linked_gateway_ids))
                if self.only is not None:
                    wanted &= self.only
                for gid in wanted - tasks.keys():
                    session = GatewaySession(gid, self.db, worker_id=self.worker_id, **self.session_options)
                    tasks[gid] = asyncio.create_task(session.run(stop), name=f"gateway-{gid}")
                for gid in set(tasks) - wanted:
                    tasks.pop(gid).cancel()
                for gid, task in list(tasks.items()):
                    if task.done() and not task.cancelled() and task.exception() is not None:
                        logger.error("gateway %s session crashed", gid, exc_info=task.exception())
                        tasks.pop(gid)  # restarted on the next scan
                await _sleep(stop, self.rescan)
        finally:
            stop.set()
            await asyncio.gather(*tasks.values(), return_exceptions=True)
            await self.db(self.heartbeat.stop)
            await asyncio.get_running_loop().run_in_executor(None, self.db.close)
