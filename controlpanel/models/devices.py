"""Paired devices (operators and nodes) of a gateway."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from .base import TimestampedModel, choices_check
from .gateways import Gateway


class DeviceRole(models.TextChoices):
    OPERATOR = "operator", "Operator"
    NODE = "node", "Node"


class ApprovedVia(models.TextChoices):
    """How a device came to be paired (OpenClaw's ``approvedVia``, plus approvals made in this panel)."""

    OWNER = "owner", "approved by an operator on the gateway"
    SILENT = "silent", "paired silently (local connection)"
    TRUSTED_CIDR = "trusted-cidr", "paired from a trusted network"
    BOOTSTRAP = "bootstrap", "paired with a setup code"
    PANEL = "panel", "approved in this panel"


# What a client is, from OpenClaw's client id / mode (the Control UI shows the same labels).
CLIENT_KINDS = {
    "openclaw-control-ui": "Control UI (browser)",
    "webchat": "WebChat (browser)",
    "cli": "Command line (CLI)",
    "node-host": "Node host",
    "gateway-client": "Backend client",
    "openclaw-macos": "macOS app",
    "openclaw-ios": "iOS app",
    "openclaw-android": "Android app",
}
CLIENT_MODES = {
    "ui": "Browser UI",
    "cli": "Command line (CLI)",
    "node": "Node host",
    "backend": "Backend client",
}


class Device(TimestampedModel):
    """A device paired with a gateway. Its token is stored only as a SHA-256 hash plus a short prefix.

    A device without a token hash fails closed: it is shown, but never treated as authorised.
    """

    Role = DeviceRole
    ApprovedVia = ApprovedVia

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
    # What the client says it is (OpenClaw's client.id / client.mode) and where it connects from.
    client_id = models.CharField(max_length=100, blank=True)
    client_mode = models.CharField(max_length=30, blank=True)
    host = models.CharField(max_length=200, blank=True)  # host name or address it was seen from
    # Provenance: how it was paired (blank: not known, e.g. imported) and who approved it in the panel.
    approved_via = models.CharField(max_length=20, choices=ApprovedVia.choices, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["gateway__name", "name", "device_id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "device_id"], name="cp_device_unique_gateway_device"),
            choices_check("role", DeviceRole, "cp_device_role_valid"),
            models.CheckConstraint(
                condition=models.Q(approved_via="") | models.Q(approved_via__in=ApprovedVia.values),
                name="cp_device_approved_via_valid",
            ),
            models.CheckConstraint(
                # Only a hex SHA-256 (or nothing) may be stored: never a plaintext token.
                condition=models.Q(token_hash="") | models.Q(token_hash__regex=r"^[0-9a-f]{64}$"),
                name="cp_device_token_hash_is_sha256",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.device_id

    @property
    def client_kind(self) -> str:
        """What this client is, in words ("Control UI (browser)", "Node host", ...)."""
        if self.client_id in CLIENT_KINDS:
            return CLIENT_KINDS[self.client_id]
        if self.client_mode in CLIENT_MODES:
            return CLIENT_MODES[self.client_mode]
        if self.role == DeviceRole.NODE:
            return "Node host"
        return self.client_id or "Unknown client"

    @property
    def last_active_at(self):
        """When it was last seen, else when it was paired (for staleness)."""
        return self.last_seen_at or self.paired_at or self.created_at

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and bool(self.token_hash)
