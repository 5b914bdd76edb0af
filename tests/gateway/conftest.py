"""One real OpenClaw gateway per test session (5-40 s to start, ~700 MB), shared by the gateway tests.

Each test gets a fresh database; the panel identity that was paired once per session is stored
into a test's GatewayLink by ``link_paired``, so only the pairing test goes through pairing again.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from controlpanel import fieldcrypto
from controlpanel.gatewayclient import ConnectOptions, DeviceIdentity, PairingRequired, connect
from controlpanel.gatewayworker import GatewayWorker
from controlpanel.models import Gateway
from controlpanel.services.gateway_links import gateway_credentials_set, link_for

from .fake_llm import FakeLLM
from .realgw import (
    GatewayProcess,
    GatewayUnavailable,
    ensure_installed,
    new_gateway,
    session_gateway,
    session_value,
)

LLM_COMMAND = "echo approved-by-panel"


@pytest.fixture(autouse=True)
def _running_configs_not_recorded(oracle_parity_paused):
    """Configs read from the running gateway (drift what-ifs, adoption) hold this run's port and paths,
    and the gateway's own validator accepted them: nothing to record for the oracle comparison."""


@pytest.fixture(scope="session")
def fake_llm() -> FakeLLM:
    return session_value("fake_llm", lambda: FakeLLM(command=LLM_COMMAND))  # type: ignore[return-value]


@pytest.fixture(scope="session")
def real_gateway(tmp_path_factory, fake_llm) -> GatewayProcess:
    def start() -> GatewayProcess:
        ensure_installed()
        gateway = new_gateway(tmp_path_factory.mktemp("openclaw-gateway"))
        gateway.start(llm_port=fake_llm.port)
        return gateway

    try:
        # Stopped at exit by SIGTERM, then SIGKILL after 5 s: a pending exec approval would hold a
        # clean shutdown for ~5 minutes.
        return session_gateway(start)
    except GatewayUnavailable as exc:
        pytest.fail(f"cannot run the real gateway: {exc}")


def run(coro):
    """Run a coroutine to completion on a fresh thread and return its result.

    A thread of its own: the browser tests' Playwright keeps an event loop in the main thread.
    """
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")


def options(gateway: GatewayProcess, identity: DeviceIdentity, **kw) -> ConnectOptions:
    return ConnectOptions(url=gateway.url, identity=identity, token=gateway.token, **kw)


@pytest.fixture(scope="session")
def operator_identity(real_gateway) -> tuple[DeviceIdentity, str]:
    """A device paired once (approved with the gateway's own CLI); returns (identity, device token)."""

    def make() -> tuple[DeviceIdentity, str]:
        identity = DeviceIdentity.generate()

        async def pair() -> str:
            try:
                await connect(options(real_gateway, identity))
            except PairingRequired as exc:
                result = real_gateway.cli("devices", "approve", exc.request_id)
                assert result.returncode == 0, result.stderr
            conn = await connect(options(real_gateway, identity))
            token = conn.device_token
            await conn.close()
            return token

        return identity, run(pair())

    return session_value("operator_identity", make)  # type: ignore[return-value]


def link_paired(gateway: Gateway, real_gateway: GatewayProcess, operator_identity, actor) -> None:
    """Give ``gateway`` the URL, the shared token and the already-paired panel identity."""
    import base64

    identity, device_token = operator_identity
    gateway_credentials_set(
        gateway=gateway, ws_url=real_gateway.url, kind="token", secret=real_gateway.token, actor=actor
    )
    link = link_for(gateway)
    link.device_seed_enc = fieldcrypto.encrypt(base64.b64encode(identity.seed).decode())
    link.device_id = identity.device_id
    link.device_token_enc = fieldcrypto.encrypt(device_token)
    link.save()


class WorkerThread:
    """A real GatewayWorker on its own event loop in a background thread."""

    def __init__(self, **options) -> None:
        self.loop = asyncio.new_event_loop()
        self.stop = asyncio.Event()
        self.worker = GatewayWorker(**options)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.loop.run_until_complete(self.worker.run(self.stop))

    def freeze(self, seconds: float) -> None:
        """Block the worker's event loop for ``seconds`` (a paused process, as far as it can tell)."""
        self.loop.call_soon_threadsafe(time.sleep, seconds)

    def close(self) -> None:
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.stop.set)
            self.thread.join(timeout=30)
            self.loop.close()


@contextmanager
def running_worker(**session_options) -> Iterator[WorkerThread]:
    """Run the real gateway worker in a background thread (its own event loop) for the block."""
    opts = {"poll": 0.2, "health_every": 3.0, "diag_every": 5.0, "renew_every": 0.5, **session_options}
    worker = WorkerThread(**opts)
    try:
        yield worker
    finally:
        worker.close()


@contextmanager
def link_states(gateway: Gateway) -> Iterator[list[str]]:
    """Every state the link of ``gateway`` is saved with, in order: a signal, so no state is missed
    however briefly it lasts (the worker runs in this process)."""
    from django.db.models.signals import post_save

    from controlpanel.models import GatewayLink

    states: list[str] = []

    def seen(sender, instance, **kwargs) -> None:
        if instance.gateway_id == gateway.pk:
            states.append(str(instance.state))

    post_save.connect(seen, sender=GatewayLink, weak=False)
    try:
        yield states
    finally:
        post_save.disconnect(seen, sender=GatewayLink)


def wait_for(predicate: Callable[[], object], *, timeout: float = 30, what: str = "condition") -> object:
    """Poll ``predicate`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")
