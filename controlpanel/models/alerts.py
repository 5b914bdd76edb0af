"""Alerts raised from runtime events (denials, memory trouble) on a gateway."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from controlpanel.lib.safetext import fit

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
    # Where the lists put it: open before acknowledged before resolved, then critical before warning
    # before info (0..8). Kept by the database, so the list order is one index (cp_alert_list_rank).
    list_rank = models.GeneratedField(
        expression=models.Case(
            models.When(state=AlertState.FIRING, then=models.Value(0)),
            models.When(state=AlertState.ACKNOWLEDGED, then=models.Value(3)),
            default=models.Value(6),
        )
        + models.Case(
            models.When(severity=AlertSeverity.CRITICAL, then=models.Value(0)),
            models.When(severity=AlertSeverity.WARNING, then=models.Value(1)),
            default=models.Value(2),
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )

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
        indexes = [
            # The alerts lists (``selectors.alert_order``: open first, most severe first, then newest),
            # read a page at a time: with 100,000 alerts, sorting them all per page view is what this
            # index avoids. (PostgreSQL puts NULLs first in a DESC index, as the lists order; SQLite
            # refuses the words.)
            models.Index(
                fields=["list_rank", "-resolved_at", "-last_seen_at", "-id"], name="cp_alert_list_rank"
            ),
            # How many are firing (the list's "Firing only" count): read from the index alone.
            models.Index(fields=["state", "gateway"], name="cp_alert_state_gateway"),
        ]

    def __str__(self) -> str:
        return f"{self.type} on {self.gateway} ({self.subject})"

    @classmethod
    def stored_key(cls, type_: str, subject: str) -> tuple[str, str]:
        """Return the (type, subject) an event's key is stored and looked up as: fitted to the columns.

        The one normalisation of an alert key, for inserts and lookups alike: events may name
        subjects of 512 characters, the column holds 300, and two long subjects stay apart
        (``lib.safetext.fit``).
        """
        return fit(type_, _TYPE_LENGTH), fit(subject, _SUBJECT_LENGTH)


_TYPE_LENGTH = Alert._meta.get_field("type").max_length
_SUBJECT_LENGTH = Alert._meta.get_field("subject").max_length


class AlertEventKind(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    ESCALATED = "escalated", "Escalated"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"
    SILENCED = "silenced", "Silenced"


class AlertEvent(models.Model):
    """One change to an alert, in commit order: the record that sockets backfill from.

    ``id`` is a monotonically increasing BigAutoField; a client that reconnects sends the last id it
    saw and gets every later event of the gateways it may see. ``payload`` holds what the page needs to
    render the alert at that moment (gateway text inside is hostile: rendered auto-escaped only).
    """

    Kind = AlertEventKind

    id = models.BigAutoField(primary_key=True)
    gateway = models.ForeignKey(Gateway, models.CASCADE, related_name="alert_events")
    alert = models.ForeignKey(Alert, models.CASCADE, related_name="events")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    # False when the change must not toast (silenced, or muted by an OOM on the same workload).
    notify = models.BooleanField(default=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["gateway", "id"], name="cp_alertevent_gateway_id")]
        constraints = [choices_check("kind", AlertEventKind, "cp_alertevent_kind_valid")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.alert_id}"


class Silence(TimestampedModel):
    """A time-bounded mute: matching alerts stay listed but do not toast. Expiry and comment are mandatory.

    ``type_pattern`` and ``subject_pattern`` are shell-style globs (``fnmatch``), ``*`` matches all.
    """

    gateway = models.ForeignKey(Gateway, models.CASCADE, related_name="silences")
    type_pattern = models.CharField(max_length=100, default="*")
    subject_pattern = models.CharField(max_length=300, default="*")
    comment = models.TextField()
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-expires_at"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(comment=""), name="cp_silence_comment_required"),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="cp_silence_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"silence {self.type_pattern}/{self.subject_pattern} on {self.gateway} until {self.expires_at}"


class MemorySample(models.Model):
    """One memory reading for the charts: ``subject`` is ``agent:<id>`` or ``workload:<name>``."""

    id = models.BigAutoField(primary_key=True)
    gateway = models.ForeignKey(Gateway, models.CASCADE, related_name="memory_samples")
    subject = models.CharField(max_length=300)
    usage_bytes = models.BigIntegerField()
    limit_bytes = models.BigIntegerField(null=True, blank=True)  # None: the sender reported no limit
    ts = models.DateTimeField()

    class Meta:
        ordering = ["ts"]
        indexes = [models.Index(fields=["gateway", "subject", "ts"], name="cp_memsample_subject_ts")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(usage_bytes__gte=0), name="cp_memorysample_usage_nonneg"
            ),
            models.CheckConstraint(
                condition=models.Q(limit_bytes__isnull=True) | models.Q(limit_bytes__gt=0),
                name="cp_memorysample_limit_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.usage_bytes}/{self.limit_bytes} at {self.ts}"

    @classmethod
    def stored_subject(cls, subject: str) -> str:
        """Return ``subject`` as stored and looked up: fitted to the column (as ``Alert.stored_key``)."""
        return fit(subject, cls._meta.get_field("subject").max_length)


class GatewayAlertState(models.Model):
    """The alert rules' state for one gateway (``AlertEvaluator.to_dict()``), shared by all workers.

    Rows are locked (select_for_update) while an ingest or a tick updates them, so two workers never
    evaluate the same gateway from the same stale state.
    """

    gateway = models.OneToOneField(Gateway, models.CASCADE, primary_key=True, related_name="alert_state")
    evaluator = models.JSONField(default=dict, blank=True)
    # Bumped whenever a silence of the gateway is created, in the same transaction: ingest, holding
    # this row's lock, reuses the silences it read before while the number is unchanged.
    silences_version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"alert state of {self.gateway}"


class DenialWindow(models.Model):
    """One alert key's recent denials on a gateway: an entry of the escalation rule (``DenialEscalator``).

    One row per key rather than inside ``GatewayAlertState.evaluator``: an ingested batch reads and
    writes only the keys it touches, so its cost does not grow with the number of agents (or
    processes) denied within the window. Written under the gateway's rule-state lock, as the rest
    of the rule state; a tick deletes the rows of keys gone quiet.
    """

    gateway = models.ForeignKey(Gateway, models.CASCADE, related_name="denial_windows")
    key = models.TextField()  # "type|subject" (events.rules.entry_key)
    entry = models.JSONField()  # {"hits": [ISO times], "state": "warning" | "critical"}

    class Meta:
        constraints = [models.UniqueConstraint(fields=["gateway", "key"], name="denialwindow_gateway_key")]

    def __str__(self) -> str:
        return f"{self.key} on {self.gateway}"
