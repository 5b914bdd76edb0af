"""Gateway workers in this process against protocol-level stand-ins (tests/gateway/standin.py):
sharing, a paused worker losing its gateway, and restart detection. No real gateway needed.

The fault test with real processes, real gateways and SIGKILL is test_worker_fleet.py.
"""

from __future__ import annotations

import time
import uuid

import pytest

from controlpanel.models import ActivityEvent, ExecApprovalRequest, GatewayLease, GatewayLink
from controlpanel.services.approvals import exec_request_decide
from controlpanel.services.gateway_links import gateway_credentials_set
from tests.conftest import make_gateway

from .conftest import link_states, running_worker, wait_for
from .standin import Loop, StandIn

pytestmark = [pytest.mark.django_db(transaction=True)]

FAST = {"lease_seconds": 3.0, "renew_every": 0.5}  # short leases: the tests wait for expiries
# Sharing waits for no expiry: the default lease. With FAST a round has 1.5 s (the lease less the
# watchdog's margin); one slowed past that by a loaded machine drops connections this test counts.
SHARING = {"lease_seconds": 9.0, "renew_every": 0.5}


@pytest.fixture
def loop():
    stand_ins = Loop()
    yield stand_ins
    stand_ins.close()


def linked_to(stand_in: StandIn, name: str, actor):
    gateway = make_gateway(name)
    gateway_credentials_set(
        gateway=gateway, ws_url=stand_in.url, kind="token", secret=stand_in.token, actor=actor
    )
    return gateway


def holders() -> dict[int, str]:
    return dict(GatewayLease.objects.exclude(holder=None).values_list("gateway_id", "holder_id"))


def test_two_workers_share_the_gateways_and_a_newcomer_takes_only_its_share(loop, alice):
    stand_ins = [loop.call(StandIn(f"tok-{i}").start()) for i in range(4)]
    gateways = [linked_to(s, f"gw{i}", alice) for i, s in enumerate(stand_ins)]
    with running_worker(**SHARING) as first:
        wait_for(lambda: all(s.open == 1 for s in stand_ins), what="the first worker to connect to all four")
        assert set(holders().values()) == {first.worker.worker_id}
        with running_worker(**SHARING) as second:
            wait_for(
                lambda: (
                    sorted(holders().values()).count(second.worker.worker_id) == 2
                    and all(s.open == 1 for s in stand_ins)
                ),
                what="the newcomer to hold its share, connected",
            )
            time.sleep(2)  # a few more rounds: nothing else moves
            assert sum(s.connects for s in stand_ins) == 4 + 2, "exactly two connections moved"
            assert len(set(holders().values())) == 2
    assert max(s.max_open for s in stand_ins) == 1, "a gateway had two panel connections"
    assert all(s.open == 0 for s in stand_ins) and holders() == {}, "a clean stop hands everything back"
    assert GatewayLink.objects.filter(gateway__in=gateways, state="connected").count() == 4


def test_a_paused_worker_loses_its_gateway_writes_nothing_and_the_decision_is_sent_once(loop, alice):
    stand_in = loop.call(StandIn("tok").start())
    gateway = linked_to(stand_in, "paused", alice)
    approval = str(uuid.uuid4())
    loop.call(stand_in.add_exec(approval))
    with running_worker(**FAST) as paused:
        request = wait_for(
            lambda: ExecApprovalRequest.objects.filter(gateway=gateway, external_id=approval).first(),
            what="the approval to be mirrored",
        )
        first_connection = stand_in.connects
        paused.freeze(6)  # past the 3 s lease: the process is stopped, its socket stays open
        before = len(stand_in.log)
        assert exec_request_decide(request=request, actor=alice, decision="deny").won
        with running_worker(**FAST) as other:
            wait_for(
                lambda: ExecApprovalRequest.objects.get(pk=request.pk).delivery == "delivered",
                timeout=20,
                what="the other worker to take over and send the decision",
            )
            assert holders() == {gateway.pk: other.worker.worker_id}
            # The paused worker wakes up: it drops its connection and sends nothing more.
            wait_for(lambda: stand_in.open == 1, timeout=15, what="the paused worker to drop its connection")
            time.sleep(1)
            after_pause = [entry for entry in stand_in.log[before:] if entry[0] == first_connection]
            assert after_pause == [], after_pause
            assert GatewayLink.objects.get(gateway=gateway).state == "connected"  # not overwritten
    assert stand_in.decisions() == {approval: 1}


def test_an_unavailable_health_answer_in_the_restart_window_is_a_restart(loop, alice):
    """#17 item 7: "UNAVAILABLE: health unavailable during gateway restart" is the restart window,
    and connections refused while the gateway comes back are part of the restart, not "unreachable"."""
    stand_in = loop.call(StandIn("tok").start())
    port = stand_in.port
    gateway = linked_to(stand_in, "restarts", alice)

    async def restart() -> None:
        stand_in.unavailable = "health unavailable during gateway restart"

    with link_states(gateway) as states, running_worker(health_every=0.5, **FAST):
        wait_for(lambda: stand_in.open == 1, what="the worker to connect")
        loop.call(restart())
        wait_for(lambda: "restarting" in states, what="the restart to be recorded")
        loop.call(stand_in.stop())  # the gateway is down for a while: connections are refused
        wait_for(lambda: stand_in.open == 0, what="the connection to close")
        time.sleep(2.5)
        stand_in.unavailable = ""
        loop.call(stand_in.start(port=port))
        wait_for(lambda: states[-1] == "connected", timeout=20, what="the reconnect")
    first_restart = states.index("restarting")
    assert "unreachable" not in states[first_restart:], states


def test_a_session_started_afresh_during_the_restart_still_knows_it_is_a_restart(loop, alice):
    """#17 item 7 under load: a renewal round slowed past the lease drops the session in the middle
    of the restart; the next session of the same worker must still count refusals as the restart."""
    stand_in = loop.call(StandIn("tok").start())
    port = stand_in.port
    gateway = linked_to(stand_in, "slowed", alice)

    async def restart() -> None:
        stand_in.unavailable = "health unavailable during gateway restart"

    with link_states(gateway) as states, running_worker(health_every=0.5, **FAST) as worker:
        wait_for(lambda: stand_in.open == 1, what="the worker to connect")
        loop.call(restart())
        wait_for(lambda: "restarting" in states, what="the restart to be recorded")
        loop.call(stand_in.stop())
        wait_for(lambda: stand_in.open == 0, what="the connection to close")
        first = worker.worker.sessions[gateway.pk].session
        worker.freeze(4)  # past the 3 s lease less the margin: the watchdog drops the session
        wait_for(
            lambda: (running := worker.worker.sessions.get(gateway.pk)) and running.session is not first,
            what="a new session for the gateway",
        )
        seen = len(states)
        wait_for(lambda: len(states) > seen + 1, what="the new session's refused connections")
        stand_in.unavailable = ""
        loop.call(stand_in.start(port=port))
        wait_for(lambda: states[-1] == "connected", timeout=20, what="the reconnect")
    first_restart = states.index("restarting")
    assert "unreachable" not in states[first_restart:], states


def test_a_decision_whose_answer_was_lost_is_sent_again_only_if_still_pending(loop, alice):
    """Sent, then the worker died before recording the answer ("sending"): the next connection
    sends it again only if the gateway still lists the request; never a second resolve."""
    stand_in = loop.call(StandIn("tok").start())
    gateway = linked_to(stand_in, "lost-answers", alice)
    applied, not_applied = str(uuid.uuid4()), str(uuid.uuid4())
    loop.call(stand_in.add_exec(applied))
    loop.call(stand_in.add_exec(not_applied))
    with running_worker(**FAST):
        wait_for(
            lambda: ExecApprovalRequest.objects.filter(gateway=gateway).count() == 2,
            what="both approvals mirrored",
        )
    for row in ExecApprovalRequest.objects.filter(gateway=gateway):
        assert exec_request_decide(request=row, actor=alice, decision="deny").won
    # A worker sent both and died before recording either answer; the gateway applied only one.
    ExecApprovalRequest.objects.filter(gateway=gateway).update(delivery="sending")

    async def apply_one() -> None:
        stand_in.exec_pending.pop(applied)

    loop.call(apply_one())
    with running_worker(**FAST):
        wait_for(
            lambda: (
                not ExecApprovalRequest.objects.filter(gateway=gateway).exclude(delivery="delivered").exists()
            ),
            what="both decisions settled",
        )
    assert stand_in.decisions() == {not_applied: 1}, stand_in.log
    note = ActivityEvent.objects.filter(action="exec.decision_delivered").values_list("detail", flat=True)
    assert sum("no longer lists" in str(d.get("note", "")) for d in note) == 1
