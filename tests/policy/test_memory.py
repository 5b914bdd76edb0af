"""Seed 000 memory policy: region syntax, permission intersection, operation verdicts, clw-inspect text."""

from __future__ import annotations

import pytest

from controlpanel.policy.memory import (
    RegionInvalid,
    check_memory_operation,
    effective_memory_permissions,
    inspect_text,
    parse_region,
    region_errors,
)


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("heap", "heap", None, None),
        ("stack", "stack", None, None),
        ("shared", "shared", None, None),
        ("shared:0x7fff00000000-0x7fff10000000", "shared", 0x7FFF00000000, 0x7FFF10000000),
        ("heap:0x100000-0x4000000", "heap", 0x100000, 0x4000000),
        ("shared:test-buffer", "shared", None, None),
    ],
)
def test_it_parses_valid_regions(text, kind, start, end):
    region = parse_region(text)
    assert (region.type, region.start, region.end) == (kind, start, end)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0x1000-0x2000", "Invalid format or out-of-range address"),  # seed 000 "Incorrect": no type
        ("heap: 0x1000", "Invalid format or out-of-range address"),  # seed 000 "Incorrect": space, no range
        ("invalid:0x1000", "Invalid format or out-of-range address"),  # seed 000's clw-region-invalid
        ("heap:0x2000-0x1000", "Region start must be below its end"),
        ("heap:0x1000-0x1000", "Region start must be below its end"),
        ("bogus:0x1000-0x2000", "Unknown region type 'bogus'"),
        ("heap:0x1000-0x10000000000000000", "Invalid format or out-of-range address"),
        ("heap:1000-2000", "Invalid format or out-of-range address"),
        ("HEAP", "Invalid format or out-of-range address"),
        ("", "Region must be a non-empty string"),
        (42, "Region must be a non-empty string"),
    ],
)
def test_it_rejects_invalid_regions_with_clw_region_invalid(text, reason):
    with pytest.raises(RegionInvalid) as info:
        parse_region(text)
    assert info.value.code == "clw-region-invalid"
    assert info.value.reason == reason


def test_seed_incorrect_example_list_gives_one_error_per_bad_region():
    errors = region_errors(["0x1000-0x2000", "heap: 0x1000"])
    assert [e.region for e in errors] == ["0x1000-0x2000", "heap: 0x1000"]
    assert region_errors(["heap", "stack", "shared:0x7fff00000000-0x7fff10000000"]) == []


def test_region_error_message_has_the_seed_hint():
    with pytest.raises(RegionInvalid, match='Use format "type:start-end" or predefined regions'):
        parse_region("invalid:0x1000")


STRICT = {"mode": "strict", "memory": {"restrict_regions": True, "max_regions": 5}}
DEV = {"mode": "development", "memory": {"restrict_regions": False, "max_regions": 20}}
PERMISSIVE = {"mode": "permissive"}


@pytest.mark.parametrize(
    ("manifest_perms", "sandbox", "effective", "not_granted"),
    [
        (["read", "write", "execute"], STRICT, ("read", "write"), ("execute",)),
        (["read", "write"], STRICT, ("read", "write"), ()),
        (["read"], STRICT, ("read",), ()),
        ([], STRICT, (), ()),
        (["read", "map"], STRICT, ("read",), ("map",)),
        (["read", "map"], DEV, ("read", "map"), ()),
        (["execute", "allocate"], DEV, ("allocate",), ("execute",)),
        (["execute", "allocate", "map"], PERMISSIVE, ("execute", "allocate", "map"), ()),
        (
            ["write", "read"],
            {"mode": "permissive", "memory": {"permissions": ["read"]}},
            ("read",),
            ("write",),
        ),
        (["READ", "bogus"], STRICT, ("read",), ()),
        (["read", "execute"], {}, ("read",), ("execute",)),  # no sandbox policy: strict, fail closed
        (["execute"], {"mode": "nonsense"}, (), ("execute",)),
    ],
)
def test_effective_permissions_are_the_intersection(manifest_perms, sandbox, effective, not_granted):
    manifest = {"plugin": "p", "memory_policy": {"regions": ["heap"], "permissions": manifest_perms}}
    perms = effective_memory_permissions(manifest, sandbox)
    assert perms.effective == effective
    assert perms.not_granted == not_granted


def test_inspect_text_matches_seed_000():
    manifest = {"memory_policy": {"permissions": ["read", "write", "execute"]}}
    assert inspect_text(manifest, STRICT, "plugin.so") == (
        "Effective memory policy for plugin.so:\n"
        "  Manifest permissions: read, write, execute\n"
        "  Sandbox permissions:  read, write\n"
        "  Effective permissions: read, write  (execute NOT granted)\n"
    )


DATA_PROCESSOR = {
    "plugin": "data-processor",
    "version": "1.2.0",
    "memory_policy": {
        "regions": ["heap", "stack"],
        "permissions": ["read", "write"],
        "max_allocation_mb": 256,
    },
}
HW_MONITOR = {
    "plugin": "hardware-monitor",
    "memory_policy": {
        "regions": ["heap", "shared:0x7fff00000000-0x7fff10000000"],
        "permissions": ["read", "map"],
        "max_allocation_mb": 64,
    },
}


@pytest.mark.parametrize(
    ("manifest", "sandbox", "op", "target", "allowed", "code", "required"),
    [
        (DATA_PROCESSOR, STRICT, "read", {"region": "heap"}, True, None, "clw_mem_read"),
        (DATA_PROCESSOR, STRICT, "write", {"region": "stack"}, True, None, "clw_mem_write"),
        # seed 000: execute in heap/stack is denied because execute was not requested
        (
            DATA_PROCESSOR,
            PERMISSIVE,
            "execute",
            {"region": "heap"},
            False,
            "clw-memory-denied",
            "clw_mem_execute",
        ),
        (DATA_PROCESSOR, STRICT, "read", {"region": "shared"}, False, "clw-memory-denied", "clw_mem_read"),
        (DATA_PROCESSOR, DEV, "read", {"region": "shared"}, True, None, "clw_mem_read"),
        (
            DATA_PROCESSOR,
            PERMISSIVE,
            "read",
            {"region": "kernel"},
            False,
            "clw-memory-denied",
            "clw_mem_read",
        ),
        (HW_MONITOR, DEV, "map", {"address": "0x7fff00001000"}, True, None, "clw_mem_map"),
        (HW_MONITOR, STRICT, "map", {"address": "0x7fff00001000"}, False, "clw-memory-denied", "clw_mem_map"),
        (HW_MONITOR, STRICT, "read", {"address": 0x7FFF00001000}, True, None, "clw_mem_read"),
        (HW_MONITOR, STRICT, "read", {"address": "0x100000"}, False, "clw-memory-denied", "clw_mem_read"),
        (
            HW_MONITOR,
            PERMISSIVE,
            "read",
            {"address": "0xffff800000001000"},
            False,
            "clw-memory-denied",
            "clw_mem_read",
        ),
        (
            {"memory_policy": {"regions": ["invalid:0x1000"], "permissions": ["read"]}},
            STRICT,
            "read",
            {},
            False,
            "clw-region-invalid",
            "clw_mem_read",
        ),
        (
            {"memory_policy": {"regions": ["heap"] * 6, "permissions": ["read"]}},
            STRICT,
            "read",
            {},
            False,
            "clw-policy-violation",
            "clw_mem_read",
        ),
    ],
)
def test_check_memory_operation_verdicts(manifest, sandbox, op, target, allowed, code, required):
    verdict = check_memory_operation(manifest, sandbox, op, **target)
    assert (verdict.allowed, verdict.code, verdict.required_permission) == (allowed, code, required)


def test_allocation_above_max_allocation_mb_is_denied():
    dev = {"mode": "development"}
    manifest = {"memory_policy": {"regions": ["heap"], "permissions": ["allocate"], "max_allocation_mb": 64}}
    assert check_memory_operation(manifest, dev, "allocate", size_mb=64).allowed
    verdict = check_memory_operation(manifest, dev, "allocate", size_mb=65)
    assert not verdict.allowed
    assert "max_allocation_mb" in verdict.reason


def test_denied_message_reads_like_the_seed_terminal_output():
    manifest = {"plugin": "plugin-fetcher", "memory_policy": {"regions": ["heap"], "permissions": []}}
    verdict = check_memory_operation(manifest, STRICT, "read", address="0x7fff5a3c0000")
    assert verdict.message.startswith("clw-memory-denied ")
    assert "Operation: read Required permission: clw_mem_read" in verdict.message
    assert "Current session permissions: clw_mem_none Sandbox policy: strict" in verdict.message


def test_unknown_operation_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown memory operation"):
        check_memory_operation(DATA_PROCESSOR, STRICT, "delete")
