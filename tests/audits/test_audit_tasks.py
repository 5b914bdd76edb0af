"""Audits as background tasks: run by a worker, resumed after a lost worker, stored exactly once,
and a run whose task gave up is shown failed with the reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from controlpanel.background.testing import run_queued_tasks
from controlpanel.background.worker import recover_lost_tasks
from controlpanel.models import ActivityEvent, AuditRun, TaskWorker
from controlpanel.services.audits import _finish, audit_run_execute, audit_run_start
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def alpha(alpha):
    """alpha, with the audit its import queued already run (these tests count their own tasks)."""
    run_queued_tasks()
    return alpha


def die_mid_audit(run: AuditRun, worker_id: str = "killed") -> DBTaskResult:
    """What a worker leaves behind when SIGKILLed mid-audit: its task RUNNING, the run RUNNING."""
    row = DBTaskResult.objects.get(id=run.task_id)
    row.claim(worker_id)
    AuditRun.objects.filter(pk=run.pk).update(status="running", started_at=timezone.now(), progress=20)
    return row


def stored_once(run: AuditRun) -> None:
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert run.findings.count() == len(run.report["findings"]) + len(run.report.get("suppressedFindings", []))
    assert ActivityEvent.objects.filter(action="audit.succeeded", target=f"audit:{run.code}").count() == 1


def test_a_queued_audit_runs_on_a_task_worker(alpha, bob):
    run = audit_run_start(gateway=alpha, actor=bob)
    assert run.task_id and run.status == "queued"
    [row] = run_queued_tasks()
    assert row.status == TaskResultStatus.SUCCESSFUL and row.return_value == "succeeded"
    stored_once(run)


def test_an_audit_whose_worker_died_is_resumed_and_stored_once(alpha):
    run = audit_run_start(gateway=alpha)
    row = die_mid_audit(run)
    assert run_queued_tasks() == [], "RUNNING: no other worker takes it while its worker may live"
    assert recover_lost_tasks() == 1  # "killed" never sent a heartbeat
    [row] = run_queued_tasks()
    assert row.status == TaskResultStatus.SUCCESSFUL and row.worker_ids == ["killed", "test-inline"]
    stored_once(run)


def test_a_late_duplicate_attempt_stores_nothing(alpha):
    run = audit_run_start(gateway=alpha)
    run_queued_tasks()
    assert audit_run_execute(run_id=run.pk, resume=True) is None, "finished runs are not claimed again"
    run.refresh_from_db()
    # Two attempts racing to the end (a worker wrongly presumed dead): the second stores nothing.
    _finish(run, status="succeeded", report=run.report)
    stored_once(run)


def test_an_audit_whose_task_gave_up_is_failed_with_the_reason(alpha, vera):
    run = audit_run_start(gateway=alpha)
    for attempt in range(3):
        die_mid_audit(run, worker_id=f"killed-{attempt}")
        assert recover_lost_tasks() == 1
    run.refresh_from_db()
    assert run.status == "failed" and "3 attempt(s)" in run.error and "WorkerLost" in run.error
    assert ActivityEvent.objects.filter(action="audit.failed", target=f"audit:{run.code}").count() == 1
    body = client_for(vera).get(reverse("audit-run", kwargs={"code": run.code})).content.decode()
    assert 'id="audit-error"' in body and "WorkerLost" in body


def test_the_run_page_says_when_no_worker_runs_and_when_an_attempt_failed(alpha, vera):
    run = audit_run_start(gateway=alpha)
    url = reverse("audit-run", kwargs={"code": run.code})
    body = client_for(vera).get(url).content.decode()
    assert 'id="audit-no-worker"' in body and "manage.py db_worker" in body
    assert 'id="audit-retry"' not in body
    now = timezone.now()
    TaskWorker.objects.create(worker_id="live", hostname="h", pid=1, started_at=now, seen_at=now)
    die_mid_audit(run)
    recover_lost_tasks()
    DBTaskResult.objects.filter(id=run.task_id).update(run_after=now + timedelta(seconds=30))
    body = client_for(vera).get(url).content.decode()
    assert 'id="audit-no-worker"' not in body
    assert 'id="audit-retry"' in body and "Attempt 1 of 3 failed" in body and "WorkerLost" in body
