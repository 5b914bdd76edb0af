"""The rules OpenClaw's validation core checks after its schema passed (validation-core, read not copied).

They only run on configs whose shape is already valid; the schema's own cross-field rules are in
schema/refinements.py.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

from .issues import ConfigIssue


def rule_issues(config: dict[str, Any]) -> list[ConfigIssue]:
    """Return the first failing group of rules OpenClaw checks after its schema passed (it stops there)."""
    for rule in (_tailscale_bind, _tailscale_auth, _model_policy_allow):
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


_COMPAT_SELECTORS = frozenset({"openrouter:auto", "openrouter:free"})


def _segments_ok(segments: list[str]) -> bool:
    return all(s and "*" not in s and not re.search(r"[\s\x00-\x1f\x7f]", s) for s in segments)


def _model_ref_ok(raw: str, aliases: set[str]) -> bool:
    """A configured alias, an exact "provider/model" ref, or a "provider/*" prefix wildcard."""
    text = raw.strip()
    if text.lower() in aliases or text.lower() in _COMPAT_SELECTORS:
        return True
    parts = [p.strip() for p in text.split("/")]
    if parts[-1] == "*":
        return len(parts) >= 2 and _segments_ok(parts[:-1])
    return len(parts) >= 2 and _segments_ok(parts)


def _aliases(*model_maps: Any) -> set[str]:
    return {
        entry["alias"].strip().lower()
        for models in model_maps
        if isinstance(models, dict)
        for entry in models.values()
        if isinstance(entry, dict) and isinstance(entry.get("alias"), str) and entry["alias"].strip()
    }


def _model_policy_allow(config: dict[str, Any]) -> list[ConfigIssue]:
    """Model policy allowlists name models the way model references are written."""
    agents = config.get("agents") if isinstance(config.get("agents"), dict) else {}
    defaults = agents.get("defaults") if isinstance(agents.get("defaults"), dict) else {}
    scopes = [
        ("agents.defaults.modelPolicy.allow", defaults.get("modelPolicy"), _aliases(defaults.get("models")))
    ]
    entries = agents.get("entries") if isinstance(agents.get("entries"), dict) else {}
    for key, entry in entries.items():
        if isinstance(entry, dict):
            aliases = _aliases(defaults.get("models"), entry.get("models"))
            scopes.append((f"agents.entries.{key}.modelPolicy.allow", entry.get("modelPolicy"), aliases))
    found = []
    for path, policy, aliases in scopes:
        refs = policy.get("allow") if isinstance(policy, dict) else None
        for index, raw in enumerate(refs if isinstance(refs, list) else []):
            if isinstance(raw, str) and not _model_ref_ok(raw, aliases):
                written = json.dumps(raw, ensure_ascii=False)
                message = (
                    f"invalid model policy ref: {written}. Use a configured alias, an exact "
                    '"provider/model" ref, or a trailing prefix wildcard such as "provider/*" or '
                    '"provider/namespace/*".'
                )
                found.append(ConfigIssue(path=f"{path}.{index}", message=message))
    return found
