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
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from .catalogue import SHIPPED_POLICY_FAMILIES, SHIPPED_POLICY_RENAMES, TOOL_GROUPS, TOOL_NAME_ALIASES

PLUGIN_GROUP = "group:plugins"  # every plugin-registered tool (the runtime expands it; the audit does not)


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


class ToolPolicy(NamedTuple):
    """One allow/deny layer. `allow=None` (or empty) means "no allow restriction".

    A NamedTuple: immutable, and cheap to build and hash (memoised answers are keyed by it).
    """

    allow: tuple[str, ...] | None = None
    deny: tuple[str, ...] | None = None

    def verdict(self, tool: str, *, plugin_group: bool = False) -> tuple[bool, str, str | None]:
        """Return (allowed, rule, entry): rule is "deny", "allow", "not-allowed" or "open".

        `entry` is the config entry as written (e.g. `group:web`, `web_*`) that matched.
        `plugin_group`: the tool is a plugin tool and `group:plugins` names it (the runtime view).
        """
        name = normalize_tool_name(tool)
        hit = _matching_entry(name, self.deny or (), plugin_group)
        if hit is not None:
            return False, "deny", hit
        if not self.allow or not any(_expand_one(e) for e in self.allow if isinstance(e, str)):
            return True, "open", None
        hit = _matching_entry(name, self.allow or (), plugin_group)
        if hit is not None:
            return True, "allow", hit
        # Why: OpenClaw treats apply_patch as a kind of write, so allowing write allows it too.
        if name == "apply_patch":
            hit = _matching_entry("write", self.allow or ())
            if hit is not None:
                return True, "allow", hit
        return False, "not-allowed", None


def _matching_entry(name: str, entries: Iterable[str], plugin_group: bool = False) -> str | None:
    """Return the first entry (as written) whose expansion matches the normalised name, else None."""
    for entry in entries:
        if not isinstance(entry, str):
            continue
        if glob_matches(name, _expand_one(entry)) is not None:
            return entry
        if plugin_group and normalize_tool_name(entry) == PLUGIN_GROUP:
            return entry
    return None


def string_tuple(value: Any) -> tuple[str, ...] | None:
    """Return the string items of a list as a tuple, else None (missing / wrong type)."""
    if value.__class__ is not list and not isinstance(value, list):
        return None
    return tuple(v for v in value if isinstance(v, str))


@lru_cache(maxsize=4096)
def policy_of(
    allow_cfg: tuple[str, ...] | None, also: tuple[str, ...] | None, deny: tuple[str, ...] | None
) -> ToolPolicy | None:
    """Return the layer of the (allow, alsoAllow, deny) lists, as pick_policy (memoised: lists repeat)."""
    allow: tuple[str, ...] | None
    if allow_cfg is not None:
        allow = _union(allow_cfg or ("*",), also) if also else allow_cfg
    elif also:
        allow = _union(("*",), also)
    else:
        allow = None
    if allow is None and deny is None:
        return None
    return ToolPolicy(allow, deny)


def _union(base: Sequence[str], extra: Sequence[str]) -> tuple[str, ...]:
    """Return base followed by extra, without duplicates, order kept."""
    return tuple(dict.fromkeys([*base, *extra]))
