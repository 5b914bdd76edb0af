"""memory.*: plugin memory-policy manifests and the runtime sandbox (seed 000).

Beyond the CLI: these need the plugin manifests and sandbox policy carried by an
AuditContext; with config alone they never fire.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..catalogue import check
from ..facts import Facts
from ..schema import CheckClass, Finding, PluginManifest, Severity

W, C = Severity.WARN, Severity.CRITICAL
PREDEFINED_REGIONS = frozenset({"heap", "stack", "shared", "mmap"})
REGION_TYPES = frozenset({"heap", "stack", "shared", "mmap", "kernel", "mmio", "device"})
PROTECTED_TYPES = frozenset({"kernel", "mmio", "device"})
# x86-64 canonical kernel half: addresses from here up belong to the kernel.
KERNEL_SPACE_START = 0xFFFF_8000_0000_0000
DEFAULT_MAX_REGIONS = 5
_RANGE = re.compile(r"^(?P<type>[a-z_]+):(?P<start>0x[0-9a-f]+)-(?P<end>0x[0-9a-f]+)$", re.I)


def parse_region(spec: str) -> tuple[str, int | None, int | None] | None:
    """Return (type, start, end) of a region spec, or None when it is malformed.

    Valid forms (the `clw-region-invalid` rule): a predefined region (`heap`, `stack`, ...)
    or `type:start-end` with hex addresses and start < end. No spaces allowed.
    """
    if spec in PREDEFINED_REGIONS:
        return spec, None, None
    match = _RANGE.match(spec)
    if not match or match["type"].lower() not in REGION_TYPES:
        return None
    start, end = int(match["start"], 16), int(match["end"], 16)
    if start >= end:
        return None
    return match["type"].lower(), start, end


def _manifests(f: Facts) -> list[PluginManifest]:
    return list(f.context.manifests) if f.context is not None else []


def _perms(manifest: PluginManifest) -> list[str]:
    return [p.strip().lower() for p in manifest.memory_policy.permissions]


@check(
    "memory.execute_without_need",
    severity=W,
    title="Plugin requests execute permission on memory without needing it",
    remediation=(
        'Remove "execute" from memory_policy.permissions unless the plugin generates code at '
        "runtime (JIT); keep writable regions non-executable."
    ),
    cls=CheckClass.PANEL,
    paths=("plugins.<id>.manifest.memory_policy.permissions",),
    order=800,
)
def execute_without_need(f: Facts) -> Iterator[Finding]:
    """A manifest asks for execute without declaring a JIT need (critical with write: W^X)."""
    for manifest in _manifests(f):
        perms = _perms(manifest)
        if "execute" in perms and not manifest.requires_execute:
            wx = "write" in perms
            yield execute_without_need.finding(
                f"Plugin {manifest.plugin} requests execute on "
                f"{', '.join(manifest.memory_policy.regions) or 'no regions'}"
                + (" together with write (writable and executable memory)." if wx else "."),
                severity=C if wx else W,
            )


@check(
    "memory.region_invalid",
    severity=W,
    title="Plugin memory region does not parse (clw-region-invalid)",
    remediation=(
        'Use format "type:start-end" (e.g. "shared:0x7fff00000000-0x7fff10000000") or a '
        "predefined region (heap, stack)."
    ),
    cls=CheckClass.PANEL,
    paths=("plugins.<id>.manifest.memory_policy.regions",),
    order=801,
)
def region_invalid(f: Facts) -> Iterator[Finding]:
    """A region is neither predefined nor `type:start-end`: the plugin will fail to load."""
    for manifest in _manifests(f):
        bad = [r for r in manifest.memory_policy.regions if parse_region(r) is None]
        if bad:
            yield region_invalid.finding(
                f"Plugin {manifest.plugin} declares invalid region(s): "
                + ", ".join(f'"{r}"' for r in bad)
                + ". OpenClaw rejects the manifest with clw-region-invalid."
            )


@check(
    "memory.protected_region",
    severity=C,
    title="Plugin requests a protected (kernel/MMIO) memory region",
    remediation=(
        "Remove kernel, MMIO and device regions from the manifest; plugins must stay in user-space regions."
    ),
    cls=CheckClass.PANEL,
    paths=("plugins.<id>.manifest.memory_policy.regions",),
    order=802,
)
def protected_region(f: Facts) -> Iterator[Finding]:
    """A region is kernel/MMIO/device typed or lies in kernel address space."""
    for manifest in _manifests(f):
        hits = []
        for spec in manifest.memory_policy.regions:
            parsed = parse_region(spec)
            if parsed is None:
                continue
            kind, _start, end = parsed
            if kind in PROTECTED_TYPES or (end is not None and end > KERNEL_SPACE_START):
                hits.append(spec)
        if hits:
            yield protected_region.finding(
                f"Plugin {manifest.plugin} requests protected region(s) {', '.join(hits)}; every "
                "access there is denied with clw-memory-denied."
            )


@check(
    "memory.sandbox_development_mode",
    severity=C,
    title="Memory sandbox runs in development mode in production",
    remediation="Set sandbox.mode to strict for production deployments.",
    cls=CheckClass.PANEL,
    paths=("sandbox.mode",),
    order=803,
)
def sandbox_development(f: Facts) -> Iterator[Finding]:
    """sandbox.mode=development on a production deployment."""
    ctx = f.context
    if ctx is not None and ctx.production and ctx.memory_sandbox and ctx.memory_sandbox.mode == "development":
        yield sandbox_development.finding(
            "sandbox.mode=development relaxes memory policy enforcement; it is meant for local "
            "debugging only."
        )


@check(
    "memory.restrict_regions_disabled",
    severity=C,
    title="Memory sandbox does not restrict regions",
    remediation="Set sandbox.memory.restrict_regions=true.",
    cls=CheckClass.PANEL,
    paths=("sandbox.memory.restrict_regions",),
    order=804,
)
def restrict_regions_disabled(f: Facts) -> Iterator[Finding]:
    """restrict_regions=false (critical in production, warn otherwise)."""
    ctx = f.context
    if ctx is not None and ctx.memory_sandbox and ctx.memory_sandbox.restrict_regions is False:
        yield restrict_regions_disabled.finding(
            "sandbox.memory.restrict_regions=false lets plugins touch regions outside their manifest.",
            severity=C if ctx.production else W,
        )


@check(
    "memory.max_regions_raised",
    severity=W,
    title="Memory sandbox max_regions raised above the default",
    remediation=f"Keep sandbox.memory.max_regions at {DEFAULT_MAX_REGIONS} unless a plugin needs more.",
    cls=CheckClass.PANEL,
    paths=("sandbox.memory.max_regions",),
    order=805,
)
def max_regions_raised(f: Facts) -> Iterator[Finding]:
    """max_regions is above the default of 5."""
    ctx = f.context
    if ctx is not None and ctx.memory_sandbox and ctx.memory_sandbox.max_regions > DEFAULT_MAX_REGIONS:
        yield max_regions_raised.finding(
            f"sandbox.memory.max_regions={ctx.memory_sandbox.max_regions} (default {DEFAULT_MAX_REGIONS})."
        )


@check(
    "memory.permissions_narrowed",
    severity=W,
    title="Sandbox grants fewer memory permissions than the manifest requests",
    remediation=(
        "Either drop the permissions from the manifest or grant them in the sandbox policy; the "
        "more restrictive policy wins."
    ),
    cls=CheckClass.PANEL,
    paths=("sandbox.permissions", "plugins.<id>.manifest.memory_policy.permissions"),
    order=806,
)
def permissions_narrowed(f: Facts) -> Iterator[Finding]:
    """Effective = manifest ∩ sandbox misses a requested permission: clw-memory-denied ahead."""
    ctx = f.context
    if ctx is None or ctx.memory_sandbox is None or ctx.memory_sandbox.permissions is None:
        return
    granted = {p.strip().lower() for p in ctx.memory_sandbox.permissions}
    for manifest in _manifests(f):
        perms = _perms(manifest)
        missing = [p for p in perms if p not in granted]
        if missing:
            effective = [p for p in perms if p in granted]
            yield permissions_narrowed.finding(
                f"Plugin {manifest.plugin}: manifest permissions {', '.join(perms)}; effective "
                f"{', '.join(effective) or 'none'} ({', '.join(missing)} NOT granted). Operations "
                "needing them fail with clw-memory-denied."
            )
