"""Agents and channel accounts, mirrored from a gateway's config on every import."""

from __future__ import annotations

from django.db import models

from .base import TimestampedModel
from .gateways import Gateway


class Agent(TimestampedModel):
    """One agent of a gateway (``agents.entries.<agent_id>``, or the implicit ``main``)."""

    gateway = models.ForeignKey(Gateway, models.CASCADE, related_name="agents")
    agent_id = models.CharField(max_length=100)
    name = models.CharField(max_length=200, blank=True)
    model = models.CharField(max_length=200, blank=True)
    workspace = models.CharField(max_length=500, blank=True)
    is_default = models.BooleanField(default=False)
    config = models.JSONField(default=dict, blank=True)  # the entry as written (references kept)

    class Meta:
        ordering = ["gateway__name", "-is_default", "agent_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "agent_id"],
                name="cp_agent_unique_gateway_agent_id",
                violation_error_message="An agent with this id already exists on this gateway.",
            ),
            models.UniqueConstraint(
                fields=["gateway"],
                condition=models.Q(is_default=True),
                name="cp_agent_one_default_per_gateway",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gateway}/{self.agent_id}"


class ChannelAccount(TimestampedModel):
    """A chat channel configured on a gateway (``channels.<name>``) with its DM and group policy."""

    class DmPolicy(models.TextChoices):
        PAIRING = "pairing", "Pairing"
        ALLOWLIST = "allowlist", "Allowlist"
        OPEN = "open", "Open"
        DISABLED = "disabled", "Disabled"

    gateway = models.ForeignKey(Gateway, models.CASCADE, related_name="channels")
    name = models.CharField(max_length=100)
    account = models.CharField(max_length=100, default="default")
    dm_policy = models.CharField(max_length=20, choices=DmPolicy.choices, default=DmPolicy.PAIRING)
    allow_from = models.JSONField(default=list, blank=True)
    group_policy = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["gateway__name", "name", "account"]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "name", "account"], name="cp_channel_unique_gateway_name_account"
            ),
            models.CheckConstraint(
                condition=models.Q(dm_policy__in=["pairing", "allowlist", "open", "disabled"]),
                name="cp_channel_dm_policy_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gateway}/{self.name}"
