"""Shared model pieces: timestamps and the role ladder used by every per-gateway permission."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    """A user's role on one gateway. Each role includes everything the roles below it may do."""

    VIEWER = "viewer", "Viewer"
    ADMIN = "admin", "Admin"
    OWNER = "owner", "Owner"

    @property
    def rank(self) -> int:
        return ROLE_RANK[self]

    def includes(self, other: Role) -> bool:
        return ROLE_RANK[self] >= ROLE_RANK[Role(other)]


ROLE_RANK = {Role.VIEWER: 1, Role.ADMIN: 2, Role.OWNER: 3}


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def choices_check(field: str, choices: type[models.TextChoices], name: str) -> models.CheckConstraint:
    """A CheckConstraint holding ``field`` to its choices: choices alone do not constrain the column."""
    return models.CheckConstraint(condition=models.Q(**{f"{field}__in": choices.values}), name=name)
