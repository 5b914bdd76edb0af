"""Warnings `openclaw config validate` prints for configs that are valid but will not behave as meant
(validation-core and the channel DM-access helpers, read not copied)."""

from __future__ import annotations

from typing import Any

from .issues import ConfigIssue


def heartbeat_warnings(resolved: dict[str, Any], default_id: str | None) -> list[ConfigIssue]:
    """With several agents and nobody owning the ambient heartbeat, heartbeats stay off (the CLI warns)."""
    agents = resolved.get("agents") if isinstance(resolved.get("agents"), dict) else {}
    defaults = agents.get("defaults") if isinstance(agents.get("defaults"), dict) else {}
    entries = agents.get("entries") if isinstance(agents.get("entries"), dict) else {}
    if len(entries) < 2 or default_id or defaults.get("heartbeat"):
        return []
    if any(isinstance(entry, dict) and entry.get("heartbeat") for entry in entries.values()):
        return []
    system_agent = defaults.get("systemAgent")
    if isinstance(system_agent, dict) and system_agent.get("agentId"):
        return []
    message = (
        "Multi-agent config has no ambient heartbeat owner; heartbeats stay disabled until "
        "agents.defaults.heartbeat.agentId or agents.defaults.systemAgent.agentId is set."
    )
    return [ConfigIssue(path="agents.defaults.heartbeat.agentId", message=message)]


_NOT_CHANNELS = frozenset({"defaults", "modelByChannel", "tools"})
_DM_POLICIES = frozenset({"pairing", "allowlist", "open", "disabled"})


def _read(entry: Any, top: str, nested: str) -> Any:
    """A DM setting: the canonical top-level key, else the legacy ``dm.<key>`` alias."""
    if not isinstance(entry, dict):
        return None
    if entry.get(top) is not None:
        return entry[top]
    dm = entry.get("dm")
    return dm.get(nested) if isinstance(dm, dict) else None


def _violation(policy: Any, allow_from: Any) -> str | None:
    allowed = [str(v).strip() for v in allow_from] if isinstance(allow_from, list) else []
    allowed = [v for v in allowed if v]
    if policy == "open" and "*" not in allowed:
        return "open"
    if policy == "allowlist" and not allowed:
        return "allowlist"
    return None


def _message(channel: str, account: str | None, violation: str, inherited: bool) -> ConfigIssue:
    base = f"channels.{channel}"
    scope = f"{base}.accounts.{account}" if account else base
    path = f"{scope}.allowFrom"
    subject = f"{path} is unset and {base}.allowFrom" if inherited else path
    also = f" or {base}.allowFrom" if inherited else ""
    override = f", remove {path} to inherit {base}.allowFrom," if account and not inherited else ""
    if violation == "open":
        text = (
            f'{scope}.dmPolicy="open" but {subject} does not include "*"; all DMs will be dropped. '
            f'Add "*" to {path}{also}{override} or set {scope}.dmPolicy to "pairing"/"allowlist".'
        )
    else:
        text = (
            f'{scope}.dmPolicy="allowlist" but {subject} is empty; all DMs will be dropped. '
            f"Add at least one sender ID to {path}{also}{override} or change {scope}.dmPolicy."
        )
    return ConfigIssue(path=path, message=text)


def dm_policy_warnings(resolved: dict[str, Any]) -> list[ConfigIssue]:
    """Channels and accounts whose DM policy drops every DM (an account inherits its channel's lists)."""
    channels = resolved.get("channels")
    found: list[ConfigIssue] = []
    if not isinstance(channels, dict):
        return found
    for name, channel in channels.items():
        if name in _NOT_CHANNELS or not isinstance(channel, dict) or channel.get("enabled") is False:
            continue
        policy = _read(channel, "dmPolicy", "policy")
        violation = _violation(
            policy if policy in _DM_POLICIES else None, _read(channel, "allowFrom", "allowFrom")
        )
        if violation:
            found.append(_message(name, None, violation, inherited=False))
        accounts = channel.get("accounts")
        for account_id, account in accounts.items() if isinstance(accounts, dict) else []:
            if not isinstance(account, dict) or account.get("enabled") is False:
                continue
            policy = _read(account, "dmPolicy", "policy") or _read(channel, "dmPolicy", "policy")
            own = _read(account, "allowFrom", "allowFrom")
            allow_from = own if own is not None else _read(channel, "allowFrom", "allowFrom")
            violation = _violation(policy if policy in _DM_POLICIES else None, allow_from)
            if violation:
                found.append(_message(name, account_id, violation, inherited=own is None))
    return found
