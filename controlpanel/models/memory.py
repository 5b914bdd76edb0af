"""Memory policy inputs the panel keeps per gateway: plugin manifests, the sandbox memory policy and
workload sizes (seed documents 000 and 003). Usage samples arrive through ingest (``MemorySample``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .gateways import Gateway


class GatewayMemoryPolicy(models.Model):
    """The sandbox memory policy (``sandbox: {mode, memory: {...}}``) of one gateway; owners edit it."""

    gateway = models.OneToOneField(Gateway, models.CASCADE, related_name="memory_policy")
    policy = models.JSONField(default=dict, blank=True)
    production = models.BooleanField(default=True)  # relaxed modes are findings only in production
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"memory policy of {self.gateway}"


class PluginManifest(models.Model):
    """A plugin's manifest as far as memory goes (``{"plugin", "memory_policy": {...}}``)."""

    gateway = models.ForeignKey(Gateway, models.CASCADE, related_name="plugin_manifests")
    plugin = models.CharField(max_length=200)
    manifest = models.JSONField(default=dict)
    requires_execute = models.BooleanField(default=False)  # the plugin really generates code (JIT)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["plugin"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "plugin"], name="cp_manifest_unique_gateway_plugin"),
        ]

    def __str__(self) -> str:
        return f"{self.plugin} on {self.gateway}"


class WorkloadSpec(models.Model):
    """A workload's memory request and limit. Usage samples: ``MemorySample(subject="workload:<name>")``."""

    gateway = models.ForeignKey(Gateway, models.CASCADE, related_name="workloads")
    name = models.CharField(max_length=200)
    agent_id = models.CharField(max_length=100, blank=True)
    request_bytes = models.BigIntegerField(null=True, blank=True)
    limit_bytes = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "name"], name="cp_workload_unique_gateway_name"),
            models.CheckConstraint(
                condition=(models.Q(limit_bytes__isnull=True) | models.Q(limit_bytes__gt=0))
                & (models.Q(request_bytes__isnull=True) | models.Q(request_bytes__gt=0)),
                name="cp_workload_sizes_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name
