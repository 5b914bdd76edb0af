"""Tool policy evaluation as the gateway does it for audit purposes.

Profiles and groups are reference data read off openclaw@2026.9.6 (its tool catalogue);
matching rules: deny wins, an empty allow list allows everything not denied, `*` globs,
`group:<name>` expands, `bash` is an alias of `exec`, and allowing `write` allows
`apply_patch`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

Policy = tuple[tuple[str, ...] | None, tuple[str, ...]]  # (allow or None, deny)

_GROUPS: dict[str, tuple[str, ...]] = {
    "group:fs": ("ls", "read", "write", "edit", "apply_patch"),
    "group:runtime": ("exec", "process", "code_execution", "secrets"),
    "group:web": ("web_search", "web_fetch", "x_search"),
    "group:memory": ("memory_search", "memory_get"),
    "group:sessions": (
        "sessions", "sessions_list", "sessions_history", "sessions_search",
        "conversations_list", "conversations_send", "conversations_turn", "sessions_send",
        "sessions_spawn", "github_identity_status", "github_publish", "agents_wait",
        "sessions_yield", "subagents", "session_status", "suggest_task", "dismiss_task",
    ),
    "group:ui": (
        "browser", "screen", "theme", "dashboard", "terminal", "portal", "canvas", "show_widget",
    ),
    "group:messaging": ("message",),
    "group:automation": ("heartbeat_respond", "automations", "gateway", "plugins", "openclaw"),
    "group:nodes": ("nodes", "computer", "mobile_ui"),
    "group:agents": (
        "agents_list", "get_goal", "create_goal", "update_goal", "progress_card", "ask_user",
        "skill_workshop",
    ),
    "group:media": ("view_image", "image_generate", "music_generate", "video_generate", "tts", "pdf"),
}  # fmt: skip
_GROUPS["group:openclaw"] = tuple(
    t
    for g in (
        "group:runtime", "group:web", "group:memory", "group:sessions", "group:ui",
        "group:messaging", "group:automation", "group:nodes", "group:agents", "group:media",
    )
    for t in _GROUPS[g]
    if t not in ("exec", "process", "canvas")
)  # fmt: skip

PROFILES: dict[str, tuple[str, ...]] = {
    "minimal": ("session_status", "gateway"),
    "coding": (
        *_GROUPS["group:fs"], *_GROUPS["group:runtime"], *_GROUPS["group:web"],
        *_GROUPS["group:memory"], *_GROUPS["group:sessions"],
        "screen", "theme", "dashboard", "terminal", "portal", "automations", "gateway", "plugins",
        "get_goal", "create_goal", "update_goal", "progress_card", "ask_user", "skill_workshop",
        "view_image", "image_generate", "music_generate", "video_generate", "bundle-mcp",
    ),
    "messaging": (
        "secrets", "sessions", "sessions_list", "sessions_history", "sessions_search",
        "conversations_list", "conversations_send", "conversations_turn", "sessions_send",
        "sessions_spawn", "sessions_yield", "subagents", "session_status", "theme", "message",
        "gateway", "ask_user", "bundle-mcp",
    ),
    "full": ("*",),
}  # fmt: skip

SANDBOX_DEFAULT_ALLOW = (
    "exec", "process", "read", "ls", "write", "edit", "apply_patch", "view_image",
    "sessions_list", "sessions_history", "sessions_search", "sessions_send", "sessions_spawn",
    "sessions_yield", "subagents", "session_status",
)  # fmt: skip
SANDBOX_DEFAULT_DENY = (
    "browser", "canvas", "computer", "mobile_ui", "nodes", "automations", "gateway",
    "feishu", "googlechat", "nostr", "buzz", "msteams", "mattermost", "nextcloud-talk", "matrix",
    "raft", "a2a", "line", "zalo", "clickclack", "zalouser", "sms", "synology-chat", "tlon",
    "discord", "imessage", "irc", "reef", "signal", "slack", "telegram", "twitch", "whatsapp",
)  # fmt: skip

_ALIASES = {"bash": "exec", "apply-patch": "apply_patch", "cron": "automations"}


def normalize_tool(name: str) -> str:
    """Return the policy id of a tool name (lowercased, aliases resolved)."""
    lowered = name.strip().lower()
    return _ALIASES.get(lowered, lowered)


def _str_list(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        return None
    return tuple(v for v in value if isinstance(v, str))


def pick_policy(tools: Mapping[str, Any] | None) -> Policy | None:
    """Return the (allow, deny) of a tools section (allow/alsoAllow/deny), or None."""
    if not isinstance(tools, dict):
        return None
    allow = _str_list(tools.get("allow"))
    also = _str_list(tools.get("alsoAllow")) or ()
    deny = _str_list(tools.get("deny"))
    if allow is not None:
        # alsoAllow widens an explicit allow list; on an empty one it means "all plus".
        allow = tuple(dict.fromkeys((*allow, *also))) if allow else (("*", *also) if also else ())
    elif also:
        allow = ("*", *also)
    if allow is None and deny is None:
        return None
    return (allow, deny or ())


def profile_policy(profile: Any, also_allow: Sequence[str] | None) -> Policy | None:
    """Return the policy of a named profile (None for unknown/absent profiles)."""
    if not isinstance(profile, str) or profile not in PROFILES:
        return None
    allow = PROFILES[profile]
    if also_allow:
        allow = tuple(dict.fromkeys((*allow, *also_allow)))
    return (allow, ())


@lru_cache(maxsize=4096)
def _compile(patterns: tuple[str, ...]) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    # Cached per distinct pattern list: typical configs reuse a handful of lists, so
    # regexes are compiled once per process, not per audit.
    exact: set[str] = set()
    globs: list[re.Pattern[str]] = []
    for raw in patterns:
        name = normalize_tool(raw)
        if not name:
            continue
        for item in _GROUPS.get(name, (name,)):
            if "*" in item:
                globs.append(re.compile("^" + ".*".join(map(re.escape, item.split("*"))) + "$"))
            else:
                exact.add(item)
    return frozenset(exact), tuple(globs)


def _matches(name: str, compiled: tuple[frozenset[str], tuple[re.Pattern[str], ...]]) -> bool:
    exact, globs = compiled
    return name in exact or any(g.match(name) for g in globs)


@lru_cache(maxsize=8192)
def allowed_subset(tools: tuple[str, ...], policies: tuple[Policy, ...]) -> tuple[str, ...]:
    """Return the members of `tools` that every policy lets through (memoised).

    Policies are tuples, so the same question asked by many audits (most configs share a
    few policy shapes) is answered from the cache.
    """
    return tuple(t for t in tools if allowed(t, policies))


def allowed(tool: str, policies: Iterable[Policy]) -> bool:
    """Return True when every policy lets `tool` through."""
    name = normalize_tool(tool)
    for allow, deny in policies:
        if deny and _matches(name, _compile(deny)):
            return False
        if not allow:
            continue
        compiled = _compile(allow)
        if _matches(name, compiled):
            continue
        if name == "apply_patch" and _matches("write", compiled):
            continue
        return False
    return True
