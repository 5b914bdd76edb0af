"""Elevated mode: which senders may run exec on the host from a sandboxed session.

Elevated never grants a tool and never overrides a deny: it only changes where `exec` runs. As in
`openclaw sandbox explain` (2026.9.6): enabled unless `tools.elevated.enabled` or the agent's
`tools.elevated.enabled` is false; for a channel, allowed by config when enabled, the global
`allowFrom.<channel>` list is non-empty and, if the agent has its own `allowFrom`, that agent list
for the channel is non-empty too; "always allowed" when those lists contain `*`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .config_access import agent_tools, as_dict, global_tools


@dataclass(frozen=True)
class ElevatedPolicy:
    """Elevated gates for one agent and (optionally) the channel of a session."""

    enabled: bool
    channel: str | None
    allowed_by_config: bool
    always_allowed_by_config: bool
    allow_from_global: tuple[str, ...] | None
    allow_from_agent: tuple[str, ...] | None
    failures: tuple[dict[str, str], ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, Any]:
        """Return the dict shape of the CLI's `elevated` block (plus the channel we inferred)."""
        allow_from: dict[str, list[str]] = {}
        if self.allow_from_global is not None:
            allow_from["global"] = list(self.allow_from_global)
        if self.allow_from_agent is not None:
            allow_from["agent"] = list(self.allow_from_agent)
        return {
            "enabled": self.enabled,
            "channel": self.channel,
            "allowedByConfig": self.allowed_by_config,
            "alwaysAllowedByConfig": self.always_allowed_by_config,
            "allowFrom": allow_from,
            "failures": [dict(f) for f in self.failures],
        }


def _tokens(value: Any) -> tuple[str, ...]:
    """Return allowFrom entries as trimmed, non-empty strings (numbers are stringified)."""
    if not isinstance(value, list):
        return ()
    return tuple(s for s in (str(v).strip() for v in value if isinstance(v, str | int | float)) if s)


def resolve_elevated(
    config: Mapping[str, Any], agent_id: str | None, channel: str | None = None
) -> ElevatedPolicy:
    """Return the elevated gates of an agent, for the given channel (None: no channel context)."""
    glob = as_dict(global_tools(config).get("elevated"))
    own = as_dict(agent_tools(config, agent_id).get("elevated"))
    global_on, agent_on = glob.get("enabled") is not False, own.get("enabled") is not False
    enabled = global_on and agent_on
    agent_has_list = isinstance(own.get("allowFrom"), Mapping)
    g_tokens = _tokens(as_dict(glob.get("allowFrom")).get(channel)) if channel else ()
    a_tokens = _tokens(as_dict(own.get("allowFrom")).get(channel)) if channel else ()
    allowed = enabled and bool(channel) and bool(g_tokens) and (bool(a_tokens) if agent_has_list else True)
    always = allowed and "*" in g_tokens and ("*" in a_tokens if agent_has_list else True)
    failures: list[dict[str, str]] = []
    if not global_on:
        failures.append({"gate": "enabled", "key": "tools.elevated.enabled"})
    if not agent_on:
        failures.append({"gate": "enabled", "key": "agents.entries.*.tools.elevated.enabled"})
    if channel and not g_tokens:
        failures.append({"gate": "allowFrom", "key": f"tools.elevated.allowFrom.{channel}"})
    if channel and agent_has_list and not a_tokens:
        failures.append({"gate": "allowFrom", "key": f"agents.entries.*.tools.elevated.allowFrom.{channel}"})
    return ElevatedPolicy(
        enabled=enabled,
        channel=channel,
        allowed_by_config=allowed,
        always_allowed_by_config=always,
        allow_from_global=g_tokens if channel else None,
        allow_from_agent=a_tokens if channel and agent_has_list else None,
        failures=tuple(failures),
    )
