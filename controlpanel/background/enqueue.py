"""Enqueue a task so that it exists if and only if the caller's transaction commits."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_tasks.base import Task, TaskResult
from django_tasks_db import DatabaseBackend


def enqueue_on_commit(task: Task, /, *args: Any, **kwargs: Any) -> TaskResult | None:
    """Enqueue ``task(*args, **kwargs)`` for when the current transaction commits.

    With the database backend the task row is written now, inside the caller's transaction: workers
    see it when the transaction commits and never if it rolls back (a transactional outbox; nothing
    is lost between the commit and the enqueue). Returns the TaskResult (its ``id`` may be stored on
    the domain row). With any other backend the enqueue is deferred with ``transaction.on_commit``
    and None is returned. Arguments must be JSON values: pass ids, not model instances.
    """
    if isinstance(task.get_backend(), DatabaseBackend):
        return task.enqueue(*args, **kwargs)
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
    return None
