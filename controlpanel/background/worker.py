"""The task worker: django_tasks_db's worker plus what the backend lacks for a fleet.

* **Heartbeats.** Each worker renews its ``TaskWorker`` row every CP_TASK_HEARTBEAT_SECONDS from a
  thread. django_tasks_db leaves a task claimed by a worker that died (SIGKILL, OOM, power) RUNNING
  for ever (upstream issue #46); ``recover_lost_tasks`` takes such a task back once its worker has
  been silent for CP_TASK_WORKER_LOST_SECONDS: READY again if attempts remain, else FAILED.
* **Retries.** A task that raises is run again after ``retry_delay * 2**(n-1)`` seconds until
  ``max_attempts`` starts are spent (backend.PanelTask); the last error stays on the row meanwhile.
  Then it is FAILED with its traceback and the task's ``on_give_up`` hook runs once.
* **The schedule.** The heartbeat thread also enqueues due periodic tasks (schedule.py).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from datetime import datetime, timedelta

from django.conf import settings
from django.db import OperationalError, close_old_connections, connection, transaction
from django.utils import timezone
from django_tasks import TaskContext, TaskResultStatus
from django_tasks.signals import task_finished, task_started
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from .backend import PanelTask, error_line
from .schedule import schedule_due

log = logging.getLogger("controlpanel.background")

# Tasks that need a live gateway connection: run by the gateway worker holding it, never by db_worker.
GATEWAY_QUEUE = "gateways"


class WorkerLost(Exception):
    """The worker running the task stopped sending heartbeats (killed, crashed, or cut off)."""


def max_attempts_of(row: DBTaskResult) -> int:
    try:
        task = row.task
    except Exception:  # the task's code is gone or renamed: no point in running it again
        return 0
    return task.max_attempts if isinstance(task, PanelTask) else 1


def _give_up(row: DBTaskResult) -> None:
    try:
        task = row.task
        hook = task.on_give_up if isinstance(task, PanelTask) else None
        if hook is not None:
            hook(row.task_result)
    except Exception:
        log.exception("task %s: its on_give_up hook failed", row.id)


def task_failed(
    row: DBTaskResult, *, error_class: str, error: str, now: datetime | None = None, backoff: bool = True
) -> bool:
    """Record a failed attempt of a RUNNING row: READY again after the backoff, or FAILED for good.

    ``backoff=False`` (a lost worker: detecting it took CP_TASK_WORKER_LOST_SECONDS already): due now.

    A conditional UPDATE (still RUNNING, same claim) so a worker and a reaper never both record it.
    Returns True when the task will run again.
    """
    now = now or timezone.now()
    attempts = len(row.worker_ids)
    retry = attempts < max_attempts_of(row)
    fields = {"exception_class_path": error_class, "traceback": error, "return_value": None}
    if retry:
        delay = row.task.delay_after(attempts) if backoff else timedelta(0)
        fields.update(status=TaskResultStatus.READY, run_after=now + delay)
    else:
        fields.update(status=TaskResultStatus.FAILED, finished_at=now)
    with transaction.atomic():
        claimed = DBTaskResult.objects.filter(
            id=row.id, status=TaskResultStatus.RUNNING, started_at=row.started_at
        ).update(**fields)
        if not claimed:
            return False
        row.refresh_from_db()
        summary = error_line(error) or error_class
        if retry:
            log.warning(
                "task %s %s: attempt %d of %d failed (%s); retrying at %s",
                row.task_path, row.id, attempts, max_attempts_of(row), summary, row.run_after,
            )  # fmt: skip
        else:
            log.error(
                "task %s %s failed for good after %d attempt(s): %s", row.task_path, row.id, attempts, summary
            )
            _give_up(row)
    return retry


def recover_lost_tasks(*, now: datetime | None = None) -> int:
    """Take back RUNNING tasks whose worker has stopped sending heartbeats. Returns how many."""
    from controlpanel.models import TaskWorker

    now = now or timezone.now()
    lost_after = timedelta(seconds=settings.CP_TASK_WORKER_LOST_SECONDS)
    alive = set(TaskWorker.objects.filter(seen_at__gte=now - lost_after).values_list("worker_id", flat=True))
    recovered = 0
    for row in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING):
        worker_id = row.worker_ids[-1] if row.worker_ids else ""
        if worker_id in alive:
            continue
        last = (
            TaskWorker.objects.filter(worker_id=worker_id).values_list("hostname", "pid", "seen_at").first()
        )
        where = (
            f"{last[0]}:{last[1]}, last heartbeat {last[2]:%Y-%m-%d %H:%M:%S} UTC" if last else "no heartbeat"
        )
        error = f"WorkerLost: the worker {worker_id} ({where}) stopped while running this task.\n"
        task_failed(row, error_class=f"{__name__}.WorkerLost", error=error, now=now, backoff=False)
        recovered += 1
    # Workers gone for a day are forgotten (their tasks were taken back long ago).
    TaskWorker.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()
    return recovered


def _ready(queue_name: str, match: dict | None):
    tasks = DBTaskResult.objects.ready().filter(queue_name=queue_name)
    for key, value in (match or {}).items():
        tasks = tasks.filter(**{f"args_kwargs__kwargs__{key}": value})
    return tasks


def any_ready(*, queue_name: str, match: dict | None = None) -> bool:
    """Return True when a READY task of ``queue_name`` matches ``match`` (a read, no lock)."""
    return _ready(queue_name, match).exists()


def claim_next(*, worker_id: str, queue_name: str, match: dict | None = None) -> DBTaskResult | None:
    """Claim the next READY task of ``queue_name`` whose keyword arguments include ``match``.

    For processes that run tasks tied to a resource they hold (the gateway worker); the caller must
    beat a ``Heartbeat`` with ``worker_id``, then record the outcome with ``set_successful`` or
    ``task_failed``.
    """
    tasks = _ready(queue_name, match)
    if not tasks.exists():  # the usual answer, without a lock (callers poll every second)
        return None
    try:
        with exclusive_transaction(tasks.db):
            row = tasks.get_locked()
            if row is not None:
                row.claim(worker_id)
    except OperationalError as exc:
        if is_locked_database_exception(exc):  # SQLite busy: next time (as db_worker does)
            return None
        raise
    return row


class Heartbeat(threading.Thread):
    """Renews the worker's row, takes back lost tasks and enqueues due periodic tasks, in a loop."""

    def __init__(self, worker_id: str, *, schedule: bool = True) -> None:
        super().__init__(name="task-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.schedule = schedule
        self.interval = settings.CP_TASK_HEARTBEAT_SECONDS
        self.stopping = threading.Event()
        self.started_at = timezone.now()

    def beat(self) -> None:
        from controlpanel.models import TaskWorker

        now = timezone.now()
        if not TaskWorker.objects.filter(worker_id=self.worker_id).update(seen_at=now):
            TaskWorker.objects.create(
                worker_id=self.worker_id,
                hostname=socket.gethostname()[:255],
                pid=os.getpid(),
                started_at=self.started_at,
                seen_at=now,
            )
        recover_lost_tasks(now=now)
        if self.schedule:
            schedule_due(now=now)

    def start(self) -> None:
        self.beat()  # registered before the first claim, so no task of ours looks orphaned
        super().start()

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                close_old_connections()
                self.beat()
            except Exception:  # e.g. the database restarting: keep beating
                log.exception("task worker %s: heartbeat failed", self.worker_id)
            finally:
                connection.close()

    def stop(self) -> None:
        from controlpanel.models import TaskWorker

        self.stopping.set()
        if self.is_alive():
            self.join(timeout=10)
        # A clean exit says so at once: a task left running (a forced stop) is taken back now.
        TaskWorker.objects.filter(worker_id=self.worker_id).delete()


class PanelWorker(Worker):
    """django_tasks_db's Worker with heartbeats, retries and the schedule."""

    def __init__(self, *, heartbeat: bool = True, schedule: bool = True, **options) -> None:
        super().__init__(**options)
        self.heartbeat = Heartbeat(self.worker_id, schedule=schedule) if heartbeat else None

    def run(self) -> None:
        if connection.vendor == "sqlite":
            # Keep this thread's connection between tasks: upstream closes it after every task
            # (CONN_MAX_AGE 0), and closing and reopening a WAL database cost ~20 ms a task
            # (bench/notify_latency.py). A file has no server to drop it; errors still close it.
            # (A copy: the dict is shared by every thread's connection.)
            connection.close()
            connection.settings_dict = {**connection.settings_dict, "CONN_MAX_AGE": None}
        if self.heartbeat is not None:
            self.heartbeat.start()
        try:
            super().run()
        finally:
            if self.heartbeat is not None:
                self.heartbeat.stop()

    def run_task(self, db_task_result: DBTaskResult) -> None:
        """Run one claimed task: SUCCESSFUL, or a failed attempt (retried or given up)."""
        try:
            self.running_task = True
            run_claimed(db_task_result)
        finally:
            self.running_task = False
            self._run_tasks += 1


def run_claimed(db_task_result: DBTaskResult) -> None:
    """Run a task claimed by this process: SUCCESSFUL, or a failed attempt (retried or given up)."""
    try:
        task = db_task_result.task
        task_result = db_task_result.task_result
        sender = type(task.get_backend())
        task_started.send(sender=sender, task_result=task_result)
        if task.takes_context:
            value = task.call(TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs)
        else:
            value = task.call(*task_result.args, **task_result.kwargs)
        db_task_result.set_successful(value)
        task_finished.send(sender=sender, task_result=db_task_result.task_result)
    except BaseException as exc:  # as upstream: a forced stop mid-task (SystemExit) is a failed attempt
        text = "".join(traceback.format_exception(exc))
        error_class = f"{type(exc).__module__}.{type(exc).__qualname__}"
        try:
            task_failed(db_task_result, error_class=error_class, error=text)
        except Exception:
            log.exception("task %s: could not record its failure", db_task_result.id)


def run_now(task_id, *, worker_id: str) -> bool:
    """Claim the READY task ``task_id`` for ``worker_id`` (this process's worker) and run it here, now,
    as the worker would have a moment later; False if it is not READY (another worker has it).

    For a task that queued follow-up work it can do at once (routing that wrote deliveries): the
    follow-up keeps its own row, so a crash mid-way leaves it RUNNING for ``recover_lost_tasks``."""
    tasks = DBTaskResult.objects.ready().filter(id=task_id)
    try:
        with exclusive_transaction(tasks.db):
            row = tasks.get_locked()
            if row is None:
                return False
            row.claim(worker_id)
    except OperationalError as exc:
        if is_locked_database_exception(exc):  # SQLite busy: the worker loop runs it instead
            return False
        raise
    run_claimed(row)
    return True


def claim_batch(task, *, worker_id: str, limit: int) -> list[DBTaskResult]:
    """Inside the caller's transaction: claim up to ``limit`` more READY rows of ``task``, oldest
    first, for the running task to do their work with its own. The caller records them done with
    ``batch_done`` in the same transaction; if it rolls back, they are READY again, untouched."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("claim_batch needs the caller's transaction")
    rows = list(
        DBTaskResult.objects.ready()
        .filter(task_path=task.module_path, queue_name=task.queue_name, backend_name=task.backend)
        .select_for_update(skip_locked=True)[:limit]
    )
    now = timezone.now()
    for row in rows:
        row.status, row.started_at, row.worker_ids = (
            TaskResultStatus.RUNNING,
            now,
            [*row.worker_ids, worker_id],
        )
    DBTaskResult.objects.bulk_update(rows, ["status", "started_at", "worker_ids"])
    return rows


def batch_done(rows: list[DBTaskResult], return_value) -> None:
    """Record rows claimed with ``claim_batch`` SUCCESSFUL (in the caller's transaction)."""
    if rows:
        DBTaskResult.objects.filter(id__in=[r.id for r in rows], status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now(), return_value=return_value
        )


def prune_finished_tasks(*, now: datetime | None = None) -> int:
    """Delete task rows finished long ago: successful after a day, failed after 30 days."""
    now = now or timezone.now()
    old = DBTaskResult.objects.filter(
        status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - timedelta(days=1)
    ) | DBTaskResult.objects.filter(status=TaskResultStatus.FAILED, finished_at__lt=now - timedelta(days=30))
    return old.delete()[0]
