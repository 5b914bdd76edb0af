"""``manage.py seed_demo``: load demo gateways (idempotent: existing gateways are left alone)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from controlpanel.models import Alert, Device, ExecApprovalRequest, Gateway, PairingRequest
from controlpanel.services.gateways import gateway_import_config

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
DM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O/1/I, as OpenClaw's DM codes


class Command(BaseCommand):
    help = (
        "Load two demo gateways (from controlpanel/demo/*.json5) with agents, devices, requests and alerts."
    )

    def handle(self, *args, **opts) -> None:
        now = timezone.now()
        for name, env_var in (("home-lab", "OPENCLAW_GATEWAY_TOKEN"), ("team-prod", "TEAM_GATEWAY_TOKEN")):
            if Gateway.objects.filter(name=name).exists():
                self.stdout.write(f"{name}: exists, left alone")
                continue
            # The token only resolves the reference for validation; it is not stored anywhere.
            env = {env_var: secrets.token_hex(24)}
            text = (DEMO_DIR / f"{name}.json5").read_text()
            with transaction.atomic():
                outcome = gateway_import_config(text=text, env=env, name=name)
                if outcome.gateway is None:
                    issues = "; ".join(f"{i.path}: {i.message}" for i in outcome.result.issues)
                    raise CommandError(f"demo config {name} is invalid: {issues}")
                _populate(outcome.gateway, now)
            self.stdout.write(f"{name}: created with {outcome.gateway.agents.count()} agent(s)")


def _code() -> str:
    return "".join(secrets.choice(DM_ALPHABET) for _ in range(8))


def _populate(gateway: Gateway, now) -> None:
    """Devices, pending requests and alerts that make every tab of the demo show something."""
    agents = list(gateway.agents.all())
    first_agent = agents[0] if agents else None
    for i, (name, role, scopes) in enumerate(
        [
            ("Control UI (laptop)", "operator", ["operator.read", "operator.write", "operator.approvals"]),
            ("CLI (workstation)", "operator", ["operator.admin"]),
            ("build-node", "node", []),
        ]
    ):
        token = secrets.token_urlsafe(32)
        Device.objects.create(
            gateway=gateway,
            device_id=hashlib.sha256(f"{gateway.name}-{i}".encode()).hexdigest(),
            name=name,
            role=role,
            scopes=scopes,
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            token_prefix=token[:8],
            paired_at=now - timedelta(days=10 - i),
            last_seen_at=now - timedelta(minutes=5 * i),
        )
    channel = gateway.channels.first()
    PairingRequest.objects.create(
        gateway=gateway,
        kind="dm",
        channel=channel.name if channel else "telegram",
        account="default",
        sender_id="555000111",
        sender_name="Dana",
        pairing_code=_code(),
        requested_at=now - timedelta(minutes=12),
        expires_at=now - timedelta(minutes=12) + timedelta(hours=1),
    )
    PairingRequest.objects.create(
        gateway=gateway,
        kind="device",
        device_id=hashlib.sha256(f"{gateway.name}-new".encode()).hexdigest(),
        device_name="Phone (iOS)",
        platform="ios",
        role="operator",
        requested_scopes=["operator.read", "operator.approvals"],
        requested_at=now - timedelta(minutes=3),
        expires_at=now + timedelta(minutes=7),
    )
    ExecApprovalRequest.objects.create(
        gateway=gateway,
        agent=first_agent,
        agent_ref=first_agent.agent_id if first_agent else "main",
        command="git status && npm test",
        argv=["sh", "-c", "git status && npm test"],
        cwd="/home/openclaw/workspace/project",
        host="gateway",
        allowed_decisions=["allow-once", "allow-always", "deny"],
        requested_at=now - timedelta(minutes=1),
        expires_at=now + timedelta(minutes=29),
    )
    Alert.objects.create(
        gateway=gateway,
        type="clw-memory-pressure",
        subject="workload:payment-processor",
        severity="warning",
        message="Memory usage at 85% of limit (1740Mi / 2048Mi)",
        detail={"usage_bytes": 1740 * 2**20, "limit_bytes": 2048 * 2**20},
        first_seen_at=now - timedelta(minutes=20),
        last_seen_at=now - timedelta(minutes=2),
        count=4,
    )
    Alert.objects.create(
        gateway=gateway,
        type="clw-memory-denied",
        subject=f"agent:{first_agent.agent_id if first_agent else 'main'}",
        severity="critical",
        message="Attempted access to protected memory region at 0x7fff5a3c0000 (read, needs clw_mem_read)",
        detail={"operation": "read", "required": "clw_mem_read", "process": "plugin-fetcher", "pid": 12847},
        first_seen_at=now - timedelta(minutes=8),
        last_seen_at=now - timedelta(minutes=8),
    )
