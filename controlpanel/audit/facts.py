"""A read-only view of one config with the derived facts several checks share.

Every derived fact is a `cached_property`: computed at most once per audit, and only if a
check asks for it. Nothing here copies the config. What an agent may do (its agents, default
agent, sandbox, tool layers, exec policy) comes from the one policy engine, `controlpanel.policy`;
the audit only passes the parameters where the CLI's audit deliberately differs from the agent
view (the "audit" tool view, the "audit" default agent, exec security defaulting to deny).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from controlpanel.openclaw.runtime import runtime_channels, unresolved_reference
from controlpanel.policy.config_access import agent_entries, default_agent_id
from controlpanel.policy.exec_policy import RequestedExec, requested_exec, requested_host
from controlpanel.policy.sandbox import sandbox_settings
from controlpanel.policy.tools import Layer, allowed_subset, config_layer, session_layers

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


def per_audit(fn: Callable[[Facts], T]) -> Callable[[Facts], T]:
    """Memoise a helper of several checks on the audit's Facts (computed once per audit)."""
    name = f"_memo_{fn.__module__}.{fn.__qualname__}"

    def wrapper(f: Facts) -> T:
        hit = f.__dict__.get(name, _MISSING)
        if hit is _MISSING:
            hit = f.__dict__[name] = fn(f)
        return hit

    wrapper.__doc__ = fn.__doc__
    wrapper.__name__ = fn.__name__
    return wrapper


_MISSING = object()
T = TypeVar("T")

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
        """Agent entries with their `id` (policy's reader: keyed `agents.entries`, else a legacy
        `agents.list`); the implicit `main` agent when none is configured, as the CLI lists it."""
        out = [
            entry if entry.get("id") == agent_id else {**entry, "id": agent_id}
            for agent_id, entry in agent_entries(self.cfg).items()
        ]
        return out or [IMPLICIT_MAIN]

    @cached_property
    def agent_by_id(self) -> dict[str, Mapping[str, Any]]:
        """Agent entries by id."""
        return {a["id"]: a for a in self.agents}

    @cached_property
    def agent_ids(self) -> list[str]:
        """Configured agent ids, or the implicit ["main"]."""
        return [a["id"] for a in self.agents]

    @cached_property
    def default_agent_id(self) -> str | None:
        """The id the CLI's audit files the global exec scope under (None: it says "global")."""
        return default_agent_id(self.cfg, "audit")

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
            hit = cache[agent_id] = sandbox_settings(self.cfg, agent_id)
        return hit

    def scope_layers(self, agent_id: str | None, session_key: str | None = None) -> tuple[Layer, ...]:
        """Return the tool layers of an agent's session (None: agents.defaults; default: the main
        session, which is how the CLI's audit judges a scope), memoised per audit."""
        cache = self.__dict__.get("_layer_cache")
        if cache is None:
            cache = self.__dict__["_layer_cache"] = {}
        hit = cache.get((agent_id, session_key))
        if hit is None:
            mode = self.sandbox(agent_id)[0] if session_key is None else None
            hit = cache[agent_id, session_key] = session_layers(
                self.cfg, agent_id, session_key, sandbox_mode=mode
            )
        return hit

    def allowed_tools(
        self, agent_id: str | None, tools: tuple[str, ...], session_key: str | None = None
    ) -> tuple[str, ...]:
        """Return which of `tools` the scope of `agent_id` (None: defaults) may use, in the CLI's
        audit view (no runtime renames)."""
        layers = self.__dict__.get("_layer_cache", EMPTY).get((agent_id, session_key))
        if layers is None:
            layers = self.scope_layers(agent_id, session_key)
        return allowed_subset(tools, layers, "audit")

    def requested_exec(self, agent_id: str | None, default_security: str) -> RequestedExec:
        """Return policy's requested exec policy of a scope (None: tools.exec), memoised per audit."""
        cache = self.__dict__.setdefault("_exec_cache", {})
        hit = cache.get((agent_id, default_security))
        if hit is None:
            hit = cache[agent_id, default_security] = requested_exec(
                self.cfg, agent_id, default_security=default_security
            )
        return hit

    def exec_host(self, agent_id: str | None) -> tuple[str, str]:
        """Return policy's requested exec host of a scope (None: tools.exec) and its source key."""
        cache = self.__dict__.setdefault("_host_cache", {})
        hit = cache.get(agent_id)
        if hit is None:
            hit = cache[agent_id] = requested_host(self.cfg, agent_id)
        return hit

    def provider_layers(self, agent_id: str | None, model: str) -> tuple[Layer, ...]:
        """Return the `tools.byProvider` layers for a model (`provider/model`, then `provider`),
        global then the agent's, as extra policies of the scope."""
        agent_tools = sub(self.agent_by_id.get(agent_id or ""), "tools") if agent_id else None
        layers = []
        for prefix, scope in (("tools", self.tools), (f"agents.entries.{agent_id}.tools", agent_tools)):
            by_provider = as_map(sub(scope, "byProvider"))
            for key in (model, model.split("/", 1)[0]):
                layer = config_layer(as_map(by_provider.get(key)), "provider", f"{prefix}.byProvider.{key}")
                if layer is not None:
                    layers.append(layer)
        return session_layers(self.cfg, agent_id, None, layers, sandbox_mode=self.sandbox(agent_id)[0])

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
        model checks; bare names belong to the default provider, openai, and the provider is
        lower-cased, as in the CLI: "OpenAI/GPT-4o-mini" is "openai/GPT-4o-mini")."""
        out: list[tuple[str, str]] = []

        def add(raw: object, source: str) -> None:
            if isinstance(raw, str) and raw.strip():
                provider, slash, model = raw.strip().partition("/")
                out.append((f"{provider.lower()}/{model}" if slash else f"openai/{provider}", source))

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
