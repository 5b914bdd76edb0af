"""``manage.py db_worker``: django_tasks_db's worker with heartbeats, retries and the schedule.

Same options as upstream's (``--queue-name``, ``--interval``, ``--batch``, ``--max-tasks``,
``--worker-id``, ...) plus ``--no-schedule``. Run one or more per deployment, on any machine that
reaches the database; each one claims tasks with SELECT ... FOR UPDATE SKIP LOCKED (PostgreSQL) or an
exclusive transaction (SQLite). See docs/operations.md.
"""

from __future__ import annotations

import logging
import os
from argparse import BooleanOptionalAction

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker as upstream

from controlpanel.background.worker import GATEWAY_QUEUE, PanelWorker


class Command(upstream.Command):
    help = "Run background tasks (heartbeats, retries and the periodic schedule included)."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--schedule",
            action=BooleanOptionalAction,
            default=True,
            help="also enqueue due periodic tasks (safe on every worker; default: on)",
        )

    def configure_logging(self, verbosity: int) -> None:
        # Quiet by default (make run): retries and failures only; -v 2 logs every task.
        super().configure_logging(verbosity)
        level = {0: logging.CRITICAL, 1: logging.WARNING, 2: logging.INFO}.get(verbosity, logging.DEBUG)
        for name in (upstream.TASKS_LOGGER, "django_tasks_db", "controlpanel.background"):
            logging.getLogger(name).setLevel(level)

    def handle(self, *, verbosity, queue_name, exclude_queues, reload, batch, schedule, **options) -> None:
        self.configure_logging(verbosity)
        if reload and batch:
            reload = False
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        if GATEWAY_QUEUE in queue_names:
            raise CommandError(
                f"the {GATEWAY_QUEUE!r} queue is run by gateway_worker, which holds the connections"
            )
        if "*" in queue_names:
            excluded.append(GATEWAY_QUEUE)
        worker = PanelWorker(
            queue_names=queue_names,
            excluded_queue_names=excluded,
            interval=options["interval"],
            batch=batch,
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            schedule=schedule,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
