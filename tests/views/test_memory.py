"""The Memory tab: manifest ∩ sandbox, region errors, the operation check, workload advice, audits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from controlpanel.models import MemorySample
from controlpanel.services.audits import audit_run_execute, audit_run_start
from controlpanel.services.memory import memory_policy_set, plugin_manifest_set, workload_set
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

MANIFEST = (
    '{"plugin": "fetcher", "memory_policy": {"regions": ["heap", "heap: 0x1000"], '
    '"permissions": ["read", "write", "execute"]}}'
)


@pytest.fixture
def memory(alpha, alice):
    plugin_manifest_set(gateway=alpha, text=MANIFEST, requires_execute=False, actor=alice)
    memory_policy_set(
        gateway=alpha,
        text='{"mode": "strict", "memory": {"restrict_regions": true}}',
        production=True,
        actor=alice,
    )
    workload_set(
        gateway=alpha,
        name="payment-processor",
        agent_id="main",
        request="2048Mi",
        limit="2048Mi",
        actor=alice,
    )
    now = timezone.now()
    MemorySample.objects.bulk_create(
        MemorySample(
            gateway=alpha,
            subject="workload:payment-processor",
            usage_bytes=1843 * 2**20,
            limit_bytes=2048 * 2**20,
            ts=now - timedelta(minutes=i),
        )
        for i in range(20)
    )
    return alpha


def test_tab_shows_intersection_region_errors_and_advice(memory, vera):
    body = client_for(vera).get(reverse("gateway-memory", kwargs={"code": memory.code})).content.decode()
    row = body[body.index('id="plugin-fetcher"') :][:1500]
    assert "<strong>read, write</strong>" in row and "execute NOT granted" in row
    assert "heap: 0x1000" in row and "Use format" in row
    workload = body[body.index('id="workload-payment-processor"') :][:800]
    # Seed 003: P95 1843Mi -> limit 3072Mi, request 2048Mi; usage at 90 % of the real limit.
    assert "(90 %)" in workload
    assert "limit <strong>3072Mi</strong>, request <strong>2048Mi</strong>" in workload


def test_operation_check_says_clw_memory_denied(memory, vera):
    url = reverse("gateway-memory", kwargs={"code": memory.code})
    body = (
        client_for(vera)
        .get(url, {"plugin": "fetcher", "operation": "execute", "region": "heap"})
        .content.decode()
    )
    assert 'id="memory-verdict"' in body and "clw-memory-denied" in body
    # A manifest with an invalid region fails as a whole (clw-region-invalid); a clean one reads its heap.
    assert (
        "clw-region-invalid"
        in client_for(vera).get(url, {"plugin": "fetcher", "operation": "read"}).content.decode()
    )
    plugin_manifest_set(
        gateway=memory,
        text='{"plugin": "clean", "memory_policy": {"regions": ["heap"], "permissions": ["read"]}}',
        requires_execute=False,
        actor=None,
    )
    ok = (
        client_for(vera).get(url, {"plugin": "clean", "operation": "read", "region": "heap"}).content.decode()
    )
    assert "verdict-yes" in ok


def test_bad_manifest_saves_nothing_and_names_the_field(memory, alice):
    url = reverse("memory-manifest-set", kwargs={"code": memory.code})
    response = client_for(alice).post(url, {"manifest": '{"memory_policy": {}}'}, follow=True)
    assert "Nothing was saved: plugin" in response.content.decode()
    assert memory.plugin_manifests.count() == 1


def test_a_workload_limit_beyond_what_the_database_stores_is_refused_naming_the_field(memory, alice):
    # Found by tests/security/test_fuzz_surfaces.py: OverflowError (a 500) on SQLite, DataError on PostgreSQL.
    url = reverse("memory-workload-set", kwargs={"code": memory.code})
    form = {"name": "huge", "agent_id": "main", "request": "1Gi", "limit": "99999999999999999999"}
    response = client_for(alice).post(url, form, follow=True)
    assert response.status_code == 200
    assert "Nothing was saved: limit:" in response.content.decode()
    assert not memory.workloads.filter(name="huge").exists()


def test_stored_audits_run_the_memory_and_workload_checks(memory):
    run = audit_run_start(gateway=memory)
    audit_run_execute(run_id=run.pk)
    ids = set(run.findings.values_list("check_id", flat=True))
    assert {
        "memory.execute_without_need",
        "memory.region_invalid",
        "memory.permissions_narrowed",
        "workload.request_equals_limit",
    } <= ids


def test_agent_page_shows_its_workloads_and_plugin_permissions(memory, vera):
    body = client_for(vera).get(reverse("agent-detail", kwargs={"code": memory.code, "agent_id": "main"}))
    text = body.content.decode()
    section = text[text.index('id="agent-memory"') :][:3000]
    assert "<code>fetcher</code>: <strong>read, write</strong>" in section
    assert 'id="agent-workload-payment-processor"' in section and "3072Mi" in section


@pytest.mark.parametrize("query", [{"address": "zzz"}, {"region": "bad region"}, {"operation": "fly"}])
def test_malformed_checks_are_explained_not_500(memory, vera, query):
    url = reverse("gateway-memory", kwargs={"code": memory.code})
    response = client_for(vera).get(url, {"plugin": "fetcher", **query})
    assert response.status_code == 200 and 'id="memory-verdict"' in response.content.decode()
