"""The openclaw.json schema: OpenClaw 2026.9.6's own (recorded by `openclaw config schema`), interpreted as
OpenClaw interprets it.

Two validators read the one recorded schema, as in OpenClaw:

- the core (zod.py): everything but the channels' and plugins' own settings, with zod's semantics and
  wording, plus the cross-field rules of refinements.py;
- each channel's and plugin's settings (typebox.py), checked with that plugin's JSON Schema once the core
  passed, worded "invalid config: ...".
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ..issues import ConfigIssue
from .real import CHANNEL_SETTINGS, channel_ids, channel_keys, keys_at, node_at, root_schema
from .refinements import rules
from .typebox import plugin_schema_issues
from .zod import ZodChecker, config_issues

# Top-level sections the panel's pages, policy and audit read; the others are validated against the
# real schema like the rest but only kept and exported as written.
MODELED_SECTIONS = frozenset(
    {
        "gateway",
        "tools",
        "agents",
        "channels",
        "session",
        "discovery",
        "logging",
        "plugins",
        "commands",
        "skills",
        "browser",
        "hooks",
        "env",
    }
)


@cache
def core_schema() -> dict[str, Any]:
    """The root schema as zod sees it: channels and plugin settings are opaque there (checked later)."""
    root = dict(root_schema())
    properties = dict(root["properties"])
    channels = properties["channels"]
    properties["channels"] = {
        "type": "object",
        "properties": {key: channels["properties"][key] for key in CHANNEL_SETTINGS},
        "additionalProperties": {},
    }
    plugins = dict(properties["plugins"])
    plugin_props = dict(plugins["properties"])
    entries = {k: v for k, v in plugin_props["entries"].items() if k != "properties"}
    entry = dict(entries["additionalProperties"])
    entry["properties"] = {
        **entry["properties"],
        "config": {"type": "object", "propertyNames": {"type": "string"}},
    }
    entries["additionalProperties"] = entry
    plugin_props["entries"] = entries
    plugins["properties"] = plugin_props
    properties["plugins"] = plugins
    root["properties"] = properties
    return root


@cache
def _checker() -> ZodChecker:
    return ZodChecker(rules())


def core_issues(config: dict[str, Any]) -> list[ConfigIssue]:
    """Return the issues OpenClaw's zod schema finds in a config (agents.list already moved to entries)."""
    return config_issues(_checker().check(core_schema(), config))


def channel_issues(name: str, data: Any) -> list[tuple[str, str]]:
    """Return (relative path or "", message) pairs for one channel, worded as the CLI words them."""
    if name in CHANNEL_SETTINGS:
        return []
    if name not in channel_ids():
        # The CLI knows the bundled channels and those of installed plugins; the panel knows the former.
        return [("", f"unknown channel id: {name}")]
    schema = node_at(f"channels.{name}")
    return [(path, f"invalid config: {message}") for path, message in plugin_schema_issues(schema, data)]


def plugin_config_schema(plugin_id: str) -> dict[str, Any] | None:
    """The JSON Schema of a bundled plugin's ``config`` (None when the plugin is not bundled)."""
    entry = (
        root_schema()["properties"]["plugins"]["properties"]["entries"].get("properties", {}).get(plugin_id)
    )
    if not isinstance(entry, dict):
        return None
    config = entry.get("properties", {}).get("config")
    return config if isinstance(config, dict) else None


def unmodeled_keys(raw: dict[str, Any]) -> list[str]:
    """Return the top-level sections the panel keeps verbatim without reading them ("models", "cron")."""
    return [key for key in raw if key not in MODELED_SECTIONS]


__all__ = [
    "MODELED_SECTIONS",
    "channel_ids",
    "channel_issues",
    "channel_keys",
    "core_issues",
    "keys_at",
    "node_at",
    "plugin_config_schema",
    "root_schema",
    "unmodeled_keys",
]
