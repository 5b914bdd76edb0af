"""The alert fan-out's direct path to daphne's WebSocket protocol (consumers.daphne_wire)."""

from __future__ import annotations

import functools
import json

from autobahn.twisted.websocket import WebSocketServerFactory
from channels.sessions import InstanceSessionWrapper
from daphne.server import Server
from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol

from controlpanel.consumers import AlertsConsumer, daphne_wire

from .conftest import in_fresh_loop


def daphne_send():
    """The ``send`` a consumer gets under daphne: Channels' session wrapper around daphne's reply."""
    server = Server(application=None, endpoints=["tcp:port=0:interface=127.0.0.1"], signal_handlers=False)
    protocol = WebSocketFactory(server, server="daphne").buildProtocol(("127.0.0.1", 1))
    wrapper = InstanceSessionWrapper({"type": "websocket", "session": None, "cookies": {}}, None)
    wrapper.real_send = functools.partial(server.handle_reply, protocol)
    return wrapper.send, protocol


def test_the_protocol_is_found_under_daphnes_send_and_nowhere_else():
    send, protocol = daphne_send()
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
