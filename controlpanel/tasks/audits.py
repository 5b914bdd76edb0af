"""Audit runs: queued by ``services.audits.audit_run_start``, run on a task worker."""

from __future__ import annotations

from controlpanel.background import TaskContext, TaskResult, last_error, task


def _gave_up(result: TaskResult) -> None:
    from controlpanel.services.audits import audit_run_abandon

    audit_run_abandon(run_id=result.kwargs["run_id"], error=last_error(result), attempts=result.attempts)


@task(takes_context=True, max_attempts=3, retry_delay=5, on_give_up=_gave_up)
def audit_run(context: TaskContext, *, run_id: int) -> str:
    """Run the audit; a later attempt (its worker died) resumes the run it had claimed."""
    from controlpanel.services.audits import audit_run_execute

    run = audit_run_execute(run_id=run_id, resume=context.attempt > 1)
    return run.status if run is not None else "already finished"
