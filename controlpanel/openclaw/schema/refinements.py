"""The rules of OpenClaw's zod schema that a JSON Schema cannot carry (its ``superRefine``/``refine``
calls, read not copied), each written here once and worded as the CLI words it.

A rule is attached where zod has it, found by shape: an object rule to the set of keys the schema names at
a representative path, so every object of that shape gets it (a sandbox's docker settings under
agents.defaults or under any agent, as the one zod object); a value rule or a record-key rule to a
property of such an object. ``zod.ZodChecker`` calls a rule only when what it refines failed no type
check, as zod does.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from ...policy.exec_policy import mode_from_pair
from ..ids import normalize_agent_id
from .real import node_at, object_branch
from .zod import KeyRule, Refinement, Rules, ZodIssue, custom

_ENV_ID, _ENV_EXAMPLE = "/^[A-Z][A-Z0-9_]{0,127}$/", '"OPENAI_API_KEY"'
_OBJECT_RULES: list[tuple[str, Refinement]] = []
_VALUE_RULES: list[tuple[str, Refinement]] = []
_KEY_RULES: list[tuple[str, KeyRule]] = []
# zod's own messages for pattern mismatches (schema path of the property -> message).
_PATTERN_MESSAGES = {
    "models.providers.*.apiKey#1#0.provider": (
        'Secret reference provider must match /^[a-z][a-z0-9_-]{0,63}$/ (example: "default").'
    ),
    "hooks.mappings.[].forEach": "forEach must be a top-level payload key",
    # A SecretRef's id: the message names the source (env and store ids share one pattern).
    "models.providers.*.apiKey#1#0.id": lambda ref: {
        "env": f"Env secret reference id must match {_ENV_ID} (example: {_ENV_EXAMPLE}).",
        "store": f"Store secret reference id must match {_ENV_ID} (example: {_ENV_EXAMPLE}).",
    }.get(ref.get("source")),
    "gateway.auth.trustedProxy.cloudflareAccessOidc.issuer": (
        "Expected a Cloudflare Access HTTPS issuer origin without a trailing slash"
    ),
}

_BOTH = (
    "cannot set both allow and alsoAllow in the same scope "
    "(merge alsoAllow into allow, or remove allow and use profile + alsoAllow)"
)


def refines(*paths: str) -> Callable[[Refinement], Refinement]:
    """Attach a rule to the object shape found at each schema path."""

    def register(rule: Refinement) -> Refinement:
        _OBJECT_RULES.extend((path, rule) for path in paths)
        return rule

    return register


def refines_value(*paths: str) -> Callable[[Refinement], Refinement]:
    """Attach a rule to the value of a property ("mcp.apps.sandboxOrigin")."""

    def register(rule: Refinement) -> Refinement:
        _VALUE_RULES.extend((path, rule) for path in paths)
        return rule

    return register


def refines_keys(*paths: str) -> Callable[[KeyRule], KeyRule]:
    """Attach a rule to the keys of the record a property holds ("cloudWorkers.projectProfiles")."""

    def register(rule: KeyRule) -> KeyRule:
        _KEY_RULES.extend((path, rule) for path in paths)
        return rule

    return register


def _shape(path: str) -> frozenset[str]:
    keys = frozenset(_shape_at(path).get("properties", {}))
    if not keys:
        raise LookupError(f"no object at {path} in the recorded schema")
    return keys


def rules() -> Rules:
    """Return every rule, keyed for ``zod.ZodChecker``."""
    found = Rules()
    for path, rule in _OBJECT_RULES:
        listed = found.objects.setdefault(_shape(path), [])
        if rule not in listed:
            listed.append(rule)
    for path, rule in _VALUE_RULES:
        parent, _, key = path.rpartition(".")
        listed = found.values.setdefault((_shape(parent), key), [])
        if rule not in listed:
            listed.append(rule)
    for path, key_rule in _KEY_RULES:
        parent, _, key = path.rpartition(".")
        found.keys[(_shape(parent), key)] = key_rule
    for path, message in _PATTERN_MESSAGES.items():
        parent, _, key = path.rpartition(".")
        found.messages[(_shape(parent), key)] = message
    return found


def _shape_at(path: str) -> dict[str, Any]:
    """The object at a schema path; each "#N" picks the N-th branch of the union there."""
    path, *branches = path.split("#")
    node = node_at(path)
    for branch in branches:
        node = node.get("anyOf", node.get("oneOf", []))[int(branch)]
    return object_branch(node)


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _both(value: dict[str, Any]) -> bool:
    return bool(value.get("allow")) and bool(value.get("alsoAllow"))


@refines("tools.sandbox.tools", "tools.subagents.tools")
def _tool_policy(value: dict[str, Any], at: tuple[Any, ...]) -> list[ZodIssue]:
    return [custom(f"tools policy {_BOTH}")] if _both(value) else []


@refines("tools.byProvider.*")
def _tool_policy_with_profile(value: dict[str, Any], at: tuple[Any, ...]) -> list[ZodIssue]:
    return [custom(f"tools.byProvider policy {_BOTH}")] if _both(value) else []


@refines("agents.entries.*.tools")
def _agent_tools(value: dict[str, Any], at: tuple[Any, ...]) -> list[ZodIssue]:
    return [custom(f"agent tools {_BOTH}")] if _both(value) else []


@refines("tools")
def _tools(value: dict[str, Any], at: tuple[Any, ...]) -> list[ZodIssue]:
    return [custom(f"tools {_BOTH}")] if _both(value) else []


def _exact_mode(security: str, ask: str) -> str | None:
    """The exec mode that stands for exactly this security+ask pair (None when no mode does)."""
    if ask == "always" or (security == "full" and ask == "on-miss"):
        return None
    return mode_from_pair(security, ask)


@refines("tools.exec")
def _exec_mode(value: dict[str, Any], at: tuple[Any, ...]) -> list[ZodIssue]:
    """``mode`` replaces the legacy security/ask pair; both in one exec object is refused."""
    security, ask = value.get("security"), value.get("ask")
    if "mode" not in value or (security is None and ask is None):
        return []
    if security is not None and ask is not None:
        exact = _exact_mode(security, ask)
        if exact:
            repair = (
                f'Replace security/ask with mode="{exact}" (the equivalent of security="{security}" '
                f'+ ask="{ask}").'
            )
        else:
            repair = (
                "This security/ask pair has no exact mode equivalent. To keep this policy, retain both "
                "legacy fields and remove mode."
            )
    else:
        repair = (
            "The legacy policy is incomplete. Choose the intended security and ask values before converting; "
            "no mode equivalent can be inferred."
        )
    message = (
        "mode cannot be combined with security or ask in the same exec object. Update the deploy script, "
        f"template, or patch at this scope. {repair} Doctor migrates supported legacy policies to mode; run "
        '"openclaw doctor --fix" only when the saved file still needs migration.'
    )
    return [custom(message, "mode")]


_DRIVE = re.compile(r"[A-Za-z]:[\\/]")


def bind_source(bind: str) -> str:
    """The host side of a docker bind spec ("/srv/data:/data:ro" -> "/srv/data"; drive letters kept)."""
    start = 2 if _DRIVE.match(bind) else 0
    separator = bind.find(":", start)
    return bind if separator < 0 else bind[:separator]


def host_path_absolute(source: str) -> bool:
    """Whether a bind source is an absolute POSIX or Windows drive-letter path (as OpenClaw accepts)."""
    for prefix in ("\\\\?\\", "//?/"):
        if source.startswith(prefix):
            source = source[len(prefix) :]
    return source.startswith("/") or bool(_DRIVE.match(source))


def _bind_issues(binds: Any) -> list[ZodIssue]:
    found: list[ZodIssue] = []
    for index, bind in enumerate(binds if isinstance(binds, list) else []):
        bind = bind if isinstance(bind, str) else ""
        if not bind.strip():
            found.append(
                custom("Sandbox security: bind mount entry must be a non-empty string.", "binds", index)
            )
            continue
        source = bind_source(bind)
        if not host_path_absolute(source):
            found.append(
                custom(
                    f'Sandbox security: bind mount "{bind}" uses a non-absolute source path "{source}". Only '
                    "absolute POSIX or Windows drive-letter paths are supported for sandbox binds.",
                    "binds",
                    index,
                )
            )
    return found


def _lowered(value: Any) -> str:
    return value.strip().lower() if isinstance(value, str) else ""


@refines("agents.defaults.sandbox.docker")
def _sandbox_docker(value: dict[str, Any], at: tuple[Any, ...]) -> list[ZodIssue]:
    """The sandbox security rules: relative binds, host or container network, unconfined profiles."""
    found = _bind_issues(value.get("binds"))
    network = _lowered(value.get("network"))
    if network == "host":
        found.append(
            custom(
                'Sandbox security: network mode "host" is blocked. Use "bridge" or "none" instead.', "network"
            )
        )
    elif network.startswith("container:") and value.get("dangerouslyAllowContainerNamespaceJoin") is not True:
        found.append(
            custom(
                'Sandbox security: network mode "container:*" is blocked by default. Use a custom bridge '
                "network, or set dangerouslyAllowContainerNamespaceJoin=true only when you fully trust this "
                "runtime.",
                "network",
            )
        )
    if _lowered(value.get("seccompProfile")) == "unconfined":
        found.append(
            custom(
                'Sandbox security: seccomp profile "unconfined" is blocked. Use a custom seccomp profile '
                "file or omit this setting.",
                "seccompProfile",
            )
        )
    if _lowered(value.get("apparmorProfile")) == "unconfined":
        found.append(
            custom(
                'Sandbox security: AppArmor profile "unconfined" is blocked. Use a named AppArmor profile '
                "or omit this setting.",
                "apparmorProfile",
            )
        )
    return found


@refines("agents.defaults.sandbox.browser")
def _sandbox_browser(value: dict[str, Any], at: tuple[Any, ...]) -> list[ZodIssue]:
    found = _bind_issues(value.get("binds"))
    if _lowered(value.get("network")) == "host":
        found.append(
            custom(
                'Sandbox security: browser network mode "host" is blocked. Use "bridge" or a custom bridge '
                "network instead.",
                "network",
            )
        )
    return found


@refines("agents.defaults.sandbox")
def _sandbox_browser_namespace(value: dict[str, Any], at: tuple[Any, ...]) -> list[ZodIssue]:
    """A sandbox browser joining another container's namespace needs the docker break-glass flag."""
    network = _lowered(_dig(value, "browser", "network"))
    allowed = _dig(value, "docker", "dangerouslyAllowContainerNamespaceJoin") is True
    if not network.startswith("container:") or allowed:
        return []
    return [
        custom(
            'Sandbox security: browser network mode "container:*" is blocked by default. Set '
            "sandbox.docker.dangerouslyAllowContainerNamespaceJoin=true only when you fully trust this "
            "runtime.",
            "browser",
            "network",
        )
    ]


@refines("browser.profiles.*")
def _browser_profile(value: dict[str, Any], at: tuple[Any, ...]) -> list[ZodIssue]:
    driver = value.get("driver")
    found = []
    if (
        driver not in ("existing-session", "extension")
        and not value.get("cdpPort")
        and not value.get("cdpUrl")
    ):
        found.append(custom("Profile must set cdpPort or cdpUrl"))
    if driver != "existing-session" and value.get("userDataDir"):
        found.append(custom('Profile userDataDir is only supported with driver="existing-session"'))
    if driver == "extension" and value.get("cdpUrl"):
        found.append(
            custom('Profile cdpUrl is not supported with driver="extension" (the relay owns the endpoint)')
        )
    return found


@refines("hooks")
def _hooks(value: dict[str, Any], at: tuple[Any, ...]) -> list[ZodIssue]:
    """A persistent agent mapping needs a session key from somewhere."""
    default_key = value.get("defaultSessionKey")
    has_default = isinstance(default_key, str) and default_key.strip()
    found = []
    mappings = value.get("mappings")
    for index, mapping in enumerate(mappings if isinstance(mappings, list) else []):
        if not isinstance(mapping, dict):
            continue
        key = mapping.get("sessionKey")
        if (
            mapping.get("action", "agent") == "agent"
            and mapping.get("sessionMode") == "persistent"
            and not (isinstance(key, str) and key.strip())
            and not has_default
            and not mapping.get("transform")
        ):
            found.append(
                custom(
                    "persistent hook mappings require sessionKey, hooks.defaultSessionKey, or a transform",
                    "mappings",
                    index,
                    "sessionKey",
                )
            )
    return found


@refines("agents")
def _roster(value: dict[str, Any], at: tuple[Any, ...]) -> list[ZodIssue]:
    """The agent roster: at least one agent, unique ids, one default at most, ownership said."""
    entries = value.get("entries")
    items = list(entries.items()) if isinstance(entries, dict) else []
    found = []
    if not items:
        found.append(custom("agents.entries must contain at least one configured agent", "entries"))
    first_key: dict[str, str] = {}
    for key, _entry in items:
        agent_id = normalize_agent_id(key)
        if agent_id not in first_key:
            first_key[agent_id] = key
            continue
        found.append(
            custom(
                f'agents.entries keys "{first_key[agent_id]}" and "{key}" resolve to the same agent id '
                f'"{agent_id}"; rename one key so each agent has a unique id',
                "entries",
                key,
            )
        )
    marked = [key for key, entry in items if isinstance(entry, dict) and entry.get("default") is True]
    if len(marked) > 1:
        found.append(
            custom(
                f"agents.entries must contain at most one default=true entry (found {len(marked)})", "entries"
            )
        )
    explicit = value.get("ownership") == "explicit"
    if explicit and marked:
        found.append(
            custom(
                "agents.ownership=explicit cannot be combined with a legacy default=true marker", "ownership"
            )
        )
    if len(items) > 1 and not marked and not explicit:
        found.append(
            custom(
                'multi-agent rosters require agents.ownership="explicit" or one legacy default=true marker; '
                'add agents.ownership="explicit" or run openclaw doctor',
                "ownership",
            )
        )
    return found


@refines("bindings.[]#1")
def _binding(value: dict[str, Any], at: tuple[Any, ...]) -> list[ZodIssue]:
    """ACP bindings target one conversation (the route form has no such rule)."""
    if value.get("type") != "acp":
        return []
    peer_id = _dig(value, "match", "peer", "id")
    if isinstance(peer_id, str) and peer_id.strip():
        return []
    return [custom("ACP bindings require match.peer.id to target a concrete conversation.", "match", "peer")]


@refines("gateway.roles")
def _gateway_roles(value: dict[str, Any], at: tuple[Any, ...]) -> list[ZodIssue]:
    definitions = value.get("definitions")
    if isinstance(definitions, dict) and value.get("default") not in definitions:
        return [custom("gateway.roles.default must name a configured role definition", "default")]
    return []


def _provider_rules(scope: str) -> Refinement:
    def rule(value: dict[str, Any], at: tuple[Any, ...]) -> list[ZodIssue]:
        provider = value.get("provider")
        providers = value.get("providers")
        names = list(providers) if isinstance(providers, dict) else []
        if provider and names and provider not in names:
            message = f'{scope}.provider must match a key in {scope}.providers (missing "{provider}")'
            return [custom(message, "provider")]
        if not provider and len(names) > 1:
            return [
                custom(
                    f"{scope}.provider is required when {scope}.providers defines multiple providers",
                    "provider",
                )
            ]
        return []

    return rule


refines("talk")(_provider_rules("talk"))
refines("talk.realtime")(_provider_rules("talk.realtime"))


def _unknown_agent(agent_id: str) -> str:
    return f'Unknown agent id "{agent_id}" (not in agents.entries).'


_BROADCAST_PEER = re.compile(r"[a-z][a-z0-9_-]*:.+\Z", re.IGNORECASE)


@refines("")
def _agent_references(value: dict[str, Any], at: tuple[Any, ...]) -> list[ZodIssue]:
    """Agent ids named elsewhere in the file must be agents of the roster."""
    entries = _dig(value, "agents", "entries")
    ids = list(entries) if isinstance(entries, dict) else []
    known = {normalize_agent_id(agent_id) for agent_id in ids} or {"main"}
    found = []
    targets = (
        (
            ("agents", "defaults", "heartbeat", "agentId"),
            _dig(value, "agents", "defaults", "heartbeat", "agentId"),
        ),
        (
            ("agents", "defaults", "systemAgent", "agentId"),
            _dig(value, "agents", "defaults", "systemAgent", "agentId"),
        ),
        (("talk", "agentId"), _dig(value, "talk", "agentId")),
    )
    for path, agent_id in targets:
        if isinstance(agent_id, str) and normalize_agent_id(agent_id) not in known:
            found.append(custom(_unknown_agent(agent_id), *path))
    bindings = value.get("bindings")
    if ids and isinstance(bindings, list):
        for index, binding in enumerate(bindings):
            agent_id = binding.get("agentId") if isinstance(binding, dict) else None
            if isinstance(agent_id, str) and agent_id != "main" and normalize_agent_id(agent_id) not in known:
                found.append(custom(_unknown_agent(agent_id), "bindings", index, "agentId"))
    broadcast = value.get("broadcast")
    for peer_id, entry in broadcast.items() if isinstance(broadcast, dict) else []:
        if peer_id == "strategy" or not isinstance(entry, dict | list):
            continue
        if not ids and not _BROADCAST_PEER.match(peer_id):
            continue
        listed = entry if isinstance(entry, list) else entry.get("agents")
        prefix = ("broadcast", peer_id) if isinstance(entry, list) else ("broadcast", peer_id, "agents")
        for index, agent_id in enumerate(listed if isinstance(listed, list) else []):
            if agent_id not in ids:
                found.append(custom(_unknown_agent(agent_id), *prefix, index))
    return found


# --- durations, sizes, times -------------------------------------------------------------------------

_SINGLE_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)?\Z")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_SIZE = re.compile(r"(\d+(?:\.\d+)?)([a-z]+)?\Z")
_SIZE_UNITS = frozenset({"b", "kb", "k", "mb", "m", "gb", "g", "tb", "t"})


def _as_text(value: Any) -> str:
    """JavaScript's String(value).trim().toLowerCase() for the scalar a duration or size may be."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    return value.strip().lower() if isinstance(value, str) else ""


def duration_ms(value: Any, default_unit: str) -> float | None:
    """Milliseconds of an OpenClaw duration ("30m", "1h30m", 90 with a default unit); None if invalid."""
    text = _as_text(value)
    if not text:
        return None
    scale = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
    single = _SINGLE_DURATION.match(text)
    if single:
        return float(single.group(1)) * scale[single.group(2) or default_unit]
    total, consumed = 0.0, 0
    for match in _DURATION_PART.finditer(text):
        if match.start() != consumed:
            return None
        total += float(match.group(1)) * scale[match.group(2)]
        consumed = match.end()
    return total if consumed == len(text) and consumed else None


def _size_ok(value: Any) -> bool:
    match = _SIZE.match(_as_text(value))
    return bool(match) and (match.group(2) or "b") in _SIZE_UNITS


@refines_value(
    "session.maintenance.pruneAfter",
    "session.maintenance.preserveRecent",
    "session.maintenance.resetArchiveRetention",
)
def _positive_duration(value: Any, at: tuple[Any, ...]) -> list[ZodIssue]:
    if value is False or not isinstance(value, str | int | float):
        return []
    ms = duration_ms(value, "d")
    if ms is None:
        return [custom("invalid duration (use ms, s, m, h, d)")]
    if ms <= 0:
        return [custom("duration must be positive (use ms, s, m, h, d), e.g. 30d")]
    return []


@refines("session.maintenance")
def _session_sizes(value: dict[str, Any], at: tuple[Any, ...]) -> list[ZodIssue]:
    return [
        custom("invalid size (use b, kb, mb, gb, tb)", key)
        for key in ("maxDiskBytes", "highWaterBytes")
        if key in value and value[key] is not False and not _size_ok(value[key])
    ]


@refines("cron")
def _cron(value: dict[str, Any], at: tuple[Any, ...]) -> list[ZodIssue]:
    retention = value.get("sessionRetention")
    if retention is None or retention is False or duration_ms(retention, "h") is not None:
        return []
    return [custom("invalid duration (use ms, s, m, h, d)", "sessionRetention")]


_TIME = re.compile(r"([01]\d|2[0-3]|24):([0-5]\d)\Z")


@refines("agents.defaults.heartbeat", "agents.entries.*.heartbeat")
def _heartbeat(value: dict[str, Any], at: tuple[Any, ...]) -> list[ZodIssue]:
    found = []
    every = value.get("every")
    if every and duration_ms(every, "m") is None:
        found.append(custom("invalid duration (use ms, s, m, h)", "every"))
    active = value.get("activeHours")
    if not isinstance(active, dict):
        return found
    for key, allow_24 in (("start", False), ("end", True)):
        raw = active.get(key)
        if not raw:
            continue
        match = _TIME.match(raw) if isinstance(raw, str) else None
        if not match:
            found.append(custom('invalid time (use "HH:MM" 24h format)', "activeHours", key))
        elif match.group(1) == "24" and match.group(2) != "00":
            found.append(custom("invalid time (24:00 is the only allowed 24:xx value)", "activeHours", key))
        elif match.group(1) == "24" and not allow_24:
            found.append(custom("invalid time (start cannot be 24:00)", "activeHours", key))
    return found


# Model providers OpenClaw bundles: their entries may overlay settings without baseUrl or models.
BUNDLED_MODEL_PROVIDERS = frozenset(
    [
        "amazon-bedrock",
        "amazon-bedrock-mantle",
        "anthropic",
        "anthropic-vertex",
        "arcee",
        "azure-openai-responses",
        "byteplus",
        "byteplus-plan",
        "cerebras",
        "chutes",
        "claude-cli",
        "clawrouter",
        "cloudflare-ai-gateway",
        "codex",
        "comfy",
        "copilot-proxy",
        "dashscope",
        "deepinfra",
        "deepseek",
        "fal",
        "fireworks",
        "github-copilot",
        "gmi",
        "gmi-cloud",
        "gmicloud",
        "google",
        "google-antigravity",
        "google-gemini-cli",
        "google-vertex",
        "groq",
        "huggingface",
        "kilocode",
        "kimi",
        "kimi-coding",
        "litellm",
        "lmstudio",
        "meta",
        "microsoft-foundry",
        "minimax",
        "minimax-portal",
        "mistral",
        "modelstudio",
        "moonshot",
        "moonshot-ai",
        "moonshotai",
        "nvidia",
        "novita",
        "novita-ai",
        "novitaai",
        "ollama",
        "ollama-cloud",
        "openai",
        "opencode",
        "opencode-go",
        "openrouter",
        "qianfan",
        "qwen",
        "qwen-token-plan",
        "qwencloud",
        "sglang",
        "stepfun",
        "stepfun-plan",
        "synthetic",
        "tencent-tokenhub",
        "tencent-tokenplan",
        "together",
        "venice",
        "vercel-ai-gateway",
        "vllm",
        "volcengine",
        "volcengine-plan",
        "vydra",
        "x-ai",
        "xai",
        "xiaomi",
        "xiaomi-token-plan",
        "z.ai",
        "z-ai",
        "zai",
    ]
)


@refines_value("models.providers")
def _model_providers(providers: Any, at: tuple[Any, ...]) -> list[ZodIssue]:
    """A provider OpenClaw does not bundle must say where it is and what models it serves."""
    found = []
    for provider_id, provider in providers.items() if isinstance(providers, dict) else []:
        if provider_id.lower() in BUNDLED_MODEL_PROVIDERS or not isinstance(provider, dict):
            continue
        if not provider.get("baseUrl"):
            found.append(
                custom(
                    "custom model providers must declare baseUrl; provider overlays without baseUrl are only "
                    "supported for bundled providers",
                    provider_id,
                    "baseUrl",
                )
            )
        if not isinstance(provider.get("models"), list):
            found.append(
                custom(
                    "custom model providers must declare models; provider overlays without models are only "
                    "supported for bundled providers",
                    provider_id,
                    "models",
                )
            )
    return found


_REPO_KEY = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::\d+)?(?:/[^/\s]+){2,}\Z")


@refines_keys("cloudWorkers.projectProfiles")
def _repository_identity(key: str) -> bool:
    """Project profile keys are repository identities: lowercase host/owner/repo, no trailing .git."""
    return key == key.lower() and not key.endswith(".git") and bool(_REPO_KEY.match(key))


# --- URLs and paths -----------------------------------------------------------------------------------

_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})


def _origin(value: str) -> tuple[str, str] | None:
    """(scheme, host) of a bare HTTP(S) origin ("https://panel.example.com"), None for anything else."""
    match = re.fullmatch(r"(https?)://([^/?#@\s]+?)(?::\d+)?/?", value.strip(), re.IGNORECASE)
    return (match.group(1).lower(), match.group(2).lower()) if match else None


@refines_value("mcp.apps.sandboxOrigin")
def _sandbox_origin(value: Any, at: tuple[Any, ...]) -> list[ZodIssue]:
    if isinstance(value, str) and _origin(value) is None:
        return [custom("sandboxOrigin must be an HTTP(S) origin without a path, query, or credentials")]
    return []


@refines_value("gateway.publicOrigin")
def _public_origin(value: Any, at: tuple[Any, ...]) -> list[ZodIssue]:
    origin = _origin(value) if isinstance(value, str) else None
    if origin is not None and (origin[0] == "https" or origin[1] in _LOOPBACK_HOSTS):
        return []
    if not isinstance(value, str):
        return []
    return [
        custom(
            "gateway.publicOrigin must be a bare HTTPS origin; "
            "HTTP is allowed only for localhost, 127.0.0.1, or [::1]"
        )
    ]


@refines_value("worktreeRoot")
def _worktree_root(value: Any, at: tuple[Any, ...]) -> list[ZodIssue]:
    text = value.strip() if isinstance(value, str) else None
    if text is None or text.startswith("/") or text == "~" or text.startswith("~/"):
        return []
    return [custom("worktreeRoot must be an absolute path or a path starting with ~")]


@refines_value("gateway.tls.certPath", "gateway.tls.keyPath")
def _tls_path(value: Any, at: tuple[Any, ...]) -> list[ZodIssue]:
    if isinstance(value, str) and not value.strip():
        return [custom(f"{at[-1]} must not be blank")]
    return []


@refines_value("proxy.proxyUrl")
def _proxy_url(value: Any, at: tuple[Any, ...]) -> list[ZodIssue]:
    if isinstance(value, str) and not re.match(r"https?://", value.strip(), re.IGNORECASE):
        return [custom("proxyUrl must use http:// or https://")]
    return []


_DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z", re.IGNORECASE)


@refines_value("gateway.portals.ingress.domain")
def _portal_domain(value: Any, at: tuple[Any, ...]) -> list[ZodIssue]:
    if not isinstance(value, str):
        return []
    is_ip = bool(re.fullmatch(r"[0-9.]+|[0-9a-f:]+", value, re.IGNORECASE))
    labels = value.split(".")
    if len(value) <= 220 and "." in value and not is_ip and all(_DNS_LABEL.match(label) for label in labels):
        return []
    return [custom("Portal ingress domain must be a bare DNS domain")]


# --- secrets ------------------------------------------------------------------------------------------

_POINTER_SEGMENT = re.compile(r"(?:[^~]|~0|~1)*\Z")
_EXEC_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/#-]{0,255}\Z")
EXEC_ID_MESSAGE = (
    'Exec secret reference id must match /^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,255}$/ and must not include "." '
    'or ".." path segments (example: "vault/openai/api-key" or "aws/secret#json_key").'
)


@refines("models.providers.*.apiKey#1#0")
def _secret_ref_id(value: dict[str, Any], at: tuple[Any, ...]) -> list[ZodIssue]:
    """A file reference names a JSON pointer (or "value"); an exec reference a safe id."""
    ref_id, source = value.get("id"), value.get("source")
    if not isinstance(ref_id, str):
        return []
    pointer = ref_id.startswith("/") and all(_POINTER_SEGMENT.match(s) for s in ref_id[1:].split("/"))
    if source == "file" and ref_id != "value" and not pointer:
        message = (
            "File secret reference id must be an absolute JSON pointer "
            '(example: "/providers/openai/apiKey"), or "value" for singleValue mode.'
        )
        return [custom(message, "id")]
    if source == "exec" and (not _EXEC_ID.match(ref_id) or any(s in (".", "..") for s in ref_id.split("/"))):
        return [custom(EXEC_ID_MESSAGE, "id")]
    return []


_SHELL = re.compile(r"[;&|`$<>]")


def _safe_executable(value: str) -> bool:
    text = value.strip()
    if (
        not text
        or "\0" in text
        or re.search(r"[\r\n]", text)
        or _SHELL.search(text)
        or re.search(r"[\"']", text)
    ):
        return False
    if text.startswith((".", "~")) or "/" in text or "\\" in text or _DRIVE.match(text):
        return True
    return not text.startswith("-") and bool(re.fullmatch(r"[A-Za-z0-9._+-]+", text))


def _absolute(value: str) -> bool:
    return value.startswith("/") or bool(_DRIVE.match(value)) or bool(re.match(r"\\\\[^\\]+\\[^\\]+", value))


@refines_value("secrets.providers.*#2#0.command")
def _exec_provider_command(value: Any, at: tuple[Any, ...]) -> list[ZodIssue]:
    if not isinstance(value, str) or not value:
        return []
    found = []
    if not _safe_executable(value):
        found.append(custom("secrets.providers.*.command is unsafe."))
    if not _absolute(value):
        found.append(custom("secrets.providers.*.command must be an absolute path."))
    return found


@refines_value("secrets.providers.*#2#0.trustedDirs")
def _exec_provider_dirs(value: Any, at: tuple[Any, ...]) -> list[ZodIssue]:
    return [
        custom("trustedDirs entries must be absolute paths.", index)
        for index, item in enumerate(value if isinstance(value, list) else [])
        if isinstance(item, str) and item and not _absolute(item)
    ]


@refines_value("cloudWorkers.profiles.*.suspendAfter")
def _suspend_after(value: Any, at: tuple[Any, ...]) -> list[ZodIssue]:
    if not isinstance(value, str):
        return []
    ms = duration_ms(value, "ms") if re.search(r"(ms|s|m|h|d)\Z", value, re.IGNORECASE) else None
    if ms is not None and ms >= 60_000:
        return []
    return [custom("Worker profile suspendAfter must be a duration of at least 1m")]


_HOST_LABEL = re.compile(r"[a-z0-9-]+\Z")


def _allowed_host_problem(raw: str) -> str | None:
    """Why an egress-proxy host is refused (an exact hostname or IP address is wanted), else None."""
    host = raw.strip().lower().rstrip(".")
    if "*" in host:
        return f'Allowed host "{raw}" cannot contain a wildcard; use one exact hostname.'
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        ipaddress.ip_address(bare)
        return None
    except ValueError:
        pass
    if not bare or ":" in bare or re.search(r"[\s/?#@]", bare):
        return f'Allowed host "{raw}" must be a hostname without a scheme, path, wildcard, or port.'
    try:
        ascii_host = bare.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_host = ""
    labels = ascii_host.split(".")
    if (
        not ascii_host
        or len(ascii_host) > 253
        or any(
            not label
            or len(label) > 63
            or label[0] == "-"
            or label[-1] == "-"
            or not _HOST_LABEL.match(label)
            for label in labels
        )
    ):
        return f'Allowed host "{raw}" is not a valid hostname.'
    return None


@refines_value("secrets.egressProxy.allowedHosts", "secrets.egressProxy.bypassHosts")
def _egress_hosts(value: Any, at: tuple[Any, ...]) -> list[ZodIssue]:
    found = []
    for index, host in enumerate(value if isinstance(value, list) else []):
        problem = _allowed_host_problem(host) if isinstance(host, str) and host.strip() else None
        if problem:
            found.append(custom(problem, index))
    return found
