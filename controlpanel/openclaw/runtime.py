"""The config as a running OpenClaw sees it, where that differs from the file: what the audit and the
policy must read (OpenClaw's runtime config materialisation and secret resolution, read not copied).

- A channel whose plugin OpenClaw bundles (Telegram, A2A, Reef) gets its schema's defaults filled in
  (Telegram's groupPolicy "allowlist"); the other channels' plugins are installed on demand, so their
  settings stay as written (a WhatsApp, Slack or Discord channel without groupPolicy has none).
- A credential still holding an unset ``${VAR}`` reference is no credential: OpenClaw keeps the text
  for the file but resolves nothing from it (``gateway.auth.token: "${OPENCLAW_GATEWAY_TOKEN}"`` with the
  variable unset leaves the gateway without a token).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from .envsubst import EnvRef, substitute_string
from .schema import node_at
from .schema.real import bundled_plugins
from .schema.typebox import with_defaults


@cache
def bundled_channels() -> frozenset[str]:
    """Channels whose plugin is bundled with OpenClaw (their settings are checked and defaulted at load)."""
    return frozenset(c for plugin in bundled_plugins() for c in plugin.get("channelIds") or [])


def runtime_channel(name: str, settings: Any) -> Any:
    """One channel's settings as the running gateway holds them."""
    if name not in bundled_channels() or not isinstance(settings, dict):
        return settings
    return with_defaults(node_at(f"channels.{name}"), settings)


def runtime_channels(config: Mapping[str, Any]) -> dict[str, Any]:
    """The channels section as the running gateway holds it."""
    channels = config.get("channels")
    if not isinstance(channels, Mapping):
        return {}
    return {name: runtime_channel(name, settings) for name, settings in channels.items()}


def unresolved_reference(value: Any, env: Mapping[str, str]) -> bool:
    """Whether a config string still holds a ``${VAR}`` reference to a variable unset (or empty) in env."""
    if not isinstance(value, str) or "${" not in value:
        return False
    refs: list[EnvRef] = []
    substitute_string(value, env, "", refs)
    return any(not ref.resolved for ref in refs)
