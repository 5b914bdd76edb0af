"""Small, forgiving readers for the resolved openclaw.json dict (the resolver never raises on shape).

The input is the config as the gateway sees it after load: JSON5 parsed, `${VAR}` substituted and
legacy `agents.list` migrated to `agents.entries` (keyed by agent id). A raw `agents.list` is still
accepted here so that a not-yet-migrated dict does not silently lose its agents.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT_AGENT_ID = "main"


def as_dict(value: Any) -> Mapping[str, Any]:
    """Return the value if it is a mapping, else an empty mapping."""
    return value if isinstance(value, Mapping) else {}


def agent_entries(config: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Return the configured agents as {id: entry}, from `agents.entries` or legacy `agents.list`."""
    agents = as_dict(config.get("agents"))
    entries = agents.get("entries")
    if isinstance(entries, Mapping):
        return {str(k): as_dict(v) for k, v in entries.items()}
    legacy = agents.get("list")
    if isinstance(legacy, list):
        return {e["id"]: e for e in legacy if isinstance(e, Mapping) and isinstance(e.get("id"), str)}
    return {}


def agent_ids(config: Mapping[str, Any]) -> list[str]:
    """Return the agent ids in config order; a config without agents has the implicit agent `main`."""
    ids = list(agent_entries(config))
    return ids or [DEFAULT_AGENT_ID]


def agent_entry(config: Mapping[str, Any], agent_id: str | None) -> Mapping[str, Any]:
    """Return one agent's entry (empty mapping for an unknown or implicit agent)."""
    if agent_id is None:
        return {}
    # Looked up, not rebuilt: the resolver asks several times per agent, and building every entry
    # per question made a what-if over N agents cost N² (issue 19, finding 9).
    written = as_dict(config.get("agents")).get("entries")
    if isinstance(written, Mapping) and isinstance(written.get(agent_id), Mapping):
        return written[agent_id]
    entries = agent_entries(config)
    if agent_id in entries:
        return entries[agent_id]
    lowered = agent_id.lower()
    return next((v for k, v in entries.items() if k.lower() == lowered), {})


def agent_tools(config: Mapping[str, Any], agent_id: str | None) -> Mapping[str, Any]:
    """Return `agents.entries.<id>.tools` (empty mapping when absent)."""
    return as_dict(agent_entry(config, agent_id).get("tools"))


def global_tools(config: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return the top-level `tools` section (empty mapping when absent)."""
    return as_dict(config.get("tools"))
