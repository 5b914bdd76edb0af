"""Notifications: receivers, the routing trees, groups, the delivery outbox and personal settings.

See docs/notifications.md. Receiver secrets (webhook URL and signing secret, Apprise URL) are stored
only as Fernet tokens (``controlpanel.fieldcrypto``) and never rendered; pages show ``target_hint``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from .alerts import Alert
from .base import TimestampedModel, choices_check
from .gateways import Gateway


class ReceiverKind(models.TextChoices):
    WEBHOOK = "webhook", "Signed webhook"
    APPRISE = "apprise", "Chat or push service (Apprise)"
    EMAIL = "email", "Email"


class Receiver(TimestampedModel):
    """Where notifications go. ``gateway`` None: a global receiver (panel superusers manage those)."""

    Kind = ReceiverKind

    gateway = models.ForeignKey(Gateway, models.CASCADE, null=True, blank=True, related_name="receivers")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=ReceiverKind.choices)
    config_enc = models.TextField(blank=True)  # Fernet token of a JSON object (URL, secret, ...)
    target_hint = models.CharField(max_length=200, blank=True)  # what pages show: "https://host/…"
    send_resolved = models.BooleanField(default=True)
    enabled = models.BooleanField(default=True)
    secret_set_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            choices_check("kind", ReceiverKind, "cp_receiver_kind_valid"),
            models.UniqueConstraint(fields=["gateway", "name"], name="cp_receiver_unique_name_per_gateway"),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(gateway__isnull=True),
                name="cp_receiver_unique_global_name",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Route(TimestampedModel):
    """One route of a tree: the global tree (``gateway`` None) or a gateway's own.

    Unset settings (None) are inherited from the parent route, and at the top from the defaults
    (group_by gateway+type, 30 s, 5 min, 4 h). A gateway's tree sees only that gateway's alerts.
    """

    gateway = models.ForeignKey(Gateway, models.CASCADE, null=True, blank=True, related_name="routes")
    parent = models.ForeignKey("self", models.CASCADE, null=True, blank=True, related_name="children")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=100)
    matchers = models.JSONField(default=list, blank=True)  # ["severity=critical", "type=~clw-.*"]
    receiver = models.ForeignKey(Receiver, models.PROTECT, null=True, blank=True, related_name="routes")
    continue_matching = models.BooleanField(default=False)
    group_by = models.JSONField(null=True, blank=True)  # None: inherit; ["..."]: every label
    group_wait = models.DurationField(null=True, blank=True)
    group_interval = models.DurationField(null=True, blank=True)
    repeat_interval = models.DurationField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class NotificationGroup(models.Model):
    """The alerts one route sends one receiver under equal group labels, and what was sent last."""

    route = models.ForeignKey(Route, models.CASCADE, related_name="groups")
    receiver = models.ForeignKey(Receiver, models.CASCADE, related_name="groups")
    key_hash = models.CharField(max_length=64)  # sha256 of routing.group_key()
    labels = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    flushed_at = models.DateTimeField(null=True, blank=True)
    sent_firing = models.JSONField(default=list, blank=True)
    sent_resolved = models.JSONField(default=list, blank=True)
    flush_at = models.DateTimeField(null=True, blank=True)  # the earliest flush task waiting
    flushes = models.PositiveIntegerField(default=0)  # notifications sent so far (names each one)
    # The route's timers when the group was last routed to (inherited settings resolved).
    group_wait = models.DurationField()
    group_interval = models.DurationField()
    repeat_interval = models.DurationField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["route", "receiver", "key_hash"], name="cp_notifygroup_unique_key"
            )
        ]

    def __str__(self) -> str:
        return f"group {self.labels} of {self.receiver_id}"


class GroupItem(models.Model):
    """One alert (or pending approval) in a group: ``fingerprint`` is ``alert:<id>`` or
    ``pairing:<code>`` / ``exec:<code>``."""

    group = models.ForeignKey(NotificationGroup, models.CASCADE, related_name="items")
    fingerprint = models.CharField(max_length=100)
    gateway = models.ForeignKey(Gateway, models.CASCADE, related_name="+")
    alert = models.ForeignKey(Alert, models.SET_NULL, null=True, blank=True, related_name="+")
    labels = models.JSONField(default=dict)
    annotations = models.JSONField(default=dict)  # title, message, url
    firing = models.BooleanField(default=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "fingerprint"], name="cp_groupitem_unique_fingerprint")
        ]
        indexes = [models.Index(fields=["fingerprint"], name="cp_groupitem_fingerprint")]

    def __str__(self) -> str:
        return self.fingerprint


class NotificationChannel(models.TextChoices):
    WEBHOOK = "webhook", "Webhook"
    APPRISE = "apprise", "Apprise"
    EMAIL = "email", "Email"
    WEBPUSH = "webpush", "Browser push"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be delivered"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Not delivered (gave up)"


class Notification(models.Model):
    """One message to one destination: the outbox row a delivery task sends, retried with the same
    ``key`` (the idempotency key receivers see) until delivered or given up (``dead``).

    The destination is a receiver, or a person: one of their browsers (``push_subscription``) or
    their email address (``user``). ``source`` names what caused it, once per destination.
    """

    Channel = NotificationChannel
    Status = NotificationStatus

    id = models.BigAutoField(primary_key=True)
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    source = models.CharField(max_length=200, unique=True)
    channel = models.CharField(max_length=10, choices=NotificationChannel.choices)
    receiver = models.ForeignKey(
        Receiver, models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    push_subscription = models.ForeignKey(
        "PushSubscription", models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    gateway = models.ForeignKey(Gateway, models.CASCADE, null=True, blank=True, related_name="+")
    group = models.ForeignKey(NotificationGroup, models.SET_NULL, null=True, blank=True, related_name="+")
    alerts = models.ManyToManyField(Alert, blank=True, related_name="notifications")
    reason = models.CharField(max_length=200, blank=True)  # "new alerts", "repeat", "test", ...
    payload = models.JSONField(default=dict)  # what is sent, fixed when the row is written
    status = models.CharField(max_length=10, choices=NotificationStatus.choices, default="pending")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            choices_check("channel", NotificationChannel, "cp_notification_channel_valid"),
            choices_check("status", NotificationStatus, "cp_notification_status_valid"),
            models.CheckConstraint(
                condition=~models.Q(status="delivered") | models.Q(delivered_at__isnull=False),
                name="cp_notification_delivered_has_time",
            ),
        ]
        indexes = [models.Index(fields=["receiver", "-id"], name="cp_notification_receiver")]

    def __str__(self) -> str:
        return f"notification {self.key} ({self.status})"

    @property
    def destination(self) -> str:
        if self.receiver_id:
            return self.receiver.name
        if self.push_subscription_id:
            return f"{self.user.get_username()}'s browser" if self.user_id else "a browser"
        return f"{self.user.get_username()} by email" if self.user_id else "?"


class DeliveryAttempt(models.Model):
    """One try to deliver a notification: the delivery log."""

    id = models.BigAutoField(primary_key=True)
    notification = models.ForeignKey(Notification, models.CASCADE, related_name="attempts_log")
    at = models.DateTimeField()
    ok = models.BooleanField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"attempt {'ok' if self.ok else 'failed'} at {self.at}"


class PushSubscription(models.Model):
    """One browser of a user subscribed to Web Push: the push service endpoint and its keys."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000, unique=True)
    keys_enc = models.TextField()  # Fernet token of {"p256dh": ..., "auth": ...}
    label = models.CharField(max_length=100, blank=True)  # "Chrome on Linux", for the list
    created_at = models.DateTimeField(auto_now_add=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.label or 'browser'} of {self.user_id}"


class PushKeys(models.Model):
    """The panel's VAPID key pair, generated once (one row). The private key is encrypted at rest."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    private_key_enc = models.TextField()
    public_key = models.CharField(max_length=200)  # applicationServerKey: base64url uncompressed point
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="cp_pushkeys_single_row")]

    def __str__(self) -> str:
        return "VAPID keys"


class NotifyProfile(models.Model):
    """A person's notification settings: channels, approvals, quiet hours."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="notify_profile")
    push_enabled = models.BooleanField(default=True)
    email_enabled = models.BooleanField(default=False)
    approvals = models.BooleanField(default=True)  # requests on gateways where I am admin or owner
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    critical_overrides_quiet = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"notification settings of {self.user_id}"


class NotifySubscription(models.Model):
    """A person's wish to hear of alerts: on one gateway (or every gateway they can see), from a
    severity up, of types matching a glob."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="notify_subscriptions")
    gateway = models.ForeignKey(Gateway, models.CASCADE, null=True, blank=True, related_name="+")
    min_severity = models.CharField(max_length=10, default="warning")
    type_pattern = models.CharField(max_length=100, default="*")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_severity__in=["info", "warning", "critical"]),
                name="cp_notifysub_severity_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.type_pattern} >= {self.min_severity}"
