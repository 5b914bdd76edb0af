"""Running tasks in tests: the real worker code, in this thread or in a thread beside a live server.

``run_queued_tasks()`` claims and runs every READY task (through PanelWorker.run_task: the same
retry and failure handling as ``db_worker``) until none is left, and returns their final rows.
Tasks whose retry is not due yet stay queued; move ``run_after`` to run them now. Tasks of the
"gateways" queue need a live connection: the gateway worker runs them (tests: ``running_worker``).
"""

from __future__ import annotations

import threading

from django.db import transaction
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS
from django_tasks_db.models import DBTaskResult

from .worker import GATEWAY_QUEUE, PanelWorker


def _worker(worker_id: str, **options) -> PanelWorker:
    return PanelWorker(
        queue_names=["*"],
        excluded_queue_names=[GATEWAY_QUEUE],
        interval=options.pop("interval", 0.05),
        batch=options.pop("batch", True),
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        **options,
    )


def run_queued_tasks(*, limit: int = 1000) -> list[DBTaskResult]:
    """Run READY tasks (including those the tasks enqueue) until none is left; return their rows."""
    worker = _worker("test-inline", heartbeat=False, schedule=False)
    ran = []
    for _ in range(limit):
        with transaction.atomic():
            row = DBTaskResult.objects.ready().exclude(queue_name=GATEWAY_QUEUE).get_locked()
            if row is None:
                break
            row.claim(worker.worker_id)
        worker.run_task(row)
        row.refresh_from_db()
        ran.append(row)
    return ran


class ThreadWorker:
    """A worker loop on a thread (for live-server tests): ``with ThreadWorker(): ...``."""

    def __init__(self, worker_id: str = "test-thread") -> None:
        self.worker = _worker(worker_id, batch=False, heartbeat=False, schedule=False)
        self.thread = threading.Thread(target=self._run, name="test-task-worker", daemon=True)

    def _run(self) -> None:
        from django.db import connection

        try:
            self.worker.run()
        finally:
            connection.close()

    def __enter__(self) -> ThreadWorker:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.worker.running = False
        self.thread.join(timeout=30)
