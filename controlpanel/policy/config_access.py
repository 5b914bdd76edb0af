"""The one reader of agents in a resolved openclaw.json dict, and the default agent (never raises on shape).

The input is the config as the gateway sees it after load: JSON5 parsed, `${VAR}` substituted and
legacy `agents.list` migrated to `agents.entries` (keyed by agent id). A raw `agents.list` is still
read (like OpenClaw's `listAgentEntries`: `entries` when present, else `list`) so that a
not-yet-migrated dict does not silently lose its agents; `agent_paths` says how a file spells each
agent's path, so a page can quote a rule as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

DEFAULT_AGENT_ID = "main"

# Which "default agent" is asked for. OpenClaw 2026.9.6 has three answers, each used by a
# different command (read from its agent-scope module; each checked against the CLI in
# tests/policy/test_default_agent.py):
# - "roster": the agent `agents list` marks `isDefault` and `exec-policy show` reports `tools.exec`
#   for (`tryResolveLegacyCompatibilityAgentId`): with `agents.ownership: "explicit"` only
#   `agents.defaults.systemAgent.agentId`; otherwise the single retired `default: true` marker,
#   else the sole agent (`main` when no agent is configured).
# - "session": the agent a command acts for when none is named (`sandbox explain`, the runtime's
#   session resolution): the retired marker, else the sole agent; never `systemAgent`. None means
#   the caller must name one (the CLI fails with "Multiple agents are configured ...").
# - "audit": the id `security audit` files the global `tools.exec` scope under
#   (`tryResolveDefaultAgentId` on the loaded config, whose markers are already removed): the sole
#   agent, else None (the CLI prints "global").
DefaultView = Literal["roster", "session", "audit"]

_VALID_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}\Z", re.IGNORECASE)
_INVALID_CHARS = re.compile(r"[^a-z0-9_-]+")


EMPTY: Mapping[str, Any] = {}  # shared read-only default: never mutated


def is_mapping(value: Any) -> bool:
    """Return True for a mapping (loaded configs hold plain dicts: the exact class test answers
    first, as the audit asks this a few hundred times per config)."""
    return value.__class__ is dict or (value is not None and isinstance(value, Mapping))


def as_dict(value: Any) -> Mapping[str, Any]:
    """Return the value if it is a mapping, else an empty mapping."""
    # Inlined is_mapping: this runs a few hundred times per audit.
    return value if value.__class__ is dict or (value is not None and isinstance(value, Mapping)) else EMPTY


def normalize_agent_id(value: Any) -> str:
    """Return OpenClaw's canonical form of an agent id (trimmed, lower-cased, unsafe runs -> "-")."""
    trimmed = value.strip() if isinstance(value, str) else ""
    if _VALID_ID.match(trimmed):
        return trimmed.lower()
    cleaned = _INVALID_CHARS.sub("-", trimmed.lower()).strip("-")[:64]
    return cleaned or DEFAULT_AGENT_ID


def agent_entries(config: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Return the configured agents as {id: entry}, from `agents.entries` or legacy `agents.list`.

    Entries that are not objects are skipped, as OpenClaw skips them.
    """
    agents = config.get("agents")
    if not is_mapping(agents):
        return {}
    entries = agents.get("entries")
    if is_mapping(entries):
        return {str(k): v for k, v in entries.items() if is_mapping(v)}
    legacy = agents.get("list")
    if isinstance(legacy, list):
        return {e["id"]: e for e in legacy if is_mapping(e) and isinstance(e.get("id"), str)}
    return {}


def agent_paths(config: Mapping[str, Any]) -> dict[str, str]:
    """Return {agent id: the path of its entry as the file spells it}.

    `agents.entries.<id>` for the keyed form, `agents.list[<index>]` for the legacy list (give this
    the parsed file, before migration, to quote rules as written).
    """
    agents = as_dict(config.get("agents"))
    if isinstance(agents.get("entries"), Mapping):
        return {agent_id: f"agents.entries.{agent_id}" for agent_id in agent_entries(config)}
    legacy = agents.get("list")
    if not isinstance(legacy, list):
        return {}
    return {
        e["id"]: f"agents.list[{index}]"
        for index, e in enumerate(legacy)
        if isinstance(e, Mapping) and isinstance(e.get("id"), str)
    }


def key_as_written(key: str, agent_id: str | None, paths: Mapping[str, str]) -> str:
    """Return a decision key with the agent's part spelled as the file spells it.

    `agents.entries.<id>.tools.deny` (or the CLI's `agents.entries.*...` wildcard form) becomes
    `agents.list[1].tools.deny` when the file uses the legacy list; keys of other sections stay.
    """
    if agent_id is None or agent_id not in paths:
        return key
    for prefix in (f"agents.entries.{agent_id}.", "agents.entries.*."):
        if key.startswith(prefix):
            return f"{paths[agent_id]}.{key[len(prefix) :]}"
    return key


def agent_ids(config: Mapping[str, Any]) -> list[str]:
    """Return the agent ids in config order; a config without agents has the implicit agent `main`."""
    ids = list(agent_entries(config))
    return ids or [DEFAULT_AGENT_ID]


def agent_entry(config: Mapping[str, Any], agent_id: str | None) -> Mapping[str, Any]:
    """Return one agent's entry (empty mapping for an unknown or implicit agent, or None).

    An exact id first, then the same id in any case (the lookup runs often: kept cheap).
    """
    if agent_id is None:
        return EMPTY
    agents = config.get("agents")
    if agents.__class__ is not dict and not is_mapping(agents):
        return EMPTY
    entries = agents.get("entries")
    if entries.__class__ is dict or is_mapping(entries):
        found = entries.get(agent_id)
        if found.__class__ is dict or is_mapping(found):
            return found
    elif isinstance(agents.get("list"), list):
        entries = agent_entries(config)
        found = entries.get(agent_id)
        if found is not None:
            return found
    else:
        return EMPTY
    wanted = agent_id.lower()
    return next((v for k, v in entries.items() if str(k).lower() == wanted and is_mapping(v)), EMPTY)


def dig(node: Any, *keys: str) -> Mapping[str, Any]:
    """Return node[k1][k2]... as a mapping (empty when a step is missing or not a mapping)."""
    for key in keys:
        if node.__class__ is not dict and (node is None or not is_mapping(node)):
            return EMPTY
        node = node.get(key)
    return node if node.__class__ is dict else EMPTY if node is None else as_dict(node)


def agent_tools(config: Mapping[str, Any], agent_id: str | None) -> Mapping[str, Any]:
    """Return `agents.entries.<id>.tools` (empty mapping when absent)."""
    tools = agent_entry(config, agent_id).get("tools")
    return tools if tools.__class__ is dict else EMPTY if tools is None else as_dict(tools)


def global_tools(config: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return the top-level `tools` section (empty mapping when absent)."""
    tools = config.get("tools")
    return tools if tools.__class__ is dict else EMPTY if tools is None else as_dict(tools)


def default_agent_id(config: Mapping[str, Any], view: DefaultView = "roster") -> str | None:
    """Return OpenClaw's default agent for `view` (see DefaultView), or None when there is none."""
    agents = as_dict(config.get("agents"))
    if not agents:
        return DEFAULT_AGENT_ID
    entries = agent_entries(config)
    explicit = agents.get("ownership") == "explicit"
    if view == "roster" and explicit:
        recorded = as_dict(as_dict(agents.get("defaults")).get("systemAgent")).get("agentId")
        if not isinstance(recorded, str) or not recorded.strip():
            return None
        wanted = normalize_agent_id(recorded)
        return wanted if any(normalize_agent_id(k) == wanted for k in entries) else None
    if view != "audit" and not explicit:
        marked = [k for k, e in entries.items() if e.get("default") is True]
        if len(marked) == 1:
            return normalize_agent_id(marked[0])
    if not entries:
        return DEFAULT_AGENT_ID
    return normalize_agent_id(next(iter(entries))) if len(entries) == 1 else None
