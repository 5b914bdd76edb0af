"""Expiry of pairing and exec approval requests past their deadline."""

from __future__ import annotations

from datetime import timedelta

from controlpanel.background import periodic, task


@periodic(every=timedelta(seconds=10))
@task(max_attempts=1)  # the next period runs it again anyway
def approvals_expire() -> int:
    """Mark pending requests past their deadline expired. Returns how many."""
    from controlpanel.services.approvals import requests_expire

    return requests_expire()
