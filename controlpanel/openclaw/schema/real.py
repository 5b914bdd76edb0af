"""The real OpenClaw 2026.9.6 config schema, as `openclaw config schema` prints it (a recorded fixture).

The JSON Schema is zod's own export of OpenClaw's validator (input mode), with each bundled channel's and
plugin's schema merged in. It is the one source of the config's shape here: the validators in zod.py and
typebox.py interpret it, the editor and forms can ask it what a path accepts. Regenerate both files with
``tools/oracle/record_openclaw.py schema``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

VERSION = "2026.9.6"
_HERE = Path(__file__).resolve().parent

Node = dict[str, Any]


@cache
def root_schema() -> Node:
    """Return the whole recorded schema (loaded once per process)."""
    return json.loads((_HERE / f"openclaw-{VERSION}.schema.json").read_text())


@cache
def bundled_plugins() -> tuple[dict[str, Any], ...]:
    """Return the bundled plugins: id, enabled (by default), kind, channelIds, webSearchProviderIds..."""
    return tuple(json.loads((_HERE / f"openclaw-{VERSION}.plugins.json").read_text()))


def object_branch(node: Node) -> Node:
    """Return the object form of a node (a union's first branch that has properties)."""
    if "properties" in node:
        return node
    for branch in node.get("anyOf", []) + node.get("oneOf", []):
        if isinstance(branch, dict) and "properties" in branch:
            return branch
    return node


def child(node: Node, part: str) -> Node:
    """Return the schema of one step below node: a property, or ``*`` (any map key), or ``[]`` (items)."""
    node = object_branch(node)
    if part == "[]":
        items = node.get("items")
        return items if isinstance(items, dict) else {}
    if part != "*" and part in node.get("properties", {}):
        return node["properties"][part]
    extra = node.get("additionalProperties")
    return extra if isinstance(extra, dict) else {}


def node_at(path: str) -> Node:
    """Return the schema at a dotted path ("gateway.auth", "agents.entries.*.tools", "bindings.[]")."""
    node = root_schema()
    for part in filter(None, path.split(".")):
        node = child(node, part)
    return node


def keys_at(path: str) -> tuple[str, ...]:
    """Return the keys the schema names for the object at path (empty when it names none)."""
    return tuple(object_branch(node_at(path)).get("properties", {}))


@cache
def channel_ids() -> tuple[str, ...]:
    """Return the channels the bundled schema knows (not the settings shared by all: defaults...)."""
    return tuple(key for key in keys_at("channels") if key not in CHANNEL_SETTINGS)


# Keys of ``channels`` that are settings for all channels, validated by the core schema.
CHANNEL_SETTINGS = frozenset({"defaults", "modelByChannel"})


@cache
def channel_keys() -> frozenset[str]:
    """Every key any channel's root accepts (to recognise channel settings written in the wrong place)."""
    return frozenset(key for name in channel_ids() for key in keys_at(f"channels.{name}"))
