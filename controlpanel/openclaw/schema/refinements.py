"""The cross-field rules of OpenClaw's zod schema (its ``superRefine``/``refine`` calls, read not copied).

A JSON Schema cannot carry them, so each is written here once, worded as the CLI words it, and attached to
the object shape it refines: the set of keys that the schema names at a representative path. Every object
of that shape anywhere in the config gets the rule (a sandbox's docker settings under agents.defaults or
under any agent), as the one zod object does. ``zod.ZodChecker`` calls them only for objects whose own
subtree failed no type check, as zod does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..ids import normalize_agent_id
from .real import node_at, object_branch
from .zod import Refinement, ZodIssue, custom

_RULES: list[tuple[str, Refinement]] = []

_BOTH = (
    "cannot set both allow and alsoAllow in the same scope "
    "(merge alsoAllow into allow, or remove allow and use profile + alsoAllow)"
)


def refines(*paths: str) -> Callable[[Refinement], Refinement]:
    """Attach a rule to the object shape found at each schema path."""

    def register(rule: Refinement) -> Refinement:
        _RULES.extend((path, rule) for path in paths)
        return rule

    return register


def by_shape() -> dict[frozenset[str], list[Refinement]]:
    """Return the rules keyed by the key set of the object they refine."""
    table: dict[frozenset[str], list[Refinement]] = {}
    for path, rule in _RULES:
        keys = frozenset(_shape_at(path).get("properties", {}))
        if not keys:
            raise LookupError(f"no object at {path} in the recorded schema")
        if rule not in table.setdefault(keys, []):
            table[keys].append(rule)
    return table


def _shape_at(path: str) -> dict[str, Any]:
    """The object at a schema path; "path#N" is the union's N-th branch there."""
    path, _, branch = path.partition("#")
    node = node_at(path)
    if branch:
        return node.get("anyOf", node.get("oneOf", []))[int(branch)]
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


# security+ask pairs that one exec mode stands for (exec-policy mode table).
_EXACT_MODES = {
    ("deny", "off"): "deny",
    ("allowlist", "on-miss"): "allowlist",
    ("allowlist", "always"): "ask",
    ("full", "off"): "full",
}


@refines("tools.exec")
def _exec_mode(value: dict[str, Any], at: tuple[Any, ...]) -> list[ZodIssue]:
    """``mode`` replaces the legacy security/ask pair; both in one exec object is refused."""
    security, ask = value.get("security"), value.get("ask")
    if "mode" not in value or (security is None and ask is None):
        return []
    if security is not None and ask is not None:
        exact = _EXACT_MODES.get((security, ask))
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


def _host_path_absolute(source: str) -> bool:
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
        if not _host_path_absolute(source):
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
