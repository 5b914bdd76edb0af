"""Pages cost a fixed number of queries, whatever the amount of data (no N+1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from controlpanel.approvals.dm import code_generate
from controlpanel.models import Agent, Alert, Device, Role
from controlpanel.services.activity import activity_record
from tests.conftest import client_for, make_exec, make_gateway, make_pairing, make_user

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
