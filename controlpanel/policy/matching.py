"""Tool-name matching: normalisation, `group:*` expansion, wildcards and one allow/deny policy.

These are the rules OpenClaw 2026.9.6 applies to every policy layer (read from its
`tool-policy-shared` / `tool-policy-match` / `glob-pattern` modules and checked against the oracle):

- names and patterns are lower-cased, then legacy aliases are folded (`bash` -> `exec`, ...);
- `group:x` entries expand to their members; an unknown group stays a literal (it matches nothing);
- `*` matches everything, a pattern containing `*` is a whole-name glob, anything else is exact;
- deny always wins; an empty or missing allow list allows everything not denied;
- `write` in an allow list also lets `apply_patch` through.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .catalogue import SHIPPED_POLICY_FAMILIES, SHIPPED_POLICY_RENAMES, TOOL_GROUPS, TOOL_NAME_ALIASES


@lru_cache(maxsize=8192)
def normalize_tool_name(name: str) -> str:
    """Return the policy id of a tool name or pattern: trimmed, lower-cased, alias-folded (cached)."""
    folded = name.strip().lower()
    return TOOL_NAME_ALIASES.get(folded, folded)


@lru_cache(maxsize=8192)
def _expand_one(entry: str) -> tuple[str, ...]:
    """Return one entry's expansion (cached: every tool of every agent asks about the same entries)."""
    value = normalize_tool_name(entry)
    return TOOL_GROUPS.get(value, (value,)) if value else ()


def expand_groups(entries: Iterable[str]) -> list[str]:
    """Return the entries normalised with every known `group:*` replaced by its members (deduped)."""
    out: list[str] = []
    for entry in entries:
        if isinstance(entry, str):
            out.extend(_expand_one(entry))
    return list(dict.fromkeys(out))


def expand_shipped_names(entries: Iterable[str]) -> list[str]:
    """Return entries with the runtime's shipped renames applied (`update_plan`, the `canvas` family)."""
    out: list[str] = []
    for entry in entries:
        value = normalize_tool_name(entry)
        out.append(SHIPPED_POLICY_RENAMES.get(value, value))
        out.extend(SHIPPED_POLICY_FAMILIES.get(value, ()))
    return list(dict.fromkeys(out))


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> re.Pattern[str] | None:
    """Return a regex for a glob pattern, or None when it is an exact name (cached: lists repeat)."""
    if "*" not in pattern:
        return None
    return re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$")


def glob_matches(name: str, patterns: Iterable[str]) -> str | None:
    """Return the first pattern (already normalised) that matches the normalised name, else None."""
    for pattern in patterns:
        if not pattern:
            continue
        regex = _compile(pattern)
        if (regex is None and name == pattern) or (regex is not None and regex.match(name)):
            return pattern
    return None


@dataclass(frozen=True)
class ToolPolicy:
    """One allow/deny layer. `allow=None` (or empty) means "no allow restriction"."""

    allow: tuple[str, ...] | None = None
    deny: tuple[str, ...] | None = None

    def verdict(self, tool: str) -> tuple[bool, str, str | None]:
        """Return (allowed, rule, entry): rule is "deny", "allow", "not-allowed" or "open".

        `entry` is the config entry as written (e.g. `group:web`, `web_*`) that matched.
        """
        name = normalize_tool_name(tool)
        hit = _matching_entry(name, self.deny or ())
        if hit is not None:
            return False, "deny", hit
        if not self.allow or not any(_expand_one(e) for e in self.allow if isinstance(e, str)):
            return True, "open", None
        hit = _matching_entry(name, self.allow or ())
        if hit is not None:
            return True, "allow", hit
        # Why: OpenClaw treats apply_patch as a kind of write, so allowing write allows it too.
        if name == "apply_patch":
            hit = _matching_entry("write", self.allow or ())
            if hit is not None:
                return True, "allow", hit
        return False, "not-allowed", None

    def allows(self, tool: str) -> bool:
        """Return True when this layer lets the tool through."""
        return self.verdict(tool)[0]


def _matching_entry(name: str, entries: Iterable[str]) -> str | None:
    """Return the first entry (as written) whose expansion matches the normalised name, else None."""
    for entry in entries:
        if isinstance(entry, str) and glob_matches(name, _expand_one(entry)) is not None:
            return entry
    return None


def _string_list(value: Any) -> list[str] | None:
    """Return the value as a list of strings if it is a list, else None (missing / wrong type)."""
    if not isinstance(value, list):
        return None
    return [v for v in value if isinstance(v, str)]


def pick_policy(section: Mapping[str, Any] | None) -> ToolPolicy | None:
    """Return the allow/deny layer of a `tools`-like section (allow, alsoAllow, deny), or None.

    `alsoAllow` without `allow` means "everything, plus these" (`["*", ...alsoAllow]`); with an
    `allow` list it is appended to it. An empty `allow` stays empty (so it restricts nothing).
    """
    if not isinstance(section, Mapping):
        return None
    allow_cfg = _string_list(section.get("allow"))
    also = _string_list(section.get("alsoAllow")) or []
    deny = _string_list(section.get("deny"))
    allow: list[str] | None
    if allow_cfg is not None:
        allow = _union(allow_cfg or ["*"], also) if also else allow_cfg
    elif also:
        allow = _union(["*"], also)
    else:
        allow = None
    if allow is None and deny is None:
        return None
    return ToolPolicy(tuple(allow) if allow is not None else None, tuple(deny) if deny is not None else None)


def _union(base: Sequence[str], extra: Sequence[str]) -> list[str]:
    """Return base followed by extra, without duplicates, order kept."""
    return list(dict.fromkeys([*base, *extra]))
