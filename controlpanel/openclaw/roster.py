"""The agent roster: legacy ``agents.list`` -> keyed ``agents.entries``, and the roster rules.

OpenClaw 2026.9.6 migrates the list silently (warnings worded as below, from its legacy.roster module,
read not copied) and then checks the roster: several agents need agents.ownership="explicit" or exactly
one retired ``default: true`` marker.
"""

from __future__ import annotations

import re
from typing import Any

from .issues import ConfigIssue

MOVED_LIST = "Moved agents.list to keyed agents.entries."
MATERIALIZED = "Materialized legacy per-surface agent ownership."
REMOVED_MARKERS = "Removed retired agents.entries.*.default markers."


def migrate_agent_list(
    config: dict[str, Any], *, remove_markers: bool = False
) -> tuple[dict[str, Any], list[str], str | None]:
    """Return (config with agents.entries, CLI warning messages, legacy default agent id or None).

    The single retired ``default: true`` marker is kept unless remove_markers: the gateway keeps that
    id in memory as its default agent, and keeping the marker lets agents_of(resolved) see it too.

    Leaves the config untouched (no warnings) when the list is not a clean list of {id: str} objects,
    as the real migration does; the validator then reports it.
    """
    agents = config.get("agents")
    if not isinstance(agents, dict):
        return config, [], None
    warnings: list[str] = []
    if isinstance(agents.get("list"), list) and "entries" not in agents:
        entries = _list_to_entries(agents["list"])
        if entries is None:
            return config, [], None
        agents = {k: v for k, v in agents.items() if k != "list"}
        agents["entries"] = entries
        warnings.append(MOVED_LIST)
    entries = agents.get("entries")
    default_id = None
    if isinstance(entries, dict) and all(isinstance(e, dict) for e in entries.values()):
        marked = [agent_id for agent_id, entry in entries.items() if entry.get("default") is True]
        if len(marked) == 1 and agents.get("ownership") != "explicit":
            default_id = marked[0]
            if len(entries) > 1:
                warnings.append(MATERIALIZED)
            warnings.append(REMOVED_MARKERS)
            if remove_markers:
                entries = {k: {f: v for f, v in e.items() if f != "default"} for k, e in entries.items()}
                agents = {**agents, "entries": entries}
    if not warnings:
        return config, [], default_id
    return {**config, "agents": agents}, warnings, default_id


def roster_issues(config: dict[str, Any]) -> list[ConfigIssue]:
    """Return the roster rules the real schema checks on agents (after agents.list became entries).

    Worded as the CLI prints them: a multi-agent roster needs agents.ownership="explicit" or exactly
    one legacy default=true marker, and the two cannot be combined.
    """
    agents = config.get("agents")
    if not isinstance(agents, dict):
        return []
    entries = agents.get("entries")
    entries = entries if isinstance(entries, dict) else {}
    explicit = agents.get("ownership") == "explicit"
    marked = [k for k, e in entries.items() if isinstance(e, dict) and e.get("default") is True]
    found: list[ConfigIssue] = [
        ConfigIssue(path=f"agents.entries.{key}", message="Invalid key in record")
        for key in entries
        if not AGENT_ID.match(key)
    ]
    # An unmigratable agents.list leaves no entries behind, which the schema then refuses too.
    if not entries and (explicit or "list" in agents):
        found.append(ConfigIssue(path="agents.entries", message=NO_ENTRIES))
    if len(marked) > 1:
        message = f"agents.entries must contain at most one default=true entry (found {len(marked)})"
        found.append(ConfigIssue(path="agents.entries", message=message))
    if explicit and marked:
        found.append(ConfigIssue(path="agents.ownership", message=EXPLICIT_WITH_MARKER))
    if len(entries) > 1 and not marked and not explicit:
        found.append(ConfigIssue(path="agents.ownership", message=NEEDS_OWNERSHIP))
    return found


AGENT_ID = re.compile(r"[a-z0-9_][a-z0-9_-]{0,63}\Z", re.IGNORECASE)
NO_ENTRIES = "agents.entries must contain at least one configured agent"
EXPLICIT_WITH_MARKER = "agents.ownership=explicit cannot be combined with a legacy default=true marker"
NEEDS_OWNERSHIP = (
    'multi-agent rosters require agents.ownership="explicit" or one legacy default=true marker; '
    'add agents.ownership="explicit" or run openclaw doctor'
)


def _list_to_entries(items: list[Any]) -> dict[str, Any] | None:
    entries: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, dict):
            return None
        agent_id = item.get("id")
        if not isinstance(agent_id, str) or not agent_id or agent_id.strip() != agent_id:
            return None
        if agent_id in entries or agent_id != agent_id.lower():
            return None
        entries[agent_id] = {k: v for k, v in item.items() if k != "id"}
    return entries
