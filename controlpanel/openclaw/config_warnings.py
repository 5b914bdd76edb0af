"""Warnings `openclaw config validate` prints for configs that are valid but will not behave as meant."""

from __future__ import annotations

from typing import Any

from .issues import ConfigIssue


def heartbeat_warnings(resolved: dict[str, Any], default_id: str | None) -> list[ConfigIssue]:
    """With several agents and no default, no agent owns the ambient heartbeat (the CLI warns)."""
    agents = resolved.get("agents") or {}
    defaults = agents.get("defaults") or {}
    owner = (defaults.get("heartbeat") or {}).get("agentId") or (defaults.get("systemAgent") or {}).get(
        "agentId"
    )
    if len(agents.get("entries") or {}) < 2 or default_id or owner:
        return []
    message = (
        "Multi-agent config has no ambient heartbeat owner; heartbeats stay disabled until "
        "agents.defaults.heartbeat.agentId or agents.defaults.systemAgent.agentId is set."
    )
    return [ConfigIssue(path="agents.defaults.heartbeat.agentId", message=message)]


def dm_policy_warnings(resolved: dict[str, Any]) -> list[ConfigIssue]:
    """Warnings the CLI prints for valid configs whose DM policy drops every DM."""
    channels = resolved.get("channels")
    found: list[ConfigIssue] = []
    if not isinstance(channels, dict):
        return found
    for name, data in channels.items():
        if (
            name in ("defaults", "modelByChannel")
            or not isinstance(data, dict)
            or data.get("enabled") is False
        ):
            continue
        allow = data.get("allowFrom") if isinstance(data.get("allowFrom"), list) else []
        path, scope = f"channels.{name}.allowFrom", f"channels.{name}"
        if data.get("dmPolicy") == "open" and "*" not in allow:
            message = (
                f'{scope}.dmPolicy="open" but {path} does not include "*"; all DMs will be dropped. '
                f'Add "*" to {path} or set {scope}.dmPolicy to "pairing"/"allowlist".'
            )
        elif data.get("dmPolicy") == "allowlist" and not allow:
            message = (
                f'{scope}.dmPolicy="allowlist" but {path} is empty; all DMs will be dropped. '
                f"Add at least one sender ID to {path} or change {scope}.dmPolicy."
            )
        else:
            continue
        found.append(ConfigIssue(path=path, message=message))
    return found
