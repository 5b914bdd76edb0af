"""The activity log: append-only and hash-chained, so that any edit or deletion is detectable."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("the activity log is append-only")

    def delete(self):
        raise TypeError("the activity log is append-only")


class ActivityEvent(models.Model):
    """Who did what to which target, with before/after for config and policy changes.

    ``hash`` = sha256(``prev_hash`` + canonical JSON of the event); ``seq`` has no gaps. Appends are
    serialised through :class:`ActivityChainHead` (see ``services.activity``).
    """

    seq = models.PositiveBigIntegerField(unique=True)
    created_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200)  # kept in the hash: survives user deletion
    gateway = models.ForeignKey(
        "controlpanel.Gateway", models.SET_NULL, null=True, blank=True, related_name="activity"
    )
    gateway_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=100)  # <noun>.<verb>, e.g. gateway.config_imported
    target = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        constraints = [
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="cp_activity_seq_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.actor_label} {self.action} {self.target}"

    def save(self, *args, **kwargs):
        # Append-only: a stored event is never rewritten through the ORM.
        if not self._state.adding:
            raise TypeError("the activity log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("the activity log is append-only")


class ActivityChainHead(models.Model):
    """A single row locked by every append, so the chain has exactly one writer at a time."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="cp_activity_head_singleton")]

    def __str__(self) -> str:
        return f"activity head #{self.last_seq}"
