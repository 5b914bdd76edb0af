"""The background-work framework: enqueue with the transaction, retries, give-up, lost workers,
the schedule. Tasks run through the real worker code (controlpanel.background.testing)."""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from controlpanel.background import enqueue_on_commit
from controlpanel.background.schedule import SCHEDULE, schedule_due
from controlpanel.background.state import task_state
from controlpanel.background.testing import run_queued_tasks
from controlpanel.background.worker import Heartbeat, recover_lost_tasks
from controlpanel.models import TaskSchedule, TaskWorker

from . import sample_tasks

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@contextlib.contextmanager
def override_retry_delay(task, seconds: float):
    """The worker reads the policy from the task it imports: patch that module attribute."""
    original = task
    patched = dataclasses.replace(task, retry_delay=seconds)
    sample_tasks.fails_until = patched
    try:
        yield
    finally:
        sample_tasks.fails_until = original


@pytest.fixture(autouse=True)
def _clean():
    sample_tasks.GAVE_UP.clear()


def test_a_task_enqueued_in_a_rolled_back_transaction_does_not_exist():
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(sample_tasks.add, 1, 2)
        raise RuntimeError("the service failed after enqueueing")
    assert not DBTaskResult.objects.exists()
    with transaction.atomic():
        result = enqueue_on_commit(sample_tasks.add, 1, 2)
    [row] = run_queued_tasks()
    assert str(row.id) == result.id and row.status == TaskResultStatus.SUCCESSFUL and row.return_value == 3


def test_a_failing_task_is_retried_with_its_error_kept_meanwhile():
    result = enqueue_on_commit(sample_tasks.fails_until, succeed_on=2)
    first, second = run_queued_tasks()  # retry_delay=0: the retry is due at once
    assert first.status == TaskResultStatus.READY, "back in the queue"
    assert "attempt 1 broke" in first.traceback and first.exception_class_path == "builtins.RuntimeError"
    assert second.status == TaskResultStatus.SUCCESSFUL and second.return_value == 2
    assert second.traceback == "" and len(second.worker_ids) == 2
    assert sample_tasks.GAVE_UP == []
    assert task_state(result.id).status == TaskResultStatus.SUCCESSFUL


def test_a_retry_waits_for_its_backoff_and_the_page_state_says_so():
    result = enqueue_on_commit(sample_tasks.fails_until.using(), succeed_on=2)
    DBTaskResult.objects.filter(id=result.id).update(run_after=timezone.now())
    with override_retry_delay(sample_tasks.fails_until, 60):
        [row] = run_queued_tasks()
    assert row.status == TaskResultStatus.READY and row.run_after > timezone.now() + timedelta(seconds=50)
    state = task_state(result.id)
    assert (state.attempts, state.max_attempts, state.waiting_for_retry) == (1, 3, True)
    assert state.last_error == "RuntimeError: attempt 1 broke" and state.retry_at == row.run_after
    assert not state.workers_alive
    assert run_queued_tasks() == [], "not due yet"


def test_a_task_that_keeps_failing_is_failed_with_its_error_and_the_hook_runs_once():
    result = enqueue_on_commit(sample_tasks.fails_until, succeed_on=99)
    assert len(run_queued_tasks()) == 3
    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == TaskResultStatus.FAILED and "attempt 3 broke" in row.traceback
    assert run_queued_tasks() == [], "nothing left to run"
    assert [(result.id, 3, "RuntimeError: attempt 3 broke")] == sample_tasks.GAVE_UP


def test_backoff_doubles_up_to_the_cap():
    task = sample_tasks.fails_until.using()
    from controlpanel.background.backend import RETRY_DELAY_MAX, PanelTask

    slow = PanelTask(func=task.func, takes_context=True, retry_delay=10)
    assert [slow.delay_after(n).total_seconds() for n in (1, 2, 3)] == [10, 20, 40]
    assert slow.delay_after(30).total_seconds() == RETRY_DELAY_MAX


def test_max_attempts_one_fails_at_once():
    enqueue_on_commit(sample_tasks.fails_once_for_good)
    [row] = run_queued_tasks()
    assert row.status == TaskResultStatus.FAILED and "ValueError: no retries for me" in row.traceback
    assert len(sample_tasks.GAVE_UP) == 1


def claimed_by(worker_id: str, task, *args, **kwargs) -> DBTaskResult:
    """A task row as a worker leaves it when it dies mid-task."""
    result = task.enqueue(*args, **kwargs)
    row = DBTaskResult.objects.get(id=result.id)
    row.claim(worker_id)
    return row


def test_a_task_whose_worker_stopped_beating_is_taken_back():
    now = timezone.now()
    TaskWorker.objects.create(worker_id="dead", hostname="h1", pid=1, started_at=now, seen_at=now)
    TaskWorker.objects.create(worker_id="alive", hostname="h2", pid=2, started_at=now, seen_at=now)
    lost = claimed_by("dead", sample_tasks.add, 1, 1)
    kept = claimed_by("alive", sample_tasks.add, 2, 2)
    assert recover_lost_tasks() == 0, "both beat within the limit"
    TaskWorker.objects.filter(worker_id="dead").update(seen_at=now - timedelta(seconds=31))
    assert recover_lost_tasks() == 1
    lost.refresh_from_db()
    kept.refresh_from_db()
    assert kept.status == TaskResultStatus.RUNNING
    assert lost.status == TaskResultStatus.READY and "WorkerLost: the worker dead (h1:1" in lost.traceback
    [row] = run_queued_tasks()
    assert row.status == TaskResultStatus.SUCCESSFUL and row.worker_ids == ["dead", "test-inline"]


def test_a_lost_task_on_its_last_attempt_is_failed_and_given_up():
    row = claimed_by("gone", sample_tasks.fails_once_for_good)  # no heartbeat row at all
    assert recover_lost_tasks() == 1
    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED and "no heartbeat" in row.traceback
    assert [(str(row.id), 1, row.traceback.strip().splitlines()[-1])] == sample_tasks.GAVE_UP


def test_a_heartbeat_registers_the_worker_and_a_clean_stop_removes_it():
    beat = Heartbeat("w-1", schedule=False)
    beat.beat()
    first = TaskWorker.objects.get(worker_id="w-1").seen_at
    beat.beat()
    assert TaskWorker.objects.get(worker_id="w-1").seen_at >= first
    beat.stop()
    assert not TaskWorker.objects.exists()
    assert task_state("") is None


class TestSchedule:
    def test_each_period_is_enqueued_once(self):
        now = timezone.now()
        names = set(SCHEDULE)
        assert {
            "controlpanel.tasks.alerts.alerts_tick",
            "controlpanel.tasks.approvals.approvals_expire",
        } <= names
        assert set(schedule_due(now=now)) == names
        assert schedule_due(now=now) == [], "a second scheduler in the same period enqueues nothing"
        assert DBTaskResult.objects.count() == len(names)

    def test_a_period_whose_previous_run_is_pending_is_skipped(self):
        now = timezone.now()
        schedule_due(now=now)
        later = now + timedelta(minutes=5)
        assert schedule_due(now=later) == [], "the previous runs still wait for a worker"
        assert DBTaskResult.objects.count() == len(SCHEDULE)
        ran = run_queued_tasks()
        assert {r.status for r in ran} == {TaskResultStatus.SUCCESSFUL}
        due = {name for name, entry in SCHEDULE.items() if entry.every <= timedelta(minutes=10)}
        assert set(schedule_due(now=later + timedelta(minutes=5))) == due, "not the hourly ones"
        row = TaskSchedule.objects.get(name="controlpanel.tasks.alerts.alerts_tick")
        assert row.next_run_at == later + timedelta(minutes=5, seconds=15)


@pytest.mark.django_db(transaction=True)
def test_schedulers_racing_on_separate_connections_enqueue_each_period_once():
    """Four workers' heartbeats at the same instant: each periodic task is enqueued once."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    now = timezone.now()
    barrier = threading.Barrier(4)

    def scheduler(_):
        try:
            barrier.wait()
            return schedule_due(now=now)
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(scheduler, range(4)))
    assert sorted(name for names in results for name in names) == sorted(SCHEDULE)
    assert DBTaskResult.objects.count() == len(SCHEDULE)


def test_task_status_lists_workers_and_failed_tasks_with_their_error():
    from io import StringIO

    from django.core.management import call_command

    now = timezone.now()
    TaskWorker.objects.create(worker_id="w-ok", hostname="h", pid=7, started_at=now, seen_at=now)
    enqueue_on_commit(sample_tasks.add, 1, 2)
    run_queued_tasks()
    out = StringIO()
    call_command("task_status", stdout=out)
    assert "w-ok  h:7  alive" in out.getvalue() and "successful 1" in out.getvalue()
    enqueue_on_commit(sample_tasks.fails_once_for_good)
    run_queued_tasks()
    out = StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("task_status", stdout=out)
    assert exc.value.code == 1
    assert "sample_tasks.fails_once_for_good  attempts 1" in out.getvalue()
    assert "ValueError: no retries for me" in out.getvalue()


def test_old_finished_tasks_are_pruned():
    from controlpanel.background.worker import prune_finished_tasks

    enqueue_on_commit(sample_tasks.add, 1, 2)
    enqueue_on_commit(sample_tasks.fails_once_for_good)
    run_queued_tasks()
    assert prune_finished_tasks() == 0
    assert prune_finished_tasks(now=timezone.now() + timedelta(days=2)) == 1, "the successful one"
    assert prune_finished_tasks(now=timezone.now() + timedelta(days=31)) == 1, "then the failed one"
