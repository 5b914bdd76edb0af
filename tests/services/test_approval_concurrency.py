"""Many simultaneous clicks on one request: exactly one decision, one event, no duplicate device.

Runs against the configured database with real threads and real transactions (SQLite here;
PostgreSQL when DATABASE_URL is set, as `.ci/run` does for this module).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from controlpanel.models import ActivityEvent, Device, ExecApprovalRequest, PairingRequest, Role
from controlpanel.services.activity import activity_verify
from controlpanel.services.approvals import (
    exec_request_decide,
    pairing_request_approve,
    pairing_request_reject,
)
from tests.conftest import make_exec, make_pairing, make_user

pytestmark = pytest.mark.postgres

# 50 simultaneous clicks everywhere; PostgreSQL (a server with real row locks) also takes 200.
CLICKS = [50, 200] if connection.vendor == "postgresql" else [50]


def _race(work, n: int) -> list:
    barrier = threading.Barrier(n)

    def one(i: int):
        try:
            barrier.wait(timeout=30)
            return work(i)
        finally:
            connection.close()  # each thread has its own connection

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("clicks", CLICKS)
def test_concurrent_device_approvals_and_rejections(alpha, alice, clicks):
    owners = [alice] + [make_user(f"owner{i}") for i in range(4)]
    request = make_pairing(
        alpha,
        kind="device",
        role="operator",
        pairing_code="",
        device_id="phone",
        requested_scopes=["operator.read"],
    )

    def click(i: int):
        fresh = PairingRequest.objects.get(pk=request.pk)
        actor = owners[i % len(owners)]
        if i % 2:
            return pairing_request_reject(request=fresh, actor=actor)
        return pairing_request_approve(request=fresh, actor=actor, role=Role.OWNER)

    results = _race(click, clicks)
    winners = [r for r in results if r.won]
    assert len(winners) == 1
    request.refresh_from_db()
    decided = ActivityEvent.objects.filter(action__in=["pairing.approved", "pairing.rejected"])
    assert decided.count() == 1
    assert Device.objects.filter(device_id="phone").count() == (1 if request.status == "approved" else 0)
    losers = [r for r in results if not r.won]
    assert all(r.message.startswith("Already") for r in losers), {r.message for r in losers}
    assert ActivityEvent.objects.filter(action="pairing.decision_refused").count() == clicks - 1
    assert activity_verify()[1] is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("clicks", CLICKS)
def test_concurrent_exec_decisions(alpha, bob, clicks):
    request = make_exec(alpha)

    def click(i: int):
        fresh = ExecApprovalRequest.objects.get(pk=request.pk)
        return exec_request_decide(request=fresh, actor=bob, decision=["allow-once", "deny"][i % 2])

    results = _race(click, clicks)
    assert sum(r.won for r in results) == 1
    request.refresh_from_db()
    assert request.status in ("allowed", "denied")
    assert ActivityEvent.objects.filter(action__in=["exec.allowed", "exec.denied"]).count() == 1
    assert activity_verify()[1] is None
