"""After commit, ring the doorbells: one group message per gateway for the AlertEvents of a commit."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Sequence

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from controlpanel.live.frames import doorbell
from controlpanel.live.groups import gateway_group
from controlpanel.models import AlertEvent

logger = logging.getLogger(__name__)


def alert_events_emit(events: Sequence[AlertEvent]) -> None:
    """Call in the transaction that wrote ``events``: the one hook every AlertEvent goes through.

    Queues their notifications (the outbox row commits with the events or not at all,
    ``services.notify.outbox``) and rings the sockets' doorbells after commit.
    """
    from controlpanel.services.notify.outbox import alert_events_notify

    alert_events_notify(events)
    transaction.on_commit(lambda: alert_publish(events))


def alert_publish(events: Sequence[AlertEvent]) -> None:
    """Ring the doorbell for committed AlertEvents: one group_send per gateway, events in id order.

    Call it from ``transaction.on_commit``. In a request of an ASGI worker the sends are handed to
    the worker's event loop and not waited for: the loop is also the one that fans the doorbell out
    to this worker's sockets, so waiting would hold the request (and the next one queued behind it
    on the sync thread) until that fan-out is done. The loop runs handed-over sends in order, so a
    gateway's doorbells keep their order. Elsewhere (commands, tests) the sends are waited for.
    """
    by_gateway: dict[int, list[AlertEvent]] = {}
    for event in sorted(events, key=lambda e: e.pk):
        by_gateway.setdefault(event.gateway_id, []).append(event)
    messages = [(gateway_group(gid), doorbell(gid, batch)) for gid, batch in by_gateway.items()]
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    async def send_all() -> None:
        results = await asyncio.gather(
            *(layer.group_send(group, message) for group, message in messages), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                # The doorbell is best effort: the committed rows are the record and clients backfill.
                logger.error("alerts: group_send failed: %r", result)

    loop = _request_loop()
    if loop is not None:
        asyncio.run_coroutine_threadsafe(send_all(), loop)
    elif _loop_running_here():
        # Sync code on a thread that runs an event loop of its own (Playwright's, in the browser
        # tests, which allow it with DJANGO_ALLOW_ASYNC_UNSAFE): async_to_sync refuses; send from a
        # thread of its own and wait, as elsewhere.
        sender = threading.Thread(target=asyncio.run, args=(send_all(),), name="alerts-publish")
        sender.start()
        sender.join()
    else:
        async_to_sync(send_all)()


def _loop_running_here() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _request_loop() -> asyncio.AbstractEventLoop | None:
    """Return the running event loop this sync thread serves an ASGI request for, else None.

    asgiref records it for its own ``async_to_sync`` in ``SyncToAsync.threadlocal``.
    """
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is None or getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    return loop if loop.is_running() and not loop.is_closed() else None
