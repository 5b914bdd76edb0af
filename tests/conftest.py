"""Personas (healthchecks style) and small builders shared by the Django tests.

alice owns gateway "alpha"; bob is admin of alpha; vera is viewer of alpha; charlie owns "bravo"
and is an outsider to alpha.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from controlpanel.models import ExecApprovalRequest, Gateway, GatewayMembership, PairingRequest, Role
from controlpanel.services.gateways import gateway_import_config

# Every config the suite uses is checked against the real validator's recorded verdict.
pytest_plugins = ["tests.oracle_parity"]

MINIMAL_CONFIG = """// two agents, current format
{
  gateway: { bind: "loopback", port: 18789, auth: { mode: "token", token: "${GW_TOKEN}" } },
  agents: {
    ownership: "explicit",
    entries: {
      main: { name: "Main" },
      coder: { name: "Coder", tools: { profile: "coding" } },
    },
  },
  channels: { telegram: { dmPolicy: "pairing", allowFrom: ["111"] } },
}
"""
TEST_ENV = {"GW_TOKEN": "0123456789abcdef0123456789abcdef"}


def make_user(username: str):
    return get_user_model().objects.create_user(username=username, password="pw-" + username + "-long-enough")


def make_gateway(name: str, *, members: dict | None = None, text: str = MINIMAL_CONFIG) -> Gateway:
    outcome = gateway_import_config(text=text, env=TEST_ENV, name=name)
    assert outcome.gateway is not None, [i.message for i in outcome.result.issues]
    for user, role in (members or {}).items():
        GatewayMembership.objects.create(user=user, gateway=outcome.gateway, role=role)
    return outcome.gateway


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.fixture
def vera(db):
    return make_user("vera")


@pytest.fixture
def charlie(db):
    return make_user("charlie")


@pytest.fixture
def alpha(alice, bob, vera):
    return make_gateway("alpha", members={alice: Role.OWNER, bob: Role.ADMIN, vera: Role.VIEWER})


@pytest.fixture
def bravo(charlie):
    return make_gateway("bravo", members={charlie: Role.OWNER})


def make_pairing(gateway: Gateway, **overrides) -> PairingRequest:
    """A pending DM pairing request (override kind/role/scopes for device and node requests)."""
    now = timezone.now()
    fields = {
        "gateway": gateway,
        "kind": "dm",
        "channel": "telegram",
        "account": "default",
        "sender_id": "555",
        "sender_name": "Dana",
        "pairing_code": "ABCD2345",
        "requested_at": now,
        "expires_at": now + timedelta(hours=1),
    }
    fields.update(overrides)
    return PairingRequest.objects.create(**fields)


def make_exec(gateway: Gateway, **overrides) -> ExecApprovalRequest:
    now = timezone.now()
    fields = {
        "gateway": gateway,
        "agent_ref": "main",
        "command": "git status",
        "cwd": "/work",
        "allowed_decisions": ["allow-once", "allow-always", "deny"],
        "requested_at": now,
        "expires_at": now + timedelta(minutes=30),
    }
    fields.update(overrides)
    return ExecApprovalRequest.objects.create(**fields)


@pytest.fixture
def task_worker(transactional_db):
    """A task worker on a thread of this process (for live-server tests): runs what the pages queue."""
    from controlpanel.background.testing import ThreadWorker

    with ThreadWorker() as worker:
        yield worker
