"""Reads for the pages: where a task stands (attempts, last error, retry time) and whether any
worker is alive to run it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from .backend import error_line
from .worker import max_attempts_of


@dataclass(frozen=True)
class TaskState:
    status: str  # READY, RUNNING, SUCCESSFUL, FAILED
    attempts: int  # starts so far
    max_attempts: int
    last_error: str  # the last line of the last failed attempt's traceback ("" if none)
    retry_at: datetime | None  # when a failed attempt will be run again
    workers_alive: bool  # a worker has sent a heartbeat within CP_TASK_WORKER_LOST_SECONDS

    @property
    def waiting_for_retry(self) -> bool:
        return self.status == TaskResultStatus.READY and self.attempts > 0


def workers_alive(*, now: datetime | None = None) -> bool:
    from controlpanel.models import TaskWorker

    since = (now or timezone.now()) - timedelta(seconds=settings.CP_TASK_WORKER_LOST_SECONDS)
    return TaskWorker.objects.filter(seen_at__gte=since).exists()


def task_state(task_id: str) -> TaskState | None:
    """Where the task ``task_id`` stands, or None if there is no such task (pruned, or never had one)."""
    if not task_id:
        return None
    row = DBTaskResult.objects.filter(id=task_id).first()
    if row is None:
        return None
    return TaskState(
        status=row.status,
        attempts=len(row.worker_ids),
        max_attempts=max_attempts_of(row),
        last_error=error_line(row.traceback),
        retry_at=row.run_after if row.run_after != get_date_max() else None,
        workers_alive=workers_alive(),
    )
