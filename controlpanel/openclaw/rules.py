"""The rules OpenClaw's validation core checks after its schema passed (validation-core, read not copied).

They only run on configs whose shape is already valid; the schema's own cross-field rules are in
schema/refinements.py.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from .issues import ConfigIssue


def rule_issues(config: dict[str, Any]) -> list[ConfigIssue]:
    """Return the first failing group of rules OpenClaw checks after its schema passed (it stops there)."""
    for rule in (_tailscale_bind, _tailscale_auth):
        found = rule(config)
        if found:
            return found
    return []


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
