"""The alert fan-out's direct path to daphne's WebSocket protocol (live.fastpath.daphne_wire) and on to
the socket (live.fastpath.write_prepared); the probe and the fallback when twisted or autobahn change."""

from __future__ import annotations

import functools
import json
import logging
import socket

import pytest
from autobahn.twisted.websocket import WebSocketServerFactory
from channels.sessions import InstanceSessionWrapper
from daphne.server import Server
from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
from twisted.internet import tcp
from twisted.internet.address import IPv4Address

from controlpanel.live import fastpath
from controlpanel.live.consumer import AlertsConsumer
from controlpanel.live.fastpath import daphne_wire, write_prepared

from .conftest import in_fresh_loop


@pytest.fixture(autouse=True)
def _fresh_probe():
    """Each test's worker starts with its fast path not probed yet."""
    fastpath.reset()
    yield
    fastpath.reset()


def daphne_send(server_class=Server):
    """The ``send`` a consumer gets under daphne: Channels' session wrapper around daphne's reply."""
    server = server_class(
        application=None, endpoints=["tcp:port=0:interface=127.0.0.1"], signal_handlers=False
    )
    protocol = WebSocketFactory(server, server="daphne").buildProtocol(("127.0.0.1", 1))
    wrapper = InstanceSessionWrapper({"type": "websocket", "session": None, "cookies": {}}, None)
    wrapper.real_send = functools.partial(server.handle_reply, protocol)
    return wrapper.send, protocol


def test_the_protocol_is_found_under_daphnes_send_and_nowhere_else():
    from controlpanel.serve import PanelServer

    send, protocol = daphne_send()
    panel_send, panel_protocol = daphne_send(PanelServer)  # `make run` serves with daphne's subclass
    assert daphne_wire(panel_send) is panel_protocol
    assert isinstance(protocol, WebSocketProtocol)
    assert daphne_wire(send) is protocol
    assert daphne_wire(send.__self__.real_send) is protocol  # without the session wrapper too

    async def other_send(message):  # another server, or channels.testing's communicator
        pass

    assert daphne_wire(other_send) is None
    assert daphne_wire(functools.partial(print, protocol)) is None  # a partial, but not daphne's
    assert daphne_wire(None) is None


class Wire:
    """daphne's protocol as the fan-out uses it: state, factory, sendPreparedMessage."""

    STATE_OPEN = WebSocketProtocol.STATE_OPEN
    transport = None  # not twisted's TCP transport: the prepared frame goes through autobahn's send

    def __init__(self, factory) -> None:
        self.factory, self.state, self.sent = factory, WebSocketProtocol.STATE_OPEN, []

    def sendPreparedMessage(self, prepared) -> None:
        self.sent.append(prepared.payloadHybi)


def consumer(wire, gateway_ids=(7,)) -> AlertsConsumer:
    c = AlertsConsumer()
    c.gateway_ids, c.held, c.wire, c.sent = set(gateway_ids), None, wire, []

    async def send(text_data=None, bytes_data=None, close=False):
        c.sent.append(text_data)

    c.send = send
    return c


def test_a_frame_is_prepared_once_per_doorbell_and_written_to_each_open_visible_socket():
    in_fresh_loop(_prepared_once)


async def _prepared_once() -> None:
    factory = WebSocketServerFactory()
    prepared = []
    real_prepare = factory.prepareMessage
    factory.prepareMessage = lambda payload, *a, **kw: prepared.append(payload) or real_prepare(payload)
    wires = [Wire(factory) for _ in range(3)]
    one, two, hidden = consumer(wires[0]), consumer(wires[1]), consumer(wires[2], gateway_ids=(8,))
    text = json.dumps({"type": "alert", "id": 5, "html": "<li>é</li>"})
    shared: dict = {}
    for c in (one, two, hidden):
        await c.push(7, text, shared)
    assert prepared == [text.encode()]  # once, for all the sockets of this worker
    payload = text.encode()
    frame = bytes([0x81, len(payload)]) + payload  # FIN + text, unmasked (a server's frame)
    assert wires[0].sent == [frame] and wires[1].sent == [frame]
    assert wires[2].sent == [] and hidden.sent == []  # not its gateway: nothing, by either path
    assert one.sent == [] and two.sent == []


def test_without_a_wire_or_before_the_backfill_or_once_closing_the_consumer_sends_as_usual():
    in_fresh_loop(_usual_paths)


async def _usual_paths() -> None:
    factory = WebSocketServerFactory()
    text = json.dumps({"type": "alert", "id": 6})
    plain = consumer(None)
    await plain.push(7, text, {})
    assert plain.sent == [text]
    closing_wire = Wire(factory)
    closing_wire.state = WebSocketProtocol.STATE_CLOSING
    closing = consumer(closing_wire)
    await closing.push(7, text, {})
    assert closing.sent == [text] and closing_wire.sent == []  # daphne's own send drops it properly
    connecting_wire = Wire(factory)
    connecting = consumer(connecting_wire)
    connecting.held = []  # connect-time backfill not sent yet
    await connecting.push(7, text, {})
    assert connecting.held == [text] and connecting_wire.sent == [] and connecting.sent == []
    no_scratch = consumer(Wire(factory))
    await no_scratch.push(7, text)  # the hub's lost-doorbell path passes no scratch
    assert no_scratch.sent == [text]


# --- onto the socket: daphne's protocol on a real twisted TCP transport over a socket pair ---------


class Reactor:
    """What twisted's transport asks of its reactor when it buffers: recorded, not run."""

    def __init__(self) -> None:
        self.writers: list = []

    def addWriter(self, writer) -> None:
        if writer not in self.writers:  # as a real reactor: registered once however often asked
            self.writers.append(writer)

    def removeWriter(self, writer) -> None:
        if writer in self.writers:
            self.writers.remove(writer)


class Transport(tcp.Connection):
    """twisted's TCP transport (write buffers, doWrite) with the addresses autobahn asks for."""

    def getPeer(self):
        return IPv4Address("TCP", "127.0.0.1", 50000)

    def getHost(self):
        return IPv4Address("TCP", "127.0.0.1", 8000)


def open_wire():
    """Return (daphne's protocol, open, on a real transport; the peer socket; the reactor)."""
    ours, peer = socket.socketpair()
    ours.setblocking(False)
    peer.setblocking(False)
    reactor = Reactor()
    server = Server(application=None, endpoints=["tcp:port=0:interface=127.0.0.1"], signal_handlers=False)
    wire = WebSocketFactory(server, server="daphne").buildProtocol(("127.0.0.1", 50000))
    transport = Transport(ours, wire, reactor)
    transport.connected = 1
    wire.makeConnection(transport)
    wire.state = WebSocketProtocol.STATE_OPEN  # as after the handshake
    return wire, peer, reactor


def received(peer: socket.socket) -> bytes:
    out = b""
    while True:
        try:
            chunk = peer.recv(1 << 20)
        except BlockingIOError:
            return out
        if not chunk:
            return out
        out += chunk


def text_frame(payload: bytes) -> bytes:
    """A server's unmasked, unfragmented text frame."""
    if len(payload) < 126:
        return bytes([0x81, len(payload)]) + payload
    if len(payload) < 1 << 16:
        return bytes([0x81, 126]) + len(payload).to_bytes(2, "big") + payload
    return bytes([0x81, 127]) + len(payload).to_bytes(8, "big") + payload


def test_on_an_idle_socket_the_frame_is_on_the_wire_when_push_returns():
    in_fresh_loop(_idle_socket)


async def _idle_socket() -> None:
    wire, peer, reactor = open_wire()
    text = json.dumps({"type": "alert", "id": 9, "html": "<li>x</li>"})
    await consumer(wire).push(7, text, {})
    assert received(peer) == text_frame(text.encode())
    assert reactor.writers == [] and wire.transport.dataBuffer == b""  # twisted never had to buffer


def test_behind_bytes_twisted_still_buffers_the_frame_waits_its_turn():
    wire, peer, reactor = open_wire()
    wire.sendPing(b"p")  # written by autobahn: buffered until the reactor's next turn
    prepared = wire.factory.prepareMessage(b'{"id": 10}')
    write_prepared(wire, prepared)
    assert received(peer) == b""  # not ahead of the ping
    assert reactor.writers == [wire.transport]
    wire.transport.doWrite()  # the reactor's turn
    assert received(peer) == bytes([0x89, 1]) + b"p" + text_frame(b'{"id": 10}')
    assert reactor.writers == []


def test_what_the_kernel_does_not_take_at_once_follows_through_twisted_in_order():
    wire, peer, reactor = open_wire()
    wire.transport.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    payload = json.dumps({"html": "x" * 3_000_000}).encode()
    write_prepared(wire, wire.factory.prepareMessage(payload))
    write_prepared(wire, wire.factory.prepareMessage(b'{"next": 1}'))  # queued behind the rest
    assert reactor.writers == [wire.transport]  # the kernel took only part: twisted has the rest
    got = received(peer)
    for _ in range(10_000):
        if not reactor.writers:
            break
        wire.transport.doWrite()
        got += received(peer)
    assert got == text_frame(payload) + text_frame(b'{"next": 1}')


def test_a_peer_that_is_gone_is_left_to_twisted_and_raises_nothing():
    wire, peer, reactor = open_wire()
    peer.close()
    write_prepared(wire, wire.factory.prepareMessage(b'{"id": 11}'))  # EPIPE on the direct send
    # Handed to twisted as before the fast path: its next write finds the loss and closes the socket.
    assert wire.transport._tempDataLen == len(text_frame(b'{"id": 11}'))
    assert reactor.writers == [wire.transport]


# --- the probe and the fallback (#17 item 4) ----------------------------------------------------------


@pytest.fixture
def renamed_twisted():
    """twisted as a release that renamed ``FileDescriptor._tempDataLen`` would be (see the module)."""
    from twisted.internet import abstract

    from .renamed_twisted_daphne import rename_in, undo

    originals = rename_in(abstract.FileDescriptor)
    yield
    undo(originals)


def fast_path_warnings(caplog) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == fastpath.__name__ and r.levelno == logging.WARNING
    ]


def daphne_wire_send(wire):
    """daphne's reply function for ``wire`` (what a consumer's ``send`` ends in under daphne)."""
    return functools.partial(wire.factory.server_class.handle_reply, wire)


def test_the_probe_passes_on_the_installed_twisted_and_autobahn(caplog):
    wire, _, _ = open_wire()
    assert fastpath.wire_for(daphne_wire_send(wire)) is wire
    assert fastpath.mode.prepared is True and fastpath.mode.direct is True
    assert fast_path_warnings(caplog) == []


def test_with_a_twisted_attribute_renamed_alerts_go_out_at_once_with_one_warning(renamed_twisted, caplog):
    in_fresh_loop(lambda: _renamed(caplog))


async def _renamed(caplog) -> None:
    wire, peer, _ = open_wire()
    other_wire, other_peer, _ = open_wire()
    sockets = [consumer(fastpath.wire_for(daphne_wire_send(w))) for w in (wire, other_wire)]
    assert sockets[0].wire is wire  # autobahn's prepared send still works ...
    assert fastpath.mode.direct is False  # ... but not the write onto the socket
    for n in range(3):
        text = json.dumps({"type": "alert", "id": n})
        shared: dict = {}
        for c in sockets:
            await c.push(7, text, shared)
        for w, p in ((wire, peer), (other_wire, other_peer)):
            w.transport.doWrite()  # the reactor's next turn: the frame was handed to twisted
            assert received(p) == text_frame(text.encode())
    warnings = fast_path_warnings(caplog)
    assert len(warnings) == 1 and "_tempDataLen" in warnings[0], warnings


def test_a_fast_path_that_raises_sends_the_frame_the_standard_way_and_warns_once(caplog):
    in_fresh_loop(lambda: _raises(caplog))


async def _raises(caplog) -> None:
    factory = WebSocketServerFactory()

    class Broken(Wire):
        def sendPreparedMessage(self, prepared) -> None:  # autobahn changed under us
            raise TypeError("sendPreparedMessage() takes 1 positional argument")

    sockets = [consumer(Broken(factory)), consumer(Broken(factory))]
    for n in range(3):
        text = json.dumps({"type": "alert", "id": n})
        shared: dict = {}
        for c in sockets:
            await c.push(7, text, shared)
    assert [c.sent for c in sockets] == [[json.dumps({"type": "alert", "id": n}) for n in range(3)]] * 2
    warnings = fast_path_warnings(caplog)
    assert len(warnings) == 1 and "raised" in warnings[0], warnings
    assert not fastpath.active()


def test_a_failing_push_is_a_warning_at_most_once_a_minute(caplog):
    from controlpanel.live.hub import AlertHub

    class Failing:
        gateway_ids = {7}

        async def push(self, gateway_id, text, shared=None):
            raise ConnectionResetError("gone")

    async def run() -> None:
        hub = AlertHub(layer=None, recover=False)
        hub.subscribers[7] = {Failing(), Failing()}
        for _ in range(3):
            await hub.fan_out({"type": "alert.event", "gateway_id": 7, "ids": [1], "text": "{}"})
        hub.push_failed.last -= 61  # a minute later
        await hub.fan_out({"type": "alert.event", "gateway_id": 7, "ids": [2], "text": "{}"})

    in_fresh_loop(run)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "could not push" in warnings[0] and "ConnectionResetError" in warnings[0]
    assert "(5 more in the last 60 s)" in warnings[1]
