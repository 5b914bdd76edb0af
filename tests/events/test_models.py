"""Event models: severities, alert keys, JSON round trips."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from controlpanel.events.models import (
    EVENT_TYPES,
    AccessDenied,
    ContainerKill,
    Event,
    ExecDenied,
    MemoryDenied,
    MemoryFault,
    MemoryOOM,
    MemoryPressure,
    MemorySample,
    PolicyViolation,
    RawEvent,
    RegionInvalid,
    ResourceLimit,
    SandboxEscape,
    Severity,
    max_severity,
)

ADAPTER: TypeAdapter = TypeAdapter(Event)
MI = 2**20


@pytest.mark.parametrize(
    ("event", "severity"),
    [
        (MemoryDenied(), "warning"),
        (MemoryOOM(), "critical"),
        (ContainerKill(), "critical"),
        (SandboxEscape(), "critical"),
        (SandboxEscape(severity="info"), "critical"),
        (RegionInvalid(), "info"),
        (RegionInvalid(severity="critical"), "critical"),
        (MemorySample(usage_bytes=1), "info"),
        (RawEvent(text="x"), "info"),
        (MemoryPressure(usage_bytes=1740 * MI, limit_bytes=2048 * MI), "warning"),
        (MemoryPressure(usage_bytes=1844 * MI, limit_bytes=2048 * MI), "critical"),  # 90.04 %
        (MemoryPressure(reported_percent=95), "critical"),
        # The real limit wins over the printed percentage.
        (MemoryPressure(reported_percent=95, usage_bytes=1 * MI, limit_bytes=2048 * MI), "warning"),
    ],
)
def test_it_sets_severity_with_a_floor_per_type(event: object, severity: str) -> None:
    assert event.severity == severity


@pytest.mark.parametrize(
    ("event", "key"),
    [
        (MemoryDenied(plugin="p", process="proc", pid=1), ("clw-memory-denied", "p")),
        (MemoryDenied(process="proc", pid=1), ("clw-memory-denied", "proc")),
        (MemoryDenied(pid=12847), ("clw-memory-denied", "pid:12847")),
        (MemoryOOM(workload="w", container="c"), ("clw-memory-oom", "w")),
        (MemoryOOM(container="c"), ("clw-memory-oom", "c")),
        (MemoryPressure(agent="main"), ("clw-memory-pressure", "main")),
        (ContainerKill(container="c"), ("clw-container-kill", "c")),
        (PolicyViolation(category="memory"), ("clw-policy-violation", "memory")),
        (SandboxEscape(plugin="s"), ("clw-sandbox-escape", "s")),
        (RegionInvalid(region="invalid:0x1000"), ("clw-region-invalid", "invalid:0x1000")),
        (AccessDenied(subject="plugin process (PID 1)"), ("clw-access-denied", "plugin process (PID 1)")),
        (MemoryFault(), ("clw-memory-fault", "")),
        (ResourceLimit(workload="w"), ("clw-resource-limit", "w")),
        (ExecDenied(agent="main"), ("exec.denied", "main")),
        (MemorySample(usage_bytes=1, workload="w"), ("memory.sample", "w")),
        (RawEvent(text="x"), ("raw", "")),
    ],
)
def test_it_keys_alerts_by_type_and_subject(event: object, key: tuple[str, str]) -> None:
    assert event.alert_key() == key


def test_every_event_type_round_trips_through_json() -> None:
    samples = [
        MemoryDenied(address="0x7FFF5A3C0000", pid=1),
        MemoryOOM(usage_bytes=1, limit_bytes=2),
        MemoryPressure(reported_percent=85.0),
        ContainerKill(exit_code=137),
        PolicyViolation(details="d"),
        SandboxEscape(plugin="p"),
        RegionInvalid(region="r"),
        AccessDenied(object="memory resource"),
        MemoryFault(fault_address="0xdeadbeef", signal_number=11),
        ResourceLimit(resource="cpu", usage="2", limit="1"),
        ExecDenied(agent="a"),
        MemorySample(usage_bytes=5),
        RawEvent(text="x"),
    ]
    assert sorted(s.type for s in samples) == sorted(EVENT_TYPES)
    for sample in samples:
        again = ADAPTER.validate_json(sample.model_dump_json())
        assert again == sample


def test_it_lower_cases_hex_addresses() -> None:
    assert MemoryDenied(address="0X7FFF").address == "0x7fff"


def test_severities_are_ordered() -> None:
    assert max_severity(Severity.INFO, Severity.CRITICAL, Severity.WARNING) == Severity.CRITICAL
    assert [s.rank for s in Severity] == [0, 1, 2]
