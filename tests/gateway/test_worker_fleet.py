"""Fault test (#22): three ``manage.py gateway_worker`` processes share 30 gateways on PostgreSQL
(+ Redis when CP_TEST_REDIS_URL is set); one is killed with SIGKILL.

The 30 gateways: two real OpenClaw gateways (the session's, strict pairing, and a second one that
pairs loopback devices silently), each behind a counting TCP relay, and 28 protocol-level stand-ins
(standin.py). Connections are counted on the gateway side: each stand-in counts its own WebSocket
connections; for a real gateway its relay counts the TCP connections that reach it (the gateway's
presence list merges entries per client instance, so it cannot show two connections of the same
panel device). Decisions are counted as the stand-ins receive them (``exec.approval.resolve``,
``device.pair.approve``).

Runs in the PostgreSQL pass only (``-m postgres`` with DATABASE_URL): the workers are real
processes on the test database, which must be a server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.urls import reverse

from controlpanel.models import ExecApprovalRequest, GatewayLease, GatewayLink, PairingRequest, Role
from controlpanel.services.approvals import exec_request_decide, pairing_request_approve
from controlpanel.services.gateway_links import gateway_credentials_set
from tests.conftest import client_for, make_gateway

from .conftest import link_paired, wait_for
from .realgw import GatewayUnavailable, ensure_installed, new_gateway
from .standin import Loop, Relay, StandIn

pytestmark = [
    pytest.mark.gateway,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real worker processes need PostgreSQL"),
]

ROOT = Path(__file__).resolve().parents[2]
TAKEOVER_LIMIT = 15.0  # seconds from the SIGKILL to every one of its gateways connected again


@pytest.fixture(scope="module")
def second_gateway(tmp_path_factory, fake_llm):
    """A second real gateway (loopback devices paired silently), started beside the session's."""
    ensure_installed()
    gateway = new_gateway(tmp_path_factory.mktemp("openclaw-gateway-2"))
    try:
        gateway.start(llm_port=fake_llm.port, strict_pairing=False)
    except GatewayUnavailable as exc:
        pytest.fail(f"cannot run the second real gateway: {exc}")
    yield gateway
    gateway.stop()


def database_url() -> str:
    s = connection.settings_dict
    return (
        f"postgresql://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    )


class Worker:
    """One ``manage.py gateway_worker`` process."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "manage.py", "gateway_worker"], cwd=ROOT, env=env, stdout=out, stderr=out
            )
        self.worker_id = ""

    def tail(self) -> str:
        return self.log.read_text()[-3000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def holdings() -> dict[str, set[int]]:
    """Worker id -> the gateways it holds now."""
    out: dict[str, set[int]] = {}
    for gateway_id, holder in GatewayLease.objects.exclude(holder=None).values_list(
        "gateway_id", "holder_id"
    ):
        out.setdefault(holder, set()).add(gateway_id)
    return out


def all_connected(counters, gateway_ids) -> bool:
    connected = GatewayLink.objects.filter(gateway_id__in=gateway_ids, state="connected").count()
    return all(c.open == 1 for c in counters) and connected == len(gateway_ids)


def test_three_workers_share_thirty_gateways_and_survive_a_sigkill(
    real_gateway, operator_identity, second_gateway, alice, settings, tmp_path
):
    key = Fernet.generate_key().decode()
    settings.CP_FIELD_KEYS = [key]  # the workers decrypt the credentials with the same key
    loop = Loop()
    workers: list[Worker] = []
    try:
        relays = [loop.call(Relay(g.port).start()) for g in (real_gateway, second_gateway)]
        stand_ins = [loop.call(StandIn(f"token-{i}").start()) for i in range(28)]
        counters = {}  # gateway id -> what counts its panel connections
        first = make_gateway("real-1", members={alice: Role.OWNER})
        link_paired(first, real_gateway, operator_identity, alice)
        gateway_credentials_set(gateway=first, ws_url=relays[0].url, kind="token", secret="", actor=alice)
        second = make_gateway("real-2", members={alice: Role.OWNER})
        gateway_credentials_set(
            gateway=second, ws_url=relays[1].url, kind="token", secret=second_gateway.token, actor=alice
        )
        counters[first.pk], counters[second.pk] = relays
        approvals: dict[int, str] = {}  # gateway id -> its pending exec approval (stand-ins)
        devices: dict[int, str] = {}  # gateway id -> a pending device request (every other stand-in)
        for i, stand_in in enumerate(stand_ins):
            gateway = make_gateway(f"stand-in-{i:02d}", members={alice: Role.OWNER})
            gateway_credentials_set(
                gateway=gateway, ws_url=stand_in.url, kind="token", secret=stand_in.token, actor=alice
            )
            counters[gateway.pk] = stand_in
            approvals[gateway.pk] = str(uuid.uuid4())
            loop.call(stand_in.add_exec(approvals[gateway.pk], command=f"echo {i}"))
            if i % 2:
                devices[gateway.pk] = str(uuid.uuid4())
                loop.call(stand_in.add_device(devices[gateway.pk], device_id=f"{i:02d}" * 32))
        ids = set(counters)
        stand_in_of = {gid: c for gid, c in counters.items() if isinstance(c, StandIn)}

        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env.update(
            DJANGO_SETTINGS_MODULE="controlpanel.settings",
            DATABASE_URL=database_url(),
            CP_FIELD_KEYS=key,
            CP_SECRET_KEY="fleet-test-secret-" + "x" * 40,
            CP_VAR_DIR=str(tmp_path),
            CP_DEBUG="False",
            CP_LOG_LEVEL="INFO",
            CP_DB_POOL_MAX="4",
        )
        if os.environ.get("CP_TEST_REDIS_URL"):
            env["REDIS_URL"] = os.environ["CP_TEST_REDIS_URL"]
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)

        # Two workers share the fleet...
        workers += [Worker(env, tmp_path / f"worker-{n}.log") for n in (1, 2)]
        wait_for(
            lambda: (
                all_connected(counters.values(), ids) and sorted(map(len, holdings().values())) == [15, 15]
            ),
            timeout=120,
            what="two workers holding 15 connected gateways each",
        )
        # ... a third joins: it gets its share, and exactly that many connections move.
        connects = sum(c.connects for c in counters.values())
        workers.append(Worker(env, tmp_path / "worker-3.log"))
        wait_for(
            lambda: (
                sorted(map(len, holdings().values())) == [10, 10, 10]
                and all_connected(counters.values(), ids)
            ),
            timeout=90,
            what="three workers holding 10 connected gateways each",
        )
        assert sum(c.connects for c in counters.values()) - connects == 10, "only the newcomer's share moved"
        wait_for(
            lambda: (
                ExecApprovalRequest.objects.filter(gateway_id__in=stand_in_of).count() == 28
                and PairingRequest.objects.filter(gateway_id__in=stand_in_of).count() == 14
            ),
            what="every pending request mirrored",
        )

        # The victim: the worker holding the first real gateway.
        held = holdings()
        victim_id = next(w for w, gws in held.items() if first.pk in gws)
        victims = held[victim_id]
        pids = dict(GatewayLease.objects.exclude(holder=None).values_list("holder_id", "holder__pid"))
        victim = next(w for w in workers if w.proc.pid == pids[victim_id])
        theirs = sorted(victims & stand_in_of.keys())
        others = sorted(stand_in_of.keys() - victims)
        assert theirs and others

        def decide(gateway_ids) -> None:
            for gid in gateway_ids:
                request = ExecApprovalRequest.objects.get(gateway_id=gid)
                assert exec_request_decide(request=request, actor=alice, decision="deny").won
                if gid in devices:
                    pairing = PairingRequest.objects.get(gateway_id=gid, external_id=devices[gid])
                    assert pairing_request_approve(request=pairing, actor=alice, role=Role.OWNER).won

        # Decisions around the kill: half just before it, half while nobody holds those gateways.
        decide(theirs[::2])
        killed_at = time.monotonic()
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait()
        decide(theirs[1::2])
        decide(others[:4])  # and some on the survivors' gateways meanwhile

        def back() -> bool:
            return all(
                any(t > killed_at for t in counters[gid].opened_at) and counters[gid].open == 1
                for gid in victims
            )

        wait_for(back, timeout=60, what="the killed worker's gateways to be connected again")
        takeover = max(
            min(t for t in counters[gid].opened_at if t > killed_at) - killed_at for gid in victims
        )
        decided = theirs + others[:4]
        wait_for(
            lambda: (
                not ExecApprovalRequest.objects.filter(gateway_id__in=decided)
                .exclude(delivery="delivered")
                .exists()
                and not PairingRequest.objects.filter(gateway_id__in=decided)
                .exclude(delivery="delivered")
                .exists()
            ),
            timeout=30,
            what="every decision confirmed by its gateway",
        )
        survivors = set(holdings())
        assert victim_id not in survivors and len(survivors) == 2
        assert set().union(*holdings().values()) == ids
        # The Connection page names the worker holding the gateway.
        page = (
            client_for(alice).get(reverse("gateway-connection", kwargs={"code": first.code})).content.decode()
        )
        holder = GatewayLease.objects.select_related("holder").get(gateway=first).holder
        assert f'<span class="lease-pid">{holder.pid}</span>' in page and holder.hostname in page
        print(f"\nfleet: takeover of {len(victims)} gateways in {takeover:.1f} s after SIGKILL")
        assert takeover <= TAKEOVER_LIMIT, f"takeover took {takeover:.1f} s"
    finally:
        for worker in workers:
            worker.stop()
        if sys.exc_info()[0] is not None:
            for worker in workers:
                print(f"--- {worker.log.name}\n{worker.tail()}")
        loop.close()

    # Counted on the gateway side, over the whole test: never two panel connections at once.
    assert {gid: c.max_open for gid, c in counters.items() if c.max_open != 1} == {}
    # Every decision reached its gateway exactly once; undecided ones were never sent.
    for gid, stand_in in stand_in_of.items():
        expected = {}
        if gid in decided:
            expected[approvals[gid]] = 1
            if gid in devices:
                expected[devices[gid]] = 1
        assert dict(stand_in.decisions()) == expected, (gid, stand_in.log)
    assert [w.proc.returncode for w in workers if w is not victim] == [0, 0], [w.tail() for w in workers]
    assert not GatewayLease.objects.exclude(holder=None).exists(), "the survivors handed their leases back"
