"""Housekeeping of the task table itself (periodic tasks alone add ~15,000 rows a day)."""

from __future__ import annotations

from datetime import timedelta

from controlpanel.background import periodic, task


@periodic(every=timedelta(hours=1))
@task(max_attempts=1)
def tasks_prune() -> int:
    """Delete successful task rows older than a day and failed ones older than 30 days."""
    from controlpanel.background.worker import prune_finished_tasks

    return prune_finished_tasks()
