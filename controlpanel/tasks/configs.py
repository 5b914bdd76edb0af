"""Fleet changes: previews and applies, a few gateways per task (``services.config_fleet``)."""

from __future__ import annotations

from controlpanel.background import TaskResult, last_error, task


def _gave_up(what: str):
    def hook(result: TaskResult) -> None:
        from controlpanel.services.config_fleet import fleet_targets_abandon

        fleet_targets_abandon(
            target_ids=result.kwargs["target_ids"],
            error=f"Could not be {what} ({result.attempts} attempts): {last_error(result)}",
        )

    return hook


@task(max_attempts=3, retry_delay=5, on_give_up=_gave_up("previewed"))
def fleet_preview(*, fleet_id: int, target_ids: list[int]) -> int:
    """Preview a fleet change on these gateways; returns how many were previewed by this run."""
    from controlpanel.services.config_fleet import fleet_preview_run

    return fleet_preview_run(fleet_id=fleet_id, target_ids=target_ids)


@task(max_attempts=3, retry_delay=5, on_give_up=_gave_up("saved"))
def fleet_apply(*, fleet_id: int, target_ids: list[int]) -> int:
    """Apply a fleet change to these gateways, each all or nothing; returns how many were done."""
    from controlpanel.services.config_fleet import fleet_apply_run

    return fleet_apply_run(fleet_id=fleet_id, target_ids=target_ids)
