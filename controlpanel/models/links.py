"""The panel's link to a running gateway: credentials (encrypted at rest) and connection state.

Secrets are stored only as Fernet tokens (``controlpanel.fieldcrypto``); nothing here is ever
rendered. ``GatewayConfigPush`` is one config change sent to the gateway with the hash it was based
on, so a concurrent edit made elsewhere is refused by the gateway instead of overwritten.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .base import TimestampedModel, choices_check
from .gateways import Gateway


class LinkState(models.TextChoices):
    IDLE = "idle", "Not connected yet"
    CONNECTED = "connected", "Connected"
    PAIRING_REQUIRED = "pairing_required", "Waiting for approval on the gateway"
    REFUSED = "refused", "Refused by the gateway"
    UNREACHABLE = "unreachable", "Unreachable"
    RESTARTING = "restarting", "Gateway restarting"


class SecretKind(models.TextChoices):
    TOKEN = "token", "Shared token"
    PASSWORD = "password", "Password"


class GatewayLink(TimestampedModel):
    """How the worker reaches one gateway, and what it saw there last."""

    State = LinkState
    SecretKind = SecretKind

    gateway = models.OneToOneField(Gateway, models.CASCADE, related_name="link")
    secret_kind = models.CharField(max_length=10, choices=SecretKind.choices, default=SecretKind.TOKEN)
    secret_enc = models.TextField(blank=True)  # Fernet token of the shared token or password
    secret_set_at = models.DateTimeField(null=True, blank=True)
    device_seed_enc = models.TextField(blank=True)  # Fernet token of the Ed25519 seed (base64)
    device_id = models.CharField(max_length=64, blank=True)  # public: sha256 of the public key
    device_token_enc = models.TextField(blank=True)  # Fernet token of the gateway-issued device token

    state = models.CharField(max_length=20, choices=LinkState.choices, default=LinkState.IDLE)
    scopes = models.JSONField(default=list, blank=True)  # granted in the last hello-ok
    protocol = models.PositiveIntegerField(null=True, blank=True)
    server_version = models.CharField(max_length=100, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    pairing_request_id = models.CharField(max_length=200, blank=True)  # the panel's own, when pending
    last_error = models.TextField(blank=True)
    remote_config_hash = models.CharField(max_length=200, blank=True)
    remote_config_fetched_at = models.DateTimeField(null=True, blank=True)
    # The running config as ``config.get`` returned it (secrets already redacted by the gateway), and
    # the panel revision it is known to be (None: drift, or not known yet).
    remote_config_text = models.TextField(blank=True)
    live_revision = models.ForeignKey(
        "controlpanel.ConfigRevision", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    drift_alerted_hash = models.CharField(max_length=200, blank=True)  # one drift alert per live hash

    class Meta:
        constraints = [
            choices_check("state", LinkState, "cp_link_state_valid"),
            choices_check("secret_kind", SecretKind, "cp_link_secret_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"link to {self.gateway} ({self.state})"

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_enc)

    @property
    def approve_command(self) -> str:
        """Return the command an operator runs on the gateway host to admit the panel once."""
        return f"openclaw devices approve {self.pairing_request_id}" if self.pairing_request_id else ""


class ConfigPushStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the worker"
    APPLIED = "applied", "Applied by the gateway"
    REFUSED = "refused", "Refused by the gateway"
    FAILED = "failed", "Not sent"


class ConfigPushMode(models.TextChoices):
    PATCH = "patch", "Merge patch (config.patch)"
    APPLY = "apply", "Whole config (config.apply)"


class GatewayConfigPush(TimestampedModel):
    """One merge patch for the live gateway config, sent with ``config.patch`` and ``base_hash``."""

    Status = ConfigPushStatus
    Mode = ConfigPushMode

    gateway = models.ForeignKey(Gateway, models.CASCADE, related_name="config_pushes")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    patch = models.TextField()  # JSON5 merge patch text, as the owner wrote it
    base_hash = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=ConfigPushStatus.choices, default="pending")
    error = models.TextField(blank=True)
    issues = models.JSONField(default=list, blank=True)  # [{"path", "message"}] from the gateway
    result_hash = models.CharField(max_length=200, blank=True)
    task_id = models.CharField(max_length=64, blank=True)  # the background task sending it (DBTaskResult)
    sent_at = models.DateTimeField(null=True, blank=True)
    # A push of a whole revision (``config.apply``) rather than a hand-written patch.
    revision = models.ForeignKey(
        "controlpanel.ConfigRevision", models.SET_NULL, null=True, blank=True, related_name="pushes"
    )
    mode = models.CharField(max_length=10, choices=ConfigPushMode.choices, default=ConfigPushMode.PATCH)
    restart_required = models.BooleanField(default=False)  # the gateway restarts to apply it
    confirmed_at = models.DateTimeField(null=True, blank=True)  # config.get showed result_hash running

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            choices_check("status", ConfigPushStatus, "cp_config_push_status_valid"),
            choices_check("mode", ConfigPushMode, "cp_config_push_mode_valid"),
            models.CheckConstraint(
                condition=~models.Q(mode="apply") | models.Q(revision__isnull=False),
                name="cp_config_push_apply_has_revision",
            ),
        ]

    def __str__(self) -> str:
        return f"config push to {self.gateway} ({self.status})"
