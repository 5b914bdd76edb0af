"""Paired devices (operators and nodes) of a gateway."""

from __future__ import annotations

import uuid

from django.db import models

from .base import TimestampedModel, choices_check
from .gateways import Gateway


class DeviceRole(models.TextChoices):
    OPERATOR = "operator", "Operator"
    NODE = "node", "Node"


class Device(TimestampedModel):
    """A device paired with a gateway. Its token is stored only as a SHA-256 hash plus a short prefix.

    A device without a token hash fails closed: it is shown, but never treated as authorised.
    """

    Role = DeviceRole

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    gateway = models.ForeignKey(Gateway, models.CASCADE, related_name="devices")
    device_id = models.CharField(max_length=200)  # the gateway's id (public-key fingerprint)
    name = models.CharField(max_length=200, blank=True)
    platform = models.CharField(max_length=100, blank=True)
    role = models.CharField(max_length=10, choices=DeviceRole.choices, default=DeviceRole.OPERATOR)
    scopes = models.JSONField(default=list, blank=True)  # approved operator scopes
    token_hash = models.CharField(max_length=64, blank=True)
    token_prefix = models.CharField(max_length=12, blank=True)
    public_key = models.TextField(blank=True)
    paired_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["gateway__name", "name", "device_id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "device_id"], name="cp_device_unique_gateway_device"),
            choices_check("role", DeviceRole, "cp_device_role_valid"),
            models.CheckConstraint(
                # Only a hex SHA-256 (or nothing) may be stored: never a plaintext token.
                condition=models.Q(token_hash="") | models.Q(token_hash__regex=r"^[0-9a-f]{64}$"),
                name="cp_device_token_hash_is_sha256",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.device_id

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and bool(self.token_hash)
