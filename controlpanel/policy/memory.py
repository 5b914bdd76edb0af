"""Plugin memory policy (seed 000): manifest `memory_policy` against the sandbox memory policy.

Shapes we accept (seed 000 shows them in JSON and YAML):

    manifest: {"plugin": "data-processor", "memory_policy": {"regions": ["heap", "stack"],
               "permissions": ["read", "write"], "max_allocation_mb": 256}}
    sandbox:  {"mode": "strict" | "development" | "permissive",
               "memory": {"restrict_regions": bool, "max_regions": int, "permissions": [...]}}

Decisions of ours, since the seed does not spell them out (one table, SANDBOX_MODE_DEFAULTS):

    mode         permissions                               restrict_regions  max_regions
    strict       read, write                               true              5
    development  read, write, allocate, map                false             20
    permissive   read, write, execute, allocate, map       false             64

`strict` grants read+write because seed 000's `clw-inspect --show-policy` example prints
"Sandbox permissions: read, write" next to a strict-looking policy; `sandbox.memory.permissions`, when
given, replaces the mode's list, and `restrict_regions`/`max_regions` override the mode's values.
Effective permissions are the intersection ("the more restrictive wins"), in canonical order.

Region syntax (the `clw-region-invalid` rules): a predefined region name (`heap`, `stack`, `shared`,
`mmap`, `code`, `data`; `kernel` and `mmio` exist but are protected: any access is denied), or
`type:start-end` with a predefined type and 0x-prefixed hex addresses, start < end, within 64 bits,
no spaces, or `shared:NAME` for a named shared-memory segment (as in seed 000's test code).
`"0x1000-0x2000"` (no type), `"heap: 0x1000"` (space, no range) and `"invalid:0x1000"` are invalid.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

OPERATIONS: tuple[str, ...] = ("read", "write", "execute", "allocate", "map")
PREDEFINED_REGIONS: tuple[str, ...] = ("heap", "stack", "shared", "mmap", "code", "data")
PROTECTED_REGIONS: tuple[str, ...] = ("kernel", "mmio")
# x86-64 canonical kernel half: addresses from here up are kernel space, protected by default.
KERNEL_SPACE_START = 0xFFFF_8000_0000_0000
MAX_ADDRESS = 0xFFFF_FFFF_FFFF_FFFF
REGION_HINT = 'Use format "type:start-end" or predefined regions'

SANDBOX_MODE_DEFAULTS: dict[str, dict[str, Any]] = {
    "strict": {"permissions": ("read", "write"), "restrict_regions": True, "max_regions": 5},
    "development": {
        "permissions": ("read", "write", "allocate", "map"),
        "restrict_regions": False,
        "max_regions": 20,
    },
    "permissive": {"permissions": OPERATIONS, "restrict_regions": False, "max_regions": 64},
}

_RANGE = re.compile(r"^([a-z]+):(0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+)$")
_NAMED = re.compile(r"^shared:([A-Za-z_][A-Za-z0-9_.-]*)$")


class RegionInvalid(ValueError):
    """A malformed memory region (`clw-region-invalid`), with the region text and the reason."""

    code = "clw-region-invalid"

    def __init__(self, region: str, reason: str) -> None:
        self.region = region
        self.reason = reason
        super().__init__(f'clw-region-invalid: Region: "{region}" Reason: {reason} Hint: {REGION_HINT}')


@dataclass(frozen=True)
class Region:
    """A parsed region: a predefined name, a typed address range, or a named shared segment."""

    text: str
    type: str
    start: int | None = None
    end: int | None = None
    name: str | None = None

    def contains(self, address: int) -> bool:
        """Return True if this region is an address range that contains the address (end exclusive)."""
        return self.start is not None and self.end is not None and self.start <= address < self.end


def parse_region(text: Any) -> Region:
    """Return the parsed region, or raise RegionInvalid naming why it is malformed."""
    if not isinstance(text, str) or not text:
        raise RegionInvalid(str(text), "Region must be a non-empty string")
    if text in PREDEFINED_REGIONS or text in PROTECTED_REGIONS:
        return Region(text, text)
    named = _NAMED.match(text)
    if named and not named.group(1).lower().startswith("0x"):
        return Region(text, "shared", name=named.group(1))
    match = _RANGE.match(text)
    if not match:
        raise RegionInvalid(text, "Invalid format or out-of-range address")
    kind, start, end = match.group(1), int(match.group(2), 16), int(match.group(3), 16)
    if kind not in PREDEFINED_REGIONS and kind not in PROTECTED_REGIONS:
        raise RegionInvalid(text, f"Unknown region type {kind!r}")
    if end > MAX_ADDRESS:
        raise RegionInvalid(text, "Invalid format or out-of-range address")
    if start >= end:
        raise RegionInvalid(text, "Region start must be below its end")
    return Region(text, kind, start, end)


def region_errors(regions: Iterable[Any]) -> list[RegionInvalid]:
    """Return one RegionInvalid per malformed region of a list (empty list when all are valid)."""
    errors: list[RegionInvalid] = []
    for region in regions:
        try:
            parse_region(region)
        except RegionInvalid as exc:
            errors.append(exc)
    return errors


@dataclass(frozen=True)
class SandboxMemory:
    """The sandbox memory policy after mode defaults are applied."""

    mode: str
    permissions: tuple[str, ...]
    restrict_regions: bool
    max_regions: int


def sandbox_memory(sandbox: Mapping[str, Any] | None) -> SandboxMemory:
    """Return the sandbox memory policy; an unknown or missing mode counts as strict (fail closed)."""
    sandbox = sandbox if isinstance(sandbox, Mapping) else {}
    mode = sandbox.get("mode") if sandbox.get("mode") in SANDBOX_MODE_DEFAULTS else "strict"
    defaults = SANDBOX_MODE_DEFAULTS[mode]
    memory = sandbox.get("memory") if isinstance(sandbox.get("memory"), Mapping) else {}
    perms = memory.get("permissions")
    permissions = _canonical(perms) if isinstance(perms, list) else defaults["permissions"]
    restrict = memory.get("restrict_regions")
    max_regions = memory.get("max_regions")
    return SandboxMemory(
        mode=mode,
        permissions=tuple(permissions),
        restrict_regions=restrict if isinstance(restrict, bool) else defaults["restrict_regions"],
        max_regions=max_regions if isinstance(max_regions, int) else defaults["max_regions"],
    )


def _canonical(perms: Iterable[Any]) -> tuple[str, ...]:
    """Return the known permissions among perms, in canonical order (unknown words are dropped)."""
    wanted = {p.strip().lower() for p in perms if isinstance(p, str)}
    return tuple(op for op in OPERATIONS if op in wanted)


def manifest_policy(manifest: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """Return the `memory_policy` of a manifest (or the mapping itself if it already is one)."""
    manifest = manifest if isinstance(manifest, Mapping) else {}
    inner = manifest.get("memory_policy")
    return inner if isinstance(inner, Mapping) else manifest


@dataclass(frozen=True)
class EffectivePermissions:
    """Manifest, sandbox and effective (intersected) permissions, and what the sandbox withholds."""

    manifest: tuple[str, ...]
    sandbox: tuple[str, ...]
    effective: tuple[str, ...]
    not_granted: tuple[str, ...]


def effective_memory_permissions(
    manifest: Mapping[str, Any] | None, sandbox: Mapping[str, Any] | None
) -> EffectivePermissions:
    """Return the intersection of manifest and sandbox permissions: the more restrictive wins."""
    requested = _canonical(manifest_policy(manifest).get("permissions") or [])
    granted = sandbox_memory(sandbox).permissions
    effective = tuple(p for p in requested if p in granted)
    return EffectivePermissions(
        requested, granted, effective, tuple(p for p in requested if p not in granted)
    )


def permission_token(operation: str) -> str:
    """Return the runtime's name of a permission, e.g. `clw_mem_read`."""
    return f"clw_mem_{operation}"


@dataclass(frozen=True)
class MemoryVerdict:
    """Would this memory operation be allowed? If not: the error code, missing permission and why."""

    allowed: bool
    operation: str
    code: str | None
    required_permission: str
    session_permissions: tuple[str, ...]
    sandbox_mode: str
    reason: str
    target: str | None = None

    @property
    def message(self) -> str:
        """Return the verdict in the runtime's terminal wording (seed 000)."""
        if self.allowed:
            return f"OK: {self.operation} allowed ({self.reason})"
        session = ", ".join(self.session_permissions) or "clw_mem_none"
        where = f" at {self.target}" if self.target else ""
        return (
            f"{self.code} {self.reason}{where} Operation: {self.operation} "
            f"Required permission: {self.required_permission} "
            f"Current session permissions: {session} Sandbox policy: {self.sandbox_mode}"
        )


def _address(value: int | str) -> int:
    """Return an address given as int or hex/decimal text."""
    return value if isinstance(value, int) else int(value, 0)


def check_memory_operation(
    manifest: Mapping[str, Any] | None,
    sandbox: Mapping[str, Any] | None,
    operation: str,
    *,
    region: str | None = None,
    address: int | str | None = None,
    size_mb: float | None = None,
) -> MemoryVerdict:
    """Return the verdict for one operation on a region name or an address.

    Checks, in order: the manifest's regions are well-formed (`clw-region-invalid`) and not more than
    the sandbox allows (`clw-policy-violation`); the permission is effective (`clw-memory-denied`,
    naming `clw_mem_<op>`); the target is not protected and, when the sandbox restricts regions, lies
    in a declared region; an allocation stays within `max_allocation_mb`.
    """
    op = operation.strip().lower()
    if op not in OPERATIONS:
        raise ValueError(f"unknown memory operation {operation!r}; expected one of {', '.join(OPERATIONS)}")
    policy = manifest_policy(manifest)
    sbx = sandbox_memory(sandbox)
    perms = effective_memory_permissions(manifest, sandbox)
    session = tuple(permission_token(p) for p in perms.effective)
    target = region if region is not None else (hex(_address(address)) if address is not None else None)

    def verdict(allowed: bool, code: str | None, reason: str) -> MemoryVerdict:
        return MemoryVerdict(allowed, op, code, permission_token(op), session, sbx.mode, reason, target)

    raw_regions = policy.get("regions") if isinstance(policy.get("regions"), list) else []
    errors = region_errors(raw_regions)
    if errors:
        return verdict(False, "clw-region-invalid", f'Region "{errors[0].region}": {errors[0].reason}')
    regions = [parse_region(r) for r in raw_regions]
    if sbx.restrict_regions and len(regions) > sbx.max_regions:
        reason = f"{len(regions)} regions declared, sandbox allows at most {sbx.max_regions}"
        return verdict(False, "clw-policy-violation", reason)
    if op not in perms.effective:
        withheld = op in perms.manifest
        why = "sandbox policy does not grant it" if withheld else "manifest does not request it"
        return verdict(False, "clw-memory-denied", f"Permission {permission_token(op)} not granted ({why})")
    denied = _target_denial(regions, sbx, region, address)
    if denied:
        return verdict(False, "clw-memory-denied", denied)
    limit = policy.get("max_allocation_mb")
    if op == "allocate" and size_mb is not None and isinstance(limit, int | float) and size_mb > limit:
        return verdict(
            False, "clw-memory-denied", f"Allocation of {size_mb}MB exceeds max_allocation_mb {limit}"
        )
    return verdict(True, None, f"{permission_token(op)} is an effective permission")


def _target_denial(regions: list[Region], sbx: SandboxMemory, region: str | None, address: Any) -> str | None:
    """Return why the target region/address is off limits, or None when it may be accessed."""
    if region is not None:
        parsed = parse_region(region)
        if parsed.type in PROTECTED_REGIONS:
            return "Attempted access to protected memory region"
        declared = any(
            r.text == parsed.text or (r.type == parsed.type and parsed.start is None) for r in regions
        )
        if sbx.restrict_regions and not declared:
            return f"Region {region} is not declared in the manifest"
    if address is not None:
        addr = _address(address)
        if addr >= KERNEL_SPACE_START or any(
            r.type in PROTECTED_REGIONS and r.contains(addr) for r in regions
        ):
            return "Attempted access to protected memory region"
        if sbx.restrict_regions and not any(r.contains(addr) for r in regions):
            return "Address outside the declared regions"
    return None


def inspect_text(manifest: Mapping[str, Any] | None, sandbox: Mapping[str, Any] | None, plugin: str) -> str:
    """Return the `clw-inspect --show-policy` report for a plugin (seed 000's layout)."""
    perms = effective_memory_permissions(manifest, sandbox)
    effective = ", ".join(perms.effective) or "none"
    missing = f"  ({', '.join(perms.not_granted)} NOT granted)" if perms.not_granted else ""
    return (
        f"Effective memory policy for {plugin}:\n"
        f"  Manifest permissions: {', '.join(perms.manifest) or 'none'}\n"
        f"  Sandbox permissions:  {', '.join(perms.sandbox) or 'none'}\n"
        f"  Effective permissions: {effective}{missing}\n"
    )
