"""Background work: task workers' heartbeats and the periodic schedule (controlpanel/background/).

The task rows themselves are django_tasks_db's ``DBTaskResult``.
"""

from __future__ import annotations

from django.db import models


class TaskWorker(models.Model):
    """A running ``db_worker`` process; ``seen_at`` is renewed every CP_TASK_HEARTBEAT_SECONDS.

    A task claimed by a worker whose heartbeat is older than CP_TASK_WORKER_LOST_SECONDS is taken
    back (run again or given up): django_tasks_db alone would leave it RUNNING for ever.
    """

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return f"task worker {self.worker_id} ({self.hostname}:{self.pid})"


class TaskSchedule(models.Model):
    """One periodic task: the next time it is due; the last run enqueued (to skip while it is pending).

    Schedulers claim a period with a conditional UPDATE of ``next_run_at``, so several never enqueue
    the same period twice.
    """

    name = models.CharField(max_length=200, primary_key=True)  # the task's module path
    next_run_at = models.DateTimeField()
    last_task_id = models.CharField(max_length=64, blank=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} (next {self.next_run_at:%H:%M:%S})"
