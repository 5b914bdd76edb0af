"""Effective policy of OpenClaw agents (issue 3): pure Python, no Django.

Tool policy, sandbox, elevated and exec as OpenClaw 2026.9.6 resolves them (resolver.py and its
helpers), the seed-000 plugin memory policy (memory.py) and seed-003 workload memory (workload.py).
"""

from .catalogue import TOOL_CATALOGUE, TOOL_GROUPS, TOOL_PROFILES
from .resolver import AgentPolicy, can_use, default_agent_id, diff_policies, explain_json, resolve_agent
from .tools import Decision

__all__ = [
    "TOOL_CATALOGUE",
    "TOOL_GROUPS",
    "TOOL_PROFILES",
    "AgentPolicy",
    "Decision",
    "can_use",
    "default_agent_id",
    "diff_policies",
    "explain_json",
    "resolve_agent",
]
