"""Audit runs: queued by ``services.audits.audit_run_start``, run on a task worker; the schedule
that queues each gateway's periodic audit; the fan-out of a fleet-wide audit."""

from __future__ import annotations

from datetime import timedelta

from controlpanel.background import TaskContext, TaskResult, last_error, periodic, task


def _gave_up(result: TaskResult) -> None:
    from controlpanel.services.audits import audit_run_abandon

    audit_run_abandon(run_id=result.kwargs["run_id"], error=last_error(result), attempts=result.attempts)


@task(takes_context=True, max_attempts=3, retry_delay=5, on_give_up=_gave_up)
def audit_run(context: TaskContext, *, run_id: int) -> str:
    """Run the audit; a later attempt (its worker died) resumes the run it had claimed."""
    from controlpanel.services.audits import audit_run_execute

    run = audit_run_execute(run_id=run_id, resume=context.attempt > 1)
    return run.status if run is not None else "already finished"


@task(max_attempts=3, retry_delay=5)
def audit_fleet_queue(*, fleet_id: int, gateway_ids: list[int]) -> int:
    """A fleet-wide audit's fan-out: queue one run per gateway (a retry skips those queued already)."""
    from controlpanel.services.audits import audit_fleet_queue_runs

    return audit_fleet_queue_runs(fleet_id=fleet_id, gateway_ids=gateway_ids)


@periodic(every=timedelta(minutes=1))
@task(max_attempts=1)  # the next period runs it again anyway
def audits_schedule() -> int:
    """Queue the scheduled audits that are due (each gateway's period, default daily)."""
    from controlpanel.services.audits import audit_schedule_due

    return audit_schedule_due()
