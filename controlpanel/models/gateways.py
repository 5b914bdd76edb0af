"""Gateways and who may do what on them."""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import models
from django.utils import timezone

from .base import Role, TimestampedModel, choices_check

# Status reports older than this are not trusted: the page shows "unknown" rather than a stale green.
STATUS_FRESH_FOR = timedelta(minutes=2)


class GatewayQuerySet(models.QuerySet):
    def visible_to(self, user) -> GatewayQuerySet:
        """The one rule for "may this user see this gateway": a membership of any role.

        Every view, API endpoint, consumer and selector filters through this method.
        """
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(memberships__user=user)

    def with_user_role(self, user) -> GatewayQuerySet:
        """``visible_to(user)`` with the user's role on each gateway as ``user_role``.

        The annotation follows the filter, so it reads the same (the user's own) membership row.
        """
        return self.visible_to(user).annotate(user_role=models.F("memberships__role"))

    def with_role(self, user, role: Role) -> GatewayQuerySet:
        """Gateways where ``user`` holds ``role`` or a higher one."""
        allowed = [r for r in Role if Role(r).includes(role)]
        return self.with_user_role(user).filter(user_role__in=allowed)


class GatewayStatus(models.TextChoices):
    ONLINE = "online", "Online"
    DEGRADED = "degraded", "Degraded"
    OFFLINE = "offline", "Offline"
    UNKNOWN = "unknown", "Unknown"


# How often a gateway is audited on a schedule (besides after every config change and by hand).
AUDIT_EVERY_CHOICES = [
    (1, "Every hour"),
    (6, "Every 6 hours"),
    (12, "Every 12 hours"),
    (24, "Daily"),
    (168, "Weekly"),
    (0, "Off (after config changes and by hand only)"),
]
AUDIT_EVERY_DEFAULT = 24


class GatewayAuthMode(models.TextChoices):
    TOKEN = "token", "Token"
    PASSWORD = "password", "Password"
    NONE = "none", "None"
    TRUSTED_PROXY = "trusted-proxy", "Trusted proxy"


class Gateway(TimestampedModel):
    """A running OpenClaw gateway that the panel manages, configured by one ``openclaw.json``.

    ``config_text`` is the file exactly as imported (JSON5, comments and ``${VAR}`` references kept);
    ``config_raw`` is its parsed form with references kept. Resolved secrets are never stored.
    """

    Status = GatewayStatus

    STATUS_COLORS = {
        Status.ONLINE: "green",
        Status.DEGRADED: "yellow",
        Status.OFFLINE: "red",
        Status.UNKNOWN: "grey",
    }

    AuthMode = GatewayAuthMode

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # used in URLs
    name = models.CharField(max_length=100, unique=True)
    ws_url = models.CharField("WebSocket URL", max_length=300, blank=True)
    bind = models.CharField(max_length=100, default="loopback")
    port = models.PositiveIntegerField(null=True, blank=True)
    auth_mode = models.CharField(max_length=20, choices=AuthMode.choices, default=AuthMode.TOKEN)
    version = models.CharField(max_length=50, blank=True)

    config_text = models.TextField(blank=True)
    config_raw = models.JSONField(default=dict, blank=True)
    config_hash = models.CharField(max_length=64, blank=True)  # sha256 of config_text
    config_imported_at = models.DateTimeField(null=True, blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNKNOWN)
    status_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Labels chosen by owners; identity-provider group rules select gateways by them (tag:prod).
    tags = models.JSONField(default=list, blank=True)

    # Scheduled audits: every ``audit_every_hours`` (0: off); ``audit_due_at`` is when the scheduler
    # (services.audits.audit_schedule_due) queues the next one; any audit started pushes it on.
    audit_every_hours = models.PositiveSmallIntegerField(
        "scheduled audit", choices=AUDIT_EVERY_CHOICES, default=AUDIT_EVERY_DEFAULT
    )
    audit_due_at = models.DateTimeField(null=True, blank=True)
    # The newest audit run that succeeded (the fleet view's "last audited"); None: never audited.
    audit_latest = models.ForeignKey(
        "controlpanel.AuditRun", models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = GatewayQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            choices_check("status", GatewayStatus, "cp_gateway_status_valid"),
            choices_check("auth_mode", GatewayAuthMode, "cp_gateway_auth_mode_valid"),
            models.CheckConstraint(
                # "online" is a claim about fresh data: it needs a time of observation.
                condition=~models.Q(status="online") | models.Q(status_checked_at__isnull=False),
                name="cp_gateway_online_needs_check_time",
            ),
            models.CheckConstraint(
                condition=models.Q(audit_every_hours__in=[h for h, _ in AUDIT_EVERY_CHOICES]),
                name="cp_gateway_audit_every_valid",
            ),
        ]
        indexes = [
            # The scheduler's question every minute: which gateways are due (few rows, by time).
            models.Index(fields=["audit_due_at"], name="cp_gateway_audit_due_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def ws_url_shown(self) -> str:
        """The WebSocket URL without any user name or password, for pages and exports (a URL stored
        before ``services.gateway_links.ws_url_clean`` refused credentials may hold some)."""
        parts = urlsplit(self.ws_url)
        if "@" not in parts.netloc:
            return self.ws_url
        return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))

    @property
    def current_status(self) -> str:
        """The status to show: never green (or red) without fresh data."""
        if self.status_checked_at is None or timezone.now() - self.status_checked_at > STATUS_FRESH_FOR:
            return self.Status.UNKNOWN
        return self.status

    @property
    def status_color(self) -> str:
        return self.STATUS_COLORS[self.Status(self.current_status)]


class MembershipSource(models.TextChoices):
    PANEL = "panel", "Set in the panel"
    IDP = "idp", "From the identity provider"


class GatewayMembership(TimestampedModel):
    """A user's role on one gateway. No membership: the gateway does not exist for that user (404).

    ``source`` "idp": granted by the identity-provider group rules and re-evaluated at each sign-in;
    "panel": set by an owner (or an invitation), never changed by the rules.
    """

    Source = MembershipSource

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="gateway_memberships")
    gateway = models.ForeignKey(Gateway, models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    source = models.CharField(max_length=10, choices=MembershipSource.choices, default=MembershipSource.PANEL)

    class Meta:
        ordering = ["gateway__name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "gateway"],
                name="cp_membership_unique_user_gateway",
                violation_error_message="This user is already a member of this gateway.",
            ),
            choices_check("role", Role, "cp_membership_role_valid"),
            choices_check("source", MembershipSource, "cp_membership_source_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} of {self.gateway}"
