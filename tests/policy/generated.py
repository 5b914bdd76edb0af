"""A generator of openclaw.json configs that exercise the policy engine (shared by the property test
and tools/oracle/record_generated_policy.py, which records a sample of them with the real CLI).

Configs are drawn from a `random.Random`, so a seed names a config. They aim at valid configs (no
`allow` with `alsoAllow` in one scope, a roster with explicit ownership or one marker); callers
keep only those the validator accepts.
"""

from __future__ import annotations

import random
from typing import Any

NAMES = (
    # built-ins, aliases and shipped renames
    "read", "write", "edit", "apply_patch", "exec", "process", "browser", "web_fetch", "web_search",
    "gateway", "automations", "message", "sessions_list", "memory_search", "view_image", "image",
    "canvas", "show_widget", "update_plan", "progress_card", "bash", "cron", "apply-patch", "Exec",
    # groups (group:plugins is a runtime-only group), globs
    "group:fs", "group:web", "group:runtime", "group:ui", "group:sessions", "group:plugins",
    "group:openclaw", "group:media", "web_*", "sessions_*", "*",
    # plugin tools, the bundled MCP plugin id, a channel id (default sandbox deny)
    "__some_plugin_tool__", "bundle-mcp", "jira_search", "telegram",
)  # fmt: skip
PROFILES = ("minimal", "coding", "messaging", "full")
SANDBOX_MODES = ("off", "non-main", "all")
EXEC_MODES = ("deny", "allowlist", "ask", "auto", "full")
AGENT_IDS = ("main", "ops", "work")


def _names(rng: random.Random, most: int = 4) -> list[str]:
    return rng.sample(NAMES, rng.randint(0, most))


def _lists(rng: random.Random, *, profile: bool) -> dict[str, Any]:
    """Return allow | alsoAllow (never both in one scope), deny, and maybe a profile."""
    out: dict[str, Any] = {}
    if profile and rng.random() < 0.4:
        out["profile"] = rng.choice(PROFILES)
    pick = rng.random()
    if pick < 0.3:
        out["allow"] = _names(rng)
    elif pick < 0.5:
        out["alsoAllow"] = _names(rng)
    if rng.random() < 0.4:
        out["deny"] = _names(rng, 3)
    return out


def _exec(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.5:
        return {"mode": rng.choice(EXEC_MODES)}
    out: dict[str, Any] = {}
    if rng.random() < 0.7:
        out["security"] = rng.choice(("deny", "allowlist", "full"))
    if rng.random() < 0.5:
        out["ask"] = rng.choice(("off", "on-miss", "always"))
    return out


def _tools(rng: random.Random) -> dict[str, Any]:
    out = _lists(rng, profile=True)
    if rng.random() < 0.35:
        out["sandbox"] = {"tools": _lists(rng, profile=False)}
    if rng.random() < 0.35:
        out["exec"] = _exec(rng)
    return out


def random_config(rng: random.Random) -> dict[str, Any]:
    """Return one config: global tools, 0-3 agents with their own tools and sandbox, a roster rule."""
    config: dict[str, Any] = {}
    tools = _tools(rng)
    if tools:
        config["tools"] = tools
    agents: dict[str, Any] = {}
    if rng.random() < 0.6:
        agents["defaults"] = {"sandbox": {"mode": rng.choice(SANDBOX_MODES)}}
    ids = rng.sample(AGENT_IDS, rng.randint(0, 3))
    entries: dict[str, Any] = {}
    for agent_id in ids:
        entry: dict[str, Any] = {}
        if rng.random() < 0.6:
            entry["tools"] = _tools(rng)
        if rng.random() < 0.3:
            entry["sandbox"] = {"mode": rng.choice(SANDBOX_MODES)}
        entries[agent_id] = entry
    if entries:
        agents["entries"] = entries
        if len(entries) > 1 and rng.random() < 0.5:
            entries[rng.choice(ids)]["default"] = True
        elif len(entries) > 1 or rng.random() < 0.2:
            agents["ownership"] = "explicit"
            if rng.random() < 0.5:
                agents.setdefault("defaults", {})["systemAgent"] = {"agentId": rng.choice(ids)}
    if agents:
        config["agents"] = agents
    if rng.random() < 0.1:
        config["session"] = {"scope": "global"}
    return config
