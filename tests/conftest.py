"""Personas (healthchecks style) and small builders shared by the Django tests.

alice owns gateway "alpha"; bob is admin of alpha; vera is viewer of alpha; charlie owns "bravo"
and is an outsider to alpha.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from controlpanel.models import ExecApprovalRequest, Gateway, GatewayMembership, PairingRequest, Role
from controlpanel.services.gateways import gateway_import_config

# Every config the suite uses is checked against the real validator's recorded verdict.
pytest_plugins = ["tests.oracle_parity"]

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CORPUS_FIGURES = ARTIFACTS / "corpus_figures.txt"  # written by tests/corpus, printed at the end
# Tests that use one thing of the whole run (the real gateway of the session, the Redis of
# CP_TEST_REDIS_URL) run in one process; every other module runs whole in some process.
SHARED_GROUP = "shared-services"
SHARED_MODULES = ("tests/alerts/test_scale_out.py",)


def pytest_configure(config) -> None:
    if not hasattr(config, "workerinput"):  # the run's main process (with or without pytest-xdist)
        CORPUS_FIGURES.unlink(missing_ok=True)


def pytest_collection_modifyitems(config, items) -> None:
    """Group the tests for ``pytest -n 2 --dist loadgroup`` (make test): a group runs in one process.

    Node ids must be unique for pytest-xdist (it schedules by node id): schemathesis gives every API
    operation of ``test_api_conforms`` the same one, so those get their own name in it."""
    ids = Counter(item.nodeid for item in items)
    for item in items:
        if ids[item.nodeid] > 1 and not item.nodeid.endswith(item.name):
            item._id = type(item._id).parse(f"{item.nodeid.rsplit('::', 1)[0]}::{item.name}")
    same = [nodeid for nodeid, n in Counter(item.nodeid for item in items).items() if n > 1]
    if same:  # pytest-xdist would run one of them and drop the others without a word
        raise pytest.UsageError(f"tests share a node id: {same[:5]}")
    if not config.pluginmanager.hasplugin("xdist"):  # the marker is pytest-xdist's
        return
    for item in items:
        module = item.nodeid.split("::", 1)[0]
        shared = item.get_closest_marker("gateway") is not None or module in SHARED_MODULES
        item.add_marker(pytest.mark.xdist_group(SHARED_GROUP if shared else module))


def pytest_terminal_summary(terminalreporter) -> None:
    if CORPUS_FIGURES.exists():
        terminalreporter.write_line("corpus fidelity (tests/corpus): " + CORPUS_FIGURES.read_text().strip())


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
