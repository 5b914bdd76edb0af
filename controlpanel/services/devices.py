"""Paired devices: revoke, rotate the token, rename. Tokens are stored as SHA-256 only."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from controlpanel.approvals.scopes import check_device_record
from controlpanel.lib.tokens import token_generate, token_verify
from controlpanel.models import Device, Gateway
from controlpanel.selectors import devices_stale

from .activity import activity_record


class DeviceRevoked(Exception):
    """A revoked device gets no new token."""


def device_revoke(*, device: Device, actor) -> Device:
    with transaction.atomic():
        Device.objects.filter(pk=device.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), token_hash="", token_prefix=""
        )
        device.refresh_from_db()
        activity_record(
            action="device.revoked",
            actor=actor,
            gateway=device.gateway,
            target=f"device:{device.device_id}",
            after={"revoked": True},
        )
    return device


def device_rotate_token(*, device: Device, actor) -> str:
    """Issue a new token and return it (shown once). The old token stops working at once."""
    if device.revoked_at is not None:
        raise DeviceRevoked(device.device_id)
    plaintext, prefix, digest = token_generate()
    with transaction.atomic():
        Device.objects.filter(pk=device.pk).update(
            token_hash=digest, token_prefix=prefix, updated_at=timezone.now()
        )
        device.refresh_from_db()
        activity_record(
            action="device.token_rotated",
            actor=actor,
            gateway=device.gateway,
            target=f"device:{device.device_id}",
            after={"token_prefix": prefix},
        )
    return plaintext


def device_rename(*, device: Device, name: str, actor) -> Device:
    before = device.name
    with transaction.atomic():
        device.name = name
        device.save(update_fields=["name", "updated_at"])
        activity_record(
            action="device.renamed",
            actor=actor,
            gateway=device.gateway,
            target=f"device:{device.device_id}",
            before={"name": before},
            after={"name": name},
        )
    return device


def device_authenticate(*, gateway: Gateway, device_id: str, token: str, role: str) -> Device | None:
    """The device if ``token`` is its current token and it may act in ``role``; None otherwise.

    Fails closed: a revoked device or a record without a token never authenticates.
    """
    device = Device.objects.filter(gateway=gateway, device_id=device_id, revoked_at__isnull=True).first()
    if device is None or not check_device_record([device.token_hash], [device.role], role).ok:
        return None
    return device if token_verify(token, device.token_hash) else None


# --- duplicates and stale records ------------------------------------------------------------------


def devices_clean_up_stale(*, gateway: Gateway, actor, now: datetime | None = None) -> list[str]:
    """Remove the stale records of ``gateway`` (see ``devices_stale``); returns the removed device ids."""
    with transaction.atomic():
        stale = devices_stale(gateway=gateway, now=now)
        ids = [d.device_id for d in stale]
        if not ids:
            return []
        Device.objects.filter(pk__in=[d.pk for d in stale]).delete()
        activity_record(
            action="device.stale_removed",
            actor=actor,
            gateway=gateway,
            target=f"devices:{len(ids)}",
            before={"devices": ids},
            after={"removed": len(ids)},
        )
    return ids
