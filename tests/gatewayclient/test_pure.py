"""Identity, signature payload, allowed client ids and backoff: no network."""

from __future__ import annotations

import hashlib
import random

import pytest

from controlpanel.gatewayclient import ConnectOptions, DeviceIdentity, backoff_delay, signature_payload_v3
from controlpanel.gatewayclient.frames import error_from


def test_the_v3_payload_is_pipe_joined_in_protocol_order():
    payload = signature_payload_v3(
        device_id="abc",
        client_id="gateway-client",
        client_mode="ui",
        role="operator",
        scopes=["operator.read", "operator.admin"],
        signed_at_ms=1795237362284,
        token="tok",
        nonce="n1",
        platform=" Linux ",
        device_family="",
    )
    assert (
        payload
        == "v3|abc|gateway-client|ui|operator|operator.read,operator.admin|1795237362284|tok|n1|linux|"
    )


def test_the_device_id_is_the_sha256_of_the_raw_public_key():
    identity = DeviceIdentity(bytes(range(32)))
    assert identity.device_id == hashlib.sha256(identity.public_key_raw).hexdigest()
    assert len(identity.public_key) == 43 and "=" not in identity.public_key  # base64url, no padding
    assert DeviceIdentity(identity.seed).device_id == identity.device_id  # the seed is enough


@pytest.mark.parametrize(("client_id", "mode"), [("django-panel", "ui"), ("gateway-client", "daemon")])
def test_only_client_ids_and_modes_the_gateway_accepts(client_id, mode):
    with pytest.raises(ValueError, match="accepts"):
        ConnectOptions(
            url="ws://x", identity=DeviceIdentity.generate(), client_id=client_id, client_mode=mode
        )


@pytest.mark.parametrize(
    ("attempt", "low", "high"), [(0, 0.25, 0.5), (3, 2.0, 4.0), (10, 15.0, 30.0), (99, 15.0, 30.0)]
)
def test_backoff_grows_and_is_capped_with_jitter(attempt, low, high):
    rng = random.Random(7)
    delays = [backoff_delay(attempt, rng=rng) for _ in range(50)]
    assert all(low <= d <= high for d in delays)
    assert len(set(delays)) > 1  # jitter: retries do not march in step


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        ({"code": "UNAVAILABLE", "message": "health unavailable during gateway restart"}, True),
        ({"code": "INVALID_REQUEST", "message": "busy", "retryable": True}, True),
        ({"code": "INVALID_REQUEST", "message": "config changed since last load"}, False),
    ],
)
def test_restart_answers_are_transient_not_refusals(error, transient):
    assert error_from(error).transient is transient
