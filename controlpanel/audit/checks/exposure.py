"""Exposure matrix and trust-model checks (CLI order 700-720)."""

from __future__ import annotations

from collections.abc import Iterator

from ...openclaw.ids import normalize_agent_id
from ..catalogue import check
from ..facts import Facts, as_list, as_map, sub
from ..schema import Finding, Severity

W, C, INFO = Severity.WARN, Severity.CRITICAL, Severity.INFO
CONTROL_PLANE_TOOLS = ("automations", "gateway", "plugins")


def _open_lines(f: Facts) -> str:
    return "\n".join(f"- {p}" for p in f.open_inbound_policies)


@check(
    "security.exposure.open_groups_with_elevated",
    severity=C,
    title="Open group/DM policy with elevated tools enabled",
    remediation=(
        'Set each listed group/DM policy to "allowlist" and keep elevated allowlists extremely tight.'
    ),
    paths=("channels.*.groupPolicy", "channels.*.dmPolicy", "tools.elevated.enabled"),
    order=701,
    needs=("channels",),
)
def open_groups_with_elevated(f: Facts) -> Iterator[Finding]:
    """An open group/DM policy while elevated tools are enabled."""
    if f.open_inbound_policies and sub(f.tools, "elevated", "enabled") is not False:
        yield open_groups_with_elevated.finding(
            f'Found inbound policy="open" at:\n{_open_lines(f)}\nWith tools.elevated enabled, a '
            "prompt injection in those conversations can become a high-impact incident."
        )


@check(
    "security.exposure.open_groups_with_runtime_or_fs",
    severity=W,
    title="Open group/DM policy with runtime/filesystem tools exposed",
    remediation=(
        'For open groups or DMs, prefer tools.profile="messaging" (or deny '
        "group:runtime/group:fs), set tools.fs.workspaceOnly=true, and use "
        'agents.defaults.sandbox.mode="all" for exposed agents.'
    ),
    paths=("channels", "tools.profile", "tools.allow", "tools.deny", "tools.fs.workspaceOnly"),
    order=702,
    needs=("channels",),
)
def open_groups_with_runtime_or_fs(f: Facts) -> Iterator[Finding]:
    """Open policy and an unsandboxed context with exec/process (critical) or fs tools (warn)."""
    if not f.open_inbound_policies:
        return
    contexts, runtime = f.risky_tool_contexts
    if contexts:
        yield open_groups_with_runtime_or_fs.finding(
            f'Found inbound policy="open" at:\n{_open_lines(f)}\nRisky tool exposure contexts:\n'
            + "\n".join(f"- {c}" for c in contexts)
            + "\nPrompt injection in open conversations can trigger command/file actions in these "
            "contexts.",
            severity=C if runtime else W,
        )


@check(
    "security.exposure.open_groups_with_control_plane_tools",
    severity=C,
    title="Open group/DM policy with control-plane tools exposed",
    remediation=(
        "For open groups or DMs, deny control-plane tools (`automations`, `gateway`, `plugins`) "
        'and prefer tools.profile="messaging". Tighten dmPolicy/groupPolicy to pairing or '
        "allowlist when possible."
    ),
    paths=("channels", "tools.profile", "tools.allow", "tools.deny"),
    order=703,
    needs=("channels",),
)
def open_groups_with_control_plane(f: Facts) -> Iterator[Finding]:
    """Open policy and some context can use automations, gateway or plugins."""
    if not f.open_inbound_policies:
        return
    lines = []
    for label, agent_id, tools in f.tool_contexts:
        hits = f.allowed_tools(agent_id, CONTROL_PLANE_TOOLS)
        if hits:
            profile = (tools or {}).get("profile") or f.tools.get("profile") or "none"
            lines.append(f"{label} (profile={profile}; controlPlane=[{', '.join(hits)}])")
    if lines:
        yield open_groups_with_control_plane.finding(
            f'Found inbound policy="open" at:\n{_open_lines(f)}\nControl-plane tool exposure '
            "contexts:\n"
            + "\n".join(f"- {line}" for line in lines)
            + "\nPrompt injection in open conversations can trigger OpenClaw updates, plugin "
            "changes, or scheduled automation."
        )


def describe_binding(match: dict) -> str:
    """Return a route binding's match as `channel accountId=.. peer=kind:id guild=..`."""
    parts = [str(match.get("channel"))]
    if match.get("accountId"):
        parts.append(f"accountId={match['accountId']}")
    peer = as_map(match.get("peer"))
    if peer:
        parts.append(f"peer={peer.get('kind')}:{peer.get('id')}")
    if match.get("guildId"):
        parts.append(f"guild={match['guildId']}")
    if match.get("teamId"):
        parts.append(f"team={match['teamId']}")
    roles = as_list(match.get("roles"))
    if roles:
        parts.append(f"roles={','.join(map(str, roles))}")
    return " ".join(parts)


@check(
    "security.trust_model.group_scope_main",
    severity=W,
    title="Group rooms share the main session",
    remediation=(
        'Use session.groupScope="per-group" globally and remove binding overrides, or reserve '
        '"main" for rooms whose members you trust: '
        "https://docs.openclaw.ai/channels/groups#session-keys"
    ),
    paths=("session.groupScope", "bindings[].session.groupScope"),
    order=710,
    needs=("session", "bindings"),
)
def group_scope_main(f: Facts) -> Iterator[Finding]:
    """Group rooms merge into the agent's main session (globally or via a binding)."""
    lines = []
    if sub(f.cfg, "session", "groupScope") == "main":
        lines.append(
            '- session.groupScope="main" (global: all group/channel rooms unless a binding overrides it)'
        )
    for binding in as_list(f.cfg.get("bindings")):
        match = as_map(sub(binding, "match"))
        peer_kind = sub(match, "peer", "kind")
        # Approximation of the CLI's "effective group route" probe: a binding can route
        # group rooms unless it is pinned to a direct (DM) peer.
        if sub(binding, "session", "groupScope") == "main" and peer_kind not in ("direct", "dm"):
            lines.append(
                f'- bindings[].session.groupScope="main": {describe_binding(match)} '
                f"(agent={sub(binding, 'agentId')})"
            )
    if lines:
        yield group_scope_main.finding(
            "The following group routing scopes merge room conversations into the agent main "
            "session:\n" + "\n".join(lines) + "\nEvery member of each affected room shares the "
            "main-session context. Use this only for mutually trusted rooms."
        )


@check(
    "security.trust_model.multi_user_heuristic",
    severity=W,
    title="Potential multi-user setup detected (personal-assistant model warning)",
    remediation=(
        "If users may be mutually untrusted, split trust boundaries (separate gateways + "
        "credentials, ideally separate OS users/hosts). If you intentionally run shared-user "
        'access, set agents.defaults.sandbox.mode="all", keep tools.fs.workspaceOnly=true, deny '
        "runtime/fs/web tools unless required, and keep personal/private identities + "
        "credentials off that runtime."
    ),
    paths=("channels",),
    order=711,
    needs=("channels",),
)
def multi_user(f: Facts) -> Iterator[Finding]:
    """Channel settings suggest several (possibly untrusting) people reach the gateway."""
    signals = f.multi_user_signals
    if not signals:
        return
    contexts, runtime = f.risky_tool_contexts
    impact = (
        "Runtime/process tools are exposed without full sandboxing in at least one context."
        if runtime
        else "No unguarded runtime/process tools were detected by this heuristic."
    )
    risky = (
        "Potential high-impact tool exposure contexts:\n" + "\n".join(f"- {c}" for c in contexts)
        if contexts
        else "No unguarded runtime/filesystem contexts detected."
    )
    yield multi_user.finding(
        "Heuristic signals indicate this gateway may be reachable by multiple users:\n"
        + "\n".join(f"- {s}" for s in signals)
        + f"\n{impact}\n{risky}\nOpenClaw's default security model is personal-assistant (one "
        "trusted operator boundary), not hostile multi-tenant isolation on one shared gateway. "
        "For multiple users or organizations, run one isolated Gateway cell per tenant: "
        "https://docs.openclaw.ai/gateway/multi-tenant-hosting"
    )


_SESSION_TOOLS = ("sessions_list", "sessions_history", "sessions_search", "sessions_send", "session_status")


@check(
    "security.trust_model.cross_agent_session_access_default",
    severity=INFO,
    title="Agents share Gateway-wide session access (default)",
    remediation=(
        'Set tools.sessions.visibility to "agent", "tree", or "self"; restrict '
        "tools.agentToAgent.allow to the intended requester and target ids; or set "
        "tools.agentToAgent.enabled: false. See "
        "https://docs.openclaw.ai/gateway/config-tools#tools-agenttoagent and "
        "https://docs.openclaw.ai/gateway/security#scope-one-trust-boundary-per-gateway."
    ),
    paths=("tools.sessions.visibility", "tools.agentToAgent", "agents.entries.*.tools"),
    order=720,
    needs=("agents",),
)
def cross_agent_sessions(f: Facts) -> Iterator[Finding]:
    """>=2 agents can read each other's sessions; warn when trust boundaries seem to differ.

    Agents are named as the CLI lists them: normalised ("Research" is "research"), each once."""
    named: dict[str, str] = {}
    for agent_id in f.agent_ids:
        named.setdefault(normalize_agent_id(agent_id), agent_id)
    ids = list(named)
    if len(ids) < 2 or (sub(f.tools, "sessions", "visibility") or "all") != "all":
        return
    a2a = as_map(f.tools.get("agentToAgent"))
    if a2a.get("enabled") is False or as_list(a2a.get("allow")):
        return
    clamp = f.defaults_sandbox.get("sessionToolsVisibility") or "spawned"
    reachers, others, signals = [], [], []
    for label in ids:
        agent_id = named[label]
        mode, _ = f.sandbox(agent_id)
        if mode != "off":
            signals.append(f'{label}: sandbox.mode="{mode}"')
        tools = as_map(sub(f.agent_by_id.get(agent_id), "tools")) or None
        allowed = f.allowed_tools(agent_id, _SESSION_TOOLS)
        unclamped = mode != "all" or clamp == "all"
        if unclamped and allowed:
            context = {
                "off": "unsandboxed sessions",
                "non-main": "unsandboxed main session",
            }.get(mode, "sandboxed sessions (clamp disabled)")
            reachers.append(f"- {label}: {context}; allowed session tools: {', '.join(allowed)}.")
        else:
            reason = (
                "session tools removed by agent tool policy"
                if unclamped
                else "sandboxed sessions clamped to their spawn tree"
            )
            others.append(f"- {label}: {reason}; its transcripts remain readable by the agents above.")
        restrictions = [k for k in ("profile", "allow", "deny") if tools and k in tools]
        if restrictions:
            signals.append(
                f"{label}: agent-level tool restrictions ({', '.join(f'tools.{k}' for k in restrictions)})"
            )
    if not reachers:
        return
    signals += f.multi_user_signals
    trust = (
        "\nTrust-boundary signals:\n"
        + "\n".join(f"- {s}" for s in signals)
        + "\nSandboxing, agent-level tool restrictions, or shared-user ingress suggest different "
        "trust levels, but session access remains Gateway-wide."
        if signals
        else ""
    )
    yield cross_agent_sessions.finding(
        f'Agents: {", ".join(ids)}\ntools.sessions.visibility resolves to "all" and '
        "tools.agentToAgent is enabled with no allow list.\nAgents that can reach other agents' "
        "sessions, including other users' transcripts:\n"
        + "\n".join([*reachers, *others, "Incognito sessions remain hidden."])
        + trust,
        severity=W if signals else INFO,
    )
