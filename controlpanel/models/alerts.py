"""Alerts raised from runtime events (denials, memory trouble) on a gateway."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .base import TimestampedModel, choices_check
from .gateways import Gateway


class AlertSeverity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class AlertState(models.TextChoices):
    FIRING = "firing", "Firing"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Alert(TimestampedModel):
    """An alert keyed by (gateway, type, subject); a repeat raises ``count`` instead of adding a row.

    ``subject`` names what the alert is about: ``agent:<id>``, ``workload:<name>`` or ``device:<id>``.
    States: firing -> acknowledged -> resolved (a resolved alert that fires again starts a new row).
    """

    Severity = AlertSeverity

    State = AlertState

    SEVERITY_COLORS = {Severity.INFO: "blue", Severity.WARNING: "yellow", Severity.CRITICAL: "red"}

    gateway = models.ForeignKey(Gateway, models.CASCADE, related_name="alerts")
    type = models.CharField(max_length=100)  # e.g. clw-memory-oom, exec.denied
    subject = models.CharField(max_length=300)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    state = models.CharField(max_length=15, choices=State.choices, default=State.FIRING)
    message = models.TextField()  # from the gateway: hostile text, always auto-escaped
    detail = models.JSONField(default=dict, blank=True)
    count = models.PositiveIntegerField(default=1)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at"]
        constraints = [
            choices_check("severity", AlertSeverity, "cp_alert_severity_valid"),
            choices_check("state", AlertState, "cp_alert_state_valid"),
            models.UniqueConstraint(
                fields=["gateway", "type", "subject"],
                condition=~models.Q(state="resolved"),
                name="cp_alert_one_open_per_key",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="acknowledged") | models.Q(acknowledged_at__isnull=False),
                name="cp_alert_acknowledged_has_time",
            ),
            models.CheckConstraint(
                condition=(models.Q(state="resolved") & models.Q(resolved_at__isnull=False))
                | (~models.Q(state="resolved") & models.Q(resolved_at__isnull=True)),
                name="cp_alert_resolved_at_iff_resolved",
            ),
            models.CheckConstraint(condition=models.Q(count__gte=1), name="cp_alert_count_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.type} on {self.gateway} ({self.subject})"
