"""Ingest tokens: how a gateway (or its log shipper) authenticates when it posts runtime events."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .base import TimestampedModel
from .gateways import Gateway


class IngestToken(TimestampedModel):
    """A bearer token for ``POST /api/v1/gateways/<code>/events``, scoped to one gateway.

    Only a short prefix (to recognise it in lists) and the SHA-256 of the whole token are stored; the
    plaintext is shown once at creation. Several may be live at once so a token can be rotated
    without a gap; a revoked token (``revoked_at`` set) never authenticates again.
    """

    gateway = models.ForeignKey(Gateway, models.CASCADE, related_name="ingest_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                # Only a hex SHA-256 may be stored: never a plaintext token.
                condition=models.Q(token_hash__regex=r"^[0-9a-f]{64}$"),
                name="cp_ingesttoken_hash_is_sha256",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="cp_ingesttoken_name_required"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) on {self.gateway}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
