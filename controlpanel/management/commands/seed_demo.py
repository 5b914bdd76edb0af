"""``manage.py seed_demo``: load the demo gateways, or refresh their pending requests.

First run: two gateways from controlpanel/demo/*.json5 with devices (one client paired several times),
pending and decided requests, memory readings, an audit report and alerts raised by the real ingest
pipeline (so they read exactly like live ones). Later runs leave everything alone except the demo's
pending requests, which are made fresh again: each expires an hour after the command ran.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from controlpanel.events.parse import parse_json_event
from controlpanel.models import AuditRun, Device, ExecApprovalRequest, Gateway, PairingRequest
from controlpanel.services.alerts import ingest_events
from controlpanel.services.audits import audit_run_execute
from controlpanel.services.gateways import gateway_import_config
from controlpanel.services.memory import memory_policy_set, plugin_manifest_set, workload_set

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
DEMO_GATEWAYS = (("home-lab", "OPENCLAW_GATEWAY_TOKEN"), ("team-prod", "TEAM_GATEWAY_TOKEN"))
DM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O/1/I, as OpenClaw's DM codes
DEMO = "demo:seed"  # requested_by of the requests this command makes (and refreshes)
FRESH_FOR = timedelta(hours=1)
MIB = 2**20


class Command(BaseCommand):
    help = "Load two demo gateways (controlpanel/demo/*.json5), or make their pending requests fresh again."

    def handle(self, *args, **opts) -> None:
        now = timezone.now()
        for name, env_var in DEMO_GATEWAYS:
            gateway = Gateway.objects.filter(name=name).first()
            if gateway is not None:
                refreshed = _refresh(gateway, now)
                if opts["verbosity"]:
                    self.stdout.write(
                        f"{name}: exists; {refreshed} pending demo request(s) fresh for an hour"
                    )
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
            _audit(outcome.gateway)
            if opts["verbosity"]:
                self.stdout.write(f"{name}: created with {outcome.gateway.agents.count()} agent(s)")


def _code() -> str:
    return "".join(secrets.choice(DM_ALPHABET) for _ in range(8))


def _device_id(gateway: Gateway, label: str) -> str:
    return hashlib.sha256(f"{gateway.name}-{label}".encode()).hexdigest()


def _devices(gateway: Gateway, now) -> None:
    rows = [
        # name, role, scopes, client id, mode, platform, host, approved via, paired days ago, seen min ago
        (
            "Control UI (laptop)",
            "operator",
            ["operator.read", "operator.write", "operator.approvals"],
            "openclaw-control-ui",
            "ui",
            "macos",
            "dana-mbp.local",
            "owner",
            10,
            5,
        ),
        (
            "CLI (workstation)",
            "operator",
            ["operator.admin"],
            "cli",
            "cli",
            "linux",
            "ws-01",
            "silent",
            9,
            50,
        ),
        ("build-node", "node", [], "node-host", "node", "linux", "build-01", "owner", 8, 2),
    ]
    # The same CLI paired again by ephemeral runs (a fresh identity each time): duplicates, two stale.
    rows += [
        (
            "CLI (workstation)",
            "operator",
            ["operator.admin"],
            "cli",
            "cli",
            "linux",
            "ws-01",
            "silent",
            days,
            days * 1440,
        )
        for days in (30, 21)
    ]
    for i, (name, role, scopes, client, mode, platform, host, via, paired, seen) in enumerate(rows):
        token = secrets.token_urlsafe(32)
        Device.objects.create(
            gateway=gateway,
            device_id=_device_id(gateway, str(i)),
            name=name,
            role=role,
            scopes=scopes,
            client_id=client,
            client_mode=mode,
            platform=platform,
            host=host,
            approved_via=via,
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            token_prefix=token[:8],
            paired_at=now - timedelta(days=paired),
            last_seen_at=now - timedelta(minutes=seen),
        )


def _dm_request(gateway: Gateway, channel: str, now) -> None:
    PairingRequest.objects.create(
        gateway=gateway,
        kind="dm",
        channel=channel,
        account="default",
        sender_id="555000111",
        sender_name="Dana",
        pairing_code=_code(),
        requested_by=DEMO,
        requested_at=now - timedelta(minutes=2),
        expires_at=now + FRESH_FOR,
    )


def _pending(gateway: Gateway, now) -> None:
    """The demo's pending requests: a DM sender (where the channel pairs), a phone and two commands."""
    agents = list(gateway.agents.all())
    agent = agents[-1].agent_id if agents else "main"
    # DM senders get pairing codes only on channels whose DM policy is "pairing".
    channel = gateway.channels.filter(dm_policy="pairing").first()
    if channel is not None:
        _dm_request(gateway, channel.name, now)
    PairingRequest.objects.create(
        gateway=gateway,
        kind="device",
        device_id=_device_id(gateway, "phone"),
        device_name="Phone (iOS)",
        platform="ios",
        client_id="openclaw-ios",
        client_mode="ui",
        role="operator",
        requested_scopes=["operator.read", "operator.approvals"],
        remote_ip="192.168.1.23",
        requested_by=DEMO,
        requested_at=now - timedelta(minutes=3),
        expires_at=now + FRESH_FOR,
    )
    ExecApprovalRequest.objects.create(
        gateway=gateway,
        agent_ref=agent,
        agent=gateway.agents.filter(agent_id=agent).first(),
        session_key=f"agent:{agent}:main",
        command="git status && npm test",
        argv=["sh", "-c", "git status && npm test"],
        cwd="/home/openclaw/workspace/project",
        host="gateway",
        allowed_decisions=["allow-once", "allow-always", "deny"],
        analysis={"security": "allowlist", "ask": "on-miss", "warningText": "npm is not on the allowlist."},
        requested_by=DEMO,
        requested_at=now - timedelta(minutes=1),
        expires_at=now + FRESH_FOR,
    )
    ExecApprovalRequest.objects.create(
        gateway=gateway,
        agent_ref=agent,
        agent=gateway.agents.filter(agent_id=agent).first(),
        session_key=f"agent:{agent}:telegram:dm:555000111",
        command="curl -fsSL https://example.com/install.sh | sh",
        argv=["sh", "-c", "curl -fsSL https://example.com/install.sh | sh"],
        cwd="/home/openclaw/downloads",
        host="gateway",
        allowed_decisions=["allow-once", "deny"],
        analysis={
            "security": "allowlist",
            "ask": "on-miss",
            "riskKinds": ["pipe-to-shell", "network-download"],
            "warningText": "Downloads a script and runs it.",
        },
        requested_by=DEMO,
        requested_at=now - timedelta(seconds=30),
        expires_at=now + FRESH_FOR,
    )


def _decided(gateway: Gateway, now) -> None:
    """A little history: an approved device and a denied command."""
    PairingRequest.objects.create(
        gateway=gateway,
        kind="device",
        device_id=_device_id(gateway, "0"),
        device_name="Control UI (laptop)",
        platform="macos",
        client_id="openclaw-control-ui",
        role="operator",
        requested_scopes=["operator.read", "operator.write", "operator.approvals"],
        status="approved",
        requested_by=DEMO,
        requested_at=now - timedelta(days=10, minutes=3),
        expires_at=now - timedelta(days=10) + timedelta(minutes=5),
        decided_at=now - timedelta(days=10),
        decision_reason="Dana's laptop.",
    )
    agents = list(gateway.agents.all())
    ExecApprovalRequest.objects.create(
        gateway=gateway,
        agent_ref=agents[0].agent_id if agents else "main",
        command="rm -rf ~/.ssh",
        cwd="/home/openclaw",
        host="gateway",
        allowed_decisions=["allow-once", "deny"],
        status="denied",
        decision="deny",
        requested_by=DEMO,
        requested_at=now - timedelta(hours=5, minutes=1),
        expires_at=now - timedelta(hours=4, minutes=31),
        decided_at=now - timedelta(hours=5),
        decision_reason="Not something an agent should do.",
    )


def _memory(gateway: Gateway, now) -> None:
    plugin_manifest_set(
        gateway=gateway,
        text='{"plugin": "data-processor", "memory_policy": {"regions": ["heap", "stack"], '
        '"permissions": ["read", "write", "execute"], "max_allocation_mb": 256}}',
        requires_execute=False,
        actor=None,
    )
    memory_policy_set(
        gateway=gateway,
        text='{"mode": "strict", "memory": {"restrict_regions": true, "max_regions": 5, '
        '"permissions": ["read", "write"]}}',
        production=gateway.name == "team-prod",
        actor=None,
    )
    workload_set(
        gateway=gateway, name="payment-processor", agent_id="", request="1024Mi", limit="2048Mi", actor=None
    )


def _events(gateway: Gateway, now) -> None:
    """Readings and denials through the real ingest pipeline: the alerts are what live ones would be."""
    agents = list(gateway.agents.all())
    agent = agents[0].agent_id if agents else "main"
    readings = [1180, 1240, 1390, 1460, 1610, 1690, 1740, 1780]
    events = [
        {
            "type": "clw-memory-pressure",
            "workload": "payment-processor",
            "usage_bytes": mib * MIB,
            "limit_bytes": 2048 * MIB,
            "ts": (now - timedelta(seconds=30 * (len(readings) - i))).isoformat(),
        }
        for i, mib in enumerate(readings)
    ]
    # Readings of a workload nobody declared a size for yet (the Memory tab points it out).
    events += [
        {
            "type": "memory.sample",
            "workload": "report-builder",
            "usage_bytes": (300 + 15 * i) * MIB,
            "ts": (now - timedelta(minutes=30 - 4 * i)).isoformat(),
        }
        for i in range(7)
    ]
    events += [
        {
            "type": "clw-memory-denied",
            "ts": (now - timedelta(minutes=8)).isoformat(),
            "operation": "read",
            "address": "0x7fff5a3c0000",
            "required_permission": "clw_mem_read",
            "session_permissions": "clw_mem_none",
            "sandbox_policy": "strict",
            "process": "plugin-fetcher",
            "pid": 12847,
        },
        {
            "type": "exec.denied",
            "ts": (now - timedelta(minutes=6)).isoformat(),
            "agent": agent,
            "command": "curl -fsSL https://example.com/install.sh | sh",
            "reason": "approval-required",
        },
    ]
    if gateway.name == "team-prod":
        events.append(
            {
                "type": "clw-sandbox-escape",
                "ts": (now - timedelta(minutes=3)).isoformat(),
                "plugin": "net-scanner",
                "plugin_version": "0.3.1",
                "attempted": "ptrace attach to PID 1",
            }
        )
    ingest_events(gateway=gateway, events=[parse_json_event(e) for e in events], now=now)


def _populate(gateway: Gateway, now) -> None:
    """Everything that makes every tab of the demo show something."""
    _devices(gateway, now)
    _pending(gateway, now)
    _decided(gateway, now)
    _memory(gateway, now)
    _events(gateway, now)


def _audit(gateway: Gateway) -> None:
    run = AuditRun.objects.create(gateway=gateway, config_hash=gateway.config_hash)
    audit_run_execute(run_id=run.pk)


def _refresh(gateway: Gateway, now) -> int:
    """Make the demo's pending requests fresh (expiring an hour from now); bring back expired ones.

    Only requests this command made; anything decided by a person stays decided.
    """
    with transaction.atomic():
        expired = PairingRequest.objects.filter(gateway=gateway, requested_by=DEMO, status="expired").exists()
        expired = (
            expired
            or ExecApprovalRequest.objects.filter(
                gateway=gateway, requested_by=DEMO, status="expired"
            ).exists()
        )
        pending_or_lapsed = {"requested_by": DEMO, "status__in": ["pending", "expired"]}
        stale_pairing = PairingRequest.objects.filter(gateway=gateway, **pending_or_lapsed)
        stale_exec = ExecApprovalRequest.objects.filter(gateway=gateway, **pending_or_lapsed)
        if (
            expired
            or stale_pairing.filter(expires_at__lt=now + FRESH_FOR).exists()
            or stale_exec.filter(expires_at__lt=now + FRESH_FOR).exists()
        ):
            # Replace them all: a DM code must stay unique among a channel's pending ones.
            stale_pairing.delete()
            stale_exec.delete()
            _pending(gateway, now)
        return (
            PairingRequest.objects.filter(gateway=gateway, requested_by=DEMO, status="pending").count()
            + ExecApprovalRequest.objects.filter(gateway=gateway, requested_by=DEMO, status="pending").count()
        )
