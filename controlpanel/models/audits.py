"""Security audit runs and their findings."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from .base import choices_check
from .gateways import Gateway


class AuditRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    TIMED_OUT = "timed_out", "Timed out"


class AuditTrigger(models.TextChoices):
    MANUAL = "manual", "Started by hand"
    SCHEDULED = "scheduled", "Scheduled"
    CONFIG = "config", "After a config change"
    FLEET = "fleet", "Fleet-wide audit"


class FleetAudit(models.Model):
    """One "audit every gateway" request: its runs are queued by a task and run by the task workers."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    gateway_count = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)  # every run created (by the fan-out task)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"fleet audit of {self.gateway_count} gateways ({self.created_at:%Y-%m-%d %H:%M})"


class AuditRun(models.Model):
    """One run of the security audit on a gateway's config: queued -> running -> a final state."""

    Status = AuditRunStatus
    Trigger = AuditTrigger

    FINAL = (Status.SUCCEEDED, Status.FAILED, Status.TIMED_OUT)

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    gateway = models.ForeignKey(Gateway, models.CASCADE, related_name="audit_runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    config_hash = models.CharField(max_length=64, blank=True)
    trigger = models.CharField(max_length=10, choices=AuditTrigger.choices, default=AuditTrigger.MANUAL)
    fleet_audit = models.ForeignKey(FleetAudit, models.SET_NULL, null=True, blank=True, related_name="runs")
    summary = models.JSONField(default=dict, blank=True)  # {"critical": n, "warn": n, "info": n}
    report = models.JSONField(default=dict, blank=True)  # the CLI-compatible JSON
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)  # the background task running it (DBTaskResult)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            choices_check("status", AuditRunStatus, "cp_auditrun_status_valid"),
            choices_check("trigger", AuditTrigger, "cp_auditrun_trigger_valid"),
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="cp_auditrun_progress_max"),
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running"]) | models.Q(finished_at__isnull=False),
                name="cp_auditrun_final_has_finished_at",
            ),
        ]
        indexes = [
            # The gateway's runs newest first (its Audit tab, the previous run, the fleet trend).
            models.Index(fields=["gateway", "-created_at"], name="cp_auditrun_gateway_created"),
        ]

    def __str__(self) -> str:
        return f"audit of {self.gateway} ({self.status})"

    @property
    def is_running(self) -> bool:
        return self.status not in self.FINAL


class AuditFindingSeverity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    WARN = "warn", "Warning"
    INFO = "info", "Info"


class AuditFinding(models.Model):
    """One finding of an audit run, in the order the audit emitted it."""

    Severity = AuditFindingSeverity

    SEVERITY_COLORS = {Severity.CRITICAL: "red", Severity.WARN: "yellow", Severity.INFO: "blue"}

    run = models.ForeignKey(AuditRun, models.CASCADE, related_name="findings")
    position = models.PositiveIntegerField()
    check_id = models.CharField(max_length=200)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    title = models.CharField(max_length=500)
    detail = models.TextField(blank=True)
    remediation = models.TextField(blank=True)
    config_path = models.CharField(max_length=300, blank=True)
    suppressed = models.BooleanField(default=False)

    class Meta:
        ordering = ["run", "position"]
        constraints = [
            choices_check("severity", AuditFindingSeverity, "cp_finding_severity_valid"),
            models.UniqueConstraint(fields=["run", "position"], name="cp_finding_unique_run_position"),
        ]

    def __str__(self) -> str:
        return f"{self.severity} {self.check_id}"


class AuditSuppression(models.Model):
    """An accepted risk on one gateway: findings of ``check_id`` move to "suppressed", with a reason.

    As in the CLI, while any suppression is active the audit adds the unsuppressible
    ``security.audit.suppressions.active`` finding.
    """

    gateway = models.ForeignKey(Gateway, models.CASCADE, related_name="audit_suppressions")
    check_id = models.CharField(max_length=200)
    reason = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["check_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "check_id"], name="cp_suppression_unique_gateway_check"
            ),
            models.CheckConstraint(condition=~models.Q(reason=""), name="cp_suppression_reason_required"),
        ]

    def __str__(self) -> str:
        return f"{self.check_id} suppressed on {self.gateway}"
