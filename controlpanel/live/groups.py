"""Channel-layer group names, close codes, and what services tell a user's open sockets.

The only module that knows group names. Services call ``sockets_*`` inside their transaction; the
message goes out after commit (best effort: a socket that misses one is rechecked at its next
event, and the database stays the record).
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

# Close codes the browser understands. A server may only send 1000 or 3000-4999 (RFC 6455 7.4.2;
# autobahn refuses anything else and daphne then closes with 1011 and logs a traceback). 4000-4999
# are the application's: static/js/alerts.js stops on 4401/4403 and reconnects at once on 4000.
CLOSE_RESCOPE = 4000  # the visible gateways changed: reconnect at once with a fresh scope
CLOSE_LOGGED_OUT = 4401  # the session ended (logout, expiry, password change, deactivation)
CLOSE_UNSUPPORTED = 4003  # a binary frame (the protocol is JSON text)
CLOSE_TOO_FAST = 4008  # asking for a resync more than once a second
CLOSE_TOO_BIG = 4009  # a frame larger than a client ever sends


def gateway_group(gateway_id: int) -> str:
    """Return the group of gateway ``gateway_id``'s doorbells (each worker's alert hub joins it)."""
    return f"alerts.gw-{gateway_id}"


def user_group(user_id: int) -> str:
    """Return the per-user control group (re-scope, re-check and force-close messages)."""
    return f"alerts.user-{user_id}"


def _send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        # Best effort: the committed rows are the record and clients backfill.
        logger.exception("alerts: group_send to %s failed", group)


def sockets_rescope(user_id: int) -> None:
    """After commit, tell the user's sockets to recompute the gateways they may see (role change)."""
    transaction.on_commit(lambda: _send(user_group(user_id), {"type": "alerts.rescope"}))


def sockets_close(user_id: int, code: int) -> None:
    """After commit, close every socket of the user with ``code`` (logout, membership removed)."""
    transaction.on_commit(lambda: _send(user_group(user_id), {"type": "alerts.close", "code": code}))


def sockets_recheck(user_id: int) -> None:
    """After commit, have each of the user's sockets check that its session still authenticates the
    user (deactivated, password changed, session deleted); those whose session does not close."""
    transaction.on_commit(lambda: _send(user_group(user_id), {"type": "alerts.recheck"}))
