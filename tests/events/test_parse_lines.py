"""parse_lines on malformed, odd and large input: never raises, never drops a line."""

from __future__ import annotations

import time

import pytest

from controlpanel.events.errors import EventValidationError
from controlpanel.events.models import MemoryOOM, RawEvent
from controlpanel.events.parse import decode_text, parse_lines, raise_for_problems

OOM = (
    "[ERROR] clw-memory-oom: Container w exceeded memory limit [ERROR] Current usage: {usage}, Limit: 2048Mi"
)
TERMINAL = (
    "[OpenClaw v2.4.1] ERROR: clw-memory-denied Attempted access to protected memory region "
    "at 0x7fff5a3c0000 Operation: read Required permission: clw_mem_read"
)


def _types(text: str) -> list[str]:
    return [p.event.type for p in parse_lines(text)]


@pytest.mark.parametrize(
    ("text", "types"),
    [
        ("", []),
        ("\n\n   \n", []),
        ("[OpenClaw v2.4.1] ERROR: clw-memo", ["raw"]),  # truncated code
        ("[2025-01-15 08:32", ["raw"]),  # truncated header
        ("[OpenClaw v2.4.1] ERROR: clw-memory-denied", ["clw-memory-denied"]),  # header only
        (TERMINAL[:120], ["clw-memory-denied"]),  # truncated mid-field
        ("\x00\x01\x02 garbage ][[ :::", ["raw"]),
        ("clw-memory-pressure: Memory usage at 85% of limit", ["clw-memory-pressure"]),  # no header at all
        ("[ERROR] clw-frobnicate: something new", ["raw"]),  # unknown clw code kept raw
    ],
)
def test_it_never_raises_on_malformed_text(text: str, types: list[str]) -> None:
    assert _types(text) == types


def test_it_reports_an_unknown_code_as_a_problem() -> None:
    (item,) = parse_lines("[ERROR] clw-frobnicate: something new")
    assert isinstance(item.event, RawEvent)
    assert item.problems == ["line 1: unknown event code 'clw-frobnicate'"]


@pytest.mark.parametrize(
    ("usage", "problem"),
    [
        ("2048Xi", "line 1: Current usage: unknown unit 'Xi'"),
        ("lots", "line 1: Current usage: not a quantity: 'lots'"),
        ("9999999999999999999999Gi", "line 1: Current usage: too large: '9999999999999999999999Gi'"),
        ("128m", "line 1: Current usage: unknown unit 'm'"),
    ],
)
def test_it_keeps_the_event_but_lists_unreadable_quantities(usage: str, problem: str) -> None:
    (item,) = parse_lines(OOM.format(usage=usage))
    assert isinstance(item.event, MemoryOOM)
    assert item.event.usage_bytes is None
    assert item.event.limit_bytes == 2048 * 2**20
    assert item.problems == [problem]


def test_raise_for_problems_names_the_line() -> None:
    parsed = parse_lines("noise\n" + OOM.format(usage="2048Xi"))
    with pytest.raises(EventValidationError) as info:
        raise_for_problems(parsed)
    assert info.value.line == 2
    assert str(info.value) == "line 2: Current usage: unknown unit 'Xi'"


def test_raise_for_problems_is_quiet_for_clean_input() -> None:
    raise_for_problems(parse_lines(OOM.format(usage="1Gi")))


def test_it_falls_back_to_raw_when_a_value_is_out_of_range() -> None:
    (item,) = parse_lines("[OpenClaw v2.4.1] ERROR: clw-memory-denied Process: x (PID 9999999999)")
    assert item.event.type == "raw"
    assert item.problems and "pid" in item.problems[0]


def test_it_flags_an_absurd_printed_percentage() -> None:
    (item,) = parse_lines("[WARNING] clw-memory-pressure: Memory usage at 999999% of limit")
    assert item.event.type == "clw-memory-pressure"
    assert item.event.reported_percent is None
    assert item.problems == ["line 1: percent: out of range: 999999.0"]


def test_it_ignores_overlong_hex_addresses() -> None:
    (item,) = parse_lines(f"[OpenClaw v2.4.1] ERROR: clw-memory-denied Attempted access at 0x{'f' * 40}")
    assert item.event.type == "clw-memory-denied"
    assert item.event.address is None


def test_it_flags_a_fault_address_that_is_not_hex() -> None:
    (item,) = parse_lines("[OpenClaw v2.4.1] FATAL: clw-memory-fault\nFault address: nowhere\nSignal: SIGBUS")
    assert item.event.fault_address is None
    assert item.event.signal == "SIGBUS"
    assert item.problems == ["line 1: Fault address: not a hex address: 'nowhere'"]


def test_it_decodes_non_utf8_with_replacement_characters() -> None:
    text = decode_text(b"[ERROR] clw-container-kill: Container c\xe9 was killed\n\xff\xfe\x80 binary junk\n")
    kill, junk = parse_lines(text)
    assert kill.event.type == "clw-container-kill"
    assert kill.event.container == "c\ufffd"
    assert junk.event.text == "\ufffd\ufffd\ufffd binary junk"


def test_it_counts_lines_across_crlf_and_form_feeds() -> None:
    parsed = parse_lines("a\r\nb\x0cc\rd\n[WARN] clw-memory-denied: Access denied to region 0x1-0x2")
    assert [(p.line, p.event.type) for p in parsed] == [
        (1, "raw"),
        (2, "raw"),
        (3, "raw"),
        (4, "clw-memory-denied"),
    ]


def test_it_separates_records_more_than_a_second_apart() -> None:
    text = (
        "2024-01-15T10:23:45.123Z ERROR [runtime] clw-memory-oom detected\n"
        "2024-01-15T10:23:45.124Z ERROR [runtime] Workload: a\n"
        "2024-01-15T10:23:47.000Z ERROR [runtime] Workload: b\n"
    )
    parsed = parse_lines(text)
    assert [(p.line, p.end_line) for p in parsed] == [(1, 2), (3, 3)]
    assert parsed[0].event.workload == "a"


def test_it_does_not_glue_records_of_another_tag() -> None:
    text = (
        "2024-01-15T10:23:45.123Z ERROR [runtime] clw-memory-oom detected\n"
        "2024-01-15T10:23:45.124Z ERROR [scheduler] Workload: other\n"
    )
    assert [p.event.type for p in parse_lines(text)] == ["clw-memory-oom", "raw"]


def test_it_ends_a_block_at_a_blank_line() -> None:
    text = "[OpenClaw v2.4.1] ERROR: clw-policy-violation\nCategory: memory\n\nSubtype: later\n"
    parsed = parse_lines(text)
    assert [p.event.type for p in parsed] == ["clw-policy-violation", "raw"]
    assert parsed[0].event.subtype is None


def test_a_new_terminal_line_ends_a_terminal_block() -> None:
    text = (
        "[OpenClaw v2.4.1] ERROR: clw-policy-violation\n"
        "Category: memory\n"
        "[OpenClaw v2.4.1] Starting plugin: data-processor v1.0.3\n"
    )
    assert [(p.line, p.end_line, p.event.type) for p in parse_lines(text)] == [
        (1, 2, "clw-policy-violation"),
        (3, 3, "raw"),
    ]


def test_it_caps_the_size_of_one_group() -> None:
    text = "[OpenClaw v2.4.1] ERROR: clw-policy-violation\n" + "Details: x\n" * 200
    parsed = parse_lines(text)
    assert parsed[0].end_line == 50
    assert len(parsed) > 1


def test_it_keeps_a_huge_line_as_raw_cut_at_64k() -> None:
    (item,) = parse_lines("x" * 100_000)
    assert item.event.text == "x" * 65536


def test_it_reads_a_gateway_memory_pressure_log_line() -> None:
    line = (
        "memory pressure: level=critical reason=rss_threshold rss=1.5 GiB heap=300 MiB threshold=1.4 GiB "
        "rssBytes=1610612736 heapUsedBytes=314572800 externalBytes=1 arrayBuffersBytes=2 "
        "thresholdBytes=1503238553"
    )
    (item,) = parse_lines(line)
    event = item.event
    assert (event.type, event.severity, event.reason) == ("clw-memory-pressure", "critical", "rss_threshold")
    assert (event.usage_bytes, event.threshold_bytes, event.limit_bytes) == (1610612736, 1503238553, None)


def test_it_reads_system_run_denied() -> None:
    (item,) = parse_lines("Error: SYSTEM_RUN_DENIED: approval required")
    assert item.event.type == "exec.denied"
    assert item.event.reason == "SYSTEM_RUN_DENIED: approval required"


def test_it_handles_ten_thousand_lines_quickly() -> None:
    block = (
        "[2025-01-15 08:32:14] [WARN] clw-memory-denied: Access denied to region 0x100000-0x110000\n"
        "unrelated chatter\n"
        "[WARNING] clw-memory-pressure: Memory usage at 85% of limit\n"
        "[WARNING] Workload: w, Usage: 1740Mi / 2048Mi\n"
    )
    text = block * 2500
    started = time.perf_counter()
    parsed = parse_lines(text)
    elapsed = time.perf_counter() - started
    assert len(parsed) == 7500
    assert parsed[-1].line == 9999
    assert elapsed < 5.0


PATHOLOGICAL = {
    "long run of spaces in a Process value": "[OpenClaw v2.4.1] ERROR: clw-memory-denied Process: a"
    + " " * 60_000
    + "b",
    "long run of spaces in a Plugin value": "[OpenClaw v2.4.1] ERROR: clw-sandbox-escape\nPlugin: a"
    + " " * 60_000
    + "b",
    "many labels": "[OpenClaw v2.4.1] ERROR: clw-memory-oom " + "Limit: 1Mi, " * 5_000,
    "many headers on one line": "[ERROR] " * 5_000,
    "unterminated exec denial": "Exec denied (gateway id=x, " + "a" * 60_000,
    "many PID markers": "[OpenClaw v2.4.1] ERROR: clw-access-denied\nSubject: " + "(PID 1) " * 8_000,
    "monitor-like row": "2025-01-15 10:23:02 12851  " + "a " * 30_000 + "x",
}


@pytest.mark.parametrize("text", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_it_stays_fast_on_pathological_lines(text: str) -> None:
    # Guards against regex backtracking blow-ups; generous budget for a shared CI machine.
    started = time.perf_counter()
    parse_lines(text)
    assert time.perf_counter() - started < 2.0
