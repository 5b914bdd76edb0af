"""Panel-only checks (memory.*, workload.*, approvals.*): each fires, and each stays silent."""

from __future__ import annotations

import pytest

from controlpanel.audit import (
    AuditContext,
    ExecApprovalSettings,
    MemoryPolicy,
    MemorySandbox,
    PluginManifest,
    Workload,
    run_context,
)
from controlpanel.audit.catalogue import CHECKS
from controlpanel.audit.checks.memory import parse_region
from controlpanel.audit.checks.workload import advice, p95
from controlpanel.audit.schema import CheckClass

MI = 1024 * 1024


def plugin(regions=("heap",), permissions=("read",), **kw) -> PluginManifest:
    return PluginManifest(
        plugin="p", memory_policy=MemoryPolicy(regions=list(regions), permissions=list(permissions)), **kw
    )


def ids(context: AuditContext) -> dict[str, str]:
    report = run_context(context)
    return {
        f.check_id: f.severity.value
        for f in report.findings
        if f.check_id.startswith(("memory.", "workload.", "approvals."))
    }


OPEN_DM = {"channels": {"telegram": {"dmPolicy": "open", "allowFrom": ["*"]}}}

# (check id, context that fires it with the expected severity, context that does not)
CASES = [
    (
        "memory.execute_without_need",
        (AuditContext(config={}, manifests=[plugin(permissions=["read", "execute"])]), "warn"),
        AuditContext(config={}, manifests=[plugin(permissions=["read", "execute"], requires_execute=True)]),
    ),
    (
        "memory.execute_without_need",
        (AuditContext(config={}, manifests=[plugin(permissions=["write", "execute"])]), "critical"),
        AuditContext(config={}, manifests=[plugin(permissions=["read", "write"])]),
    ),
    (
        "memory.region_invalid",
        (AuditContext(config={}, manifests=[plugin(regions=["heap: 0x1000"])]), "warn"),
        AuditContext(config={}, manifests=[plugin(regions=["heap", "shared:0x7fff00000000-0x7fff10000000"])]),
    ),
    (
        "memory.protected_region",
        (AuditContext(config={}, manifests=[plugin(regions=["kernel:0x1000-0x2000"])]), "critical"),
        AuditContext(config={}, manifests=[plugin(regions=["stack"])]),
    ),
    (
        "memory.protected_region",
        (
            AuditContext(
                config={}, manifests=[plugin(regions=["shared:0xffff800000001000-0xffff800000002000"])]
            ),
            "critical",
        ),
        AuditContext(config={}, manifests=[plugin(regions=["shared:0x1000-0x2000"])]),
    ),
    (
        "memory.sandbox_development_mode",
        (AuditContext(config={}, memory_sandbox=MemorySandbox(mode="development")), "critical"),
        AuditContext(config={}, memory_sandbox=MemorySandbox(mode="development"), production=False),
    ),
    (
        "memory.restrict_regions_disabled",
        (AuditContext(config={}, memory_sandbox=MemorySandbox(restrict_regions=False)), "critical"),
        AuditContext(config={}, memory_sandbox=MemorySandbox(restrict_regions=True)),
    ),
    (
        "memory.restrict_regions_disabled",
        (
            AuditContext(config={}, memory_sandbox=MemorySandbox(restrict_regions=False), production=False),
            "warn",
        ),
        AuditContext(config={}),
    ),
    (
        "memory.max_regions_raised",
        (AuditContext(config={}, memory_sandbox=MemorySandbox(max_regions=20)), "warn"),
        AuditContext(config={}, memory_sandbox=MemorySandbox(max_regions=5)),
    ),
    (
        "memory.permissions_narrowed",
        (
            AuditContext(
                config={},
                manifests=[plugin(permissions=["read", "write", "execute"], requires_execute=True)],
                memory_sandbox=MemorySandbox(permissions=["read", "write"]),
            ),
            "warn",
        ),
        AuditContext(
            config={},
            manifests=[plugin(permissions=["read", "write"])],
            memory_sandbox=MemorySandbox(permissions=["read", "write"]),
        ),
    ),
    (
        "workload.request_equals_limit",
        (
            AuditContext(
                config={}, workloads=[Workload(name="w", request_bytes=2048 * MI, limit_bytes=2048 * MI)]
            ),
            "warn",
        ),
        AuditContext(
            config={}, workloads=[Workload(name="w", request_bytes=1024 * MI, limit_bytes=2048 * MI)]
        ),
    ),
    (
        "workload.no_limit",
        (AuditContext(config={}, workloads=[Workload(name="w", request_bytes=1024 * MI)]), "warn"),
        AuditContext(
            config={}, workloads=[Workload(name="w", request_bytes=1024 * MI, limit_bytes=2048 * MI)]
        ),
    ),
    (
        "workload.limit_below_p95",
        (
            AuditContext(
                config={},
                workloads=[Workload(name="w", limit_bytes=1024 * MI, usage_samples=[1500 * MI] * 20)],
            ),
            "critical",
        ),
        AuditContext(
            config={}, workloads=[Workload(name="w", limit_bytes=4096 * MI, usage_samples=[1500 * MI] * 20)]
        ),
    ),
    (
        "workload.sizing_advice",
        (
            AuditContext(
                config={},
                workloads=[Workload(name="w", limit_bytes=2048 * MI, usage_samples=[1843 * MI] * 20)],
            ),
            "info",
        ),
        AuditContext(config={}, workloads=[Workload(name="w", limit_bytes=2048 * MI)]),
    ),
    (
        "approvals.empty_approvers",
        (
            AuditContext(
                config={"channels": {"telegram": {"execApprovals": {"enabled": True, "approvers": []}}}}
            ),
            "warn",
        ),
        AuditContext(
            config={"channels": {"telegram": {"execApprovals": {"enabled": True, "approvers": ["123"]}}}}
        ),
    ),
    (
        "approvals.empty_approvers",
        (AuditContext(config={}, approvals=ExecApprovalSettings(enabled=True, approvers=[" "])), "warn"),
        AuditContext(config={}, approvals=ExecApprovalSettings(enabled=False, approvers=[])),
    ),
    (
        "approvals.always_with_open_channels",
        (
            AuditContext(
                config=OPEN_DM, approvals=ExecApprovalSettings(enabled=True, policy="always", approvers=["1"])
            ),
            "warn",
        ),
        AuditContext(
            config={}, approvals=ExecApprovalSettings(enabled=True, policy="always", approvers=["1"])
        ),
    ),
    (
        "approvals.always_with_open_channels",
        (AuditContext(config={**OPEN_DM, "tools": {"exec": {"ask": "always"}}}), "warn"),
        AuditContext(config={**OPEN_DM, "tools": {"exec": {"ask": "on-miss"}}}),
    ),
]


@pytest.mark.parametrize(("check_id", "fires", "silent"), CASES, ids=[c[0] for c in CASES])
def test_it_fires_and_stays_silent(check_id: str, fires, silent) -> None:
    context, severity = fires
    assert ids(context).get(check_id) == severity
    assert check_id not in ids(silent)


def test_every_panel_check_has_a_case() -> None:
    panel = {s.id for s in CHECKS if s.cls is CheckClass.PANEL} - {"audit.check_error"}
    assert panel == {c[0] for c in CASES}


def test_panel_checks_never_fire_from_config_alone() -> None:
    assert ids(AuditContext(config={"channels": {"telegram": {"dmPolicy": "open"}}})) == {}


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("heap", ("heap", None, None)),
        ("shared:0x7fff00000000-0x7fff10000000", ("shared", 0x7FFF00000000, 0x7FFF10000000)),
        ("0x1000-0x2000", None),  # no type
        ("heap: 0x1000", None),  # space, no range
        ("invalid:0x1000", None),  # unknown type
        ("shared:0x2000-0x1000", None),  # empty range
    ],
)
def test_region_parsing_follows_clw_region_invalid(spec: str, parsed) -> None:
    assert parse_region(spec) == parsed


def test_sizing_advice_is_p95_times_1_5_and_1_1() -> None:
    samples = [100 * MI] * 19 + [1843 * MI]
    assert p95(samples) == 100 * MI
    samples = [1843 * MI] * 20
    limit, request = advice(samples)
    # 2764.5Mi and 2027.3Mi, rounded up as seed 003 prints them, and as the Memory tab advises.
    assert (limit, request) == (3072 * MI, 2048 * MI)
    from controlpanel.policy.workload import recommend

    assert (recommend(samples).limit, recommend(samples).request) == (limit, request)
