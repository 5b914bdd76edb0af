"""Gateway workers sharing the fleet: one row per running ``gateway_worker``, one lease per gateway.

A worker connects to a gateway only while it holds that gateway's lease (``holder``, renewed every
few seconds until ``expires_at``). ``generation`` grows by one on every acquisition: it is the
fencing token that every database write a worker makes for the gateway is checked against, so a
worker that lost its lease (paused past expiry, cut off) can no longer write for it and drops the
connection. Times are the database's clock, so workers on machines with skewed clocks agree.
The rules live in ``services/gateway_leases.py``.
"""

from __future__ import annotations

from django.db import models

from .gateways import Gateway


class GatewayWorkerProcess(models.Model):
    """A running ``manage.py gateway_worker``; ``seen_at`` is renewed every round.

    Live while seen within the lease time (CP_GATEWAY_LEASE_SECONDS). ``fleet`` workers divide the
    linked gateways between them (a fair share each); a worker started with ``--gateway`` is not
    part of the fleet: it takes only its named gateways, whenever they are free.
    """

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    fleet = models.BooleanField(default=True)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["worker_id"]

    def __str__(self) -> str:
        return f"gateway worker {self.hostname}:{self.pid}"


class GatewayLease(models.Model):
    """Which worker may hold a connection to ``gateway``, until when, under which fencing token."""

    gateway = models.OneToOneField(Gateway, models.CASCADE, primary_key=True, related_name="lease")
    holder = models.ForeignKey(
        GatewayWorkerProcess, models.SET_NULL, null=True, blank=True, related_name="leases"
    )
    generation = models.PositiveBigIntegerField(default=0)  # +1 on every acquisition
    acquired_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(holder__isnull=True)
                | models.Q(acquired_at__isnull=False, expires_at__isnull=False),
                name="cp_lease_held_has_times",
            )
        ]

    def __str__(self) -> str:
        return f"lease on gateway {self.gateway_id} (generation {self.generation})"
