"""Cross-field rules of the real validator (zod superRefine and validation-core checks, read not copied).

They only run on configs whose shape is already valid, as in OpenClaw.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from .issues import ConfigIssue

_ALLOW_BOTH = (
    "cannot set both allow and alsoAllow in the same scope "
    "(merge alsoAllow into allow, or remove allow and use profile + alsoAllow)"
)


def rule_issues(config: dict[str, Any]) -> list[ConfigIssue]:
    """Return the cross-field issues of a shape-valid config."""
    return [
        *_allow_also_allow(config),
        *_tailscale_bind(config),
        *_tailscale_auth(config),
        *_browser_profiles(config),
    ]


def _both(policy: Any) -> bool:
    """True when a tool policy sets non-empty allow and alsoAllow together."""
    return isinstance(policy, dict) and bool(policy.get("allow")) and bool(policy.get("alsoAllow"))


def _allow_also_allow(config: dict[str, Any]) -> list[ConfigIssue]:
    found: list[ConfigIssue] = []
    tools = config.get("tools")
    if _both(tools):
        found.append(ConfigIssue(path="tools", message=f"tools {_ALLOW_BOTH}"))
    entries = (config.get("agents") or {}).get("entries") or {}
    for agent_id, entry in entries.items():
        agent_tools = entry.get("tools") if isinstance(entry, dict) else None
        if _both(agent_tools):
            found.append(
                ConfigIssue(path=f"agents.entries.{agent_id}.tools", message=f"agent tools {_ALLOW_BOTH}")
            )
        sandbox_tools = ((agent_tools or {}).get("sandbox") or {}).get("tools")
        if _both(sandbox_tools):
            path = f"agents.entries.{agent_id}.tools.sandbox.tools"
            found.append(ConfigIssue(path=path, message=f"tools policy {_ALLOW_BOTH}"))
    return found


def _is_loopback(host: Any) -> bool:
    try:
        return isinstance(host, str) and ipaddress.IPv4Address(host).is_loopback
    except ValueError:
        return False


def _tailscale_bind(config: dict[str, Any]) -> list[ConfigIssue]:
    """Tailscale serve/funnel proxy to loopback, so the gateway must listen there."""
    gateway = config.get("gateway") or {}
    mode = (gateway.get("tailscale") or {}).get("mode", "off")
    if mode not in ("serve", "funnel"):
        return []
    bind = gateway.get("bind", "loopback")
    if bind == "loopback" or (bind == "custom" and _is_loopback(gateway.get("customBindHost"))):
        return []
    message = (
        f"gateway.bind must resolve to loopback when gateway.tailscale.mode={mode} "
        '(use gateway.bind="loopback" or gateway.bind="custom" with gateway.customBindHost="127.0.0.1")'
    )
    return [ConfigIssue(path="gateway.bind", message=message)]


def _tailscale_auth(config: dict[str, Any]) -> list[ConfigIssue]:
    """Exposing the gateway through Tailscale with auth.mode=none is refused."""
    gateway = config.get("gateway") or {}
    mode = (gateway.get("tailscale") or {}).get("mode", "off")
    if (gateway.get("auth") or {}).get("mode") != "none" or mode not in ("serve", "funnel"):
        return []
    if mode == "funnel":
        message = (
            "gateway.tailscale.mode=funnel requires gateway.auth.mode=password; auth.mode=none cannot be "
            "used when exposing the gateway through Tailscale Funnel"
        )
    else:
        message = (
            f"gateway.auth.mode=none cannot be used with gateway.tailscale.mode={mode}; configure token, "
            "password, or trusted-proxy auth before exposing the gateway through Tailscale"
        )
    return [ConfigIssue(path="gateway.auth.mode", message=message)]


def _browser_profiles(config: dict[str, Any]) -> list[ConfigIssue]:
    profiles = (config.get("browser") or {}).get("profiles") or {}
    return [
        ConfigIssue(path=f"browser.profiles.{name}", message="Profile must set cdpPort or cdpUrl")
        for name, profile in profiles.items()
        if isinstance(profile, dict)
        and "cdpPort" not in profile
        and "cdpUrl" not in profile
        and profile.get("driver") not in ("existing-session", "extension")
    ]
