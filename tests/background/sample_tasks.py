"""Tasks for the framework's tests (tasks must be module-level functions)."""

from __future__ import annotations

from controlpanel.background import TaskContext, last_error, task

GAVE_UP: list[tuple[str, int, str]] = []  # (task id, attempts, last error line)


def _record(result) -> None:
    GAVE_UP.append((result.id, result.attempts, last_error(result)))


@task()
def add(a: int, b: int) -> int:
    return a + b


@task(takes_context=True, max_attempts=3, retry_delay=0, on_give_up=_record)
def fails_until(context: TaskContext, *, succeed_on: int) -> int:
    if context.attempt < succeed_on:
        raise RuntimeError(f"attempt {context.attempt} broke")
    return context.attempt


@task(max_attempts=1, on_give_up=_record)
def fails_once_for_good() -> None:
    raise ValueError("no retries for me")
