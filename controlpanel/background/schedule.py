"""Periodic tasks: an interval per task, enqueued by the workers at most once per period.

No maintained scheduler for django-tasks runs on Python 3.11 (django-crontask, django-periodic-tasks
and django-scheduled-tasks need 3.12+), so this is the smallest one: every ``db_worker`` calls
``schedule_due()`` with its heartbeat. One ``TaskSchedule`` row per periodic task holds the next due
time; a worker claims a period with a conditional UPDATE of that row and enqueues in the same
transaction, so several workers never enqueue the same period twice. A period whose previous run is
still waiting or running is skipped (a stopped fleet of workers does not pile up ticks).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks.base import Task, TaskResultStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    task: Task
    every: timedelta

    @property
    def name(self) -> str:
        return self.task.module_path


SCHEDULE: dict[str, Periodic] = {}


def periodic(*, every: timedelta):
    """Register the task below it to run every ``every`` (it must take no arguments)::

    @periodic(every=timedelta(seconds=15))
    @task(max_attempts=1)
    def alerts_tick_all() -> int: ...
    """
    if every <= timedelta(0):
        raise ValueError("every must be positive")

    def register(task: Task) -> Task:
        entry = Periodic(task=task, every=every)
        SCHEDULE[entry.name] = entry
        return task

    return register


def schedule_due(*, now: datetime | None = None) -> list[str]:
    """Enqueue the periodic tasks that are due and not still pending. Returns the names enqueued."""
    from django_tasks_db.models import DBTaskResult

    from controlpanel.models import TaskSchedule

    now = now or timezone.now()
    enqueued = []
    known = dict(TaskSchedule.objects.values_list("name", "next_run_at"))
    for name, entry in SCHEDULE.items():
        if name not in known:
            try:
                with transaction.atomic():
                    TaskSchedule.objects.create(name=name, next_run_at=now)
            except IntegrityError:
                pass  # another worker created it first
        elif known[name] > now:
            continue
        with transaction.atomic():
            if not TaskSchedule.objects.filter(name=name, next_run_at__lte=now).update(
                next_run_at=now + entry.every
            ):
                continue  # another worker took this period
            row = TaskSchedule.objects.get(name=name)
            pending = (
                row.last_task_id
                and DBTaskResult.objects.filter(
                    id=row.last_task_id, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
                ).exists()
            )
            if pending:
                log.info("periodic %s: the previous run is still pending; period skipped", name)
                continue
            result = entry.task.enqueue()
            row.last_task_id, row.last_enqueued_at = result.id, now
            row.save(update_fields=["last_task_id", "last_enqueued_at"])
            enqueued.append(name)
    return enqueued
