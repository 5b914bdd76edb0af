"""A client for the OpenClaw gateway WebSocket protocol (version 4). Pure asyncio: no Django here.

* ``identity``: the panel's Ed25519 device identity and the v3 challenge signature;
* ``frames``: building and reading the three frame kinds, and the gateway's errors;
* ``connection``: one authenticated connection with request/response correlation and events;
* ``backoff``: reconnect delays (capped exponential with jitter).
"""

from .backoff import backoff_delay
from .connection import Connection, ConnectOptions, connect
from .frames import GatewayError, PairingRequired
from .identity import DeviceIdentity, signature_payload_v3

__all__ = [
    "ConnectOptions",
    "Connection",
    "DeviceIdentity",
    "GatewayError",
    "PairingRequired",
    "backoff_delay",
    "connect",
    "signature_payload_v3",
]
