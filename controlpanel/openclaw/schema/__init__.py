"""pydantic models of openclaw.json (OpenClaw 2026.9.6)."""

from typing import Any

from .base import TYPED_KEYS
from .channels import ChannelConfig, ChannelGroup, channel_issues
from .root import MODELED_SECTIONS, OpenClawConfig


def unmodeled_keys(raw: dict[str, Any]) -> list[str]:
    """Return the dotted paths of keys the panel keeps verbatim without typing them.

    Top-level sections come first ("models"), then keys inside modeled sections ("gateway.remote").
    """
    found: list[str] = []
    for schema_path in sorted(TYPED_KEYS, key=lambda p: (p.count("."), p)):
        for at, node in _objects_at(raw, schema_path.split(".") if schema_path else []):
            found += [".".join((*at, key)) for key in node if key not in TYPED_KEYS[schema_path]]
    return found


def _objects_at(node: Any, parts: list[str], at: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], dict]]:
    """Return (concrete path, object) for every object matching a schema path ("*" = any key)."""
    if not isinstance(node, dict):
        return []
    if not parts:
        return [(at, node)]
    head, rest = parts[0], parts[1:]
    keys = list(node) if head == "*" else [head] if head in node else []
    return [found for key in keys for found in _objects_at(node[key], rest, (*at, key))]


__all__ = [
    "MODELED_SECTIONS",
    "ChannelConfig",
    "ChannelGroup",
    "OpenClawConfig",
    "channel_issues",
    "unmodeled_keys",
]
