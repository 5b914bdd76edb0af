"""Pairing requests: chat senders (DM codes), devices and nodes waiting for an operator's decision."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from .approvals import Delivery
from .base import TimestampedModel, choices_check
from .gateways import Gateway


class PairingRequestQuerySet(models.QuerySet):
    def pending(self) -> PairingRequestQuerySet:
        return self.filter(status=PairingRequest.Status.PENDING)


class PairingRequestKind(models.TextChoices):
    DM = "dm", "DM sender"
    DEVICE = "device", "Device"
    NODE = "node", "Node"


class PairingRequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"


class PairingRequest(TimestampedModel):
    """A request to pair, decided once: pending -> approved | rejected | expired.

    ``code`` locates the request in URLs; it never authorises anything. ``pairing_code`` is the
    8-character code a chat sender received (DM pairing only).
    """

    Kind = PairingRequestKind

    Status = PairingRequestStatus
    Delivery = Delivery

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    gateway = models.ForeignKey(Gateway, models.CASCADE, related_name="pairing_requests")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    external_id = models.CharField(max_length=200, blank=True)  # the gateway's request id

    # DM pairing
    channel = models.CharField(max_length=100, blank=True)
    account = models.CharField(max_length=100, blank=True)
    sender_id = models.CharField(max_length=200, blank=True)
    sender_name = models.CharField(max_length=200, blank=True)
    pairing_code = models.CharField(max_length=8, blank=True)

    # Device / node pairing
    device_id = models.CharField(max_length=200, blank=True)
    device_name = models.CharField(max_length=200, blank=True)
    platform = models.CharField(max_length=100, blank=True)
    public_key = models.TextField(blank=True)
    role = models.CharField(max_length=10, blank=True)
    requested_scopes = models.JSONField(default=list, blank=True)
    commands = models.JSONField(default=list, blank=True)  # node capability requests: declared commands
    remote_ip = models.GenericIPAddressField(null=True, blank=True)
    client_id = models.CharField(max_length=100, blank=True)  # OpenClaw's client.id ("cli", "node-host", ...)
    client_mode = models.CharField(max_length=30, blank=True)

    # Who raised it ("user:<pk>:<name>", "device:<id>", "agent:<id>"): never its own approver.
    requested_by = models.CharField(max_length=300, blank=True)
    requested_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision_reason = models.TextField(blank=True)

    # Requests mirrored from a gateway: the panel's decision must reach it. local = nothing to send
    # (a panel-only request), pending = decided here, not yet sent; delivered / refused = the
    # gateway's answer. A refused decision is never shown as done.
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.LOCAL)
    delivery_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = PairingRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            choices_check("kind", PairingRequestKind, "cp_pairing_kind_valid"),
            choices_check("status", PairingRequestStatus, "cp_pairing_status_valid"),
            models.CheckConstraint(
                # The state machine: decided_at is set exactly when the request has left "pending".
                condition=(models.Q(status="pending") & models.Q(decided_at__isnull=True))
                | (~models.Q(status="pending") & models.Q(decided_at__isnull=False)),
                name="cp_pairing_decided_at_iff_decided",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="dm") | models.Q(pairing_code__regex=r"^[A-HJ-NP-Z2-9]{8}$"),
                name="cp_pairing_dm_code_format",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("requested_at")),
                name="cp_pairing_expires_after_request",
            ),
            models.UniqueConstraint(
                fields=["gateway", "channel", "pairing_code"],
                condition=models.Q(kind="dm", status="pending"),
                name="cp_pairing_unique_pending_dm_code",
            ),
        ]
        indexes = [
            # The approvals inbox: pending requests of a gateway, oldest expiry first.
            models.Index(
                fields=["gateway", "expires_at"],
                condition=models.Q(status="pending"),
                name="cp_pairing_pending_idx",
            ),
            # The approvals inbox across the fleet, a page at a time: pending soonest expiry first,
            # history newest decision first.
            models.Index(
                fields=["expires_at", "id"],
                condition=models.Q(status="pending"),
                name="cp_pairing_inbox_pending",
            ),
            models.Index(
                models.F("decided_at").desc(),
                models.F("id").desc(),
                condition=~models.Q(status="pending"),
                name="cp_pairing_inbox_decided",
            ),
        ]

    def __str__(self) -> str:
        who = self.sender_id or self.device_name or self.device_id
        return f"{self.get_kind_display()} pairing {who} ({self.status})"
