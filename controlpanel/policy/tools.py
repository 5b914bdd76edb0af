"""Layered tool policy of one agent and session: which layer lets a tool through or stops it, and why.

Layers, in OpenClaw 2026.9.6's order (`resolveConfiguredToolPolicies` / the runtime pipeline):

1. profile: `agents.entries.<id>.tools.profile` or else `tools.profile`, widened by `alsoAllow`
   (the agent's list if it has one, else the global one);
2. global: `tools.allow` (+`tools.alsoAllow`) / `tools.deny`;
3. agent: `agents.entries.<id>.tools.allow` (+alsoAllow) / `.deny`;
4. sandbox: the sandbox tool layer, only for a session that runs in the sandbox.

A tool is allowed only if every layer lets it through, so a deny anywhere wins and every non-empty
allow list is a restriction. The runtime view also applies the shipped renames (`update_plan` means
`progress_card`; `canvas` also covers `show_widget`); the audit view (what `security audit` uses) does
not. Both are recorded in the oracle fixtures, so both are offered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from .catalogue import TOOL_PROFILES
from .config_access import agent_tools, global_tools
from .matching import ToolPolicy, expand_shipped_names, pick_policy
from .sandbox import SandboxPolicy

View = Literal["runtime", "audit"]


@dataclass(frozen=True)
class Layer:
    """One policy layer with the config keys it is read from (for the decision's `key`)."""

    name: str  # "profile" | "global" | "agent" | "sandbox"
    source: str  # "profile" | "global" | "agent" | "default" (the CLI's source vocabulary)
    policy: ToolPolicy
    allow_key: str
    deny_key: str
    also_allow: tuple[str, ...] = ()
    also_allow_key: str | None = None


@dataclass(frozen=True)
class Decision:
    """The verdict on one tool for one agent/session, and the rule that decided it."""

    tool: str
    allowed: bool
    source: str
    key: str
    rule: str  # "deny" | "not-allowed" | "allow" | "default"
    layer: str
    pattern: str | None = None

    @property
    def reason(self) -> str:
        """Return a one-line, human explanation of the verdict."""
        if self.rule == "deny":
            return f"{self.tool} is denied by {self.key} (matches {self.pattern!r}); deny always wins"
        if self.rule == "not-allowed":
            return f"{self.tool} is not in the allow list {self.key}, which blocks everything else"
        if self.rule == "allow":
            return f"{self.tool} is allowed by {self.key} (matches {self.pattern!r})"
        return f"{self.tool} is allowed: no layer restricts it"

    def as_source(self) -> dict[str, str]:
        """Return the `{"source", "key"}` pair shown in explain_json."""
        return {"source": self.source, "key": self.key}


def profile_layer(config: Mapping[str, Any], agent_id: str | None) -> Layer | None:
    """Return the profile layer (profile list + alsoAllow), or None when no known profile is set."""
    own, glob = agent_tools(config, agent_id), global_tools(config)
    profile = own.get("profile") or glob.get("profile")
    if profile not in TOOL_PROFILES:
        return None
    owner = own if own.get("profile") else glob
    source = "agent" if owner is own else "global"
    key = f"agents.entries.{agent_id}.tools.profile" if source == "agent" else "tools.profile"
    also_owner = own if isinstance(own.get("alsoAllow"), list) else glob
    also = [v for v in also_owner.get("alsoAllow") or [] if isinstance(v, str)]
    also_key = f"agents.entries.{agent_id}.tools.alsoAllow" if also_owner is own else "tools.alsoAllow"
    allow = tuple(dict.fromkeys([*TOOL_PROFILES[profile], *also]))
    return Layer("profile", "profile", ToolPolicy(allow, None), key, key, tuple(also), also_key)


def _config_layer(section: Mapping[str, Any], name: str, prefix: str) -> Layer | None:
    """Return the allow/deny layer of a tools section (global or agent), or None if it has none."""
    policy = pick_policy(section)
    if policy is None:
        return None
    also = tuple(v for v in section.get("alsoAllow") or [] if isinstance(v, str))
    key = "allow" if isinstance(section.get("allow"), list) else "alsoAllow"
    return Layer(name, name, policy, f"{prefix}.{key}", f"{prefix}.deny", also, f"{prefix}.alsoAllow")


def build_layers(
    config: Mapping[str, Any], agent_id: str | None, sandbox: SandboxPolicy | None
) -> list[Layer]:
    """Return the active layers for an agent; the sandbox layer only if the session is sandboxed."""
    layers = [
        profile_layer(config, agent_id),
        _config_layer(global_tools(config), "global", "tools"),
        _config_layer(agent_tools(config, agent_id), "agent", f"agents.entries.{agent_id}.tools")
        if agent_id
        else None,
    ]
    if sandbox is not None and sandbox.session_is_sandboxed:
        src = sandbox.tool_sources
        layers.append(
            Layer(
                "sandbox",
                src["allow"].source if "allow" in src else "default",
                sandbox.tools,
                src["allow"].key if "allow" in src else "tools.sandbox.tools.allow",
                src["deny"].key if "deny" in src else "tools.sandbox.tools.deny",
            )
        )
    return [layer for layer in layers if layer is not None]


@lru_cache(maxsize=4096)
def _runtime_policy(policy: ToolPolicy) -> ToolPolicy:
    """Return the policy with the runtime's shipped renames applied to both lists (cached: every tool
    of an agent asks for the same layers)."""
    allow = tuple(expand_shipped_names(policy.allow)) if policy.allow is not None else None
    deny = tuple(expand_shipped_names(policy.deny)) if policy.deny is not None else None
    return ToolPolicy(allow, deny)


def decide(tool: str, layers: list[Layer], view: View = "runtime") -> Decision:
    """Return the decision on one tool: the first blocking layer, else the most specific allow."""
    granted: Decision | None = None
    for layer in layers:
        policy = _runtime_policy(layer.policy) if view == "runtime" else layer.policy
        ok, rule, pattern = policy.verdict(tool)
        if not ok:
            key = layer.deny_key if rule == "deny" else layer.allow_key
            return Decision(tool, False, layer.source, key, rule, layer.name, pattern)
        if rule == "allow" and layer.name != "sandbox":
            key = layer.allow_key
            if pattern is not None and pattern in layer.also_allow and layer.also_allow_key:
                key = layer.also_allow_key
            granted = Decision(tool, True, layer.source, key, "allow", layer.name, pattern)
    return granted or Decision(tool, True, "default", "tools", "default", "default")
