"""Pages cost a fixed number of queries, whatever the amount of data (no N+1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from controlpanel.approvals.dm import code_generate
from controlpanel.models import (
    Agent,
    Alert,
    AuditRun,
    Device,
    ExecApprovalRequest,
    Gateway,
    GatewayMembership,
    PairingRequest,
    Role,
    Silence,
)
from controlpanel.services.activity import activity_record
from controlpanel.services.gateways import config_hash
from tests.conftest import MINIMAL_CONFIG, client_for, make_exec, make_gateway, make_pairing, make_user

pytestmark = pytest.mark.django_db


def populate(gateway, *, agents: int, devices: int, alerts: int, requests: int, actor) -> None:
    now = timezone.now()
    Agent.objects.bulk_create(
        Agent(gateway=gateway, agent_id=f"a{i}", name=f"Agent {i}") for i in range(agents)
    )
    Device.objects.bulk_create(
        Device(
            gateway=gateway,
            device_id=f"d{i}",
            name=f"Device {i}",
            token_hash="a" * 64,
            scopes=["operator.read"],
        )
        for i in range(devices)
    )
    Alert.objects.bulk_create(
        Alert(
            gateway=gateway,
            type="clw-memory-denied",
            subject=f"agent:a{i}",
            severity="warning",
            message="denied",
            first_seen_at=now,
            last_seen_at=now - timedelta(seconds=i),
        )
        for i in range(alerts)
    )
    for i in range(requests):
        make_pairing(gateway, sender_id=f"s{i}", pairing_code=code_generate())
        make_exec(gateway, command=f"echo {i}")
        activity_record(action="test.event", actor=actor, gateway=gateway, target=f"t{i}")


PAGES = [
    "gateway-detail",
    "gateway-agents",
    "gateway-devices",
    "gateway-alerts",
    "gateway-pairing",
    "gateway-approvals",
    "gateway-activity",
    "gateway-config",
    "gateway-list",
    "approvals-inbox",
    "audit-fleet",
]


def count_queries(client, name: str, gateway) -> int:
    url = (
        reverse(name)
        if name in ("gateway-list", "approvals-inbox", "audit-fleet")
        else reverse(name, kwargs={"code": gateway.code})
    )
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_the_data():
    owner = make_user("owner")
    small = make_gateway("small", members={owner: Role.OWNER})
    big = make_gateway("big", members={owner: Role.OWNER})
    populate(small, agents=1, devices=1, alerts=1, requests=1, actor=owner)
    populate(big, agents=100, devices=500, alerts=1000, requests=8, actor=owner)
    client = client_for(owner)
    for name in PAGES:
        count_queries(client, name, small)  # warm caches (session, content types)
        assert count_queries(client, name, big) == count_queries(client, name, small), name


# --- the fleet: many gateways --------------------------------------------------------------------

# Configs of a fleet, with 0, 1 and 3 critical findings (loopback; lan; an open DM policy).
FLEET_CONFIGS = [
    MINIMAL_CONFIG,
    MINIMAL_CONFIG.replace('bind: "loopback"', 'bind: "lan"'),
    MINIMAL_CONFIG.replace('dmPolicy: "pairing", allowFrom: ["111"]', 'dmPolicy: "open", allowFrom: ["*"]'),
]


def populate_fleet(
    owner, *, gateways: int, agents: int, alerts: int, requests: int, runs: int = 3, prefix: str = "fleet"
) -> list[Gateway]:
    """``gateways`` stored gateways owned by ``owner`` with ``agents`` agents, ``alerts`` alerts (a fifth
    open), ``requests`` pending and as many decided pairing and exec requests each, and ``runs``
    succeeded audit runs each (every tenth gateway never audited): bulk inserts, no imports (a
    benchmark builds 1,000 gateways with this)."""
    from controlpanel.openclaw import load_config

    now = timezone.now()
    raws = [load_config(text, env={}).raw for text in FLEET_CONFIGS]
    rows = Gateway.objects.bulk_create(
        Gateway(
            name=f"{prefix}-{i:04d}",
            config_text=FLEET_CONFIGS[i % 3],
            config_raw=raws[i % 3],
            config_hash=config_hash(FLEET_CONFIGS[i % 3]),
            audit_due_at=now + timedelta(hours=24),
        )
        for i in range(gateways)
    )
    GatewayMembership.objects.bulk_create(
        GatewayMembership(user=owner, gateway=g, role=Role.OWNER) for g in rows
    )
    Agent.objects.bulk_create(
        (Agent(gateway=g, agent_id=f"a{i}", name=f"Agent {i}") for g in rows for i in range(agents)),
        batch_size=5000,
    )
    Alert.objects.bulk_create(
        (
            Alert(
                gateway=g,
                type="exec.denied",
                subject=f"agent:a{i}",
                severity=("critical", "warning", "info")[i % 3],
                state="firing" if i % 5 == 0 else "resolved",
                resolved_at=None if i % 5 == 0 else now - timedelta(minutes=i),
                message="denied",
                first_seen_at=now - timedelta(hours=1),
                last_seen_at=now - timedelta(seconds=n * alerts + i),
            )
            for n, g in enumerate(rows)
            for i in range(alerts)
        ),
        batch_size=5000,
    )
    pairing, execs = [], []
    for n, g in enumerate(rows):
        for i in range(requests * 2):
            decided = i >= requests
            status = {"status": "rejected", "decided_at": now - timedelta(minutes=i)} if decided else {}
            requested = now - timedelta(minutes=5)
            pairing.append(
                PairingRequest(
                    gateway=g,
                    kind="dm",
                    channel="telegram",
                    account="default",
                    sender_id=f"s{i}",
                    sender_name=f"Sender {i}",
                    pairing_code=code_generate(),
                    requested_at=requested,
                    expires_at=now + timedelta(minutes=30 + n + i),
                    **status,
                )
            )
            exec_status = {"status": "denied", "decision": "deny", "decided_at": now} if decided else {}
            execs.append(
                ExecApprovalRequest(
                    gateway=g,
                    agent_ref="a0",
                    command=f"git status {i}",
                    cwd="/work",
                    allowed_decisions=["allow-once", "deny"],
                    requested_at=requested,
                    expires_at=now + timedelta(minutes=20 + n + i),
                    **exec_status,
                )
            )
    PairingRequest.objects.bulk_create(pairing, batch_size=5000)
    ExecApprovalRequest.objects.bulk_create(execs, batch_size=5000)
    audited = [g for n, g in enumerate(rows) if n % 10]
    criticals = [0, 1, 3]
    made = AuditRun.objects.bulk_create(
        (
            AuditRun(
                gateway=g,
                status="succeeded",
                trigger="scheduled",
                progress=100,
                config_hash=g.config_hash,
                summary={"critical": criticals[g.pk % 3] + r % 2, "warn": 3, "info": 1},
                started_at=now - timedelta(days=runs - r),
                finished_at=now - timedelta(days=runs - r),
            )
            for g in audited
            for r in range(runs)
        ),
        batch_size=5000,
    )
    latest = {run.gateway_id: run for run in made}  # the last of each gateway's runs
    for g in audited:
        g.audit_latest = latest[g.pk]
    Gateway.objects.bulk_update(audited, ["audit_latest"], batch_size=1000)
    Silence.objects.bulk_create(
        Silence(gateway=g, type_pattern="exec.*", comment="maintenance", expires_at=now + timedelta(hours=1))
        for g in rows[::7]
    )
    return rows


FLEET_PAGES = ["gateway-list", "audit-fleet", "approvals-inbox", "alert-list"]


def fleet_queries(client, name: str, query: str = "") -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(name) + query)
        assert response.status_code == 200, (name, response.status_code)
    return len(ctx.captured_queries)


def test_fleet_pages_cost_the_same_for_3_gateways_or_120():
    """Paginated, constant query count: the second world has more gateways than fit a page, each
    with audit history, silences, alerts and requests; every page (first and next) costs what it
    costs for three gateways."""
    small_owner, big_owner = make_user("small-owner"), make_user("big-owner")
    populate_fleet(small_owner, gateways=3, agents=1, alerts=2, requests=1, prefix="small")
    populate_fleet(big_owner, gateways=120, agents=3, alerts=20, requests=2, prefix="big")
    small, big = client_for(small_owner), client_for(big_owner)
    for name in FLEET_PAGES:
        fleet_queries(small, name)  # warm caches (session, content types)
        expected = fleet_queries(small, name)
        assert fleet_queries(big, name) == expected, name
        assert fleet_queries(big, name, "?page=2") == expected, f"{name} page 2"
    history = fleet_queries(small, "approvals-inbox", "?view=history")
    # (A page holding requests of one kind only reads that kind's rows: one query fewer.)
    assert fleet_queries(big, "approvals-inbox", "?view=history&page=3") <= history


def test_fleet_pages_are_paginated():
    owner = make_user("pager")
    populate_fleet(owner, gateways=60, agents=1, alerts=1, requests=1, prefix="paged")
    client = client_for(owner)
    first = client.get(reverse("gateway-list")).content.decode()
    assert first.count('id="gateway-row-') == 50 and 'rel="next"' in first
    second = client.get(reverse("gateway-list") + "?page=2").content.decode()
    assert second.count('id="gateway-row-') == 10 and 'rel="prev"' in second
    fleet = client.get(reverse("audit-fleet")).content.decode()
    assert fleet.count('id="fleet-row-') == 50 and "Never audited" in fleet, "the never audited come first"
    inbox = client.get(reverse("approvals-inbox")).content.decode()
    assert inbox.count('class="request card') == 25 and 'rel="next"' in inbox
    alerts = client.get(reverse("alert-list") + "?page=2").content.decode()
    assert alerts.count('class="alert-item') == 10 and 'rel="next"' not in alerts
