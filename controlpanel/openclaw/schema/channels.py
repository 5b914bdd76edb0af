"""The ``channels`` section: who may DM or add the agent on each messaging channel.

The real CLI validates channels with each channel plugin's JSON schema (Ajv wording: "invalid config: must
be boolean") and only after the core schema passed. Each channel has its own key set (generated table);
the keys the panel reasons about are typed here, the rest are accepted as-is.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from .base import _quoted, union
from .known_keys import CHANNEL_GROUP_KEYS, CHANNEL_KEYS

DM_POLICIES = ("pairing", "allowlist", "open", "disabled")
GROUP_POLICIES = ("open", "disabled", "allowlist")


def _ajv_enum(values: tuple[str, ...]) -> str:
    return (
        "invalid config: must be equal to one of the allowed values (allowed: "
        + ", ".join(_quoted(values))
        + ")"
    )


class _ChannelPart(BaseModel):
    """Channel objects as the panel reads them; validation proper is channel_issues() below."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)


class ChannelGroup(_ChannelPart):
    """One entry of ``channels.<name>.groups``."""

    requireMention: bool | None = None
    enabled: bool | None = None
    allowFrom: list[union(str, int)] | None = None
    groupPolicy: str | None = None


class ChannelConfig(_ChannelPart):
    """One messaging channel (whatsapp, telegram, slack, ...)."""

    enabled: bool | None = None
    dmPolicy: str | None = None
    allowFrom: list[union(str, int)] | None = None
    groupPolicy: str | None = None
    groupAllowFrom: list[union(str, int)] | None = None
    groups: dict[str, ChannelGroup] | None = None
    execApprovals: Any = None


# Keys of ``channels`` that are settings for all channels, not channels.
PSEUDO_CHANNELS = frozenset({"defaults", "modelByChannel"})


def channel_issues(name: str, data: Any) -> list[tuple[str, str]]:
    """Return (relative path, message) pairs for one channel, in the real validator's Ajv wording."""
    if name in PSEUDO_CHANNELS:
        return []
    if name not in CHANNEL_KEYS:
        # The CLI knows the bundled channels and those of installed plugins; the panel knows the former.
        return [("", f"unknown channel id: {name}")]
    if not isinstance(data, dict):
        return [("", "invalid config: must be object")]
    found: list[tuple[str, str]] = []
    known = CHANNEL_KEYS.get(name)
    if known is not None:
        unknown = [key for key in data if key not in known]
        if unknown:
            names = ", ".join(f'"{key}"' for key in unknown)
            found.append(("", "invalid config: must not have additional properties: " + names))
    found += _check_common(data, "")
    groups = data.get("groups")
    if isinstance(groups, dict):
        for group_id, group in groups.items():
            found += _group_issues(name, f"groups.{group_id}", group)
    elif groups is not None:
        found.append(("groups", "invalid config: must be object"))
    return found


def _group_issues(name: str, at: str, group: Any) -> list[tuple[str, str]]:
    if not isinstance(group, dict):
        return [(at, "invalid config: must be object")]
    found: list[tuple[str, str]] = []
    known = CHANNEL_GROUP_KEYS.get(name)
    if known is not None:
        unknown = [key for key in group if key not in known]
        if unknown:
            names = ", ".join(f'"{key}"' for key in unknown)
            found.append((at, "invalid config: must not have additional properties: " + names))
    found += _check_common(group, at + ".")
    if "requireMention" in group and not isinstance(group["requireMention"], bool):
        found.append((at + ".requireMention", "invalid config: must be boolean"))
    return found


def _check_common(data: dict[str, Any], prefix: str) -> list[tuple[str, str]]:
    """Check the policy keys shared by channels and groups."""
    found: list[tuple[str, str]] = []
    if "enabled" in data and not isinstance(data["enabled"], bool):
        found.append((prefix + "enabled", "invalid config: must be boolean"))
    if "dmPolicy" in data and data["dmPolicy"] not in DM_POLICIES:
        found.append((prefix + "dmPolicy", _ajv_enum(DM_POLICIES)))
    if "groupPolicy" in data and data["groupPolicy"] not in GROUP_POLICIES:
        found.append((prefix + "groupPolicy", _ajv_enum(GROUP_POLICIES)))
    for key in ("allowFrom", "groupAllowFrom"):
        if key in data and not isinstance(data[key], list):
            found.append((prefix + key, "invalid config: must be array"))
    return found
