"""The ``agents`` section: defaults (sandbox, model, workspace) and the keyed ``entries`` roster."""

from __future__ import annotations

from typing import Any

from .base import Section, any_of, pad, union
from .tools import AgentToolsConfig

SANDBOX_MODES = ("off", "non-main", "all")


class _Docker(Section):
    image: str = None
    # Docker network name: "none" cuts the sandbox off the network, "bridge" gives it the host's.
    network: str = None
    readOnlyRoot: bool = None
    binds: list[str] = None


DockerConfig = pad(_Docker, "agents.defaults.sandbox.docker")


class _Sandbox(Section):
    mode: any_of(*SANDBOX_MODES) = None
    backend: str = None
    workspaceAccess: any_of("none", "ro", "rw") = None
    sessionToolsVisibility: any_of("spawned", "all") = None
    scope: any_of("session", "agent", "shared") = None
    workspaceRoot: str = None
    docker: DockerConfig = None  # type: ignore[valid-type]
    ssh: dict[str, Any] = None
    browser: dict[str, Any] = None
    prune: dict[str, Any] = None


SandboxConfig = pad(_Sandbox, "agents.defaults.sandbox")


class _Defaults(Section):
    model: union(str, dict) = None
    workspace: str = None
    sandbox: SandboxConfig = None  # type: ignore[valid-type]
    elevatedDefault: any_of("off", "on", "ask", "full") = None
    maxConcurrent: int = None
    timeoutSeconds: int = None


AgentDefaults = pad(_Defaults, "agents.defaults")


class _Entry(Section):
    name: str = None
    description: str = None
    workspace: str = None
    model: union(str, dict) = None
    sandbox: SandboxConfig = None  # type: ignore[valid-type]
    tools: AgentToolsConfig = None  # type: ignore[valid-type]
    default: bool = None


AgentEntry = pad(_Entry, "agents.entries.*")


class _Agents(Section):
    ownership: any_of("explicit") = None
    defaults: AgentDefaults = None  # type: ignore[valid-type]
    entries: dict[str, AgentEntry] = None  # type: ignore[valid-type]


AgentsConfig = pad(_Agents, "agents")
