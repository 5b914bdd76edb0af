"""The ``tools`` section (also reused per agent): profiles, allow/deny lists, elevated and exec policy."""

from __future__ import annotations

from typing import Any

from .base import Section, any_of, one_of, pad, union

PROFILES = ("minimal", "coding", "messaging", "full")
EXEC_SECURITY = ("deny", "allowlist", "full")
EXEC_ASK = ("off", "on-miss", "always")


class _Exec(Section):
    host: one_of("auto", "sandbox", "gateway", "node") = None
    mode: one_of("deny", "allowlist", "ask", "auto", "full") = None
    security: one_of(*EXEC_SECURITY) = None
    ask: one_of(*EXEC_ASK) = None
    safeBins: list[str] = None
    safeBinTrustedDirs: list[str] = None
    strictInlineEval: bool = None
    pathPrepend: list[str] = None
    timeoutSeconds: int = None


ExecConfig = pad(_Exec, "tools.exec")


class _Elevated(Section):
    enabled: bool = None
    # channel -> list of sender ids allowed to run elevated (host) exec.
    allowFrom: dict[str, list[union(str, int)]] = None


ElevatedConfig = pad(_Elevated, "tools.elevated")


class _Sessions(Section):
    visibility: one_of("self", "tree", "agent", "all") = None


SessionsToolConfig = pad(_Sessions, "tools.sessions")


class _AgentToAgent(Section):
    enabled: bool = None
    allow: list[str] = None


AgentToAgentConfig = pad(_AgentToAgent, "tools.agentToAgent")


class _ToolPolicy(Section):
    """Keys shared by the global ``tools`` and each agent's ``tools``."""

    profile: any_of(*PROFILES) = None
    allow: list[str] = None
    alsoAllow: list[str] = None
    deny: list[str] = None
    elevated: ElevatedConfig = None  # type: ignore[valid-type]
    exec: ExecConfig = None  # type: ignore[valid-type]
    byProvider: dict[str, Any] = None


class _Tools(_ToolPolicy):
    sessions: SessionsToolConfig = None  # type: ignore[valid-type]
    agentToAgent: AgentToAgentConfig = None  # type: ignore[valid-type]


ToolsConfig = pad(_Tools, "tools")
AgentToolsConfig = pad(_ToolPolicy, "agents.entries.*.tools")
