"""Elevated allowlists, skill/MCP boundary and tool-profile checks (CLI order 300-301, 450, 650)."""

from __future__ import annotations

from collections.abc import Iterator

from controlpanel.policy.exec_policy import DEFAULT_SECURITY, effective_host

from ..catalogue import check
from ..facts import Facts, as_list, as_map, per_audit, sub
from ..schema import Finding, Severity

W, C = Severity.WARN, Severity.CRITICAL


@per_audit
def _allow_from(f: Facts) -> list[tuple[str, list[str]]]:
    if sub(f.tools, "elevated", "enabled") is False:
        return []
    out = []
    for provider, values in as_map(sub(f.tools, "elevated", "allowFrom")).items():
        entries = [str(v).strip() for v in as_list(values) if isinstance(v, (str, int))]
        out.append((provider, [e for e in entries if e]))
    return out


@check(
    "tools.elevated.allowFrom.<provider>.wildcard",
    severity=C,
    title="Elevated exec allowlist contains wildcard",
    paths=("tools.elevated.enabled", "tools.elevated.allowFrom"),
    order=300,
    needs=("tools",),
)
def elevated_wildcard(f: Facts) -> Iterator[Finding]:
    """A provider's elevated allowFrom contains "*" (everyone on that channel is elevated)."""
    for provider, entries in _allow_from(f):
        if "*" in entries:
            yield elevated_wildcard.finding(
                f'tools.elevated.allowFrom.{provider} includes "*" which effectively approves '
                "everyone on that channel for elevated mode.",
                check_id=f"tools.elevated.allowFrom.{provider}.wildcard",
            )


@check(
    "tools.elevated.allowFrom.<provider>.large",
    severity=W,
    title="Elevated exec allowlist is large",
    paths=("tools.elevated.allowFrom",),
    order=301,
    needs=("tools",),
)
def elevated_large(f: Facts) -> Iterator[Finding]:
    """A provider's elevated allowFrom has more than 25 entries (and no wildcard)."""
    for provider, entries in _allow_from(f):
        if "*" not in entries and len(entries) > 25:
            yield elevated_large.finding(
                f"tools.elevated.allowFrom.{provider} has {len(entries)} entries; consider "
                "tightening elevated access.",
                check_id=f"tools.elevated.allowFrom.{provider}.large",
            )


@check(
    "tools.exec.agent_skill_mcp_boundary_drift",
    severity=W,
    title="Agent skill allowlists do not constrain host exec MCP clients",
    remediation=(
        "For agents that need per-agent MCP isolation, set their exec policy to "
        'security="deny" or a tight allowlist, run them in sandbox/container/OS-user isolation '
        "where the global MCP registry is not readable, split sensitive MCP servers into a "
        "separate gateway/trust boundary, or require per-agent MCP credentials at the server "
        "layer."
    ),
    paths=("agents.defaults.skills", "agents.entries.*.skills", "mcp.servers", "tools.exec"),
    order=450,
    needs=("mcp",),
)
def skill_mcp_boundary(f: Facts) -> Iterator[Finding]:
    """Skill allowlists on host-exec scopes while MCP servers are configured (config part)."""
    servers = sorted(
        name
        for name, server in as_map(sub(f.cfg, "mcp", "servers")).items()
        if sub(server, "enabled") is not False
    )
    if not servers:
        return
    defaults = as_map(sub(f.cfg, "agents", "defaults"))
    candidates: list[tuple[str, str, str | None]] = []
    if "skills" in defaults:
        candidates.append(("agents.defaults", "agents.defaults.skills", None))
    for agent in f.agents:
        if "skills" in agent:
            candidates.append((agent["id"], "agents.entries.*.skills", agent["id"]))
        elif "skills" in defaults:
            candidates.append((agent["id"], "agents.defaults.skills (inherited)", agent["id"]))
    lines = []
    for scope_id, source, agent_id in candidates:
        # The runtime's requested policy (security defaults to full here, unlike exec_scopes).
        requested = f.requested_exec(agent_id, DEFAULT_SECURITY)
        security, ask = requested.security, requested.ask
        sandbox_mode = f.sandbox(agent_id)[0]
        host = effective_host(f.exec_host(agent_id)[0], sandbox_mode)
        if security == "deny" or host == "sandbox":
            continue
        lines.append(f"- {scope_id}: {source}, exec.host={host}, security={security}, ask={ask}")
    if not lines:
        return
    more = f"\n- +{len(lines) - 8} more scopes." if len(lines) > 8 else ""
    yield skill_mcp_boundary.finding(
        "Detected agent skill allowlists on host-exec-capable scopes:\n"
        + "\n".join(lines[:8])
        + more
        + "\nMCP server registries visible to the gateway configuration/state:\n"
        + f"- mcp.servers: {', '.join(servers[:6])}"
        + (f", +{len(servers) - 6} more" if len(servers) > 6 else "")
        + "\nagents.*.skills filters OpenClaw skill visibility and snapshots; it is not a "
        "shell-time authorization boundary. A host exec process can run external MCP clients "
        "or read a global mcporter registry unless sandbox, filesystem, network, or MCP "
        "credential boundaries block it."
    )


@check(
    "tools.profile_minimal_overridden",
    severity=W,
    title="Global tools.profile=minimal is overridden by agent profiles",
    remediation=(
        'Set those agents to `tools.profile="minimal"` (or remove the agent override) if you '
        "want minimal tools enforced globally."
    ),
    paths=("tools.profile", "agents.entries.*.tools.profile"),
    order=650,
    needs=("tools",),
)
def minimal_profile_overridden(f: Facts) -> Iterator[Finding]:
    """Global minimal profile, but an agent sets another profile."""
    if f.tools.get("profile") != "minimal":
        return
    overrides = [
        f"{a['id']}={sub(a, 'tools', 'profile')}"
        for a in f.agents
        if sub(a, "tools", "profile") and sub(a, "tools", "profile") != "minimal"
    ]
    if overrides:
        yield minimal_profile_overridden.finding(
            "Global minimal profile is set, but these agent profiles take precedence:\n"
            + "\n".join(f"- agents.entries.{o}" for o in overrides)
        )
