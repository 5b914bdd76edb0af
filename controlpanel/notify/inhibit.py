"""Inhibition: a firing alert that explains others mutes their notifications.

- A gateway that is down or stale (``gateway.down``, ``gateway.stale``) inhibits every other alert
  of that gateway: one "gateway down" instead of a storm of symptoms.
- An OOM kill or a container kill (``clw-memory-oom``, ``clw-container-kill``) inhibits memory
  pressure (``clw-memory-pressure``) of the same workload on the same gateway.

Inhibited alerts stay listed and firing; only their notifications are held back (as with silences).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

GATEWAY_DOWN_TYPES = frozenset({"gateway.down", "gateway.stale"})
KILL_TYPES = frozenset({"clw-memory-oom", "clw-container-kill"})
PRESSURE_TYPE = "clw-memory-pressure"


@dataclass(frozen=True)
class Rule:
    name: str
    source_types: frozenset[str]
    target_types: frozenset[str] | None  # None: every type but the sources
    equal: tuple[str, ...]  # labels that must be equal between the source and the target

    def inhibits(self, source: Mapping[str, str], target: Mapping[str, str]) -> bool:
        if source.get("type") not in self.source_types:
            return False
        if self.target_types is None:
            if target.get("type") in self.source_types:
                return False
        elif target.get("type") not in self.target_types:
            return False
        return all(source.get(name, "") == target.get(name, "") for name in self.equal)


RULES = (
    Rule("gateway down or stale", GATEWAY_DOWN_TYPES, None, ("gateway",)),
    Rule("killed (OOM or container kill)", KILL_TYPES, frozenset({PRESSURE_TYPE}), ("gateway", "subject")),
)


def inhibited_by(target: Mapping[str, str], firing: Iterable[Mapping[str, str]]) -> str | None:
    """Return why ``target`` is inhibited by one of the ``firing`` alerts' labels, or None."""
    for source in firing:
        for rule in RULES:
            if rule.inhibits(source, target):
                return f"inhibited: {rule.name} ({source.get('type')} {source.get('subject', '')})".strip()
    return None


def source_types() -> frozenset[str]:
    """The alert types that can inhibit others (the only open alerts worth loading for this)."""
    return GATEWAY_DOWN_TYPES | KILL_TYPES
