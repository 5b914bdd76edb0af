"""Fleet changes: one change previewed on every selected gateway, then applied gateway by gateway.

Both phases are background tasks (``tasks.configs``), a few gateways per task so that several
workers share a large fleet; each gateway's result is written as soon as it is known, and the page
shows them as they come (``FleetChangeTarget`` rows).

``fleet_change_preview`` stores the change and queues the previews (nothing else is written).
``fleet_change_apply`` queues the apply once every preview is in and valid: each gateway is then
saved **all or nothing** in its own transaction (its new revision, the activity event and, when
asked and the gateway is linked, its push), and is not saved at all when its config moved since
its preview, when the change is no longer valid there, or when the author no longer owns it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from controlpanel.background import enqueue_on_commit
from controlpanel.configedit.fleet import Change, ChangeError, change_text, preview
from controlpanel.lib.safetext import refusal
from controlpanel.models import ConfigRevision, FleetChange, FleetChangeTarget, Gateway, GatewayLink, Role
from controlpanel.tasks.configs import fleet_apply, fleet_preview

from .activity import activity_record
from .config_revisions import ConfigConflict, ConfigEditError, NothingToSave, config_revision_create

__all__ = [
    "BATCH",
    "ChangeError",
    "fleet_apply_run",
    "fleet_change_apply",
    "fleet_change_preview",
    "fleet_preview_run",
    "fleet_targets_abandon",
    "owned_gateways",
]

BATCH = 8  # gateways per task: small enough to share a fleet among workers, large enough to be cheap
Status = FleetChangeTarget.Status


def owned_gateways(user) -> list[Gateway]:
    return list(Gateway.objects.with_role(user, Role.OWNER).order_by("name"))


def _change(fleet: FleetChange) -> Change:
    return Change(kind=fleet.kind, path=fleet.path, snippet=fleet.snippet, check_id=fleet.check_id)


def _queue(task, fleet: FleetChange, targets: list[FleetChangeTarget]) -> None:
    """Enqueue ``task`` for the targets in batches (on commit); each target keeps its task's id."""
    for start in range(0, len(targets), BATCH):
        batch = targets[start : start + BATCH]
        result = enqueue_on_commit(task, fleet_id=fleet.pk, target_ids=[t.pk for t in batch])
        if result is not None:
            FleetChangeTarget.objects.filter(pk__in=[t.pk for t in batch]).update(task_id=result.id)


def fleet_change_preview(
    *, user, change: Change, gateways: Iterable[Gateway], reason: str = "", push: bool = False
) -> FleetChange:
    """Store ``change`` for the gateways ``user`` owns among ``gateways`` and queue their previews.

    Raises ChangeError when the change itself is malformed (nothing is stored then).
    """
    change.validate()
    if (message := refusal(reason, "the reason")) is not None:
        raise ChangeError(f"reason: {message}")
    owned = {g.pk for g in owned_gateways(user)}
    selected = [g for g in gateways if g.pk in owned]
    with transaction.atomic():
        fleet = FleetChange.objects.create(
            code=uuid.uuid4(),
            kind=change.kind,
            path=change.path,
            snippet=change.snippet,
            check_id=change.check_id,
            reason=reason.strip(),
            push=push,
            created_by=user,
        )
        targets = FleetChangeTarget.objects.bulk_create(
            FleetChangeTarget(fleet=fleet, gateway=g, name=g.name, status=Status.PREVIEWING) for g in selected
        )
        _queue(fleet_preview, fleet, targets)
    return fleet


def fleet_preview_run(*, fleet_id: int, target_ids: list[int]) -> int:
    """Preview the change on each target still being previewed; returns how many were previewed.

    The work happens outside any transaction; each result is stored on its own (idempotent: a
    target already previewed is left alone, so a retried task only does what is left).
    """
    fleet = FleetChange.objects.get(pk=fleet_id)
    change = _change(fleet)
    done = 0
    pending = FleetChangeTarget.objects.filter(pk__in=target_ids, status=Status.PREVIEWING).values_list(
        "pk", "gateway__config_text", "gateway__config_hash"
    )
    for target_id, text, config_hash in pending:
        result = _preview_one(text or "{}\n", change)
        done += FleetChangeTarget.objects.filter(pk=target_id, status=Status.PREVIEWING).update(
            status=Status.PREVIEWED, preview=result, base_hash=config_hash, finished_at=timezone.now()
        )
    return done


def _preview_one(text: str, change: Change) -> dict:
    try:
        _, result = preview(text, change)
    except (ChangeError, ConfigEditError, ValueError, TypeError) as exc:
        return {"valid": False, "changed": False, "issues": [{"path": "", "message": str(exc)}]}
    out: dict = {
        "valid": result.valid,
        "changed": result.changed,
        "issues": [{"path": i.path, "message": i.message} for i in result.issues],
    }
    if result.whatif is not None and result.changed:
        out["whatIf"] = result.whatif.as_json()
        out["keys"] = [k.as_json() for k in result.keys]
    return out


def fleet_change_apply(*, fleet: FleetChange, actor) -> FleetChange:
    """Queue the apply of a fully previewed, valid change to each of its gateways.

    Raises ConfigEditError when the change was already applied, is still being previewed, or
    would make a gateway's config invalid (the preview says which).
    """
    with transaction.atomic():
        fleet = FleetChange.objects.select_for_update().get(pk=fleet.pk)
        if fleet.status != FleetChange.Status.PREVIEWED:
            raise ConfigEditError("This change was already applied: give it again to apply it again.")
        targets = list(fleet.targets.order_by("name", "pk"))
        if any(t.status == Status.PREVIEWING for t in targets):
            raise ConfigEditError("The preview is not finished yet: apply once every gateway is previewed.")
        blocked = [t.name for t in targets if not t.preview.get("valid")]
        if blocked:
            raise ConfigEditError(
                "The change would make these configs invalid: " + ", ".join(blocked) + ". Nothing was saved."
            )
        fleet.status = FleetChange.Status.APPLIED
        fleet.applied_at = timezone.now()
        fleet.save(update_fields=["status", "applied_at"])
        FleetChangeTarget.objects.filter(fleet=fleet).update(status=Status.APPLYING, finished_at=None)
        activity_record(
            action="config.fleet_apply_started",
            actor=actor,
            target=f"fleet:{fleet.code}",
            detail={"gateways": [t.name for t in targets], "push": fleet.push, "kind": fleet.kind},
        )
        _queue(fleet_apply, fleet, targets)
    return fleet


def fleet_apply_run(*, fleet_id: int, target_ids: list[int]) -> int:
    """Apply the change to each target still being applied, each in its own transaction."""
    fleet = FleetChange.objects.select_related("created_by").get(pk=fleet_id)
    change = _change(fleet)
    owned = {g.pk for g in owned_gateways(fleet.created_by)} if fleet.created_by else set()
    done, failed = 0, None
    for target_id in target_ids:
        try:
            done += _apply_one(fleet, change, target_id, owned)
        except Exception as exc:  # one gateway's failure (rolled back) does not hold up the others
            failed = failed or exc
    if failed is not None:
        raise failed  # the task is retried for the gateways left; on giving up they say why
    return done


def _apply_one(fleet: FleetChange, change: Change, target_id: int, owned: set[int]) -> int:
    actor = fleet.created_by
    with transaction.atomic():
        target = FleetChangeTarget.objects.select_for_update().filter(pk=target_id).first()
        if target is None or target.status != Status.APPLYING:
            return 0  # already done (a retried task) or gone with its gateway
        gateway = Gateway.objects.select_for_update().get(pk=target.gateway_id)

        def finish(status: str, outcome: str = "", revision: ConfigRevision | None = None) -> int:
            target.status, target.outcome, target.revision = status, outcome, revision
            target.finished_at = timezone.now()
            target.save(update_fields=["status", "outcome", "revision", "push", "finished_at"])
            if status == Status.NOT_SAVED:
                activity_record(
                    action="config.fleet_not_saved",
                    actor=actor,
                    gateway=gateway,
                    target=f"fleet:{fleet.code}",
                    detail={"why": outcome},
                )
            return 1

        if gateway.pk not in owned:
            return finish(Status.NOT_SAVED, "The change's author is no longer an owner of this gateway.")
        if gateway.config_hash != target.base_hash:
            return finish(Status.NOT_SAVED, "Its config changed since the preview: give the change again.")
        try:
            new_text = change_text(gateway.config_text or "{}\n", change)
        except (ChangeError, ValueError, TypeError) as exc:
            return finish(Status.NOT_SAVED, f"The change does not apply: {exc}")
        if new_text == gateway.config_text:
            return finish(Status.UNCHANGED)
        try:
            with transaction.atomic():  # a refusal leaves nothing of this gateway behind
                revision = config_revision_create(
                    gateway=gateway,
                    text=new_text,
                    source=ConfigRevision.Source.FLEET,
                    reason=fleet.reason or f"Fleet change {fleet.code}",
                    actor=actor,
                    base_hash=target.base_hash,
                    action="config.fleet_applied",
                    detail={"fleet_change": str(fleet.code)},
                ).revision
        except ConfigConflict:
            return finish(Status.NOT_SAVED, "Its config changed since the preview: give the change again.")
        except NothingToSave:
            return finish(Status.UNCHANGED)
        except ConfigEditError as exc:
            return finish(Status.NOT_SAVED, exc.message)
        note = ""
        if fleet.push:
            target.push, note = _push(gateway, revision, actor)
        return finish(Status.SAVED, note, revision)


def _push(gateway: Gateway, revision: ConfigRevision, actor):
    """Queue the new revision for the gateway when it is linked (same transaction as the save)."""
    from .config_live import PushRefused, config_push_revision

    if not GatewayLink.objects.filter(gateway=gateway).exclude(remote_config_hash="").exists():
        return None, "Not linked to a running gateway: not pushed."
    try:
        return config_push_revision(gateway=gateway, revision=revision, actor=actor), ""
    except PushRefused as exc:
        return None, f"Not pushed: {exc}"


def fleet_targets_abandon(*, target_ids: list[int], error: str) -> None:
    """A task gave up: its gateways still being previewed or applied say so (nothing was saved there:
    each gateway's save is one transaction)."""
    now = timezone.now()
    with transaction.atomic():
        targets = FleetChangeTarget.objects.filter(pk__in=target_ids)
        targets.filter(status=Status.PREVIEWING).update(
            status=Status.PREVIEWED,
            preview={"valid": False, "changed": False, "issues": [{"path": "", "message": error}]},
            finished_at=now,
        )
        targets.filter(status=Status.APPLYING).update(status=Status.NOT_SAVED, outcome=error, finished_at=now)
