"""Background work on Django's tasks API (django-tasks backport, django_tasks_db database backend).

Define a task (in ``controlpanel/tasks/<area>.py``; thin: it calls one service)::

    from controlpanel.background import task

    @task(max_attempts=3, retry_delay=10)
    def audit_run(run_id: int) -> str: ...

Enqueue it from a service, inside the service's transaction::

    with transaction.atomic():
        run = AuditRun.objects.create(...)
        enqueue_on_commit(audit_run, run_id=run.pk)

Periodic work: ``@periodic(every=timedelta(seconds=15))`` above ``@task``. Workers:
``manage.py db_worker``. Tests: ``controlpanel.background.testing.run_queued_tasks()``.
See docs/architecture.md, "Background work".
"""

from __future__ import annotations

from django_tasks import TaskContext, TaskResult, TaskResultStatus, task

from .backend import last_error
from .enqueue import enqueue_on_commit
from .schedule import periodic

__all__ = [
    "TaskContext",
    "TaskResult",
    "TaskResultStatus",
    "enqueue_on_commit",
    "last_error",
    "periodic",
    "task",
]
