"""Periodic alert rules that depend on time passing alone (what ``manage.py alerts_tick`` runs once)."""

from __future__ import annotations

from datetime import timedelta

from controlpanel.background import periodic, task


@periodic(every=timedelta(seconds=15))
@task(max_attempts=1)  # the next period runs it again anyway
def alerts_tick() -> int:
    """Stale gateways, stale workloads, quiet denial windows. Returns the number of alert changes."""
    from controlpanel.services.alerts import alerts_tick_all

    return alerts_tick_all()
