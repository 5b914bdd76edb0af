"""Map the seed's legacy ``tools.exec.approvals`` block onto the 2026.9.6 exec model.

Seed 002 configures ``tools.exec.approvals: {enabled, policy: allowlist|always|never, allowlist: [...]}``;
the 2026.9.6 validator refuses that key. The behaviour it describes maps onto ``tools.exec`` as follows
(one table, used by the config migration offer and by the audit):

============  ==============================================  ============================================
seed policy   current ``tools.exec``                          meaning
============  ==============================================  ============================================
allowlist     ``mode: "ask"`` (allowlist + ask on-miss)        listed commands run, anything else asks
always        ``security: "allowlist", ask: "always"``         every command asks (no exact mode exists,
                                                              so the legacy pair is kept, as doctor does)
never         ``mode: "full"`` (full + ask off)               nothing asks: the 2026.x default ("YOLO")
disabled      nothing (the defaults apply)                    ``enabled: false`` requests no approvals
============  ==============================================  ============================================

The seed's allowlist holds whole command lines (``"git status"``); host allowlist entries match
executables, so only the executable name is carried over and the argument restriction is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

LEGACY_POLICY_TABLE: dict[str, dict[str, str]] = {
    "allowlist": {"mode": "ask"},
    "always": {"security": "allowlist", "ask": "always"},
    "never": {"mode": "full"},
}


@dataclass(frozen=True)
class LegacyMigration:
    """The current-form replacement of a legacy approvals block."""

    exec_config: dict[str, str]
    host_allowlist: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def migrate_legacy_approvals(block: Mapping[str, Any]) -> LegacyMigration:
    """Return what ``tools.exec.approvals`` (seed form) becomes: ``tools.exec`` keys, host allowlist, notes.

    An unknown policy maps to the strictest asking form (``always``), never to a looser one.
    """
    if block.get("enabled") is False:
        return LegacyMigration({}, [], ["approvals were disabled: the exec defaults apply (full, ask off)"])
    policy = str(block.get("policy") or "allowlist")
    notes = []
    if policy not in LEGACY_POLICY_TABLE:
        notes.append(f"unknown legacy policy {policy!r}: mapped to 'always' (every command asks)")
        policy = "always"
    exec_config = dict(LEGACY_POLICY_TABLE[policy])
    notes.append(f"tools.exec.approvals.policy {policy!r} -> tools.exec {exec_config}")
    if policy == "never":
        notes.append("'never' disables prompts entirely; consider mode 'ask' instead")
    names: list[str] = []
    for line in block.get("allowlist") or []:
        words = str(line).split()
        if words and words[0] not in names:
            names.append(words[0])
        if len(words) > 1:
            notes.append(f"allowlist entry {line!r}: only the executable {words[0]!r} carries over")
    return LegacyMigration(exec_config, [{"pattern": n} for n in names], notes)
