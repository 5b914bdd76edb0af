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
from .schema import channel_ids, channel_issues, plugin_config_schema
from .schema.real import CHANNEL_SETTINGS, bundled_plugins
from .schema.typebox import plugin_schema_issues

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


# Bundled channels whose settings are not configurable in openclaw.json (the CLI calls them unknown).
UNCONFIGURABLE_CHANNELS = frozenset({"qa-channel"})

# Web-search providers of the official plugins one installs (the CLI names the plugin to install).
INSTALLABLE_WEB_SEARCH = {
    "brave": "brave",
    "duckduckgo": "duckduckgo",
    "exa": "exa",
    "firecrawl": "firecrawl",
    "firecrawl-free": "firecrawl",
    "kimi": "moonshot",
    "parallel": "parallel",
    "parallel-free": "parallel",
    "perplexity": "perplexity",
    "searxng": "searxng",
    "tavily": "tavily",
}
# Other names of bundled plugins.
PLUGIN_ALIASES = {
    "google-gemini-cli": "google",
    "minimax-portal": "minimax",
    "minimax-portal-auth": "minimax",
}
DEFAULT_MEMORY_PLUGIN = "memory-core"


def normalize_plugin_id(plugin_id: Any) -> str:
    lowered = plugin_id.strip().lower() if isinstance(plugin_id, str) else ""
    return PLUGIN_ALIASES.get(lowered, lowered)


@cache
def _plugin_channels() -> frozenset[str]:
    return frozenset(c for plugin in bundled_plugins() for c in plugin.get("channelIds") or [])


def known_channel(name: str) -> bool:
    """Whether OpenClaw (with its bundled plugins) knows a channel id."""
    if name in UNCONFIGURABLE_CHANNELS:
        return False
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


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _plugin_evidence(config: dict[str, Any], *ids: str) -> bool:
    """Whether the config names a plugin (plugins.allow, plugins.entries): an intent to install it."""
    wanted = {normalize_plugin_id(i) for i in ids} - {""}
    allow = _dig(config, "plugins", "allow")
    entries = _dig(config, "plugins", "entries")
    named = [*(allow if isinstance(allow, list) else []), *(entries if isinstance(entries, dict) else {})]
    return any(normalize_plugin_id(name) in wanted for name in named)


@cache
def _active_web_search() -> frozenset[str]:
    return frozenset(p for plugin in bundled_plugins() for p in plugin.get("webSearchProviderIds") or [])


def _web_search(config: dict[str, Any], issues: list[ConfigIssue], warnings: list[ConfigIssue]) -> None:
    """The provider must be one a bundled plugin serves; a missing official plugin is an error, or a
    warning when the config already names that plugin (the gateway then ignores the provider)."""
    provider = _dig(config, "tools", "web", "search", "provider")
    if not isinstance(provider, str):
        return
    path = "tools.web.search.provider"
    name = provider.strip()
    if not name:
        issues.append(ConfigIssue(path=path, message="web_search provider must not be empty"))
        return
    if name in _active_web_search():
        return
    plugin = INSTALLABLE_WEB_SEARCH.get(name)
    if plugin is not None:
        if _plugin_evidence(config, name, plugin):
            message = (
                f"web_search provider is not available: {name} "
                f'(configured plugin "{plugin}" is unavailable; Gateway will ignore this optional provider '
                "until the plugin is installed/enabled or openclaw doctor --fix repairs the config)"
            )
            warnings.append(ConfigIssue(path=path, message=message))
        else:
            message = (
                f"web_search provider is not available: {name} "
                f'(install or enable plugin "{plugin}", then run openclaw doctor --fix)'
            )
            issues.append(ConfigIssue(path=path, message=message))
        return
    known_plugin = normalize_plugin_id(name) in {p["id"] for p in bundled_plugins()}
    if not known_plugin and _plugin_evidence(config, name):
        message = (
            f"unknown web_search provider: {name} (stale web search plugin config ignored; "
            "run openclaw doctor --fix to remove stale config, or install the plugin)"
        )
        warnings.append(ConfigIssue(path=path, message=message))
    else:
        issues.append(ConfigIssue(path=path, message=f"unknown web_search provider: {name}"))


def _plugin_list(value: Any) -> list[str]:
    return (
        [normalize_plugin_id(v) for v in value if isinstance(v, str) and v.strip()]
        if isinstance(value, list)
        else []
    )


def plugin_activation(config: dict[str, Any], plugin: dict[str, Any]) -> tuple[bool, str]:
    """Whether a bundled plugin runs under this config, and OpenClaw's reason (its activation rules)."""
    plugins = config.get("plugins") if isinstance(config.get("plugins"), dict) else {}
    plugin_id = plugin["id"]
    entries = {normalize_plugin_id(k): v for k, v in (plugins.get("entries") or {}).items()}
    entry = entries.get(plugin_id) if isinstance(entries.get(plugin_id), dict) else {}
    slots = plugins.get("slots") if isinstance(plugins.get("slots"), dict) else {}
    memory_slot = slots.get("memory", DEFAULT_MEMORY_PLUGIN)
    memory_slot = (
        None if isinstance(memory_slot, str) and memory_slot.strip().lower() == "none" else memory_slot
    )
    allow = _plugin_list(plugins.get("allow"))
    channels = config.get("channels") if isinstance(config.get("channels"), dict) else {}
    flags = [
        channels[c].get("enabled") if isinstance(channels.get(c), dict) else None
        for c in (plugin.get("channelIds") or [plugin_id])
    ]
    if plugins.get("enabled") is False:
        return False, "plugins disabled"
    if plugin_id in _plugin_list(plugins.get("deny")):
        return False, "blocked by denylist"
    if entry.get("enabled") is False:
        return False, "disabled in config"
    if flags and all(flag is False for flag in flags):
        return False, "channel disabled in config"
    if memory_slot == plugin_id or slots.get("contextEngine") == plugin_id or True in flags:
        enabled = True
    elif allow and plugin_id not in allow:
        return False, "not in allowlist"
    else:
        enabled = entry.get("enabled") is True or (plugin["enabled"] and plugin_id != DEFAULT_MEMORY_PLUGIN)
        if not enabled:
            return False, "bundled (disabled by default)"
    if plugin.get("kind") == "memory":
        if memory_slot is None:
            return False, "memory slot disabled"
        if isinstance(memory_slot, str) and memory_slot != plugin_id:
            return False, f'memory slot set to "{memory_slot}"'
    return enabled, ""


def _plugins(config: dict[str, Any], issues: list[ConfigIssue], warnings: list[ConfigIssue]) -> None:
    """Each bundled plugin that runs, or has settings, gets them checked; settings of a plugin that does
    not run are a warning (they do nothing). The memory slot must name a plugin OpenClaw has."""
    plugins = config.get("plugins")
    if not isinstance(plugins, dict):
        return
    slots = plugins.get("slots") if isinstance(plugins.get("slots"), dict) else {}
    memory = slots.get("memory")
    known = {p["id"] for p in bundled_plugins()}
    if (
        isinstance(memory, str)
        and memory.strip()
        and memory.strip().lower() != "none"
        and memory not in known
    ):
        if memory == "memory-lancedb":
            message = (
                "plugin not installed: memory-lancedb — gateway will run without persistent memory until "
                "the official external plugin is installed (openclaw plugins install)"
            )
            warnings.append(ConfigIssue(path="plugins.slots.memory", message=message))
        else:
            issues.append(ConfigIssue(path="plugins.slots.memory", message=f"plugin not found: {memory}"))
    entries = {normalize_plugin_id(k): v for k, v in (plugins.get("entries") or {}).items()}
    allow = _plugin_list(plugins.get("allow"))
    for plugin in bundled_plugins():
        plugin_id = plugin["id"]
        entry = entries.get(plugin_id) if isinstance(entries.get(plugin_id), dict) else {}
        has_config = "config" in entry and entry["config"] not in (None, False, 0, "")
        enabled, reason = plugin_activation(config, plugin)
        schema = plugin_config_schema(plugin_id)
        if (enabled or has_config) and schema is not None:
            value = entry.get("config") if has_config else {}
            for rel, message in plugin_schema_issues(schema, value):
                base = f"plugins.entries.{plugin_id}.config"
                issues.append(
                    ConfigIssue(path=f"{base}.{rel}" if rel else base, message=f"invalid config: {message}")
                )
        # With an allowlist, bundled web-search plugins stay usable for compatibility: no warning.
        compat = bool(allow) and bool(plugin.get("webSearchProviderIds"))
        if not enabled and has_config and not compat:
            message = f"plugin disabled ({reason or 'disabled'}) but config is present"
            warnings.append(ConfigIssue(path=f"plugins.entries.{plugin_id}", message=message))


UNINSPECTED = (
    "Plugin load path cannot be inspected by the panel: {path}. The settings that its plugins may own "
    "(channels, providers, plugin entries) are kept unchecked."
)


def _load_paths(config: dict[str, Any]) -> list[str]:
    paths = _dig(config, "plugins", "load", "paths")
    return [p for p in paths if isinstance(p, str) and p.strip()] if isinstance(paths, list) else []


def plugin_problems(config: dict[str, Any]) -> tuple[list[ConfigIssue], list[ConfigIssue]]:
    """Return (issues, warnings) of the plugin phase for a config whose core schema passed."""
    paths = _load_paths(config)
    if paths:
        # Plugins loaded from paths may own any channel, provider or entry. OpenClaw checks them on the
        # gateway's host; the panel cannot see those files, so it keeps those settings as written.
        message = UNINSPECTED.format(path=paths[0])
        channels = config.get("channels") if isinstance(config.get("channels"), dict) else {}
        warnings = [ConfigIssue(path="plugins.load.paths", message=message)]
        warnings += [
            ConfigIssue(path=f"channels.{name}", message=message)
            for name in channels
            if name.strip() and name not in CHANNEL_SETTINGS
        ]
        return [], warnings
    issues = _channel_problems(config)
    issues += _heartbeat_targets(config)
    warnings: list[ConfigIssue] = []
    _web_search(config, issues, warnings)
    _plugins(config, issues, warnings)
    return issues, warnings
