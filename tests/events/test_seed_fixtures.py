"""Every log example of seeds 000 and 003 (copied verbatim) parses to its reviewed golden JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from controlpanel.events.parse import parse_json_event, parse_lines

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "events"
LOGS = sorted(FIXTURES.glob("*.log"))


def _expected(path: Path) -> list[dict]:
    return json.loads(path.with_name(path.stem + ".expected.json").read_text("utf-8"))


@pytest.mark.parametrize("path", LOGS, ids=lambda p: p.stem)
def test_it_parses_each_log_fixture_to_its_golden_json(path: Path) -> None:
    parsed = parse_lines(path.read_text("utf-8"))
    assert [item.model_dump(mode="json", exclude_none=True) for item in parsed] == _expected(path)


def test_it_covers_all_seed_examples() -> None:
    names = {path.stem for path in LOGS}
    assert len([n for n in names if n.startswith("seed000_")]) == 10
    assert len([n for n in names if n.startswith("seed003_")]) == 7


def test_it_parses_captured_gateway_frames_to_their_golden_json() -> None:
    path = FIXTURES / "gateway_frames.jsonl"
    lines = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    got = [parse_json_event(obj).model_dump(mode="json", exclude_none=True) for obj in lines]
    assert got == _expected(path)


def _only(name: str) -> dict:
    """Return the single non-raw event of a fixture as JSON data."""
    events = [p.event for p in parse_lines((FIXTURES / f"{name}.log").read_text("utf-8"))]
    typed = [e.model_dump(mode="json", exclude_none=True) for e in events if e.type != "raw"]
    assert len(typed) == 1, typed
    return typed[0]


# Hand-written expectations for the key fields, independent of the golden files.
KEY_FIELDS = [
    (
        "seed000_terminal_memory_denied",
        {
            "type": "clw-memory-denied",
            "address": "0x7fff5a3c0000",
            "operation": "read",
            "required_permission": "clw_mem_read",
            "session_permissions": "clw_mem_none",
            "sandbox_policy": "strict",
            "process": "plugin-fetcher",
            "pid": 12847,
            "severity": "warning",
        },
    ),
    (
        "seed000_logfile_memory_denied",
        {"type": "clw-memory-denied", "region": "0x100000-0x110000", "plugin": "net-scanner", "pid": 12847},
    ),
    (
        "seed000_clw_monitor",
        {"type": "clw-memory-denied", "pid": 12851, "plugin": "network-plugin", "operation": "map"},
    ),
    (
        "seed000_memory_fault",
        {
            "type": "clw-memory-fault",
            "signal": "SIGSEGV",
            "signal_number": 11,
            "fault_address": "0xdeadbeef",
            "access_type": "read",
            "severity": "critical",
        },
    ),
    (
        "seed000_policy_violation",
        {
            "category": "memory",
            "subtype": "out-of-bounds-access",
            "details": "Access at 0xffffffff exceeds region boundary",
        },
    ),
    (
        "seed000_sandbox_escape",
        {"severity": "critical", "attempted": "ptrace attachment to PID 1", "plugin": "suspicious-plugin"},
    ),
    (
        "seed000_region_invalid",
        {"region": "invalid:0x1000", "reason": "Invalid format or out-of-range address"},
    ),
    (
        "seed000_access_denied",
        {"subject": "plugin process (PID 12847)", "required": "clw_cap_memory_read", "pid": 12847},
    ),
    (
        "seed003_memory_oom_bracketed",
        {
            "type": "clw-memory-oom",
            "container": "workload-xyz",
            "usage_bytes": 2048 * 2**20,
            "limit_bytes": 2**31,
        },
    ),
    (
        "seed003_memory_pressure",
        {
            "workload": "payment-processor",
            "usage_bytes": 1740 * 2**20,
            "limit_bytes": 2**31,
            "reported_percent": 85.0,
        },
    ),
    (
        "seed003_container_kill",
        {"container": "payment-svc", "reason": "OOMKilled", "exit_code": 137, "signal": "SIGKILL"},
    ),
    (
        "seed003_resource_limit",
        {
            "resource": "memory",
            "workload": "payment-processor",
            "usage_bytes": 2096 * 2**20,
            "limit_bytes": 2**31,
        },
    ),
    ("seed003_k8s_oom_killed", {"type": "clw-container-kill", "reason": "OOMKilled", "exit_code": 137}),
    ("seed003_docker_out_of_memory", {"type": "clw-memory-oom", "severity": "critical"}),
]


@pytest.mark.parametrize(("name", "fields"), KEY_FIELDS, ids=[name for name, _ in KEY_FIELDS])
def test_it_extracts_the_key_fields(name: str, fields: dict) -> None:
    event = _only(name)
    assert {key: event.get(key) for key in fields} == fields


def test_it_groups_the_runtime_block_and_reads_kubectl_describe() -> None:
    parsed = parse_lines((FIXTURES / "seed003_runtime_and_kubectl.log").read_text("utf-8"))
    assert [(p.line, p.end_line, p.event.type) for p in parsed] == [
        (1, 1, "raw"),
        (2, 6, "clw-memory-oom"),
        (7, 7, "raw"),
        (8, 16, "clw-container-kill"),
    ]
    oom, kill = parsed[1].event, parsed[3].event
    assert (oom.workload, oom.usage_bytes, oom.limit_bytes) == ("payment-processor", 2**31, 2**31)
    assert (kill.workload, kill.namespace, kill.container) == (
        "payment-processor",
        "production",
        "payment-svc",
    )
    assert (kill.usage_bytes, kill.limit_bytes, kill.exit_code) == (2148 * 2**20, 2048 * 2**20, 137)


def test_it_keeps_non_event_lines_as_raw_verbatim() -> None:
    text = (FIXTURES / "seed000_clw_run_verbose.log").read_text("utf-8")
    parsed = parse_lines(text)
    assert [p.event.type for p in parsed] == ["raw"] * 6
    assert "\n".join(p.event.text for p in parsed) + "\n" == text


SEEDS = Path("/work/shared/seeds")


@pytest.mark.skipif(not SEEDS.exists(), reason="the reference seeds are only on the development machine")
@pytest.mark.parametrize("path", [p for p in LOGS if p.stem.startswith("seed")], ids=lambda p: p.stem)
def test_seed_fixtures_are_verbatim_copies(path: Path) -> None:
    number = path.stem[4:7]
    (seed,) = SEEDS.glob(f"{number}_*.txt")
    assert path.read_text("utf-8").rstrip("\n") in seed.read_text("utf-8")
