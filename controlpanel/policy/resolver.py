"""The effective policy of an agent: tools (with the rule behind each verdict), sandbox, elevated, exec.

Public entry points: `resolve_agent`, `explain_json`, `can_use` (and
`default_agent_id`, `agent_paths` from config_access). All work on the resolved config dict (see
config_access) and never raise on an unexpected shape: a missing or ill-typed section counts as
"not configured", as it does in OpenClaw once its validator passed. The one exception: asking for
"the default agent" of a roster that has none (several agents, explicit ownership) raises
`AgentSelectionRequired`, as the CLI refuses to guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..openclaw.ids import normalize_agent_id
from .catalogue import TOOL_CATALOGUE
from .config_access import agent_ids, default_agent_id
from .elevated import ElevatedPolicy, resolve_elevated
from .exec_policy import ExecPolicy, resolve_exec
from .sandbox import SandboxPolicy, resolve_sandbox
from .tools import Decision, View, build_layers, decide, tool_classes


class AgentSelectionRequired(ValueError):
    """No agent was named and the roster has no default one for a session (OpenClaw's wording)."""

    def __init__(self, agent_ids: list[str]) -> None:
        super().__init__(
            "Multiple agents are configured, but session agent resolution has no explicit owner; "
            f"name one of: {', '.join(agent_ids)}."
        )
        self.agent_ids = agent_ids


@dataclass(frozen=True)
class AgentPolicy:
    """Everything an agent may do in one session, and why."""

    agent_id: str
    session_key: str
    sandbox: SandboxPolicy
    decisions: dict[str, Decision]
    elevated: ElevatedPolicy
    exec: ExecPolicy
    classes: dict[str, Decision]

    @property
    def allowed(self) -> list[str]:
        """Return the sorted built-in tools this agent may call in this session."""
        return sorted(t for t, d in self.decisions.items() if d.allowed)

    @property
    def denied(self) -> list[str]:
        """Return the sorted built-in tools this agent may not call in this session."""
        return sorted(t for t, d in self.decisions.items() if not d.allowed)


def session_agent_id(config: Mapping[str, Any], agent_id: str | None) -> str:
    """Return the agent a session acts for: the one named, else the roster's session default.

    Raises AgentSelectionRequired when none is named and several agents have no default.
    """
    if agent_id:
        return agent_id
    chosen = default_agent_id(config, "session")
    if chosen is None:
        raise AgentSelectionRequired(agent_ids(config))
    return chosen


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
    agent = session_agent_id(config, agent_id)
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
        classes=tool_classes(layers, view),
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
            "classes": {name: decision.as_class() for name, decision in policy.classes.items()},
        },
        "elevated": policy.elevated.as_json(),
        "exec": policy.exec.as_json(),
    }


def can_use(
    config: Mapping[str, Any], agent_id: str | None, tool: str, *, session_key: str | None = None
) -> Decision:
    """Return the verdict on any tool name for an agent, with the deciding rule.

    A name that is not a built-in tool is judged as a plugin tool of that name (`as_plugin`).
    """
    agent = session_agent_id(config, agent_id)
    sandbox = resolve_sandbox(config, agent, session_key)
    return decide(tool, build_layers(config, agent, sandbox))
