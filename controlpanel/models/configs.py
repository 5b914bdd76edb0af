"""The history of a gateway's config: one immutable revision per change, and fleet changes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import SHA256

from .base import choices_check
from .gateways import Gateway


class TextSha256(SHA256):
    """sha256 of a text as lowercase hex. On PostgreSQL the built-in ``sha256()`` (Django's SHA256 needs
    the pgcrypto extension); elsewhere Django's own."""

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="encode(sha256(convert_to(%(expressions)s, 'UTF8')), 'hex')",
            **extra_context,
        )


class RevisionSource(models.TextChoices):
    """Where a revision came from (the history page filters and words it by this)."""

    IMPORT = "import", "Import"
    EDITOR = "editor", "Raw editor"
    FORM = "form", "Form"
    FIX = "fix", "Audit fix"
    MIGRATION = "migration", "Legacy migration"
    APPROVAL = "approval", "Approval side effect"
    ROLLBACK = "rollback", "Rollback"
    PULLED = "pulled", "Adopted from the gateway"
    FLEET = "fleet", "Fleet change"


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("config revisions are immutable: make a new revision")


class ConfigRevision(models.Model):
    """One version of a gateway's ``openclaw.json``, exactly as saved. Never changed afterwards.

    The newest revision (highest ``number``) is the gateway's current config: ``Gateway.config_text``
    always equals its ``text`` and ``Gateway.config_hash`` its ``sha256`` (``services.config_revisions``
    writes both in one transaction). A rollback is a new revision with an older revision's text.
    """

    Source = RevisionSource

    gateway = models.ForeignKey(Gateway, models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()  # 1, 2, 3 ... per gateway
    parent = models.ForeignKey("self", models.CASCADE, null=True, blank=True, related_name="+")
    text = models.TextField()
    sha256 = models.CharField(max_length=64)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_label = models.CharField(max_length=200)  # survives the account's deletion
    source = models.CharField(max_length=20, choices=RevisionSource.choices)
    reason = models.TextField()
    detail = models.JSONField(default=dict, blank=True)  # e.g. the fixes applied, the rolled-back number
    created_at = models.DateTimeField()

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "number"], name="cp_configrevision_unique_number"),
            choices_check("source", RevisionSource, "cp_configrevision_source_valid"),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="cp_configrevision_number_positive"
            ),
            # The hash is the text's: a revision cannot claim to be something it is not.
            models.CheckConstraint(
                condition=models.Q(sha256=TextSha256("text")), name="cp_configrevision_sha256_of_text"
            ),
            # Every change says why; the services write one for the changes the panel makes itself.
            models.CheckConstraint(
                condition=models.Q(reason__regex=r"\S"), name="cp_configrevision_reason_given"
            ),
            models.CheckConstraint(
                condition=models.Q(number=1, parent__isnull=True)
                | models.Q(number__gt=1, parent__isnull=False),
                name="cp_configrevision_parent_unless_first",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} r{self.number}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise TypeError("config revisions are immutable: make a new revision")
        super().save(*args, **kwargs)

    @property
    def short_hash(self) -> str:
        return self.sha256[:10]

    @property
    def lines(self) -> int:
        return self.text.count("\n") + (0 if self.text.endswith("\n") else 1)


class FleetChangeKind(models.TextChoices):
    SNIPPET = "snippet", "JSON5 merged at a path"
    FIX = "fix", "One audit fix"
    BASELINE = "baseline", "Security baseline"


class FleetChangeStatus(models.TextChoices):
    """The phase a fleet change is in; how far it got is read from its targets (``FleetChangeTarget``)."""

    PREVIEWED = "previewed", "Preview"
    APPLIED = "applied", "Applied"


class FleetChange(models.Model):
    """One change given once for several gateways: previewed per gateway, then applied per gateway.

    Both phases run as background tasks (``tasks.configs``); each gateway's preview and result is
    its ``FleetChangeTarget`` row, written as it completes. ``applied_at``: when the apply was asked.
    """

    Kind = FleetChangeKind
    Status = FleetChangeStatus

    code = models.UUIDField(unique=True)
    kind = models.CharField(max_length=10, choices=FleetChangeKind.choices)
    path = models.CharField(max_length=300, blank=True)
    snippet = models.TextField(blank=True)
    check_id = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    push = models.BooleanField(default=False)  # also push each new revision to linked gateways
    status = models.CharField(max_length=10, choices=FleetChangeStatus.choices, default="previewed")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            choices_check("kind", FleetChangeKind, "cp_fleetchange_kind_valid"),
            choices_check("status", FleetChangeStatus, "cp_fleetchange_status_valid"),
            models.CheckConstraint(
                condition=~models.Q(status="applied") | models.Q(applied_at__isnull=False),
                name="cp_fleetchange_applied_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="snippet") | models.Q(snippet__regex=r"\S"),
                name="cp_fleetchange_snippet_given",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="fix") | models.Q(check_id__regex=r"\S"),
                name="cp_fleetchange_check_given",
            ),
        ]

    def __str__(self) -> str:
        return f"fleet change {self.code} ({self.kind}, {self.status})"


class FleetTargetStatus(models.TextChoices):
    PREVIEWING = "previewing", "Being previewed"
    PREVIEWED = "previewed", "Previewed"
    APPLYING = "applying", "Being applied"
    SAVED = "saved", "Saved"
    UNCHANGED = "unchanged", "Nothing to change"
    NOT_SAVED = "not_saved", "Not saved"


class FleetChangeTarget(models.Model):
    """One gateway of a fleet change: its preview, then what the apply did there (all or nothing)."""

    Status = FleetTargetStatus
    WORKING = (FleetTargetStatus.PREVIEWING, FleetTargetStatus.APPLYING)

    fleet = models.ForeignKey(FleetChange, models.CASCADE, related_name="targets")
    gateway = models.ForeignKey(Gateway, models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)  # the gateway's name when the change was made
    status = models.CharField(max_length=10, choices=FleetTargetStatus.choices, default="previewing")
    base_hash = models.CharField(max_length=64, blank=True)  # the config hash the preview saw
    preview = models.JSONField(default=dict, blank=True)  # valid, changed, issues, whatIf, keys
    outcome = models.TextField(blank=True)  # why it was not saved, or a note (not linked: not pushed)
    revision = models.ForeignKey(ConfigRevision, models.SET_NULL, null=True, blank=True, related_name="+")
    push = models.ForeignKey(
        "controlpanel.GatewayConfigPush", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    task_id = models.CharField(max_length=64, blank=True)  # the task previewing or applying it
    finished_at = models.DateTimeField(null=True, blank=True)  # the preview or the apply, when done

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["fleet", "gateway"], name="cp_fleettarget_one_per_gateway"),
            choices_check("status", FleetTargetStatus, "cp_fleettarget_status_valid"),
            models.CheckConstraint(
                condition=~models.Q(status="saved") | models.Q(revision__isnull=False),
                name="cp_fleettarget_saved_has_revision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fleet} on {self.name} ({self.status})"

    @property
    def working(self) -> bool:
        return self.status in self.WORKING
