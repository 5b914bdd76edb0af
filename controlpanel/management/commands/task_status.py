"""``manage.py task_status``: the task workers (alive or lost) and the tasks that failed or retry.

Exits 1 when a task failed for good within ``--since`` hours (for a monitoring check).
"""

from __future__ import annotations

import sys
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models import Count
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from controlpanel.background.backend import error_line
from controlpanel.models import TaskWorker


class Command(BaseCommand):
    help = "Show task workers, queue depth, and failed or retrying tasks with their last error."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--since", type=float, default=24.0, help="failed tasks of the last N hours")

    def handle(self, *args, since: float, **options) -> None:
        now = timezone.now()
        lost_after = timedelta(seconds=settings.CP_TASK_WORKER_LOST_SECONDS)
        self.stdout.write("workers:")
        for w in TaskWorker.objects.all():
            state = "alive" if w.seen_at >= now - lost_after else "LOST"
            age = (now - w.seen_at).total_seconds()
            self.stdout.write(f"  {w.worker_id}  {w.hostname}:{w.pid}  {state} (heartbeat {age:.0f} s ago)")
        counts = dict(DBTaskResult.objects.values_list("status").annotate(n=Count("id")).order_by())
        self.stdout.write(
            "tasks: " + ", ".join(f"{s.lower()} {counts.get(s, 0)}" for s in TaskResultStatus.values)
        )
        retrying = DBTaskResult.objects.filter(status=TaskResultStatus.READY).exclude(traceback="")
        failed = DBTaskResult.objects.filter(
            status=TaskResultStatus.FAILED, finished_at__gte=now - timedelta(hours=since)
        ).order_by("-finished_at")
        for title, rows in (("retrying", retrying), (f"failed in the last {since:g} h", failed)):
            self.stdout.write(f"{title}:")
            for row in rows[:50]:
                when = row.finished_at if row.status == TaskResultStatus.FAILED else row.run_after
                self.stdout.write(
                    f"  {row.id}  {row.task_path}  attempts {len(row.worker_ids)}  {when:%Y-%m-%d %H:%M:%S}"
                    f"\n      {error_line(row.traceback)}"
                )
        if failed.exists():
            sys.exit(1)
