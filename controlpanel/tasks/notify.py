"""Notifications: routing (the outbox rows written with alerts and requests), group flushes,
deliveries, and the periodic check of gateways and pending requests."""

from __future__ import annotations

from datetime import timedelta

from controlpanel.background import TaskContext, TaskResult, last_error, periodic, task


@task(max_attempts=5, retry_delay=2, takes_context=True)
def notify_route(
    context: TaskContext, *, events: list[int] | None = None, approval: list | None = None
) -> str:
    """Route alert events (ids) or one approval request (["pairing" | "exec", pk]) to receivers,
    with those of other queued routing tasks, then deliver what that wrote."""
    from controlpanel.services.notify.outbox import route_queued

    result = context.task_result
    return route_queued(
        events=events or [],
        approvals=[approval] if approval else [],
        worker_id=result.worker_ids[-1] if result.worker_ids else "",
        first_attempt=len(result.worker_ids) <= 1,
    )


@task(max_attempts=5, retry_delay=2)
def notify_flush(*, group_id: int) -> str:
    """Send what a group has to say once its wait is over (queued for that time)."""
    from controlpanel.services.notify.routing import group_flush

    return group_flush(group_id=group_id)


def _gave_up(result: TaskResult) -> None:
    from controlpanel.services.notify.delivery import notification_give_up

    for key in result.kwargs.get("keys") or [result.kwargs["key"]]:
        notification_give_up(key=key, error=last_error(result))


# A batch (``keys``: what one transaction wrote) is tried once each; a notification that failed in
# it goes on alone (``key``): 7 more attempts, 5 s doubling, the last about 10 minutes later.
@task(max_attempts=7, retry_delay=5, on_give_up=_gave_up)
def notify_deliver(*, key: str = "", keys: list[str] | None = None) -> str:
    """Deliver notifications; every attempt of one carries its same idempotency key."""
    from controlpanel.services.notify.delivery import notification_deliver, notifications_deliver

    if keys:
        return notifications_deliver(keys=keys)
    return notification_deliver(key=key)


@periodic(every=timedelta(seconds=10))
@task(max_attempts=1)
def notify_sweep() -> int:
    """Flush groups whose time has come without a flush task of their own (repeats, muted groups)."""
    from controlpanel.services.notify.routing import groups_sweep

    return groups_sweep()


@periodic(every=timedelta(seconds=15))
@task(max_attempts=1)  # the next period runs it again anyway
def notify_tick() -> int:
    """Gateways that cannot be reached raise (or, back, resolve) ``gateway.down``; requests that are
    no longer pending resolve their notifications. Returns the number of changes."""
    from controlpanel.services.notify.health import gateway_health_check
    from controlpanel.services.notify.outbox import approvals_settle

    return gateway_health_check() + approvals_settle()
