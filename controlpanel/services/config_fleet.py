"""Fleet changes: one change previewed on every selected gateway, then applied to all of them or none.

``fleet_change_preview`` validates the change on each gateway and records what it would do (nothing
else is written). ``fleet_change_apply`` makes one revision per gateway in one transaction: if any
gateway's config moved since the preview, or the change is not valid there, nothing is saved and the
result says which gateway stopped it. New revisions are pushed to linked gateways when asked.
These are plain functions, run by the request today (they become background tasks with the tasks
framework).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from controlpanel.configedit.fleet import Change, ChangeError, change_text, preview
from controlpanel.lib.safetext import refusal
from controlpanel.models import ConfigRevision, FleetChange, Gateway, GatewayLink, Role

from .activity import activity_record
from .config_revisions import ConfigConflict, ConfigEditError, NothingToSave, config_revision_create

__all__ = ["ChangeError", "fleet_change_apply", "fleet_change_preview", "owned_gateways"]


def owned_gateways(user) -> list[Gateway]:
    return list(Gateway.objects.with_role(user, Role.OWNER).order_by("name"))


def fleet_change_preview(
    *, user, change: Change, gateways: Iterable[Gateway], reason: str = "", push: bool = False
) -> FleetChange:
    """Preview ``change`` on each gateway; returns the stored FleetChange (status "previewed").

    Raises ChangeError when the change itself is malformed. Gateways the user does not own are
    left out (the caller passes the user's selection from ``owned_gateways``).
    """
    change.validate()
    if (message := refusal(reason, "the reason")) is not None:
        raise ChangeError(f"reason: {message}")
    owned = {g.pk for g in owned_gateways(user)}
    selected = [g for g in gateways if g.pk in owned]
    results: dict[str, dict] = {}
    for gateway in selected:
        results[str(gateway.code)] = _preview_one(gateway, change)
    fleet = FleetChange.objects.create(
        code=uuid.uuid4(),
        kind=change.kind,
        path=change.path,
        snippet=change.snippet,
        check_id=change.check_id,
        reason=reason.strip(),
        push=push,
        base_hashes={str(g.code): g.config_hash for g in selected},
        results=results,
        created_by=user,
    )
    fleet.gateways.set(selected)
    return fleet


def _preview_one(gateway: Gateway, change: Change) -> dict:
    out: dict = {"name": gateway.name, "revision": None}
    try:
        new_text, result = preview(gateway.config_text or "{}\n", change)
    except (ChangeError, ConfigEditError, ValueError, TypeError) as exc:
        return {**out, "valid": False, "changed": False, "issues": [{"path": "", "message": str(exc)}]}
    out.update(
        valid=result.valid,
        changed=result.changed,
        issues=[{"path": i.path, "message": i.message} for i in result.issues],
    )
    if result.whatif is not None and result.changed:
        out["whatIf"] = result.whatif.as_json()
        out["keys"] = [k.as_json() for k in result.keys]
    del new_text
    return out


def fleet_change_apply(*, fleet: FleetChange, actor) -> FleetChange:
    """Apply a previewed change to all its gateways, all or nothing; returns it with per-gateway results."""
    if fleet.status != FleetChange.Status.PREVIEWED:
        raise ConfigEditError("This change was already applied or refused: preview it again.")
    change = Change(kind=fleet.kind, path=fleet.path, snippet=fleet.snippet, check_id=fleet.check_id)
    reason = fleet.reason or f"Fleet change {fleet.code}"
    gateways = list(fleet.gateways.order_by("name"))
    owned = {g.pk for g in owned_gateways(actor)}
    results = {code: {**r} for code, r in fleet.results.items()}
    saved: list[ConfigRevision] = []
    failed = ""
    try:
        with transaction.atomic():
            for gateway in gateways:
                code = str(gateway.code)
                if gateway.pk not in owned:
                    failed = f"{gateway.name}: you are no longer an owner"
                    raise _Stop
                new_text = change_text(gateway.config_text or "{}\n", change)
                if new_text == gateway.config_text:
                    results[code]["outcome"] = "unchanged"
                    continue
                try:
                    revision = config_revision_create(
                        gateway=gateway,
                        text=new_text,
                        source=ConfigRevision.Source.FLEET,
                        reason=reason,
                        actor=actor,
                        base_hash=fleet.base_hashes.get(code, ""),
                        action="config.fleet_applied",
                        detail={"fleet_change": str(fleet.code)},
                    ).revision
                except ConfigConflict:
                    failed = f"{gateway.name}: its config changed since the preview"
                    results[code]["outcome"] = "changed since the preview"
                    raise _Stop from None
                except NothingToSave:
                    results[code]["outcome"] = "unchanged"
                    continue
                except ConfigEditError as exc:
                    failed = f"{gateway.name}: {exc.message}"
                    results[code]["outcome"] = exc.message
                    raise _Stop from None
                results[code].update(outcome="saved", revision=revision.number)
                saved.append(revision)
            fleet.status = FleetChange.Status.APPLIED
            fleet.applied_at = timezone.now()
            fleet.results = results
            fleet.save(update_fields=["status", "applied_at", "results"])
    except _Stop:
        for result in results.values():
            if result.get("outcome") == "saved":
                result["outcome"] = "rolled back (another gateway stopped the change)"
                result.pop("revision", None)
            else:
                result.setdefault("outcome", "not saved (another gateway stopped the change)")
        fleet.status = FleetChange.Status.REFUSED
        fleet.results = {**results, "_error": {"message": failed}}
        fleet.save(update_fields=["status", "results"])
        activity_record(
            action="config.fleet_refused", actor=actor, target=f"fleet:{fleet.code}", detail={"why": failed}
        )
        return fleet
    if fleet.push:
        _push_all(saved, actor)
    return fleet


class _Stop(Exception):
    """One gateway stops the whole change (the transaction rolls back)."""


def _push_all(revisions: list[ConfigRevision], actor) -> None:
    from .config_live import PushRefused, config_push_revision

    linked = set(
        GatewayLink.objects.filter(gateway__in=[r.gateway_id for r in revisions])
        .exclude(remote_config_hash="")
        .values_list("gateway_id", flat=True)
    )
    for revision in revisions:
        if revision.gateway_id in linked:
            try:
                config_push_revision(gateway=revision.gateway, revision=revision, actor=actor)
            except PushRefused:
                continue
