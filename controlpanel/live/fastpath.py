"""Under daphne, the alert fan-out writes a doorbell's frame to each socket itself: prepared once for
all sockets of the worker, and straight onto the socket when nothing is queued ahead of it.

Why. Through the consumer's ``send`` each frame went through Channels, daphne and autobahn per socket
(about 80 µs each) and then sat in twisted's buffer until the loop's next turn (register, write,
unregister: about 50 µs more), so the first byte left only after the whole fan-out
(bench/alerts_latency.py). Here autobahn frames the text once per doorbell (``prepareMessage``) and,
when autobahn and twisted have nothing buffered for the socket, the frame goes out with one ``send``.

What it relies on: daphne's protocol object under the ASGI ``send`` (``daphne_wire``), autobahn's
``sendPreparedMessage`` and send queue, and twisted's TCP transport buffers (private attributes;
twisted and autobahn are pinned next to daphne in pyproject.toml). Those are checked once per worker,
on its first socket, against the real protocol and transport: whatever is missing switches off the
part that needs it, with one WARNING, and frames go through autobahn's or the standard send. Should
the fast path raise anyway, the frame goes through the standard send, the fast path is off for the
worker, and that is one WARNING too. It never costs an alert its live delivery.
"""

from __future__ import annotations

import functools
import logging
import sys
from importlib import metadata
from typing import Any

try:  # daphne's transport (twisted is daphne's dependency)
    from twisted.internet.tcp import Connection as TcpConnection
except ImportError:  # pragma: no cover - another ASGI server without twisted installed
    TcpConnection = None

logger = logging.getLogger(__name__)

# What the fast path reads on daphne's protocol (autobahn) to write a prepared frame ...
PREPARED_NEEDS = ("state", "STATE_OPEN", "factory", "transport", "sendPreparedMessage")
# ... and, to write it onto the socket itself, on the protocol and on twisted's TCP transport.
DIRECT_NEEDS = ("_perMessageCompress", "send_queue")
TRANSPORT_NEEDS = (
    "connected",
    "disconnecting",
    "_writeDisconnected",
    "_tempDataLen",
    "offset",
    "dataBuffer",
    "socket",
    "write",
)


class _Mode:
    """What this worker's fast path may do (decided once, by ``probe``)."""

    def __init__(self) -> None:
        self.prepared: bool | None = None  # None: not probed yet
        self.direct: bool | None = None  # None: no TCP transport probed yet
        self.warned = False


mode = _Mode()


def reset() -> None:
    """Forget the probe's answers (tests)."""
    global mode
    mode = _Mode()


def _warn(what: str) -> None:
    if mode.warned:
        return
    mode.warned = True
    versions = ", ".join(f"{name} {_version(name)}" for name in ("daphne", "twisted", "autobahn"))
    logger.warning(
        "alerts: daphne fast path off (%s; %s): frames go through the standard send", what, versions
    )


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _missing(obj: Any, names: tuple[str, ...]) -> list[str]:
    kind = type(obj)
    return [f"{kind.__module__}.{kind.__qualname__}.{name}" for name in names if not hasattr(obj, name)]


def probe(wire: Any) -> None:
    """Check, once per worker, that ``wire`` (daphne's protocol) and its TCP transport have what the
    fast path reads; what is missing switches off the part that needs it, with one WARNING."""
    if mode.prepared is None:
        missing = _missing(wire, PREPARED_NEEDS) + _missing(
            getattr(wire, "factory", None), ("prepareMessage",)
        )
        mode.prepared = not missing
        if missing:
            mode.direct = False
            _warn("missing " + ", ".join(missing))
            return
    transport = getattr(wire, "transport", None)
    if mode.direct is None and TcpConnection is not None and isinstance(transport, TcpConnection):
        missing = _missing(wire, DIRECT_NEEDS) + _missing(transport, TRANSPORT_NEEDS)
        mode.direct = not missing
        if missing:
            _warn("missing " + ", ".join(missing))


def fail(exc: BaseException) -> None:
    """The fast path raised although the probe passed: off for this worker, with one WARNING."""
    mode.prepared = mode.direct = False
    _warn(f"it raised {exc!r}")


def daphne_wire(send: Any) -> Any | None:
    """Return daphne's WebSocket protocol (autobahn) under the ASGI ``send`` a consumer got, or None.

    Under daphne, ``send`` is Channels' session wrapper around ``partial(Server.handle_reply,
    protocol)``. Anything else (another server, tests' communicators, a changed daphne) returns None
    and the consumer uses ``send``.
    """
    seen = 0
    while (inner := getattr(getattr(send, "__self__", None), "real_send", None)) is not None and seen < 8:
        send, seen = inner, seen + 1  # Channels' session wrappers, outermost first
    if not isinstance(send, functools.partial) or getattr(send.func, "__name__", "") != "handle_reply":
        return None
    # Loaded whenever daphne serves (not imported here: importing it installs twisted's reactor).
    server = sys.modules.get("daphne.server")
    if server is None or not isinstance(getattr(send.func, "__self__", None), server.Server):
        return None  # daphne's Server or a subclass (controlpanel.serve's, under `make run`)
    return send.args[0] if len(send.args) == 1 else None


def wire_for(send: Any) -> Any | None:
    """Return daphne's protocol under ``send`` if this worker's fast path can write to it, else None."""
    wire = daphne_wire(send)
    if wire is None:
        return None
    probe(wire)
    return wire if mode.prepared else None


def active() -> bool:
    """False once the fast path failed in this worker (sockets then use the standard send)."""
    return mode.prepared is not False


def prepare(wire: Any, text: str, shared: dict) -> Any:
    """Return ``text`` as a prepared frame of ``wire``'s factory, made once per doorbell (``shared``)."""
    key = ("prepared", id(wire.factory))
    if (prepared := shared.get(key)) is None:
        prepared = shared[key] = wire.factory.prepareMessage(text.encode())
    return prepared


def write_prepared(wire: Any, prepared: Any) -> None:
    """Write a prepared frame to daphne's protocol ``wire``: onto its socket at once when it can.

    ``sendPreparedMessage`` hands the bytes to twisted, which buffers them, registers the socket with
    the event loop and writes them on the loop's next turn. When nothing is queued ahead (no
    autobahn send queue, no compression, twisted's buffer empty, the connection open), the frame
    goes straight to the non-blocking socket here: one ``send``. What the kernel does not take, and
    every other case, goes through twisted as before, behind anything already buffered, so frames
    keep their order. Every attribute read happens before any byte is written.
    """
    transport = wire.transport
    if mode.direct is not False and TcpConnection is not None and isinstance(transport, TcpConnection):
        if mode.direct is None:
            probe(wire)
        if (
            mode.direct
            and wire._perMessageCompress is None
            and not wire.send_queue
            and transport.connected
            and not transport.disconnecting
            and not transport._writeDisconnected
            and not transport._tempDataLen
            and transport.offset == len(transport.dataBuffer)
        ):
            data = prepared.payloadHybi
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
