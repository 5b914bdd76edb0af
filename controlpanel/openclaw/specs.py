"""Read-only views of a resolved config that the Django side stores: agents and channels."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from controlpanel.policy.config_access import (
    DEFAULT_AGENT_ID,
    agent_entries,
    default_agent_id,
    dig,
    normalize_agent_id,
)

from .roster import migrate_agent_list


class AgentSpec(BaseModel):
    """One agent as the gateway sees it."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str | None
    model: str | None
    workspace: str | None
    is_default: bool
    raw: dict[str, Any]


class ChannelSpec(BaseModel):
    """One configured messaging channel and its DM/group access policy."""

    model_config = ConfigDict(frozen=True)

    name: str
    dm_policy: str | None
    allow_from: list[str]
    group_policy: str | None
    raw: dict[str, Any]


def _model_name(model: Any) -> str | None:
    """Return the primary model of an agent (a string, or {primary, fallbacks})."""
    if isinstance(model, dict):
        primary = model.get("primary")
        return primary if isinstance(primary, str) else None
    return model if isinstance(model, str) else None


def agents_of(resolved: dict[str, Any]) -> list[AgentSpec]:
    """Return the agents of a resolved config in roster order, the default one marked.

    Accepts a legacy ``agents.list`` too (migrated here the same way load_config does). The default
    is the one `agents list --json` marks: `controlpanel.policy.default_agent_id` (roster view).
    With no entries the gateway runs an implicit "main" agent, which is returned.
    """
    migrated, _, _ = migrate_agent_list(resolved)
    entries = agent_entries(migrated) or {DEFAULT_AGENT_ID: {}}
    defaults = dig(migrated, "agents", "defaults")
    default_id = default_agent_id(migrated, "roster")
    return [
        AgentSpec(
            id=agent_id,
            name=entry.get("name") if isinstance(entry.get("name"), str) else None,
            model=_model_name(entry.get("model", defaults.get("model"))),
            workspace=entry.get("workspace", defaults.get("workspace")),
            is_default=normalize_agent_id(agent_id) == default_id,
            raw=entry,
        )
        for agent_id, entry in entries.items()
    ]


def channels_of(resolved: dict[str, Any]) -> list[ChannelSpec]:
    """Return one ChannelSpec per configured channel (settings shared by all channels skipped)."""
    channels = resolved.get("channels")
    if not isinstance(channels, dict):
        return []
    return [
        ChannelSpec(
            name=name,
            dm_policy=data.get("dmPolicy"),
            allow_from=[str(item) for item in data.get("allowFrom") or []],
            group_policy=data.get("groupPolicy"),
            raw=data,
        )
        for name, data in channels.items()
        if isinstance(data, dict) and name not in ("defaults", "modelByChannel")
    ]
