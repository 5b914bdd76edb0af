"""Legacy config forms that OpenClaw 2026.9.6 refuses (the silently migrated agents.list: roster.py).

Refused (the validator says ``Unrecognized key``): forms from older releases that the seed documents
still show. For each we give a hint and, where a current form exists, a rewrite like
``openclaw doctor --fix`` (see tests/fixtures/openclaw/configs/legacy_*.doctor.json5 for what doctor did).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

# Seed 002's tools.exec.approvals.policy -> current (tools.exec.security, tools.exec.ask).
# Checked against the real 2026.9.6 CLI: security decides what may run at all (deny | allowlist | full),
# ask decides when a human is asked (off | on-miss | always); `openclaw exec-policy show --json` reports the
# defaults full + off, and `openclaw exec-policy preset` defines "cautious" = allowlist + on-miss and
# "yolo" = full + off (src/cli/exec-policy-cli.ts).
#   "allowlist": run allowlisted commands, ask for anything else   -> allowlist + on-miss ("cautious")
#   "always":    ask a human for every command                     -> allowlist + always
#   "never":     never ask (approvals effectively off)             -> full + off (the defaults, "yolo")
# The seed's allowlist entries live in the host approvals store (`openclaw approvals allowlist add`).
EXEC_APPROVAL_POLICY: dict[str, tuple[str, str]] = {
    "allowlist": ("allowlist", "on-miss"),
    "always": ("allowlist", "always"),
    "never": ("full", "off"),
}

# Seed 002's per-agent sandbox.network -> sandbox.docker.network (Docker network names).
SANDBOX_NETWORK = {"none": "none", "full": "bridge", "restricted": "none"}


@dataclass(frozen=True)
class LegacyFinding:
    """A refused legacy key: its parent path, the key, a hint, and whether a rewrite exists."""

    parent: tuple[str, ...]
    key: str
    hint: str
    fix: Callable[[dict[str, Any], list[str]], None]
    # The path the validator's issue names, when it is not the parent (cross-field rules).
    issue_path: str | None = None

    @property
    def reported_at(self) -> str:
        """Return the issue path this finding explains."""
        return self.issue_path or ".".join(self.parent)


def _agent_scopes(config: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """Yield (path, agent dict) for agents.defaults, each agents.entries.* and each agents.list[i]."""
    agents = config.get("agents")
    if not isinstance(agents, dict):
        return
    if isinstance(agents.get("defaults"), dict):
        yield ("agents", "defaults"), agents["defaults"]
    if isinstance(agents.get("entries"), dict):
        for agent_id, entry in agents["entries"].items():
            if isinstance(entry, dict):
                yield ("agents", "entries", agent_id), entry
    if isinstance(agents.get("list"), list):
        for i, entry in enumerate(agents["list"]):
            if isinstance(entry, dict):
                yield ("agents", "list", str(i)), entry


def find_legacy(config: dict[str, Any]) -> list[LegacyFinding]:
    """Return every refused legacy key of config, each with its hint and rewrite."""
    found: list[LegacyFinding] = []
    exec_scopes = [(("tools", "exec"), _dig(config, "tools", "exec"))]
    for path, agent in _agent_scopes(config):
        exec_scopes.append(((*path, "tools", "exec"), _dig(agent, "tools", "exec")))
        sandbox = agent.get("sandbox")
        if isinstance(sandbox, dict):
            for key in ("enabled", "network", "tools"):
                if key in sandbox:
                    found.append(_sandbox_finding((*path, "sandbox"), key))
    for path, exec_cfg in exec_scopes:
        if isinstance(exec_cfg, dict) and "approvals" in exec_cfg:
            found.append(
                LegacyFinding(
                    path,
                    "approvals",
                    "tools.exec.approvals was replaced by tools.exec.security/ask; run the migration",
                    _fix_exec_approvals(path),
                )
            )
    if isinstance(_dig(config, "logging"), dict) and "redactSensitive" in config["logging"]:
        found.append(
            LegacyFinding(
                ("logging",),
                "redactSensitive",
                "logging.redactSensitive was removed: redaction is always on; "
                "add extra patterns with logging.redactPatterns",
                _drop(("logging",), "redactSensitive"),
            )
        )
    if isinstance(_dig(config, "logging"), dict) and "events" in config["logging"]:
        found.append(
            LegacyFinding(
                ("logging",),
                "events",
                "logging.events was removed: security events (sessions, tool runs, approvals) are always "
                "logged; tune verbosity with logging.level",
                _drop(("logging",), "events"),
            )
        )
    defaults = _dig(config, "agents", "defaults")
    if isinstance(defaults, dict) and "memorySearch" in defaults:
        found.append(
            LegacyFinding(
                ("agents", "defaults"),
                "memorySearch",
                "agents.defaults.memorySearch moved to memory.search; run the migration",
                _fix_memory_search,
            )
        )
    found += _roster_findings(config)
    profiles = _dig(config, "browser", "profiles")
    for name, profile in (profiles or {}).items() if isinstance(profiles, dict) else ():
        if isinstance(profile, dict) and "color" in profile:
            found.append(
                LegacyFinding(
                    ("browser", "profiles", name),
                    "color",
                    "browser profile colors were removed in 2026.x (the profile name identifies it)",
                    _drop(("browser", "profiles", name), "color"),
                )
            )
    control_ui = _dig(config, "gateway", "controlUi")
    if isinstance(control_ui, dict) and "allowInsecureAuth" in control_ui:
        found.append(
            LegacyFinding(
                ("gateway", "controlUi"),
                "allowInsecureAuth",
                "gateway.controlUi.allowInsecureAuth was removed: the Control UI needs a secure context "
                "(HTTPS or localhost) and device pairing; serve it over Tailscale Serve or localhost",
                _drop(("gateway", "controlUi"), "allowInsecureAuth"),
            )
        )
    return found


def _fix_memory_search(config: dict[str, Any], changes: list[str]) -> None:
    """Move memorySearch keys that still exist to memory.search; drop the ones that do not."""
    from .schema import keys_at

    legacy = config["agents"]["defaults"].pop("memorySearch")
    legacy = legacy if isinstance(legacy, dict) else {}
    current = set(keys_at("memory.search"))
    kept = {k: v for k, v in legacy.items() if k in current}
    dropped = sorted(k for k in legacy if k not in current)
    if kept:
        config.setdefault("memory", {}).setdefault("search", {}).update(kept)
        changes.append(f"Moved agents.defaults.memorySearch ({', '.join(kept)}) to memory.search.")
    if dropped:
        changes.append(
            f"Removed agents.defaults.memorySearch.{', '.join(dropped)}: no 2026.9.6 equivalent "
            "(memory is loaded in the main session only, by default)."
        )


def _roster_findings(config: dict[str, Any]) -> list[LegacyFinding]:
    """Older releases made the first listed agent the default; 2026.9.6 wants it said explicitly."""
    agents = _dig(config, "agents")
    if not isinstance(agents, dict) or "ownership" in agents:
        return []
    roster = agents.get("list") if isinstance(agents.get("list"), list) else agents.get("entries")
    items = list(roster.values()) if isinstance(roster, dict) else roster
    if not isinstance(items, list) or len(items) < 2 or not all(isinstance(i, dict) for i in items):
        return []
    if any(item.get("default") is True for item in items):
        return []
    return [
        LegacyFinding(
            ("agents",),
            "ownership",
            "older releases made the first agent the default: mark it with default: true "
            '(the migration does) or set agents.ownership="explicit"',
            _fix_first_default,
            issue_path="agents.ownership",
        )
    ]


def _fix_first_default(config: dict[str, Any], changes: list[str]) -> None:
    agents = config["agents"]
    roster = agents["list"] if isinstance(agents.get("list"), list) else agents["entries"]
    first = roster[0] if isinstance(roster, list) else next(iter(roster.values()))
    first["default"] = True
    name = first.get("id") if isinstance(roster, list) else next(iter(roster))
    changes.append(
        f'Marked the first agent "{name}" as the default agent (default: true), as older releases did.'
    )


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _target(config: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = config
    for part in path:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _drop(path: tuple[str, ...], key: str) -> Callable[[dict[str, Any], list[str]], None]:
    def fix(config: dict[str, Any], changes: list[str]) -> None:
        parent = _target(config, path)
        del parent[key]
        changes.append(f"Removed {'.'.join(path)}.{key} (no longer supported).")

    return fix


def _fix_exec_approvals(path: tuple[str, ...]) -> Callable[[dict[str, Any], list[str]], None]:
    def fix(config: dict[str, Any], changes: list[str]) -> None:
        exec_cfg = _target(config, path)
        approvals = exec_cfg.pop("approvals")
        where = ".".join(path)
        if not isinstance(approvals, dict) or approvals.get("enabled") is False:
            changes.append(f"Removed {where}.approvals (disabled); exec keeps its default policy.")
            return
        security, ask = EXEC_APPROVAL_POLICY.get(
            str(approvals.get("policy", "allowlist")), ("allowlist", "on-miss")
        )
        exec_cfg.setdefault("security", security)
        exec_cfg.setdefault("ask", ask)
        changes.append(
            f"Replaced {where}.approvals (policy {approvals.get('policy', 'allowlist')!r}) "
            f"with {where}.security={exec_cfg['security']!r} and {where}.ask={exec_cfg['ask']!r}."
        )
        if approvals.get("allowlist"):
            listed = ", ".join(str(cmd) for cmd in approvals["allowlist"])
            changes.append(
                f"The approvals allowlist ({listed}) now lives on the exec host: "
                "add each entry with `openclaw approvals allowlist add` (not in openclaw.json)."
            )

    return fix


def _sandbox_finding(path: tuple[str, ...], key: str) -> LegacyFinding:
    hints = {
        "enabled": "sandbox.enabled was replaced by sandbox.mode (off | non-main | all); run the migration",
        "network": "sandbox.network was replaced by sandbox.docker.network; run the migration",
        "tools": "sandbox.tools moved to the agent's tools.sandbox.tools; run the migration",
    }
    return LegacyFinding(path, key, hints[key], _fix_sandbox(path, key))


def _fix_sandbox(path: tuple[str, ...], key: str) -> Callable[[dict[str, Any], list[str]], None]:
    def fix(config: dict[str, Any], changes: list[str]) -> None:
        sandbox = _target(config, path)
        agent = _target(config, path[:-1])
        value = sandbox.pop(key)
        where = ".".join(path)
        if key == "enabled":
            sandbox.setdefault("mode", "all" if value else "off")
            changes.append(f"Replaced {where}.enabled={value!r} with {where}.mode={sandbox['mode']!r}.")
        elif key == "network":
            network = SANDBOX_NETWORK.get(str(value), "none")
            sandbox.setdefault("docker", {}).setdefault("network", network)
            changes.append(f"Replaced {where}.network={value!r} with {where}.docker.network={network!r}.")
        else:
            agent.setdefault("tools", {}).setdefault("sandbox", {})["tools"] = copy.deepcopy(value)
            where_tools = ".".join((*path[:-1], "tools", "sandbox", "tools"))
            changes.append(f"Moved {where}.tools to {where_tools}.")

    return fix


def apply_fixes(raw: dict[str, Any], findings: list[LegacyFinding]) -> tuple[dict[str, Any], list[str]]:
    """Return a rewritten deep copy of raw and the change sentences, one per legacy key."""
    migrated = copy.deepcopy(raw)
    changes: list[str] = []
    for finding in findings:
        finding.fix(migrated, changes)
    return migrated, changes
