"""Keep the cyclic garbage collector's full collections short in an ASGI worker.

A full (generation 2) collection scans every tracked object that is not frozen. In a worker with
100 open sockets that is about 50,000 objects (consumers, their coroutines and queues, the
WebSocket protocols, Django's caches), and bench/alerts_latency.py measured each full collection at
22-39 ms, about every 5 s per worker. A collection stops the whole process, so an alert being
handled or fanned out then arrives that much later: with 200 sockets, one such pause in a 10 s
run already decides the p99.

The policy: after each full collection, freeze its survivors (``gc.freeze()``). They have
survived a full collection, so they are long-lived; later full collections scan only what was
allocated since, which takes a few milliseconds. Objects frozen are still freed by reference
counting when their last reference goes. Only garbage in reference cycles among frozen objects
waits: every ``refresh_seconds`` the frozen objects are handed back (``gc.unfreeze()``), the next
full collection scans everything once (the old, long pause, once per period instead of every few
seconds) and frees those cycles, and freezing starts over. Memory held by such cycles is bounded by
what one period allocates.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

REFRESH_SECONDS = 600.0

_installed: list[Callable[[str, dict[str, Any]], None]] = []


def freeze_survivors(
    refresh_seconds: float = REFRESH_SECONDS, clock: Callable[[], float] = time.monotonic
) -> Callable[[str, dict[str, Any]], None]:
    """Return the ``gc.callbacks`` callback that applies the policy (see the module docstring)."""
    refreshed = clock()

    def callback(phase: str, info: dict[str, Any]) -> None:
        nonlocal refreshed
        if phase != "stop" or info.get("generation") != 2:
            return
        if clock() - refreshed >= refresh_seconds:
            refreshed = clock()
            gc.unfreeze()  # the next full collection sees (and frees) everything once
        else:
            gc.freeze()

    return callback


def install(refresh_seconds: float = REFRESH_SECONDS) -> None:
    """Apply the policy to this process (once; a second call does nothing)."""
    if not _installed:
        _installed.append(freeze_survivors(refresh_seconds))
        gc.callbacks.append(_installed[0])
