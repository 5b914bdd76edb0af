"""Exec approval requests: a command an agent wants to run, waiting for an operator's decision."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from .agents import Agent
from .base import TimestampedModel, choices_check
from .gateways import Gateway


class ExecApprovalRequestQuerySet(models.QuerySet):
    def pending(self) -> ExecApprovalRequestQuerySet:
        return self.filter(status=ExecApprovalRequest.Status.PENDING)


class ExecApprovalRequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ALLOWED = "allowed", "Allowed"
    DENIED = "denied", "Denied"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


class Delivery(models.TextChoices):
    """Where a decision stands with the gateway (see ``delivery`` on the request models)."""

    LOCAL = "local", "Panel only"
    PENDING = "pending", "Sending to the gateway"
    # Sent, its answer not recorded (the connection or the worker was lost meanwhile): the next
    # connection sends it again only if the gateway still lists the request as pending.
    SENDING = "sending", "Sent; waiting for the gateway's answer"
    DELIVERED = "delivered", "Confirmed by the gateway"
    REFUSED = "refused", "Refused by the gateway"


class ExecApprovalRequest(TimestampedModel):
    """An exec request, decided once: pending -> allowed | denied | expired | cancelled.

    Every state other than ``allowed`` means the command does not run.
    """

    Status = ExecApprovalRequestStatus
    Delivery = Delivery

    class Decision(models.TextChoices):
        ALLOW_ONCE = "allow-once", "Allow once"
        ALLOW_ALWAYS = "allow-always", "Allow always"
        DENY = "deny", "Deny"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    gateway = models.ForeignKey(Gateway, models.CASCADE, related_name="exec_requests")
    agent = models.ForeignKey(Agent, models.SET_NULL, null=True, blank=True, related_name="exec_requests")
    agent_ref = models.CharField(max_length=100, blank=True)  # the agent id as the gateway sent it
    external_id = models.CharField(max_length=200, blank=True)
    session_key = models.CharField(max_length=300, blank=True)

    command = models.TextField()
    argv = models.JSONField(default=list, blank=True)
    cwd = models.CharField(max_length=1000, blank=True)
    env = models.JSONField(default=dict, blank=True)
    host = models.CharField(max_length=100, blank=True)
    allowed_decisions = models.JSONField(default=list, blank=True)
    # Why the gateway asked, as it said: {"security", "ask", "warningText", "riskKinds", "warningLines"}.
    analysis = models.JSONField(default=dict, blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decision = models.CharField(max_length=15, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    # Who raised it ("user:<pk>:<name>", "device:<id>", "agent:<id>"): never its own approver.
    requested_by = models.CharField(max_length=300, blank=True)
    requested_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    # Requests mirrored from a gateway: the panel's decision must reach it. local = nothing to send
    # (a panel-only request), pending = decided here, not yet sent; delivered / refused = the
    # gateway's answer; sending = sent, answer not yet recorded. A refused decision is never shown
    # as done.
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.LOCAL)
    delivery_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = ExecApprovalRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            choices_check("status", ExecApprovalRequestStatus, "cp_exec_status_valid"),
            models.CheckConstraint(
                condition=models.Q(decision="")
                | models.Q(decision__in=["allow-once", "allow-always", "deny"]),
                name="cp_exec_decision_valid",
            ),
            models.CheckConstraint(
                condition=(models.Q(status="pending") & models.Q(decided_at__isnull=True))
                | (~models.Q(status="pending") & models.Q(decided_at__isnull=False)),
                name="cp_exec_decided_at_iff_decided",
            ),
            models.CheckConstraint(
                # allowed <=> an allow decision; denied <=> deny; expired/cancelled carry none.
                condition=(models.Q(status="allowed") & models.Q(decision__in=["allow-once", "allow-always"]))
                | (models.Q(status="denied") & models.Q(decision="deny"))
                | (models.Q(status__in=["pending", "expired", "cancelled"]) & models.Q(decision="")),
                name="cp_exec_decision_matches_status",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("requested_at")),
                name="cp_exec_expires_after_request",
            ),
        ]
        indexes = [
            models.Index(
                fields=["gateway", "expires_at"],
                condition=models.Q(status="pending"),
                name="cp_exec_pending_idx",
            ),
            # The approvals inbox across the fleet, a page at a time: pending soonest expiry first,
            # history newest decision first.
            models.Index(
                fields=["expires_at", "id"],
                condition=models.Q(status="pending"),
                name="cp_exec_inbox_pending",
            ),
            models.Index(
                models.F("decided_at").desc(),
                models.F("id").desc(),
                condition=~models.Q(status="pending"),
                name="cp_exec_inbox_decided",
            ),
        ]

    def __str__(self) -> str:
        return f"exec {self.command[:40]!r} ({self.status})"
