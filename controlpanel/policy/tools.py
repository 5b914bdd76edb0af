"""Layered tool policy of one agent and session: which layer lets a tool through or stops it, and why.

Layers, in OpenClaw 2026.9.6's order (`resolveConfiguredToolPolicies` / the runtime pipeline):

1. profile: `agents.entries.<id>.tools.profile` or else `tools.profile`, widened by `alsoAllow`
   (the agent's list if it has one, else the global one);
2. global: `tools.allow` (+`tools.alsoAllow`) / `tools.deny`;
3. agent: `agents.entries.<id>.tools.allow` (+alsoAllow) / `.deny`;
   (extra layers, e.g. `tools.byProvider.<model>`, come here when a caller passes them);
4. sandbox: the sandbox tool layer, only for a session that runs in the sandbox.

A tool is allowed only if every layer lets it through, so a deny anywhere wins and every non-empty
allow list is a restriction. When several layers stop a tool, the decision names an explicit deny
first (that is what the operator wrote to stop it), else the first allow list that leaves it out.

Two views, passed explicitly where the real CLI's audit deliberately differs from the runtime:
the runtime view applies the shipped renames (`update_plan` means `progress_card`; `canvas` also
covers `show_widget`) and expands `group:plugins` to every plugin tool; the audit view (what
`security audit` uses: `isToolAllowedByPolicies`) does neither. Both are recorded in the oracle
fixtures, so both are offered.

Tools outside the built-in catalogue come in two classes the resolver answers for (explain's
`classes`): any plugin-registered tool, and the tools of bundled MCP servers (plugin id
`bundle-mcp`, named by that entry in profiles). Layers are hashable, so answers are memoised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from .catalogue import TOOL_CATALOGUE, TOOL_PROFILES
from .config_access import agent_tools, global_tools
from .matching import ToolPolicy, expand_shipped_names, normalize_tool_name, policy_of, string_tuple
from .sandbox import ListSource, SandboxPolicy, resolve_sandbox, sandbox_settings, sandbox_tool_policy

View = Literal["runtime", "audit"]

# The names OpenClaw's resolver is probed with for the two classes of non-built-in tools (the
# oracle script `openclaw-peer tools` uses exactly these): a made-up plugin tool, and `bundle-mcp`,
# the plugin id under which bundled MCP servers register their tools.
PLUGIN_PROBE = "__some_plugin_tool__"
BUNDLE_MCP = "bundle-mcp"
TOOL_CLASSES: dict[str, str] = {"plugin": PLUGIN_PROBE, "bundleMcp": BUNDLE_MCP}


class Layer(NamedTuple):
    """One policy layer with the config keys it is read from (for the decision's `key`).

    A NamedTuple of strings and tuples: hashable and cheap, as audits build a few per agent.
    """

    name: str  # "profile" | "global" | "agent" | "sandbox"
    source: str  # "profile" | "global" | "agent" | "default" (the CLI's source vocabulary)
    policy: ToolPolicy
    allow_key: str
    deny_key: str
    also_allow: tuple[str, ...] = ()
    also_allow_key: str | None = None


@dataclass(frozen=True)
class Decision:
    """The verdict on one tool for one agent/session, and the rule that decided it.

    `as_plugin` is True when the name is not a built-in tool: the verdict is then the one it would
    get as a plugin-registered tool of that name.
    """

    tool: str
    allowed: bool
    source: str
    key: str
    rule: str  # "deny" | "not-allowed" | "allow" | "default"
    layer: str
    pattern: str | None = None
    as_plugin: bool = False

    @property
    def reason(self) -> str:
        """Return a one-line, human explanation of the verdict."""
        if self.rule == "deny":
            why = f"{self.tool} is denied by {self.key} (matches {self.pattern!r}); deny always wins"
        elif self.rule == "not-allowed":
            why = f"{self.tool} is not in the allow list {self.key}, which blocks everything else"
        elif self.rule == "allow":
            why = f"{self.tool} is allowed by {self.key} (matches {self.pattern!r})"
        else:
            why = f"{self.tool} is allowed: no layer restricts it"
        if self.as_plugin:
            return f"{self.tool} is not a built-in tool; as a plugin tool: {why}"
        return why

    def as_source(self) -> dict[str, str]:
        """Return the `{"source", "key"}` pair shown in explain_json."""
        return {"source": self.source, "key": self.key}

    def as_class(self) -> dict[str, Any]:
        """Return the `{"allowed", "source", "key"}` verdict of a tool class in explain_json."""
        return {"allowed": self.allowed, "source": self.source, "key": self.key}


def is_builtin(tool: str) -> bool:
    """Return True when a name (aliases folded, any case) is a tool of the built-in catalogue."""
    return normalize_tool_name(tool) in _BUILTIN


_BUILTIN = frozenset(TOOL_CATALOGUE)


def _profile_layer(own: Mapping[str, Any], glob: Mapping[str, Any], agent_id: str | None) -> Layer | None:
    profile = own.get("profile") or glob.get("profile")
    if profile.__class__ is not str or profile not in TOOL_PROFILES:
        return None
    also_owner = own if isinstance(own.get("alsoAllow"), list) else glob
    also = string_tuple(also_owner.get("alsoAllow")) or ()
    return _profile_layer_of(profile, also, agent_id, bool(own.get("profile")), also_owner is own)


@lru_cache(maxsize=1024)
def _profile_layer_of(
    profile: str, also: tuple[str, ...], agent_id: str | None, own_profile: bool, own_also: bool
) -> Layer:
    key = f"agents.entries.{agent_id}.tools.profile" if own_profile else "tools.profile"
    also_key = f"agents.entries.{agent_id}.tools.alsoAllow" if own_also else "tools.alsoAllow"
    return Layer("profile", "profile", _profile_policy(profile, also), key, key, also, also_key)


@lru_cache(maxsize=256)
def _profile_policy(profile: str, also: tuple[str, ...]) -> ToolPolicy:
    return ToolPolicy(tuple(dict.fromkeys([*TOOL_PROFILES[profile], *also])), None)


def config_layer(section: Mapping[str, Any], name: str, prefix: str) -> Layer | None:
    """Return the allow/deny layer of a tools section (global, agent, byProvider), or None if none."""
    allow, also, deny = section.get("allow"), section.get("alsoAllow"), section.get("deny")
    if allow is None and also is None and deny is None:
        return None
    return _config_layer(string_tuple(allow), string_tuple(also), string_tuple(deny), name, prefix)


@lru_cache(maxsize=4096)
def _config_layer(
    allow: tuple[str, ...] | None,
    also: tuple[str, ...] | None,
    deny: tuple[str, ...] | None,
    name: str,
    prefix: str,
) -> Layer | None:
    policy = policy_of(allow, also, deny)
    if policy is None:
        return None
    key = "allow" if allow is not None else "alsoAllow"
    return Layer(name, name, policy, f"{prefix}.{key}", f"{prefix}.deny", also or (), f"{prefix}.alsoAllow")


def build_layers(
    config: Mapping[str, Any],
    agent_id: str | None,
    sandbox: SandboxPolicy | None,
    extra: Iterable[Layer] = (),
) -> tuple[Layer, ...]:
    """Return the active layers for an agent (None: the `agents.defaults` scope).

    `extra` layers (e.g. `tools.byProvider.<model>`) go after the agent's; the sandbox layer comes
    last, and only if the session is sandboxed.
    """
    own, glob = agent_tools(config, agent_id), global_tools(config)
    layers: list[Layer] = []
    for layer in (
        _profile_layer(own, glob, agent_id) if own or glob else None,
        config_layer(glob, "global", "tools") if glob else None,
        config_layer(own, "agent", f"agents.entries.{agent_id}.tools") if agent_id and own else None,
    ):
        if layer is not None:
            layers.append(layer)
    layers.extend(extra)
    if sandbox is not None and sandbox.session_is_sandboxed:
        layers.append(sandbox_layer(sandbox.tools, sandbox.tool_sources))
    return tuple(layers)


def sandbox_layer(tools: ToolPolicy, sources: Mapping[str, ListSource]) -> Layer:
    """Return the sandbox tool layer (its keys: where its allow and deny lists came from)."""
    allow, deny = sources.get("allow"), sources.get("deny")
    return Layer(
        "sandbox",
        allow.source if allow else "default",
        tools,
        allow.key if allow else "tools.sandbox.tools.allow",
        deny.key if deny else "tools.sandbox.tools.deny",
    )


def session_layers(
    config: Mapping[str, Any],
    agent_id: str | None,
    session_key: str | None = None,
    extra: Iterable[Layer] = (),
    *,
    sandbox_mode: str | None = None,
) -> tuple[Layer, ...]:
    """Return the layers of an agent's session (default: its main session; agent None: defaults).

    For the main session this is how `security audit` judges a scope (`resolveConfiguredToolPolicies`):
    the sandbox layer only when the sandbox mode is "all", which is what `session_is_sandboxed`
    says of a main session (so the audit's hot path skips the session-key work; it may pass the
    agent's `sandbox_mode` when it already has it).
    """
    if session_key is not None:
        return build_layers(config, agent_id, resolve_sandbox(config, agent_id, session_key), extra)
    layers = build_layers(config, agent_id, None, extra)
    mode = sandbox_mode if sandbox_mode is not None else sandbox_settings(config, agent_id)[0]
    if mode != "all":
        return layers
    return (*layers, sandbox_layer(*sandbox_tool_policy(config, agent_id)))


@lru_cache(maxsize=1024)
def _runtime_policy(policy: ToolPolicy) -> ToolPolicy:
    """Return the policy with the runtime's shipped renames applied to both lists (cached: every tool
    of an agent asks for the same layers)."""
    allow = tuple(expand_shipped_names(policy.allow)) if policy.allow is not None else None
    deny = tuple(expand_shipped_names(policy.deny)) if policy.deny is not None else None
    return ToolPolicy(allow, deny)


def decide(
    tool: str, layers: Iterable[Layer], view: View = "runtime", *, plugin: bool | None = None
) -> Decision:
    """Return the decision on one tool (memoised: layers are hashable).

    `plugin`: judge the name as a plugin-registered tool (default: when it is not built-in). In the
    runtime view `group:plugins` then matches it, as OpenClaw expands that group to every plugin tool.
    """
    as_plugin = not is_builtin(tool) if plugin is None else plugin
    return _decide(tool, tuple(layers), view, as_plugin)


@lru_cache(maxsize=16384)
def _decide(tool: str, layers: tuple[Layer, ...], view: View, as_plugin: bool) -> Decision:
    granted: Decision | None = None
    blocked: Decision | None = None
    plugin_group = as_plugin and view == "runtime"
    for layer in layers:
        policy = _runtime_policy(layer.policy) if view == "runtime" else layer.policy
        ok, rule, pattern = policy.verdict(tool, plugin_group=plugin_group)
        if not ok:
            key = layer.deny_key if rule == "deny" else layer.allow_key
            found = Decision(tool, False, layer.source, key, rule, layer.name, pattern, as_plugin)
            if rule == "deny" and layer.source != "default":
                return found  # a deny the config spells out is what stopped it, whichever layer
            blocked = blocked or found
        elif rule == "allow" and layer.name != "sandbox" and blocked is None:
            key = layer.allow_key
            if pattern is not None and pattern in layer.also_allow and layer.also_allow_key:
                key = layer.also_allow_key
            granted = Decision(tool, True, layer.source, key, "allow", layer.name, pattern, as_plugin)
    return (
        blocked or granted or Decision(tool, True, "default", "tools", "default", "default", None, as_plugin)
    )


@lru_cache(maxsize=8192)
def allowed_subset(
    tools: tuple[str, ...], layers: tuple[Layer, ...], view: View = "audit"
) -> tuple[str, ...]:
    """Return the members of `tools` every layer lets through (memoised: audits ask the same
    questions of the few policy shapes most configs share)."""
    return tuple(t for t in tools if _decide(t, layers, view, not is_builtin(t)).allowed)


def plugin_id_entries(layers: Iterable[Layer], tool: str) -> list[tuple[str, str, str]]:
    """Return (entry, key, "allow" | "deny") for entries of the config's tool lists that may be
    plugin ids.

    OpenClaw's runtime expands a plugin id in an allow or deny list to that plugin's tools, so for
    a tool that is not built in such an entry decides instead, if it names the plugin registering
    the tool; the panel cannot know which plugin that is, so it names the candidates: entries that
    are no built-in tool, group, glob or the tool itself, in the lists the config wrote (a profile's
    alsoAllow, the global, agent and per-model lists; the sandbox lists mix in OpenClaw's defaults).
    """
    name = normalize_tool_name(tool)
    out: dict[tuple[str, str, str], None] = {}
    for layer in layers:
        if layer.name == "sandbox":
            continue
        lists = (
            [(layer.also_allow, layer.also_allow_key, "allow")]
            if layer.name == "profile"
            else [
                (layer.policy.deny, layer.deny_key, "deny"),
                (layer.policy.allow, layer.allow_key, "allow"),
            ]
        )
        for entries, key, verb in lists:
            for entry in entries or ():
                folded = normalize_tool_name(entry)
                if (
                    folded
                    and "*" not in folded
                    and folded != name
                    and ":" not in folded
                    and not is_builtin(folded)
                ):
                    out[entry, key or "", verb] = None
    return list(out)


def tool_classes(layers: Iterable[Layer], view: View = "runtime") -> dict[str, Decision]:
    """Return the verdicts on the two classes of non-built-in tools (plugin, bundleMcp)."""
    layers = tuple(layers)
    return {name: _decide(probe, layers, view, True) for name, probe in TOOL_CLASSES.items()}
