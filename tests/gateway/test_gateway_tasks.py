"""Config pushes as tasks of the "gateways" queue, run by the gateway worker on its connection
(a stand-in connection here; tests/gateway/test_live_gateway.py pushes to a real gateway)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from controlpanel.background.testing import run_queued_tasks
from controlpanel.background.worker import recover_lost_tasks
from controlpanel.gatewayclient.frames import GatewayError
from controlpanel.gatewayworker import Db, GatewaySession
from controlpanel.models import ActivityEvent, GatewayConfigPush
from controlpanel.services.gateway_links import config_push_create
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


class StandIn:
    """Answers ``config.patch`` with each of ``answers`` in turn (a dict, or an exception to raise)."""

    def __init__(self, *answers) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, dict]] = []

    async def call(self, method: str, params: dict | None = None):
        self.calls.append((method, params))
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


def run_gateway_tasks(gateway_id: int, conn: StandIn) -> None:
    """One round of the gateway worker's task loop for ``gateway_id``, on ``conn``.

    On a fresh loop in its own thread: Playwright may leave this thread's loop running.
    """
    db = Db()
    with ThreadPoolExecutor(1) as pool:
        try:
            session = GatewaySession(gateway_id, db, worker_id="gw-test")
            pool.submit(asyncio.run, session._run_tasks(conn)).result()
        finally:
            db.close()


def push(gateway, user) -> GatewayConfigPush:
    return config_push_create(
        gateway=gateway, patch='{logging: {level: "debug"}}', base_hash="h1", actor=user
    )


def test_a_push_is_sent_by_the_worker_holding_the_gateway_and_recorded_once(alpha, bravo, alice, charlie):
    run_queued_tasks()  # the audits the fixtures' imports queued
    mine, other = push(alpha, alice), push(bravo, charlie)
    assert run_queued_tasks() == [], "db_worker never runs gateway tasks: it has no connection"
    conn = StandIn({"hash": "h2"})
    run_gateway_tasks(alpha.pk, conn)
    assert conn.calls == [("config.patch", {"raw": '{logging: {level: "debug"}}', "baseHash": "h1"})]
    mine.refresh_from_db()
    other.refresh_from_db()
    assert (mine.status, mine.result_hash) == ("applied", "h2")
    assert other.status == "pending", "another gateway's push waits for its own connection"
    assert DBTaskResult.objects.get(id=mine.task_id).status == TaskResultStatus.SUCCESSFUL
    assert ActivityEvent.objects.filter(action="config.push_applied").count() == 1
    run_gateway_tasks(alpha.pk, StandIn())  # nothing left: no call made
    assert GatewayConfigPush.objects.get(pk=mine.pk).status == "applied"


def test_a_refusal_is_the_pushs_outcome_not_a_retry(alpha, alice):
    refused = push(alpha, alice)
    run_gateway_tasks(alpha.pk, StandIn(GatewayError("INVALID_REQUEST", "config changed since last load")))
    refused.refresh_from_db()
    assert refused.status == "refused" and "changed since" in refused.error
    assert DBTaskResult.objects.get(id=refused.task_id).status == TaskResultStatus.SUCCESSFUL


def test_a_restarting_gateway_means_a_retry_shown_on_the_page_then_a_failed_push(alpha, alice):
    waiting = push(alpha, alice)
    restarting = GatewayError("UNAVAILABLE", "gateway restarting")
    run_gateway_tasks(alpha.pk, StandIn(restarting))
    waiting.refresh_from_db()
    assert waiting.status == "pending"
    row = DBTaskResult.objects.get(id=waiting.task_id)
    assert row.status == TaskResultStatus.READY and row.run_after > timezone.now()
    page = client_for(alice).get(reverse("gateway-connection", kwargs={"code": alpha.code})).content.decode()
    assert "Attempt 1 of 5 failed" in page and "gateway restarting" in page
    for _ in range(4):  # the remaining attempts, each due at once
        DBTaskResult.objects.filter(id=waiting.task_id).update(run_after=timezone.now())
        run_gateway_tasks(alpha.pk, StandIn(restarting))
    waiting.refresh_from_db()
    assert waiting.status == "failed" and "Not sent after 5 attempt(s)" in waiting.error
    assert DBTaskResult.objects.get(id=waiting.task_id).status == TaskResultStatus.FAILED
    page = client_for(alice).get(reverse("gateway-connection", kwargs={"code": alpha.code})).content.decode()
    assert "Not sent" in page and "gateway restarting" in page


def test_a_push_held_by_a_dead_gateway_worker_is_sent_by_the_next_one(alpha, alice):
    held = push(alpha, alice)
    DBTaskResult.objects.get(id=held.task_id).claim("gateway-dead")  # the worker died mid-push
    run_gateway_tasks(alpha.pk, StandIn())
    assert recover_lost_tasks() == 1
    run_gateway_tasks(alpha.pk, StandIn({"hash": "h2"}))
    held.refresh_from_db()
    assert held.status == "applied"
    assert DBTaskResult.objects.get(id=held.task_id).worker_ids == ["gateway-dead", "gw-test"]
