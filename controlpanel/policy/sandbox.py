"""Sandbox layer: where an agent's tools run, whether a session is sandboxed, the sandbox tool list.

Behaviour of OpenClaw 2026.9.6 (`sandbox/config`, `sandbox/runtime-status`, `sandbox/tool-policy`):

- mode/scope/workspaceAccess: the agent's `agents.entries.<id>.sandbox.*` wins over
  `agents.defaults.sandbox.*`; defaults are mode "off", scope "agent" (legacy `perSession: true`
  means "session", false means "shared"), workspaceAccess "none", docker network "none".
- a session is sandboxed when mode is "all", or mode is "non-main" and the session is not the
  agent's main session. The main session key is `agent:<id>:main` (`session.mainKey` is ignored
  by the loader), or `global` when `session.scope` is "global"; `main` and `agent:<id>:main` alias it.
- the sandbox tool layer: allow = agent list, else global `tools.sandbox.tools.allow`, else the
  default list (alsoAllow is appended; an explicit empty allow stays empty). deny = agent list,
  else global, else the default deny list minus anything explicitly re-allowed. If the allow list is
  non-empty, `view_image` is added unless denied; denying `image` also denies `view_image`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .catalogue import SANDBOX_DEFAULT_ALLOW, SANDBOX_DEFAULT_DENY
from .config_access import DEFAULT_AGENT_ID, agent_entry, as_dict, dig
from .matching import ToolPolicy, expand_groups, glob_matches, normalize_tool_name

SANDBOX_MODES = ("off", "non-main", "all")


@dataclass(frozen=True)
class ListSource:
    """Where one sandbox tool list came from, in the CLI's words: source agent/global/default + key."""

    source: str
    key: str

    def as_json(self) -> dict[str, str]:
        """Return the `{"source", "key"}` dict the CLI prints."""
        return {"source": self.source, "key": self.key}


@dataclass(frozen=True)
class SandboxPolicy:
    """The resolved sandbox settings of one agent (and, if given, one session)."""

    mode: str
    scope: str
    workspace_access: str
    network: str
    backend: str
    session_key: str
    main_session_key: str
    session_is_sandboxed: bool
    tools: ToolPolicy
    tool_sources: dict[str, ListSource] = field(default_factory=dict)


def main_session_key(config: Mapping[str, Any], agent_id: str) -> str:
    """Return the agent's main session key (`agent:<id>:main`, or `global` for global session scope)."""
    session = as_dict(config.get("session"))
    if session.get("scope") == "global":
        return "global"
    return f"agent:{agent_id.lower()}:{_main_key(config)}"


def _main_key(config: Mapping[str, Any]) -> str:
    """Return the main session name: always "main".

    Why: OpenClaw 2026.9.6 forces `session.mainKey` to "main" when it loads the config ("session.mainKey
    is ignored; main session is always \"main\"."), whatever the file says (fixture 36-session-mainkey).
    """
    return "main"


def display_session_key(config: Mapping[str, Any], agent_id: str, session_key: str | None) -> str:
    """Return the session key as the CLI names it: default main, bare names become the agent's keys."""
    raw = (session_key or "").strip()
    if not raw:
        return f"agent:{agent_id.lower()}:{_main_key(config)}"
    if ":" in raw or raw == "global":
        return raw
    return f"agent:{agent_id.lower()}:{raw.lower()}"


def canonical_session_key(config: Mapping[str, Any], agent_id: str, session_key: str | None) -> str:
    """Return the key used to classify a session: main-session aliases fold onto the main key.

    Aliases are `main`, `agent:<id>:main` and the legacy default agent's `agent:main:main`;
    with `session.scope` "global" they all mean `global`.
    """
    raw = display_session_key(config, agent_id, session_key)
    key = _main_key(config)
    agent = agent_id.lower()
    aliases = {
        "main",
        key,
        f"agent:{agent}:{key}",
        f"agent:{agent}:main",
        f"agent:main:{key}",
        "agent:main:main",
    }
    if raw in aliases:
        return main_session_key(config, agent_id)
    return raw


def session_is_sandboxed(mode: str, session_key: str, main_key: str) -> bool:
    """Return whether a session runs in the sandbox under the given mode."""
    if mode == "all":
        return True
    if mode == "non-main":
        return session_key.strip() != main_key.strip()
    return False


def _pick_list(
    field_name: str, agent: Mapping[str, Any], glob: Mapping[str, Any]
) -> tuple[tuple[str, ...] | None, ListSource]:
    """Return (values or None, source) for one sandbox tool list: agent wins over global."""
    key = f"tools.sandbox.tools.{field_name}"
    if isinstance(agent.get(field_name), list):
        return _strings(agent[field_name]), ListSource("agent", f"agents.entries.*.{key}")
    if isinstance(glob.get(field_name), list):
        return _strings(glob[field_name]), ListSource("global", key)
    return None, ListSource("default", key)


def _text(value: Any) -> str:
    """Return a stripped string value, or "" for anything else."""
    return value.strip() if isinstance(value, str) else ""


def _strings(values: list[Any]) -> tuple[str, ...]:
    return tuple(v for v in values if isinstance(v, str))


def sandbox_tool_policy(
    config: Mapping[str, Any], agent_id: str | None
) -> tuple[ToolPolicy, dict[str, ListSource]]:
    """Return the sandbox tool layer of an agent (expanded allow/deny lists) and its list sources."""
    agent_lists = dig(agent_entry(config, agent_id), "tools", "sandbox", "tools")
    global_lists = dig(config, "tools", "sandbox", "tools")
    allow_cfg, allow_src = _pick_list("allow", agent_lists, global_lists)
    also_cfg, also_src = _pick_list("alsoAllow", agent_lists, global_lists)
    deny_cfg, deny_src = _pick_list("deny", agent_lists, global_lists)
    sources = {"allow": _allow_source(allow_cfg, allow_src, also_src), "deny": deny_src}
    return _sandbox_lists(allow_cfg, also_cfg or (), deny_cfg), sources


@lru_cache(maxsize=1024)
def _sandbox_lists(
    allow_cfg: tuple[str, ...] | None, also: tuple[str, ...], deny_cfg: tuple[str, ...] | None
) -> ToolPolicy:
    """Return the expanded sandbox allow/deny lists (memoised: configs repeat a few list shapes)."""
    if allow_cfg is not None:
        allow = list(allow_cfg) if not allow_cfg or not also else list(dict.fromkeys([*allow_cfg, *also]))
    else:
        allow = list(dict.fromkeys([*SANDBOX_DEFAULT_ALLOW, *also]))
    if deny_cfg is not None:
        deny = list(deny_cfg)
    else:
        # Why: naming a default-denied tool in the sandbox allow lists re-enables it.
        re_allowed = expand_groups([*(allow_cfg or ()), *also])
        deny = [t for t in SANDBOX_DEFAULT_DENY if glob_matches(normalize_tool_name(t), re_allowed) is None]
    exp_allow, exp_deny = expand_groups(allow), expand_groups(deny)
    if glob_matches("image", exp_deny) is not None and glob_matches("view_image", exp_deny) is None:
        exp_deny.append("view_image")
    if exp_allow and "view_image" not in exp_deny and "view_image" not in exp_allow:
        exp_allow.append("view_image")
    return ToolPolicy(tuple(exp_allow), tuple(exp_deny))


def _allow_source(allow_cfg: Any, allow_src: ListSource, also_src: ListSource) -> ListSource:
    """Return the reported source of the allow list: agent before global, allow before alsoAllow."""
    defined = isinstance(allow_cfg, list)
    for level in ("agent", "global"):
        if defined and allow_src.source == level:
            return allow_src
        if also_src.source == level:
            return also_src
    return allow_src


def sandbox_settings(config: Mapping[str, Any], agent_id: str | None) -> tuple[str, str]:
    """Return (mode, workspaceAccess) of an agent (None: `agents.defaults.sandbox` alone)."""
    if config.get("agents") is None:  # nothing configured (common in small configs): the defaults
        return "off", "none"
    defaults = dig(config, "agents", "defaults", "sandbox")
    own = dig(agent_entry(config, agent_id), "sandbox")
    mode, access = own.get("mode"), own.get("workspaceAccess")
    if mode is None:
        mode = defaults.get("mode")
    if access is None:
        access = defaults.get("workspaceAccess")
    return "off" if mode is None else mode, "none" if access is None else access


def _pick(own: Mapping[str, Any], defaults: Mapping[str, Any], key: str, default: Any) -> Any:
    """Return the agent's value, else the defaults' value, else `default` (null counts as unset)."""
    value = own.get(key)
    if value is None:
        value = defaults.get(key)
    return default if value is None else value


def resolve_sandbox(
    config: Mapping[str, Any], agent_id: str | None, session_key: str | None = None
) -> SandboxPolicy:
    """Return the sandbox settings of an agent for a session (default: its main session).

    agent_id None resolves the `agents.defaults` scope (session keys are those of `main`).
    """
    defaults = as_dict(as_dict(as_dict(config.get("agents")).get("defaults")).get("sandbox"))
    own = as_dict(agent_entry(config, agent_id).get("sandbox"))
    keys_of = agent_id or DEFAULT_AGENT_ID

    def pick(key: str, default: Any) -> Any:
        return _pick(own, defaults, key, default)

    scope = pick("scope", None)
    if scope is None:
        per_session = pick("perSession", None)
        scope = "agent" if not isinstance(per_session, bool) else ("session" if per_session else "shared")
    own_docker = {} if scope == "shared" else as_dict(own.get("docker"))
    network = own_docker.get("network") or as_dict(defaults.get("docker")).get("network") or "none"
    backend = _text(own.get("backend")) or _text(defaults.get("backend")) or "docker"
    mode = pick("mode", "off")
    main = main_session_key(config, keys_of)
    key = display_session_key(config, keys_of, session_key)
    comparable = canonical_session_key(config, keys_of, session_key)
    tools, sources = sandbox_tool_policy(config, agent_id)
    return SandboxPolicy(
        mode=mode,
        scope=scope,
        workspace_access=pick("workspaceAccess", "none"),
        network=network,
        backend=backend,
        session_key=key,
        main_session_key=main,
        session_is_sandboxed=session_is_sandboxed(mode, comparable, main),
        tools=tools,
        tool_sources=sources,
    )
