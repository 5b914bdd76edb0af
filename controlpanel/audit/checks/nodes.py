"""Node command policy checks (CLI order 640-645)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from ..catalogue import check
from ..facts import Facts, as_list, sub
from ..schema import Finding, Severity

# Dangerous by default: a node only runs these when gateway.nodes.commands.allow lists them.
DANGEROUS_NODE_COMMANDS = (
    "camera.snap", "camera.clip", "camera.ptz.control", "screen.record", "contacts.add",
    "calendar.add", "reminders.add", "sms.send", "sms.search", "health.summary",
)  # fmt: skip
# Every command some node platform allows by default (reference data, openclaw 2026.9.6).
KNOWN_NODE_COMMANDS = (
    "camera.list", "location.get", "device.info", "device.status", "contacts.search",
    "calendar.events", "reminders.list", "photos.latest", "motion.activity", "motion.pedometer",
    "system.notify", "watch.status", "watch.notify", "notifications.list",
    "notifications.actions", "device.permissions", "device.health", "device.apps",
    "callLog.search", "mobile.ui.observe", "mobile.ui.act", "camera.ptz.status",
    "system.run.prepare", "system.run", "system.which", "system.execApprovals.get",
    "system.execApprovals.set", "fs.listDir", "terminal.upload", "browser.proxy",
    "browser.proxy.upload.v1", "mcp.tools.call.v1", "agent.cli.claude.run.v1", "screen.snapshot",
    "desktop.stream", "computer.act", "talk.ptt.start", "talk.ptt.stop", "talk.ptt.cancel",
    "talk.ptt.once", *DANGEROUS_NODE_COMMANDS,
)  # fmt: skip
_PATTERN_CHARS = re.compile(r"[?*\[\]{}(),|]")
_SPACE = re.compile(r"\s")


def _commands(f: Facts, key: str) -> list[str]:
    values = as_list(sub(f.gateway, "nodes", "commands", key))
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


def looks_like_pattern(value: str) -> bool:
    """True when a deny entry looks like a glob/regex rather than an exact command name."""
    return bool(
        _PATTERN_CHARS.search(value)
        or value.startswith(("/", "^"))
        or value.endswith(("/", "$"))
        or _SPACE.search(value)
        or "group:" in value
    )


@lru_cache(maxsize=65536)
def _edit_distance(a: str, b: str) -> int:
    # Pure and called for every (unknown deny entry, known command) pair: the same pairs come back
    # audit after audit, so the quadratic loop runs once per pair.
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _suggest(unknown: str, known: list[str]) -> list[str]:
    prefix = ".".join(unknown.split(".")[:2]) if "." in unknown else unknown
    hits = [c for c in known if c.startswith(prefix)][:3]
    if hits:
        return hits
    ranked = sorted((_edit_distance(unknown, c), c) for c in known)
    threshold = max(2, min(4, ranked[0][0])) if ranked else 0
    return [c for d, c in ranked if d <= threshold][:3]


@check(
    "gateway.nodes.deny_commands_ineffective",
    severity=Severity.WARN,
    title="Some gateway.nodes.commands.deny entries are ineffective",
    paths=("gateway.nodes.commands.deny", "gateway.nodes.commands.allow"),
    order=640,
    needs=("gateway",),
)
def deny_ineffective(f: Facts) -> Iterator[Finding]:
    """Deny entries that are patterns or unknown names never match anything."""
    deny = _commands(f, "deny")
    if not deny:
        return
    known = list(
        dict.fromkeys([*KNOWN_NODE_COMMANDS[:-10], *_commands(f, "allow"), *DANGEROUS_NODE_COMMANDS])
    )
    known_set = set(known)
    patterns = [d for d in deny if looks_like_pattern(d)]
    unknown = [d for d in deny if not looks_like_pattern(d) and d not in known_set]
    if not patterns and not unknown:
        return
    parts = []
    if patterns:
        parts.append(f"Pattern-like entries (not supported by exact matching): {', '.join(patterns)}")
    if unknown:
        described = []
        for entry in unknown:
            suggestions = _suggest(entry, known)
            described.append(f"{entry} (did you mean: {', '.join(suggestions)})" if suggestions else entry)
        parts.append(
            "Unknown command names (not in defaults/gateway.nodes.commands.allow): " + ", ".join(described)
        )
    yield deny_ineffective.finding(
        "gateway.nodes.commands.deny uses exact node command-name matching only (for example "
        "`system.run`), not shell-text filtering inside a command payload.\n"
        + "\n".join(f"- {p}" for p in parts),
        remediation=f"Use exact command names (for example: {', '.join(known[:8])}). If you need "
        "broader restrictions, remove risky command IDs from gateway.nodes.commands.allow/default "
        "workflows and tighten tools.exec policy.",
    )


@check(
    "gateway.nodes.allow_commands_dangerous",
    severity=Severity.WARN,
    title="Dangerous node commands explicitly enabled",
    remediation=(
        "Remove these entries from gateway.nodes.commands.allow (recommended). If you keep them, "
        "treat gateway auth as full operator access and keep gateway exposure local/tailnet-only."
    ),
    paths=("gateway.nodes.commands.allow", "gateway.nodes.commands.deny"),
    order=645,
    needs=("gateway",),
)
def allow_dangerous(f: Facts) -> Iterator[Finding]:
    """allow enables a default-dangerous node command (critical when remotely exposed)."""
    allow = set(_commands(f, "allow"))
    deny = set(_commands(f, "deny"))
    hits = [c for c in DANGEROUS_NODE_COMMANDS if c in allow and c not in deny]
    if hits:
        yield allow_dangerous.finding(
            f"gateway.nodes.commands.allow includes: {', '.join(hits)}. These commands can "
            "trigger high-impact device actions or read sensitive data (desktop "
            "input/camera/screen/contacts/calendar/reminders/health/SMS/file).",
            severity=Severity.CRITICAL if f.remotely_exposed else Severity.WARN,
        )
