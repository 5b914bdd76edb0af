"""The agent roster: legacy ``agents.list`` -> keyed ``agents.entries``, and the roster rules.

OpenClaw 2026.9.6 migrates the list silently (warnings worded as below, from its legacy.roster module,
read not copied) and then checks the roster: several agents need agents.ownership="explicit" or exactly
one retired ``default: true`` marker.
"""

from __future__ import annotations

from typing import Any

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


def with_implicit_main(config: dict[str, Any]) -> dict[str, Any]:
    """Return config as OpenClaw validates it: without a roster (and not explicitly owned), one agent "main".

    (OpenClaw's migratePersistedImplicitMainRoster, read not copied; the panel's stored config keeps the
    file's shape, the policy treats a roster-less config as the agent "main" too.)
    """
    agents = config.get("agents", {})
    if not isinstance(agents, dict) or agents.get("ownership") == "explicit":
        return config
    entries = agents.get("entries")
    if "list" in agents or (entries is not None and entries != {}):
        return config
    return {**config, "agents": {**agents, "entries": {"main": {}}}}


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
