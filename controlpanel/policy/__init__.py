"""Effective policy of OpenClaw agents: the one engine for OpenClaw's rules (pure Python, no Django).

The pages, the audit (`controlpanel.audit.facts`), the approvals and the commands all ask here.
Tool policy, sandbox, elevated and exec as OpenClaw 2026.9.6 resolves them (resolver.py and its
helpers), the seed-000 plugin memory policy (memory.py) and seed-003 workload memory (workload.py).
The public API is listed in docs/architecture.md ("The policy engine").
"""

from .catalogue import TOOL_CATALOGUE, TOOL_GROUPS, TOOL_PROFILES
from .config_access import agent_entries, agent_ids, agent_paths, default_agent_id, key_as_written
from .exec_policy import ExecPolicy, requested_exec, resolve_exec
from .resolver import (
    AgentPolicy,
    AgentSelectionRequired,
    can_use,
    explain_json,
    resolve_agent,
    session_agent_id,
)
from .sandbox import resolve_sandbox
from .tools import TOOL_CLASSES, Decision, Layer, View, allowed_subset, build_layers, decide, is_builtin

__all__ = [
    "TOOL_CATALOGUE",
    "TOOL_CLASSES",
    "TOOL_GROUPS",
    "TOOL_PROFILES",
    "AgentPolicy",
    "AgentSelectionRequired",
    "Decision",
    "ExecPolicy",
    "Layer",
    "View",
    "agent_entries",
    "agent_ids",
    "agent_paths",
    "allowed_subset",
    "build_layers",
    "can_use",
    "decide",
    "default_agent_id",
    "explain_json",
    "is_builtin",
    "key_as_written",
    "requested_exec",
    "resolve_agent",
    "resolve_exec",
    "resolve_sandbox",
    "session_agent_id",
]
