"""The task backend: django_tasks_db's database backend, with a retry policy on each task.

``@task(max_attempts=3, retry_delay=10, on_give_up=fn)`` works because the tasks API hands the
decorator's extra keyword arguments to the backend's ``task_class``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django_tasks.base import Task, TaskResult
from django_tasks.exceptions import InvalidTaskError
from django_tasks_db import DatabaseBackend as _DatabaseBackend

RETRY_DELAY_MAX = 600.0  # seconds: the longest wait between two attempts


@dataclass(frozen=True, slots=True, kw_only=True)
class PanelTask(Task):
    """A task with its retry policy.

    ``max_attempts`` counts every start: a run that raised and a run whose worker died alike.
    The wait before attempt n+1 is ``retry_delay * 2**(n-1)`` seconds, at most RETRY_DELAY_MAX.
    ``on_give_up(task_result)`` runs once when the last attempt failed (to mark the domain row).
    """

    max_attempts: int = 3
    retry_delay: float = 10.0
    on_give_up: Callable[[TaskResult], Any] | None = None

    def delay_after(self, attempt: int) -> timedelta:
        """The wait before the attempt after ``attempt`` (1-based)."""
        return timedelta(seconds=min(self.retry_delay * 2 ** max(attempt - 1, 0), RETRY_DELAY_MAX))


def error_line(traceback: str) -> str:
    """The last line of a traceback ("ValueError: ..."): what the pages and the logs show."""
    return traceback.strip().splitlines()[-1] if traceback.strip() else ""


def last_error(result: TaskResult) -> str:
    """The last error of a task result (for ``on_give_up`` hooks), or "unknown error"."""
    return (error_line(result.errors[-1].traceback) if result.errors else "") or "unknown error"


class DatabaseBackend(_DatabaseBackend):
    task_class = PanelTask

    def validate_task(self, task: Task) -> None:
        super().validate_task(task)
        if isinstance(task, PanelTask):
            if task.max_attempts < 1:
                raise InvalidTaskError("max_attempts must be at least 1.")
            if task.retry_delay < 0:
                raise InvalidTaskError("retry_delay must not be negative.")
