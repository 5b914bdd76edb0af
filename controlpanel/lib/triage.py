"""The order in which to read audit findings, as OpenClaw's security docs recommend.

1) anything "open" with tools, 2) public exposure, 3) remote browser control, 4) file permissions,
5) plugins, 6) model choice; then the panel's own memory/workload checks and the rest.
"""

from __future__ import annotations

TRIAGE_GROUPS: list[tuple[str, str, tuple[str, ...]]] = [
    (
        "open",
        "Open to others, with tools",
        (
            "security.exposure.",
            "security.trust_model.",
            "tools.elevated.",
            "tools.exec.",
            "approvals.",
        ),
    ),
    ("exposure", "Network exposure and authentication", ("gateway.", "discovery.", "config.")),
    ("browser", "Remote browser control", ("browser.",)),
    ("files", "File permissions and mounts", ("fs.", "sandbox.bind_mount", "sandbox.dangerous_bind_mount")),
    ("plugins", "Plugins, skills, hooks and MCP", ("plugins.", "skills.", "hooks.", "mcp.")),
    ("models", "Models", ("models.",)),
    ("memory", "Memory policy and workloads", ("memory.", "workload.")),
]
OTHER = ("other", "Everything else")


def triage_group(check_id: str) -> tuple[str, str]:
    """(group key, title) for a check id; browser-related ids go to the browser group wherever they sit."""
    if "browser" in check_id:
        return TRIAGE_GROUPS[2][0], TRIAGE_GROUPS[2][1]
    for key, title, prefixes in TRIAGE_GROUPS:
        if check_id.startswith(prefixes):
            return key, title
    return OTHER


def triage_rank(check_id: str) -> int:
    key = triage_group(check_id)[0]
    keys = [g[0] for g in TRIAGE_GROUPS] + [OTHER[0]]
    return keys.index(key)
