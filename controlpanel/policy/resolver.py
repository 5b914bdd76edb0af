"""The effective policy of an agent: tools (with the rule behind each verdict), sandbox, elevated, exec.

Public entry points: `resolve_agent`, `explain_json`, `can_use`, `diff_policies`. All work on the
resolved config dict (see config_access) and never raise on an unexpected shape: a missing or
ill-typed section counts as "not configured", as it does in OpenClaw once its validator passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..openclaw.ids import normalize_agent_id
from .catalogue import TOOL_CATALOGUE
from .config_access import agent_entries, agent_ids
from .elevated import ElevatedPolicy, resolve_elevated
from .exec_policy import ExecPolicy, resolve_exec
from .sandbox import SandboxPolicy, resolve_sandbox
from .tools import Decision, View, build_layers, decide


@dataclass(frozen=True)
class AgentPolicy:
    """Everything an agent may do in one session, and why."""

    agent_id: str
    session_key: str
    sandbox: SandboxPolicy
    decisions: dict[str, Decision]
    elevated: ElevatedPolicy
    exec: ExecPolicy

    @property
    def allowed(self) -> list[str]:
        """Return the sorted built-in tools this agent may call in this session."""
        return sorted(t for t, d in self.decisions.items() if d.allowed)

    @property
    def denied(self) -> list[str]:
        """Return the sorted built-in tools this agent may not call in this session."""
        return sorted(t for t, d in self.decisions.items() if not d.allowed)


def default_agent_id(config: Mapping[str, Any]) -> str:
    """Return the agent used when none is named: one marked `default: true`, else the first."""
    for agent_id, entry in agent_entries(config).items():
        if entry.get("default") is True:
            return agent_id
    return agent_ids(config)[0]


def resolve_agent(
    config: Mapping[str, Any],
    agent_id: str | None = None,
    *,
    session_key: str | None = None,
    channel: str | None = None,
    view: View = "runtime",
) -> AgentPolicy:
    """Return the effective policy of an agent (default agent if None) in a session (default: main).

    The agent is named as `openclaw sandbox explain` names it: normalised ("Research" is "research").
    ``channel`` is the session's channel as the gateway's session store records it: the elevated
    allowFrom gates apply only with one. Like `sandbox explain`, the channel is not read from the
    session key (a Telegram group key with no session entry has no channel, recorded in the corpus).
    """
    agent = agent_id or default_agent_id(config)
    sandbox = resolve_sandbox(config, agent, session_key)
    layers = build_layers(config, agent, sandbox)
    decisions = {tool: decide(tool, layers, view) for tool in TOOL_CATALOGUE}
    return AgentPolicy(
        agent_id=normalize_agent_id(agent),
        session_key=sandbox.session_key,
        sandbox=sandbox,
        decisions=decisions,
        elevated=resolve_elevated(config, agent, channel),
        exec=resolve_exec(config, agent),
    )


def explain_json(policy: AgentPolicy) -> dict[str, Any]:
    """Return the `manage.py explain --json` document: allowed+denied partition the whole catalogue."""
    sandbox = policy.sandbox
    return {
        "agentId": policy.agent_id,
        "sessionKey": policy.session_key,
        "sandbox": {
            "mode": sandbox.mode,
            "sessionIsSandboxed": sandbox.session_is_sandboxed,
            "mainSessionKey": sandbox.main_session_key,
            "scope": sandbox.scope,
            "workspaceAccess": sandbox.workspace_access,
            "network": sandbox.network,
            "backend": sandbox.backend,
            "tools": {
                "allow": list(sandbox.tools.allow or ()),
                "deny": list(sandbox.tools.deny or ()),
                "sources": {k: v.as_json() for k, v in sandbox.tool_sources.items()},
            },
        },
        "tools": {
            "allowed": policy.allowed,
            "denied": policy.denied,
            "sources": {tool: policy.decisions[tool].as_source() for tool in sorted(policy.decisions)},
        },
        "elevated": policy.elevated.as_json(),
        "exec": policy.exec.as_json(),
    }


def can_use(
    config: Mapping[str, Any], agent_id: str | None, tool: str, *, session_key: str | None = None
) -> Decision:
    """Return the verdict on any tool name (built-in or plugin) for an agent, with the deciding rule."""
    agent = agent_id or default_agent_id(config)
    sandbox = resolve_sandbox(config, agent, session_key)
    return decide(tool, build_layers(config, agent, sandbox))


def diff_policies(
    before: Mapping[str, Any], after: Mapping[str, Any], *, session_key: str | None = None
) -> dict[str, dict[str, list[str]]]:
    """Return {agent_id: {"gained": [...], "lost": [...]}} for every agent whose tools change.

    Agents only in `before` lose everything they had; agents only in `after` gain everything.
    """
    old_ids, new_ids = agent_ids(before), agent_ids(after)
    result: dict[str, dict[str, list[str]]] = {}
    for agent in list(dict.fromkeys([*old_ids, *new_ids])):
        had = (
            set(resolve_agent(before, agent, session_key=session_key).allowed) if agent in old_ids else set()
        )
        has = set(resolve_agent(after, agent, session_key=session_key).allowed) if agent in new_ids else set()
        if had != has:
            result[agent] = {"gained": sorted(has - had), "lost": sorted(had - has)}
    return result
