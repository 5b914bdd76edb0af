"""The lease rules with a controllable clock: fair share, hand-back, expiry, takeover, fencing.

Each round gets ``now`` from the test, so time passes only when the test says so. Marked
``postgres``: the same tests run on PostgreSQL, where the fence is a row lock (one test shows a
takeover waiting for a fenced write to commit).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections, transaction

from controlpanel.lib.fairshare import fair_share, releases_due
from controlpanel.models import Gateway, GatewayLease, GatewayLink, GatewayWorkerProcess
from controlpanel.selectors import gateway_lease_view
from controlpanel.services.gateway_leases import (
    Lease,
    LeaseLost,
    WorkerIdentity,
    fenced,
    lease_check,
    lease_release,
    lease_round,
    worker_retire,
)
from controlpanel.services.gateway_links import link_record_problem

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TTL = 9.0


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def worker(name: str, *, fleet: bool = True) -> WorkerIdentity:
    return WorkerIdentity(worker_id=name, hostname=f"host-{name}", pid=100 + len(name), fleet=fleet)


def linked(n: int) -> list[int]:
    ids = []
    for i in range(n):
        gateway = Gateway.objects.create(name=f"gw-{i:03d}", ws_url=f"ws://127.0.0.1:{20000 + i}")
        GatewayLink.objects.create(gateway=gateway, secret_enc="set")
        ids.append(gateway.pk)
    return ids


def go(w: WorkerIdentity, t: float, **kw):
    return lease_round(worker=w, lease_seconds=TTL, now=at(t), **kw)


def held(w: WorkerIdentity) -> set[int]:
    return set(GatewayLease.objects.filter(holder_id=w.worker_id).values_list("gateway_id", flat=True))


def hand_back(w: WorkerIdentity, round_, n: int) -> set[int]:
    """Hand back ``n`` leases as the worker does (after closing their connections)."""
    gone = sorted(round_.held)[:n]
    for gid in gone:
        assert lease_release(lease=round_.lease(gid, w.worker_id))
    return set(gone)


@pytest.mark.parametrize(
    ("held", "gateways", "expected"),
    [
        ({"a": 30, "b": 0}, 30, {"a": 15, "b": 0}),  # a newcomer: exactly its share moves
        ({"a": 15, "b": 15, "c": 0}, 30, {"a": 5, "b": 5, "c": 0}),
        ({"a": 16, "b": 15, "c": 0}, 31, {"a": 5, "b": 4, "c": 0}),  # share 11: 11+11+9
        ({"a": 15, "b": 10, "c": 0}, 30, {"a": 5, "b": 0, "c": 0}),  # 5 free gateways cover the rest
        ({"a": 10, "b": 10, "c": 10}, 30, {"a": 0, "b": 0, "c": 0}),
        ({"a": 11, "b": 10, "c": 9}, 30, {"a": 1, "b": 0, "c": 0}),
        ({"a": 11, "b": 11, "c": 8}, 30, {"a": 1, "b": 1, "c": 0}),
        ({"a": 11, "b": 11, "c": 9}, 31, {"a": 0, "b": 0, "c": 0}),  # 11/11/9 is fair for 31
        ({"a": 3, "b": 0}, 3, {"a": 1, "b": 0}),
        ({"b": 6, "a": 6, "c": 0}, 12, {"a": 2, "b": 2, "c": 0}),
    ],
)
def test_the_fair_share_moves_no_more_than_a_newcomer_needs(held, gateways, expected):
    share = fair_share(gateways, len(held))
    answers = {w: releases_due(held, me=w, gateways=gateways) for w in held}
    assert answers == expected
    after = {w: n - answers[w] for w, n in held.items()}
    freed = sum(answers.values()) + gateways - sum(held.values())
    for w, n in after.items():  # the workers below their share can take what is handed back
        take = min(max(0, share - n), freed)
        after[w], freed = n + take, freed - take
    assert max(after.values()) <= share and sum(after.values()) == gateways


def test_one_worker_takes_every_gateway_and_a_newcomer_gets_its_share_with_minimal_moves():
    ids = linked(10)
    a, b = worker("a"), worker("b")
    first = go(a, 0)
    assert first.share == 10 and set(first.acquired) == set(ids) == held(a)
    assert all(generation == 1 for generation in first.acquired.values())

    joined = go(b, 1)  # b is live now, but every gateway is held: nothing to take yet
    assert joined.share == 5 and joined.acquired == {} and joined.release == 0
    asked = go(a, 2)
    assert asked.release == 5 and asked.acquired == {}
    moved = hand_back(a, asked, asked.release)
    taken = go(b, 3)
    assert set(taken.acquired) == moved and len(held(a)) == len(held(b)) == 5
    assert all(generation == 2 for generation in taken.acquired.values())
    # Balanced: nobody moves any more.
    assert go(a, 4).release == 0 and go(b, 5).release == 0 and go(a, 6).acquired == {}


def test_a_dead_workers_gateways_are_taken_over_once_its_leases_expire():
    ids = linked(6)
    a, b, c = worker("a"), worker("b"), worker("c")
    go(a, 0)
    go(b, 0.5)
    go(c, 0.7)
    r = go(a, 1)
    assert r.release == 4
    hand_back(a, r, r.release)
    go(b, 1.2)
    go(c, 1.6)
    assert {len(held(w)) for w in (a, b, c)} == {2}
    dead = held(c)
    old = {gid: GatewayLease.objects.get(pk=gid).generation for gid in dead}
    # c stops renewing at t=1.6: its leases run until 10.6. Before that nobody may take them.
    for t in (3, 5, 7, 9, 10.5):
        assert go(a, t).acquired == {} and go(b, t + 0.01).acquired == {}
    ra = go(a, 10.7)  # c is dead: the share is 3 now
    rb = go(b, 10.8)
    assert ra.share == rb.share == 3
    assert set(ra.acquired) | set(rb.acquired) == dead and not set(ra.acquired) & set(rb.acquired)
    assert held(a) | held(b) == set(ids) and len(held(a)) == len(held(b)) == 3
    for gid in dead:  # a new fencing token for every takeover
        assert GatewayLease.objects.get(pk=gid).generation == old[gid] + 1
    # c wakes up: its next round shows it holds nothing; its old leases fail the fence.
    assert go(c, 11).held == {}
    for gid in dead:
        with pytest.raises(LeaseLost), transaction.atomic():
            lease_check(Lease(gid, "c", old[gid]))


def test_the_round_tells_when_another_workers_lease_expires_next():
    linked(2)
    a, b = worker("a"), worker("b")
    go(a, 0)
    r = go(a, 1)
    assert r.next_expiry is None  # nobody else holds anything
    r = go(b, 2)
    assert r.next_expiry == at(1 + TTL)  # a's leases, renewed at t=1: wake then to take them over


def test_a_lapsed_lease_nobody_took_is_renewed_by_its_holder():
    (gid,) = linked(1)
    a, b = worker("a"), worker("b")
    go(a, 0)
    r = go(a, 30)  # paused well past expiry, but nobody else is running
    assert r.held == {gid: 1} and r.acquired == {}
    with transaction.atomic():
        lease_check(Lease(gid, "a", 1))  # still a's: same generation
    go(b, 31)
    assert held(b) == set()


def test_a_fenced_write_of_a_worker_that_lost_its_lease_changes_nothing():
    (gid,) = linked(1)
    a, b = worker("a"), worker("b")
    mine = go(a, 0).lease(gid, "a")
    fenced(mine, link_record_problem, gateway_id=gid, state="restarting", error="by a")
    assert GatewayLink.objects.get(gateway_id=gid).last_error == "by a"
    go(b, 20)  # a paused past expiry: b takes over
    assert held(b) == {gid}
    with pytest.raises(LeaseLost):
        fenced(mine, link_record_problem, gateway_id=gid, state="unreachable", error="late write by a")
    assert GatewayLink.objects.get(gateway_id=gid).last_error == "by a"
    assert go(a, 21).held == {}


def test_a_worker_for_named_gateways_stays_outside_the_fair_share():
    ids = linked(4)
    pinned, a = worker("pinned", fleet=False), worker("a")
    assert set(go(pinned, 0, only={ids[0]}).acquired) == {ids[0]}
    r = go(a, 1)
    assert r.share == 3 and set(r.acquired) == set(ids[1:])  # 3 shared gateways, one fleet worker
    b = worker("b")
    go(b, 2)
    r = go(a, 3)
    assert r.share == 2 and r.release == 1


def test_a_clean_stop_frees_the_leases_at_once_and_the_page_says_who_holds_what():
    ids = linked(2)
    a, b = worker("a"), worker("b")
    go(a, 0)
    gateway = Gateway.objects.get(pk=ids[0])
    view = gateway_lease_view(gateway=gateway, now=at(1))
    assert view["state"] == "held" and view["hostname"] == "host-a" and view["since"] == at(0)
    assert gateway_lease_view(gateway=gateway, now=at(30))["state"] == "lapsed"
    worker_retire(worker_id="a", now=at(2))
    assert not GatewayWorkerProcess.objects.filter(pk="a").exists()
    assert gateway_lease_view(gateway=gateway, now=at(2))["state"] == "free"
    assert set(go(b, 2.5).acquired) == set(ids)  # no waiting for an expiry


def test_an_unlinked_gateway_is_no_longer_wanted():
    ids = linked(2)
    a = worker("a")
    go(a, 0)
    GatewayLink.objects.filter(gateway_id=ids[1]).update(secret_enc="")
    r = go(a, 1)
    assert r.wanted == {ids[0]} and ids[1] in r.held  # the worker hands it back (gatewayworker)


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_takeover_waits_for_a_fenced_write_in_progress():
    """The fence locks the lease row: a takeover cannot slip between the check and the write."""
    (gid,) = linked(1)
    a, b = worker("a"), worker("b")
    mine = go(a, 0).lease(gid, "a")
    in_write, finish = threading.Event(), threading.Event()

    def slow_write() -> None:
        try:
            with transaction.atomic():
                lease_check(mine)
                in_write.set()
                finish.wait(10)
                link_record_problem(gateway_id=gid, state="restarting", error="written under the lease")
        finally:
            connections.close_all()

    writer = threading.Thread(target=slow_write)
    writer.start()
    assert in_write.wait(10)
    result: dict = {}

    def take() -> None:
        try:
            result["round"] = go(b, 20)
        finally:
            connections.close_all()

    taker = threading.Thread(target=take)
    taker.start()
    taker.join(1.0)
    assert taker.is_alive(), "the takeover must wait for the fenced write to commit"
    finish.set()
    writer.join(10)
    taker.join(10)
    assert set(result["round"].acquired) == {gid}
    assert GatewayLink.objects.get(gateway_id=gid).last_error == "written under the lease"
    assert connection.vendor == "postgresql"
