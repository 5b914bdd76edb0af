"""A read-only view of one config with the derived facts several checks share.

Every derived fact is a `cached_property`: computed at most once per audit, and only if a
check asks for it. Nothing here copies the config.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..openclaw.ids import normalize_agent_id
from ..openclaw.runtime import runtime_channels, unresolved_reference
from . import toolpolicy

EMPTY: Mapping[str, Any] = {}  # shared read-only default: never mutated


class cached_property:
    """functools.cached_property without the per-access lock of Python 3.11.

    Facts objects live for one audit on one thread, so the lock only costs time.
    """

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)
        return value


RUNTIME_TOOLS = ("exec", "process")
FS_TOOLS = ("read", "write", "edit", "apply_patch")
IMPLICIT_MAIN: Mapping[str, Any] = {"id": "main"}


# These three run ~150 times per audit. Loaded configs hold plain dicts and lists, so an exact
# class test answers first (about 20 % cheaper than isinstance); isinstance still runs for
# anything else, so subclasses behave as before.


def sub(node: Any, *keys: str) -> Any:
    """Return node[k1][k2]... or None when any step is missing or not a mapping."""
    for key in keys:
        if node.__class__ is not dict and not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def as_map(node: Any) -> Mapping[str, Any]:
    """Return node if it is a mapping, else an empty one."""
    return node if node.__class__ is dict or isinstance(node, dict) else EMPTY


def as_list(node: Any) -> list[Any]:
    """Return node if it is a list, else an empty one."""
    return node if node.__class__ is list or isinstance(node, list) else []


def trimmed(value: Any) -> str | None:
    """Return the stripped string, or None for non-strings and blank strings."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def is_secret_ref(value: Any) -> bool:
    """Return True for a SecretRef object (`{"source": ..., "id": ...}`)."""
    return isinstance(value, dict) and "source" in value and "id" in value


@dataclass(frozen=True, slots=True)
class GatewayAuth:
    """Resolved gateway auth: mode plus the credential values that will be used."""

    mode: str
    token: str | None
    password: str | None
    allow_tailscale: bool


class Facts:
    """The config of one audit plus lazily derived facts."""

    def __init__(
        self,
        config: Mapping[str, Any],
        env: Mapping[str, str],
        context: Any = None,
    ) -> None:
        self.cfg = config
        self.context = context  # AuditContext with the panel-only inputs, or None
        self.env = env
        self.gateway = as_map(config.get("gateway"))
        self.tools = as_map(config.get("tools"))
        self.auth_cfg = as_map(self.gateway.get("auth"))

    # --- gateway exposure -------------------------------------------------------------
    @cached_property
    def bind(self) -> str:
        """gateway.bind (default loopback)."""
        bind = self.gateway.get("bind")
        return bind if isinstance(bind, str) else "loopback"

    @cached_property
    def tailscale_mode(self) -> str:
        """gateway.tailscale.mode (default off)."""
        mode = sub(self.gateway, "tailscale", "mode")
        return mode if isinstance(mode, str) else "off"

    @property
    def exposed(self) -> bool:
        """True when bind is not loopback."""
        return self.bind != "loopback"

    @cached_property
    def remotely_exposed(self) -> bool:
        """True when bind is not loopback or Tailscale serve/funnel publishes it."""
        return self.exposed or self.tailscale_mode in ("serve", "funnel")

    @cached_property
    def control_ui_enabled(self) -> bool:
        """Control UI is on unless gateway.controlUi.enabled is false."""
        return sub(self.gateway, "controlUi", "enabled") is not False

    @cached_property
    def trusted_proxies(self) -> list[Any]:
        """gateway.trustedProxies as a list."""
        return as_list(self.gateway.get("trustedProxies"))

    # --- credentials ------------------------------------------------------------------
    def secret_value(self, value: Any) -> tuple[str | None, bool]:
        """Return (value, unresolved_ref) of a credential input.

        Env SecretRefs are resolved from the audit's env, as the CLI materialises them
        (verified, fixture 47); file/exec refs stay unresolved: configured, value unknown. A string
        still holding a ``${VAR}`` reference to an unset variable is no credential (openclaw.runtime):
        ``gateway.auth.token: "${OPENCLAW_GATEWAY_TOKEN}"`` unset leaves the gateway without a token.
        """
        if is_secret_ref(value):
            if value.get("source") == "env":
                return trimmed(self.env.get(str(value.get("id")))), False
            return None, True
        if unresolved_reference(value, self.env):
            return None, False
        return trimmed(value), False

    def _local(self, key: str) -> tuple[str | None, bool]:
        # (value, has_secret_ref) for gateway.auth.<key>
        return self.secret_value(self.auth_cfg.get(key))

    @cached_property
    def env_token(self) -> str | None:
        """OPENCLAW_GATEWAY_TOKEN, stripped."""
        return trimmed(self.env.get("OPENCLAW_GATEWAY_TOKEN"))

    @cached_property
    def env_password(self) -> str | None:
        """OPENCLAW_GATEWAY_PASSWORD, stripped."""
        return trimmed(self.env.get("OPENCLAW_GATEWAY_PASSWORD"))

    @cached_property
    def explicit_auth_mode(self) -> str | None:
        """gateway.auth.mode when written."""
        mode = self.auth_cfg.get("mode")
        return mode if isinstance(mode, str) else None

    @cached_property
    def auth(self) -> GatewayAuth:
        """Gateway auth as the gateway resolves it (config first, then env, then remote)."""
        remote = as_map(self.gateway.get("remote"))
        tok, tok_ref = self._local("token")
        pwd, pwd_ref = self._local("password")
        remote_token = self.secret_value(remote.get("token"))[0]
        token = None if tok_ref else tok or self.env_token or remote_token
        mode_cfg = self.explicit_auth_mode
        password = (
            None
            if pwd_ref
            else pwd
            or self.env_password
            or (None if mode_cfg == "trusted-proxy" else self.secret_value(remote.get("password"))[0])
        )
        mode = mode_cfg or ("password" if password else "token")
        allow_ts = self.auth_cfg.get("allowTailscale")
        if not isinstance(allow_ts, bool):
            allow_ts = self.tailscale_mode == "serve" and mode not in ("password", "trusted-proxy")
        return GatewayAuth(mode, token, password, allow_ts)

    @cached_property
    def has_gateway_auth(self) -> bool:
        """True when a usable shared credential exists for the auth mode (or trusted-proxy)."""
        remote = as_map(self.gateway.get("remote"))
        auth = self.auth
        tok, tok_ref = self._local("token")
        pwd, pwd_ref = self._local("password")
        token_configured = bool(
            auth.token
            or self.env_token
            or tok
            or tok_ref
            or trimmed(remote.get("token"))
            or is_secret_ref(remote.get("token"))
        )
        explicit = self.explicit_auth_mode
        password_candidate = explicit == "password" or (
            explicit not in ("token", "none", "trusted-proxy") and not token_configured
        )
        password_configured = bool(auth.password) or (
            password_candidate and bool(self.env_password or pwd or pwd_ref)
        )
        if explicit == "token":
            ok = token_configured
        elif explicit == "password":
            ok = password_configured
        elif explicit in ("none", "trusted-proxy"):
            ok = False
        else:
            ok = token_configured or password_configured
        return ok or auth.mode == "trusted-proxy"

    @cached_property
    def has_http_auth(self) -> bool:
        """True when the HTTP APIs need a credential that is actually set."""
        auth = self.auth
        if auth.mode == "token":
            return bool(auth.token)
        if auth.mode == "password":
            return bool(auth.password)
        return auth.mode == "trusted-proxy"

    # --- agents and sandbox -------------------------------------------------------------
    @cached_property
    def agents(self) -> list[Mapping[str, Any]]:
        """Agent entries with an `id` (keyed `agents.entries`, or a legacy `agents.list`)."""
        agents = as_map(self.cfg.get("agents"))
        entries = agents.get("entries")
        out: list[Mapping[str, Any]] = []
        if isinstance(entries, dict):
            for key, entry in entries.items():
                if isinstance(entry, dict):
                    out.append(entry if isinstance(entry.get("id"), str) else {**entry, "id": key})
        for entry in as_list(agents.get("list")):
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                out.append(entry)
        # The gateway materialises an implicit "main" agent when none is configured, and the
        # CLI's per-agent checks list it (verified against the oracle).
        return out or [IMPLICIT_MAIN]

    @cached_property
    def agent_by_id(self) -> dict[str, Mapping[str, Any]]:
        """Agent entries by id."""
        return {a["id"]: a for a in self.agents}

    @cached_property
    def agent_ids(self) -> list[str]:
        """Configured agent ids, or the implicit ["main"]."""
        return [a["id"] for a in self.agents] or ["main"]

    @cached_property
    def default_agent_id(self) -> str:
        """The default agent: the one marked default, the sole entry, or main."""
        for agent in self.agents:
            if agent.get("default") is True:
                return agent["id"]
        return self.agents[0]["id"] if self.agents else "main"

    @cached_property
    def exec_scope_owner(self) -> str | None:
        """The agent the top-level tools.exec scope is reported for, as the CLI's exec checks name it
        (normalised), or None when the roster names none ("global"): the one legacy ``default: true``
        marker unless agents.ownership is "explicit", else the sole agent ("main" without a roster)."""
        agents = as_map(self.cfg.get("agents"))
        configured = [a for a in self.agents if a is not IMPLICIT_MAIN]
        marked = [a for a in configured if a.get("default") is True]
        if agents.get("ownership") != "explicit" and len(marked) == 1:
            return normalize_agent_id(marked[0]["id"])
        if not configured:
            return None if "entries" in agents or "list" in agents else "main"
        return normalize_agent_id(configured[0]["id"]) if len(configured) == 1 else None

    @cached_property
    def defaults_sandbox(self) -> Mapping[str, Any]:
        """agents.defaults.sandbox."""
        return as_map(sub(self.cfg, "agents", "defaults", "sandbox"))

    def sandbox(self, agent_id: str | None) -> tuple[str, str]:
        """Return (mode, workspaceAccess) of an agent (None: the defaults), memoised (asked ~9
        times per audit by the exec, exposure and model checks)."""
        cache = self.__dict__.get("_sandbox_cache")
        if cache is None:
            cache = self.__dict__["_sandbox_cache"] = {}
        hit = cache.get(agent_id)
        if hit is None:
            agent_sb = as_map(sub(self.agent_by_id.get(agent_id or ""), "sandbox"))
            defaults = self.defaults_sandbox
            hit = cache[agent_id] = (
                agent_sb.get("mode") or defaults.get("mode") or "off",
                agent_sb.get("workspaceAccess") or defaults.get("workspaceAccess") or "none",
            )
        return hit

    def tool_policies(
        self, agent_tools: Mapping[str, Any] | None, sandbox_mode: str, extra: tuple = ()
    ) -> list[toolpolicy.Policy]:
        """Return the layered tool policies of a scope (profile, global, agent, sandbox)."""
        agent_tools = agent_tools if isinstance(agent_tools, dict) else None
        profile = (agent_tools or EMPTY).get("profile") or self.tools.get("profile")
        also = toolpolicy._str_list((agent_tools or EMPTY).get("alsoAllow"))
        if also is None:
            also = toolpolicy._str_list(self.tools.get("alsoAllow"))
        policies = []
        for policy in (
            toolpolicy.profile_policy(profile, also),
            toolpolicy.pick_policy(self.tools),
            toolpolicy.pick_policy(agent_tools),
            *extra,
        ):
            if policy is not None:
                policies.append(policy)
        if sandbox_mode == "all":
            sb_tools = as_map(sub(self.tools, "sandbox", "tools"))
            allow = toolpolicy._str_list(sb_tools.get("allow"))
            deny = toolpolicy._str_list(sb_tools.get("deny"))
            policies.append(
                (
                    allow if allow is not None else toolpolicy.SANDBOX_DEFAULT_ALLOW,
                    deny if deny is not None else toolpolicy.SANDBOX_DEFAULT_DENY,
                )
            )
        return policies

    def allowed_tools(self, agent_id: str | None, tools: tuple[str, ...]) -> tuple[str, ...]:
        """Return which of `tools` the scope of `agent_id` (None: defaults) may use."""
        return toolpolicy.allowed_subset(tools, self.scope_policies(agent_id))

    def scope_policies(self, agent_id: str | None) -> tuple[toolpolicy.Policy, ...]:
        """Return the tool policies of an agent scope (None: agents.defaults), memoised."""
        cache = self.__dict__.setdefault("_policy_cache", {})
        hit = cache.get(agent_id)
        if hit is None:
            tools = sub(self.agent_by_id.get(agent_id or ""), "tools") if agent_id else None
            hit = cache[agent_id] = tuple(
                self.tool_policies(as_map(tools) or None, self.sandbox(agent_id)[0])
            )
        return hit

    @cached_property
    def tool_contexts(self) -> list[tuple[str, str | None, Mapping[str, Any] | None]]:
        """(label, agent id, agent tools) for agents.defaults and each agent entry."""
        out: list[tuple[str, str | None, Mapping[str, Any] | None]] = [("agents.defaults", None, None)]
        for agent in self.agents:
            tools = agent.get("tools")
            out.append((f"agents.entries.{agent['id']}", agent["id"], as_map(tools) or None))
        return out

    # --- models -------------------------------------------------------------------------
    @cached_property
    def model_refs(self) -> list[tuple[str, str]]:
        """(model id, config source) for every configured primary/fallback model (read by three
        model checks; bare names belong to the default provider, openai, as in the CLI)."""
        out: list[tuple[str, str]] = []

        def add(raw: object, source: str) -> None:
            if isinstance(raw, str) and raw.strip():
                model = raw.strip()
                out.append((model if "/" in model else f"openai/{model}", source))

        defaults = as_map(sub(self.cfg, "agents", "defaults"))
        for key in ("model", "imageModel"):
            value = defaults.get(key)
            if isinstance(value, str):
                add(value, f"agents.defaults.{key}.primary")
            else:
                add(sub(value, "primary"), f"agents.defaults.{key}.primary")
                for fb in as_list(sub(value, "fallbacks")):
                    add(fb, f"agents.defaults.{key}.fallbacks")
        for agent in self.agents:
            model = agent.get("model")
            if isinstance(model, str):
                add(model, f"agents.entries.{agent['id']}.model")
            elif isinstance(model, dict):
                add(model.get("primary"), f"agents.entries.{agent['id']}.model.primary")
                for fb in as_list(model.get("fallbacks")):
                    add(fb, f"agents.entries.{agent['id']}.model.fallbacks")
        return out

    # --- channels -----------------------------------------------------------------------
    @cached_property
    def channels(self) -> Mapping[str, Any]:
        """The channels section as the running gateway holds it: a bundled channel's schema defaults
        filled in (Telegram's groupPolicy "allowlist"), the others as written (openclaw.runtime)."""
        return runtime_channels(self.cfg)

    @cached_property
    def open_inbound_policies(self) -> list[str]:
        """Paths of channel/account groupPolicy or dmPolicy (or legacy dm.policy) = open."""
        out: list[str] = []

        def inspect(section: Mapping[str, Any], base: str) -> None:
            if section.get("groupPolicy") == "open":
                out.append(f"{base}.groupPolicy")
            dm_policy = section.get("dmPolicy")
            legacy = sub(section, "dm", "policy")
            if (dm_policy if dm_policy is not None else legacy) == "open":
                out.append(f"{base}.{'dm.policy' if dm_policy is None else 'dmPolicy'}")

        for channel_id, section in self.channels.items():
            if isinstance(section, dict):
                inspect(section, f"channels.{channel_id}")
                for account_id, account in as_map(section.get("accounts")).items():
                    if isinstance(account, dict):
                        inspect(account, f"channels.{channel_id}.accounts.{account_id}")
        return out

    @cached_property
    def open_exec_surface_paths(self) -> list[str]:
        """Every groupPolicy/dmPolicy = open anywhere under channels (recursive), sorted."""
        hits: set[str] = set()
        stack = [(v, f"channels.{k}") for k, v in self.channels.items()]
        while stack:
            node, scope = stack.pop()
            if not isinstance(node, dict):
                continue
            if node.get("groupPolicy") == "open":
                hits.add(f"{scope}.groupPolicy")
            if node.get("dmPolicy") == "open":
                hits.add(f"{scope}.dmPolicy")
            for key, nested in node.items():
                if isinstance(nested, dict):
                    stack.append((nested, f"{scope}.{key}"))
        return sorted(hits)

    @cached_property
    def multi_user_signals(self) -> list[str]:
        """Heuristic signals that more than one person can talk to the gateway."""
        out: dict[str, None] = {}

        def wildcard(values: Any) -> bool:
            return any(isinstance(v, (str, int)) and str(v).strip() == "*" for v in as_list(values))

        def inspect(section: Mapping[str, Any], base: str) -> None:
            group_policy = section.get("groupPolicy")
            if group_policy == "open":
                out[f'{base}.groupPolicy="open"'] = None
            elif group_policy == "allowlist" and any(
                isinstance(section.get(k), dict) and section.get(k)
                for k in ("groups", "guilds", "channels", "rooms")
            ):
                out[f'{base}.groupPolicy="allowlist" with configured group targets'] = None
            if section.get("dmPolicy") == "open":
                out[f'{base}.dmPolicy="open"'] = None
            if wildcard(section.get("allowFrom")):
                out[f'{base}.allowFrom includes "*"'] = None
            if wildcard(section.get("groupAllowFrom")):
                out[f'{base}.groupAllowFrom includes "*"'] = None
            dm = section.get("dm")
            if isinstance(dm, dict):
                if dm.get("policy") == "open":
                    out[f'{base}.dm.policy="open"'] = None
                if wildcard(dm.get("allowFrom")):
                    out[f'{base}.dm.allowFrom includes "*"'] = None

        for channel_id, section in self.channels.items():
            if not isinstance(section, dict):
                continue
            inspect(section, f"channels.{channel_id}")
            for account_id, account in as_map(section.get("accounts")).items():
                if isinstance(account, dict):
                    merged = {k: v for k, v in section.items() if k != "accounts"}
                    merged.update(account)
                    inspect(merged, f"channels.{channel_id}.accounts.{account_id}")
        return list(out)

    @cached_property
    def risky_tool_contexts(self) -> tuple[list[str], bool]:
        """Contexts exposing runtime or fs tools without sandboxing, and whether runtime is."""
        contexts: list[str] = []
        runtime_risk = False
        fs_default = sub(self.tools, "fs", "workspaceOnly")
        for label, agent_id, agent_tools in self.tool_contexts:
            mode, _ = self.sandbox(agent_id)
            runtime = self.allowed_tools(agent_id, RUNTIME_TOOLS)
            fs = self.allowed_tools(agent_id, FS_TOOLS)
            ws_only = sub(agent_tools, "fs", "workspaceOnly") if agent_tools else None
            if ws_only is None:
                ws_only = fs_default
            runtime_unguarded = bool(runtime) and mode != "all"
            fs_unguarded = bool(fs) and mode != "all" and ws_only is not True
            if not runtime_unguarded and not fs_unguarded:
                continue
            runtime_risk = runtime_risk or runtime_unguarded
            contexts.append(
                f"{label} (sandbox={mode}; runtime=[{', '.join(runtime) or 'off'}]; "
                f"fs=[{', '.join(fs) or 'off'}]; "
                f"fs.workspaceOnly={'true' if ws_only is True else 'false'})"
            )
        return contexts, runtime_risk
