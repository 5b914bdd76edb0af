"""Generate the fidelity corpus: openclaw.json configs drawn from OpenClaw's own schema (never by hand).

    .venv/bin/python tools/oracle/corpus.py          # (re)write tests/fixtures/corpus/configs/*.json5
    .venv/bin/python tools/oracle/record_corpus.py   # record the real CLI on them (hours; not run by CI)

Deterministic (fixed seed): the suite checks that the committed configs are exactly what this produces.
Four families, each walking the recorded schema (controlpanel/openclaw/schema/openclaw-*.schema.json):

- section_<name>_<n>: one top-level section sampled from its schema (every section);
- channel_<id>_<n>: one channel sampled from its schema, with its accounts (every channel);
- mutated_<origin>_<kind>: a sampled config with one mutation at a schema site (wrong type, value outside
  an enum, unknown key, number out of range, string off its pattern, required key removed);
- operator_<n>, rule_<name>_<n>: operator-style configs (agents on Telegram, WhatsApp, Slack, Discord,
  Signal; gateway exposure and auth, env references, sandboxes, tools, bindings, hooks) and the
  cross-field rules (sandbox security, web-search providers and plugins, disabled plugins with settings),
  their choices drawn from the schema's own enums.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from controlpanel.openclaw.schema.real import channel_ids, node_at, root_schema  # noqa: E402
from controlpanel.openclaw.schema.zod import js_regex  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "corpus" / "configs"
SEED = 24

Site = tuple[tuple[Any, ...], dict[str, Any]]

# Strings tried, in order, for a schema string with a pattern (the first that matches is used).
STRING_POOL = [
    "main",
    "ops",
    "research",
    "a1",
    "x",
    "1",
    "12345",
    "-1001234567890",
    "+15551234567",
    "09:00",
    "30m",
    "1h",
    "2mb",
    "30d",
    "owner",
    "/srv/openclaw",
    "https://example.com",
    "wss://relay.example.com",
    "#ff8800",
    "ff8800",
    "openai/gpt-5.4",
    "anthropic/claude-sonnet-5",
    "user@example.com",
    "example.com",
    "A",
    "ab-c_d",
    "@ops",
    "U012345",
    "C012345",
    "v1",
    "*",
]


@dataclass
class Sample:
    """A generated value and the schema sites it is made of (for mutations)."""

    value: Any
    sites: list[Site] = field(default_factory=list)


class Sampler:
    """Draws values that a schema node accepts (as far as the schema alone says)."""

    def __init__(self, rng: random.Random, max_depth: int = 5) -> None:
        self.rng = rng
        self.max_depth = max_depth

    def sample(self, node: Any, path: tuple[Any, ...] = ()) -> Sample:
        sites: list[Site] = []
        value = self._value(node, path, 0, sites)
        return Sample(value, sites)

    def _value(self, node: Any, path: tuple[Any, ...], depth: int, sites: list[Site]) -> Any:
        if not isinstance(node, dict) or not node:
            return self.rng.choice([True, "x", 1])
        if "const" in node:
            sites.append((path, node))
            return node["const"]
        if "enum" in node:
            sites.append((path, node))
            return self.rng.choice(node["enum"])
        for key in ("anyOf", "oneOf"):
            if key in node:
                branches = [b for b in node[key] if b.get("type") != "null"] or node[key]
                return self._value(self.rng.choice(branches), path, depth, sites)
        if "allOf" in node:
            merged: dict[str, Any] = {}
            for part in node["allOf"]:
                merged.update({k: v for k, v in part.items() if k != "pattern"})
            patterns = [p["pattern"] for p in node["allOf"] if "pattern" in p]
            if patterns:
                merged["pattern"] = patterns[0]
            return self._value(merged, path, depth, sites)
        kind = node.get("type")
        if isinstance(kind, list):
            kind = self.rng.choice([k for k in kind if k != "null"] or kind)
        if kind == "object" or "properties" in node or "additionalProperties" in node:
            return self._object(node, path, depth, sites)
        if kind == "array":
            return self._array(node, path, depth, sites)
        sites.append((path, node))
        if kind == "string":
            return self._string(node, path)
        if kind in ("integer", "number"):
            return self._number(node, kind)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        return "x"

    def _object(self, node: dict[str, Any], path: tuple[Any, ...], depth: int, sites: list[Site]) -> Any:
        sites.append((path, node))
        out: dict[str, Any] = {}
        properties = node.get("properties", {})
        if properties:
            required = [k for k in node.get("required", []) if k in properties]
            optional = [k for k in properties if k not in required]
            budget = 0 if depth >= self.max_depth else self.rng.randint(1, max(1, 4 - depth))
            chosen = required + self.rng.sample(optional, min(budget, len(optional)))
            for key in [k for k in properties if k in chosen]:
                out[key] = self._value(properties[key], (*path, key), depth + 1, sites)
            return out
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and extra and depth < self.max_depth:
            for _ in range(self.rng.randint(1, 2)):
                key = self._key(node.get("propertyNames") or {})
                out[key] = self._value(extra, (*path, key), depth + 1, sites)
        return out

    def _key(self, names: dict[str, Any]) -> str:
        if "enum" in names:
            return str(self.rng.choice(names["enum"]))
        if "const" in names:
            return str(names["const"])
        pattern = names.get("pattern")
        pool = self.rng.sample(STRING_POOL[:9], 9)
        for candidate in pool + STRING_POOL:
            regex = js_regex(pattern) if isinstance(pattern, str) else None
            if regex is None or regex.search(candidate):
                return candidate
        return "main"

    def _array(self, node: dict[str, Any], path: tuple[Any, ...], depth: int, sites: list[Site]) -> Any:
        sites.append((path, node))
        items = node.get("items") if isinstance(node.get("items"), dict) else {}
        count = max(node.get("minItems", 0), self.rng.randint(0, 2) if depth < self.max_depth else 0)
        count = min(count, node.get("maxItems", count))
        return [self._value(items, (*path, i), depth + 1, sites) for i in range(count)]

    def _string(self, node: dict[str, Any], path: tuple[Any, ...]) -> str:
        fmt = node.get("format")
        pattern = node.get("pattern")
        lo, hi = node.get("minLength", 0), node.get("maxLength", 10_000)
        if fmt == "uri":
            candidates = ["https://example.com/hook", "wss://relay.example.com"]
        elif fmt == "email":
            candidates = ["ops@example.com"]
        elif fmt == "date-time":
            candidates = ["2026-01-01T00:00:00Z"]
        else:
            candidates = [self._named_string(path), *STRING_POOL]
        regex = js_regex(pattern) if isinstance(pattern, str) else None
        for candidate in candidates:
            if (regex is None or regex.search(candidate)) and lo <= len(candidate) <= hi:
                return candidate
        return "x" * max(lo, 1)

    def _named_string(self, path: tuple[Any, ...]) -> str:
        """A plausible string for a key, judged by its name."""
        key = str(path[-1]).lower() if path else ""
        if "url" in key or "origin" in key or "endpoint" in key:
            return "https://example.com"
        if any(word in key for word in ("dir", "path", "root", "file", "workspace", "cwd")):
            return "/srv/openclaw/" + self.rng.choice(["data", "work", "state"])
        if any(word in key for word in ("token", "secret", "password", "apikey", "key")):
            return "${" + self.rng.choice(["OPS_TOKEN", "CHANNEL_SECRET", "UNSET_SECRET"]) + "}"
        if "model" in key:
            return self.rng.choice(["openai/gpt-5.4", "anthropic/claude-sonnet-5", "OpenAI/GPT-5.4"])
        if key.endswith("id") or key.endswith("ids"):
            return self.rng.choice(["main", "ops", "12345"])
        return self.rng.choice(["main", "daily digest", "ops", "hello"])

    def _number(self, node: dict[str, Any], kind: str) -> float:
        lo = node.get("minimum", node.get("exclusiveMinimum", 0) + (1 if "exclusiveMinimum" in node else 0))
        hi = node.get(
            "maximum", node.get("exclusiveMaximum", lo + 1000) - (1 if "exclusiveMaximum" in node else 0)
        )
        lo, hi = int(lo), int(min(hi, lo + 100_000))
        return self.rng.choice([lo, min(hi, lo + 1), min(hi, max(lo, 30)), min(hi, max(lo, 1000))])


# --- mutations --------------------------------------------------------------------------------------

OTHER_TYPE = {
    "string": 42,
    "integer": "42",
    "number": "many",
    "boolean": "yes",
    "array": "a,b",
    "object": ["x"],
}


def _set(config: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    node: Any = config
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _get(config: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        config = config[part]
    return config


def mutations(config: dict[str, Any], sites: list[Site], rng: random.Random) -> Iterator[tuple[str, dict]]:
    """Yield (kind, mutated copy) for each kind of mutation that one of the sites allows."""
    rng_sites = rng.sample(sites, len(sites))
    kinds = {
        "type": lambda n: (
            isinstance(n.get("type"), str)
            and n["type"] in OTHER_TYPE
            and "const" not in n
            and "enum" not in n
        ),
        "enum": lambda n: "enum" in n or "const" in n,
        "unknown_key": lambda n: n.get("additionalProperties") is False and "properties" in n,
        "range": lambda n: any(k in n for k in ("minimum", "exclusiveMinimum", "maximum")),
        "pattern": lambda n: n.get("type") == "string" and isinstance(n.get("pattern"), str),
        "required": lambda n: bool(n.get("required")) and "properties" in n,
    }
    for kind, fits in kinds.items():
        site = next(((p, n) for p, n in rng_sites if p and fits(n)), None)
        if site is None and kind == "unknown_key":
            site = next(((p, n) for p, n in rng_sites if fits(n)), None)
        if site is None:
            continue
        path, node = site
        copy = json.loads(json.dumps(config))
        try:
            current = _get(copy, path)
        except (KeyError, IndexError, TypeError):
            continue
        if kind == "type":
            _set(copy, path, OTHER_TYPE[node["type"]])
        elif kind == "enum":
            _set(copy, path, "not-a-choice")
        elif kind == "unknown_key" and isinstance(current, dict):
            current["bogusSetting"] = True
        elif kind == "range":
            if "minimum" in node or "exclusiveMinimum" in node:
                _set(copy, path, node.get("minimum", node.get("exclusiveMinimum", 0)) - 1)
            else:
                _set(copy, path, node["maximum"] + 1)
        elif kind == "pattern":
            _set(copy, path, "not valid!")
        elif kind == "required" and isinstance(current, dict):
            current.pop(node["required"][0], None)
        else:
            continue
        yield kind, copy


# --- operator configs ---------------------------------------------------------------------------------


def enum_at(path: str) -> list[Any]:
    """The literal values the schema allows at path (an enum, or a union of literals)."""
    node = node_at(path)
    if "enum" in node:
        return list(node["enum"])
    values = [b["const"] for b in node.get("anyOf", []) if "const" in b]
    values += [v for b in node.get("anyOf", []) for v in b.get("enum", [])]
    return values


TOOL_NAMES = ["exec", "browser", "web_fetch", "read", "write", "group:runtime", "group:fs", "nodes", "cron"]
OPERATOR_CHANNELS = ["telegram", "whatsapp", "slack", "discord", "signal"]
SENDERS = {
    "telegram": ["123456789", "tg:987654"],
    "whatsapp": ["+15551234567", "+447700900123"],
    "slack": ["U012345", "U067890"],
    "discord": ["123456789012345678", "user:42"],
    "signal": ["+15557654321", "uuid:6f1c"],
}


class Operator:
    """Operator-style configs: the knobs an operator turns, each drawn from the schema's values."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def maybe(self, p: float = 0.5) -> bool:
        return self.rng.random() < p

    def gateway(self, env: dict[str, str]) -> dict[str, Any]:
        bind = self.rng.choice(["loopback", "loopback", "lan", "tailnet", "auto", "custom"])
        gateway: dict[str, Any] = {"mode": "local", "bind": bind}
        if bind == "custom":
            gateway["customBindHost"] = self.rng.choice(["127.0.0.1", "0.0.0.0", "192.168.1.20"])
        if self.maybe(0.3):
            gateway["port"] = self.rng.choice([18789, 8080, 3000])
        mode = self.rng.choice(
            ["token", "token", "token-env", "token-env-unset", "password", "none", "trusted"]
        )
        if mode == "token":
            gateway["auth"] = {"mode": "token", "token": self.rng.choice(["short-token", "t" * 48])}
        elif mode == "token-env":
            gateway["auth"] = {"mode": "token", "token": "${OPENCLAW_GATEWAY_TOKEN}"}
            env["OPENCLAW_GATEWAY_TOKEN"] = self.rng.choice(["x" * 40, "tooshort"])
        elif mode == "token-env-unset":
            gateway["auth"] = {"token": "${OPENCLAW_GATEWAY_TOKEN}"}
        elif mode == "password":
            gateway["auth"] = {"mode": "password", "password": self.rng.choice(["hunter2", "p" * 32])}
        elif mode == "trusted":
            proxy: dict[str, Any] = {"userHeader": "x-forwarded-user"}
            if self.maybe():
                proxy["allowUsers"] = self.rng.choice([["alice@example.com"], ["*"], []])
            gateway["auth"] = {"mode": "trusted-proxy", "trustedProxy": proxy}
            gateway["trustedProxies"] = self.rng.choice([["10.0.0.1"], ["127.0.0.1"], []])
        elif mode == "none":
            gateway["auth"] = {"mode": "none"}
        if bind == "loopback" and self.maybe(0.25):
            gateway["tailscale"] = {"mode": self.rng.choice(enum_at("gateway.tailscale.mode"))}
        if self.maybe(0.3):
            gateway["controlUi"] = {"allowedOrigins": self.rng.choice([["*"], ["https://panel.example.com"]])}
            if self.maybe(0.3):
                gateway["controlUi"]["dangerouslyDisableDeviceAuth"] = True
        if self.maybe(0.2):
            gateway["nodes"] = {"allowSkills": self.maybe(), "commands": {"allow": ["system.run"]}}
        return gateway

    def agents(self) -> dict[str, Any]:
        count = self.rng.choice([1, 1, 2, 2, 3])
        names = self.rng.sample(["main", "research", "ops", "Research", "support"], count)
        if "research" in names and "Research" in names:
            names.remove("Research")
        entries: dict[str, Any] = {}
        for name in names:
            entry: dict[str, Any] = {}
            if self.maybe(0.5):
                entry["model"] = self.rng.choice(
                    ["OpenAI/GPT-5.4", "anthropic/claude-sonnet-5", "openai/gpt-5.4"]
                )
            if self.maybe(0.4):
                entry["sandbox"] = {"mode": self.rng.choice(enum_at("agents.defaults.sandbox.mode"))}
            if self.maybe(0.5):
                entry["tools"] = self.tool_policy(agent=True)
            entries[name] = entry
        agents: dict[str, Any] = {"entries": entries}
        if len(entries) > 1:
            agents["ownership"] = "explicit"
        defaults: dict[str, Any] = {}
        if self.maybe(0.6):
            sandbox = {"mode": self.rng.choice(enum_at("agents.defaults.sandbox.mode"))}
            if self.maybe(0.4):
                sandbox["scope"] = self.rng.choice(enum_at("agents.defaults.sandbox.scope"))
            if self.maybe(0.4):
                sandbox["workspaceAccess"] = self.rng.choice(
                    enum_at("agents.defaults.sandbox.workspaceAccess")
                )
            defaults["sandbox"] = sandbox
        if self.maybe(0.3):
            defaults["model"] = self.rng.choice(["OpenAI/GPT-5.4", "anthropic/claude-opus-5"])
        if len(entries) > 1 and self.maybe(0.6):
            defaults["heartbeat"] = {"agentId": next(iter(entries)).lower(), "every": "30m"}
        if self.maybe(0.2):
            defaults["elevatedDefault"] = self.rng.choice(enum_at("agents.defaults.elevatedDefault"))
        if defaults:
            agents["defaults"] = defaults
        return agents

    def tool_policy(self, agent: bool = False) -> dict[str, Any]:
        policy: dict[str, Any] = {}
        if self.maybe(0.6):
            policy["profile"] = self.rng.choice(enum_at("tools.profile"))
        if self.maybe(0.4):
            policy["deny"] = self.rng.sample(TOOL_NAMES, self.rng.randint(1, 3))
        if self.maybe(0.3):
            key = "alsoAllow" if self.maybe() else "allow"
            policy[key] = self.rng.sample(TOOL_NAMES, self.rng.randint(1, 2))
        if self.maybe(0.3):
            exec_policy: dict[str, Any] = {"security": self.rng.choice(enum_at("tools.exec.security"))}
            if self.maybe():
                exec_policy["ask"] = self.rng.choice(enum_at("tools.exec.ask"))
            policy["exec"] = exec_policy
        if self.maybe(0.35):
            elevated: dict[str, Any] = {"enabled": self.maybe(0.7)}
            if self.maybe(0.7):
                elevated["allowFrom"] = {"telegram": [self.rng.choice(SENDERS["telegram"])]}
                if self.maybe():
                    elevated["allowFrom"]["whatsapp"] = ["*"] if self.maybe() else [SENDERS["whatsapp"][0]]
            policy["elevated"] = elevated
        return policy

    def channel(self, name: str) -> dict[str, Any]:
        channel: dict[str, Any] = {}
        dm = self.rng.choice(enum_at(f"channels.{name}.dmPolicy"))
        channel["dmPolicy"] = dm
        if dm in ("allowlist", "open") or self.maybe(0.3):
            channel["allowFrom"] = (
                ["*"] if dm == "open" and self.maybe(0.6) else self.rng.sample(SENDERS[name], 1)
            )
        if self.maybe(0.6):
            channel["groupPolicy"] = self.rng.choice(enum_at(f"channels.{name}.groupPolicy"))
        if name in ("telegram", "whatsapp", "signal") and self.maybe(0.5):
            group: dict[str, Any] = {"requireMention": self.maybe()}
            if name == "telegram" and self.maybe(0.4):
                group["topics"] = {"7": {"requireMention": False}}
            channel["groups"] = {"-1001234567890" if name == "telegram" else "group-1": group}
            if "groupAllowFrom" in _channel_keys(name) and self.maybe():
                channel["groupAllowFrom"] = self.rng.sample(SENDERS[name], 1)
        if name == "discord" and self.maybe(0.5):
            channel["guilds"] = {"123456789012345678": {"requireMention": self.maybe()}}
        if name == "slack":
            if self.maybe(0.5):
                channel["channels"] = {"C012345": {"requireMention": self.maybe()}}
            if self.maybe(0.2):
                channel["dm"] = {"enabled": True}
        if name == "telegram":
            channel["botToken"] = "${TELEGRAM_BOT_TOKEN}"
        if self.maybe(0.35):
            account: dict[str, Any] = {
                "dmPolicy": self.rng.choice(enum_at(f"channels.{name}.accounts.*.dmPolicy"))
            }
            if account["dmPolicy"] == "allowlist" or self.maybe(0.3):
                account["allowFrom"] = self.rng.sample(SENDERS[name], 1)
            if self.maybe():
                account["groupPolicy"] = self.rng.choice(enum_at(f"channels.{name}.accounts.*.groupPolicy"))
            channel["accounts"] = {"work": account}
        return channel

    def config(self) -> tuple[dict[str, Any], dict[str, str]]:
        env: dict[str, str] = {}
        config: dict[str, Any] = {"gateway": self.gateway(env), "agents": self.agents()}
        if self.maybe(0.7):
            config["tools"] = self.tool_policy()
        names = self.rng.sample(OPERATOR_CHANNELS, self.rng.randint(1, 3))
        config["channels"] = {name: self.channel(name) for name in names}
        if "telegram" in names and self.maybe(0.6):
            env["TELEGRAM_BOT_TOKEN"] = "123456:ABC-token"
        agent_ids = list(config["agents"]["entries"])
        if len(agent_ids) > 1 and self.maybe(0.6):
            channel = self.rng.choice(names)
            kind = self.rng.choice(enum_at("bindings.[].match.peer.kind"))
            config["bindings"] = [
                {"agentId": agent_ids[-1], "match": {"channel": channel, "peer": {"kind": kind, "id": "42"}}}
            ]
        if self.maybe(0.25):
            config["hooks"] = {
                "enabled": True,
                "token": self.rng.choice(["${HOOKS_TOKEN}", "h" * 40]),
                "mappings": [{"match": {"path": "gmail"}, "action": self.rng.choice(["agent", "wake"])}],
            }
        if self.maybe(0.15):
            config["session"] = {"dmScope": self.rng.choice(enum_at("session.dmScope"))}
        if self.maybe(0.15):
            config["logging"] = {"level": self.rng.choice(enum_at("logging.level"))}
        return config, env


def _channel_keys(name: str) -> list[str]:
    return list(node_at(f"channels.{name}").get("properties", {}))


# --- cross-field rules ------------------------------------------------------------------------------


def rule_configs(rng: random.Random) -> Iterator[tuple[str, dict[str, Any]]]:
    """Configs aimed at the rules a JSON Schema cannot state, values drawn from the schema."""
    docker_path = rng.choice(["agents.defaults.sandbox.docker", "agents.entries.ops.sandbox.docker"])

    def with_docker(docker: dict[str, Any]) -> dict[str, Any]:
        if docker_path.startswith("agents.defaults"):
            return {"agents": {"defaults": {"sandbox": {"mode": "all", "docker": docker}}}}
        return {"agents": {"entries": {"ops": {"sandbox": {"mode": "all", "docker": docker}}}}}

    sandbox_cases = {
        "bind_relative": {"binds": ["data:/data"]},
        "bind_absolute": {"binds": ["/srv/data:/data:ro"]},
        "bind_windows": {"binds": ["C:\\\\data:/data"]},
        "bind_empty": {"binds": [" "]},
        "network_host": {"network": "host"},
        "network_container": {"network": "container:other"},
        "network_container_allowed": {
            "network": "container:other",
            "dangerouslyAllowContainerNamespaceJoin": True,
        },
        "network_bridge": {"network": "bridge"},
        "seccomp_unconfined": {"seccompProfile": "Unconfined"},
        "apparmor_unconfined": {"apparmorProfile": "unconfined"},
        "apparmor_named": {"apparmorProfile": "docker-default"},
    }
    for name, docker in sandbox_cases.items():
        yield f"sandbox_{name}", with_docker(docker)
    yield "sandbox_browser_host", {"agents": {"defaults": {"sandbox": {"browser": {"network": "host"}}}}}
    yield (
        "sandbox_browser_container",
        {"agents": {"defaults": {"sandbox": {"browser": {"network": "container:x"}}}}},
    )
    # Web search: bundled providers, providers of plugins to install, unknown ones; with and without
    # the plugin named in plugins.allow / plugins.entries.
    for provider in ["gemini", "grok", "brave", "perplexity", "tavily", "nonsense", ""]:
        yield f"websearch_{provider or 'empty'}", {"tools": {"web": {"search": {"provider": provider}}}}
    for provider, plugin in [("brave", "brave"), ("perplexity", "perplexity"), ("gemini", "google")]:
        yield (
            f"websearch_{provider}_allowed",
            {
                "tools": {"web": {"search": {"provider": provider}}},
                "plugins": {"allow": [plugin, "memory-core"]},
            },
        )
        yield (
            f"websearch_{provider}_entry",
            {"tools": {"web": {"search": {"provider": provider}}}, "plugins": {"entries": {plugin: {}}}},
        )
    # Plugins: disabled with settings kept, unknown ids, allow/deny lists.
    plugins = [p for p in ["memory-wiki", "webhooks", "browser", "openai", "telegram"] if p]
    for plugin in plugins:
        yield (
            f"plugin_disabled_{plugin}",
            {"plugins": {"entries": {plugin: {"enabled": False, "config": {}}}}},
        )
    yield "plugin_unknown_entry", {"plugins": {"entries": {"no-such-plugin": {"enabled": True}}}}
    yield "plugin_allow_excludes", {"plugins": {"allow": ["openai"], "entries": {"browser": {"config": {}}}}}
    yield "plugin_deny", {"plugins": {"deny": ["browser"], "entries": {"browser": {"config": {}}}}}
    # Hooks mappings, bindings, heartbeat, trusted proxy users.
    for action in [*enum_at("hooks.mappings.[].action"), "bogus"]:
        yield (
            f"hooks_action_{action}",
            {"hooks": {"enabled": True, "token": "h" * 32, "mappings": [{"action": action}]}},
        )
    yield "hooks_match_path_number", {"hooks": {"mappings": [{"match": {"path": 7}}]}}
    yield (
        "hooks_persistent_no_key",
        {"hooks": {"mappings": [{"action": "agent", "sessionMode": "persistent"}]}},
    )
    yield (
        "hooks_persistent_default_key",
        {"hooks": {"defaultSessionKey": "hook:main", "mappings": [{"sessionMode": "persistent"}]}},
    )
    two = {"ownership": "explicit", "entries": {"main": {}, "ops": {}}}
    for kind in ["direct", "group", "channel", "dm"]:
        yield (
            f"binding_peer_{kind}",
            {
                "agents": two,
                "bindings": [
                    {"agentId": "ops", "match": {"channel": "telegram", "peer": {"kind": kind, "id": "7"}}}
                ],
            },
        )
    yield "binding_no_agent", {"agents": two, "bindings": [{"match": {"channel": "telegram"}}]}
    yield (
        "binding_unknown_agent",
        {"agents": two, "bindings": [{"agentId": "nobody", "match": {"channel": "slack"}}]},
    )
    yield (
        "binding_acp_no_peer",
        {"agents": two, "bindings": [{"type": "acp", "agentId": "ops", "match": {"channel": "discord"}}]},
    )
    for target in ["last", "telegram", "gchat", "pager", ""]:
        yield (
            f"heartbeat_target_{target or 'empty'}",
            {"agents": {"defaults": {"heartbeat": {"target": target}}}},
        )
    yield "heartbeat_unknown_agent", {"agents": {"defaults": {"heartbeat": {"agentId": "ghost"}}}}
    yield "heartbeat_every_number", {"agents": {"defaults": {"heartbeat": {"every": 30}}}}
    for label, users in [("list", ["alice"]), ("string", "alice"), ("number", [7]), ("empty", [])]:
        yield (
            f"trusted_proxy_users_{label}",
            {
                "gateway": {
                    "auth": {
                        "mode": "trusted-proxy",
                        "trustedProxy": {"userHeader": "x-user", "allowUsers": users},
                    }
                }
            },
        )
    # Model ids in their provider's case (the CLI lower-cases them in its findings).
    for label, model in [
        ("weak_mixed_case", "OpenAI/GPT-4o-mini"),
        ("legacy_mixed_case", "OpenAI/GPT-3.5-Turbo"),
        ("haiku_mixed_case", "Anthropic/Claude-3-Haiku"),
        ("small_mixed_case", "Ollama/Llama-3.1-8B"),
    ]:
        yield (
            f"models_{label}",
            {"agents": {"ownership": "explicit", "entries": {"Research": {"model": model}, "main": {}}}},
        )
    yield (
        "models_small_with_web",
        {"agents": {"defaults": {"model": "Ollama/Qwen2.5-7B"}}, "tools": {"profile": "full"}},
    )
    # Several elevated allowlists at once (the order of the CLI's findings).
    many = [f"+1555000{i:04d}" for i in range(30)]
    yield (
        "elevated_many_providers",
        {
            "tools": {
                "elevated": {
                    "allowFrom": {"whatsapp": ["*"], "telegram": ["*"], "discord": many, "signal": ["*"]}
                }
            }
        },
    )
    yield (
        "elevated_open_groups",
        {
            "tools": {"elevated": {"allowFrom": {"telegram": ["*"]}}},
            "channels": {
                "telegram": {"groupPolicy": "open", "groups": {"-100123": {}}},
                "whatsapp": {"dmPolicy": "open", "allowFrom": ["*"]},
            },
        },
    )
    yield "slack_legacy_dm_policy", {"channels": {"slack": {"dm": {"policy": "open", "allowFrom": ["*"]}}}}
    yield (
        "exec_mode_with_security",
        {"tools": {"exec": {"mode": "ask", "security": "allowlist", "ask": "always"}}},
    )
    yield (
        "tools_allow_and_also_allow",
        {"agents": {"entries": {"main": {"tools": {"allow": ["read"], "alsoAllow": ["exec"]}}}}},
    )


# --- the corpus ---------------------------------------------------------------------------------------


def _sections() -> list[str]:
    return [key for key in root_schema()["properties"] if key not in ("$schema", "channels", "meta")]


OPERATORS = 60


def corpus(seed: int = SEED) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    """Return every (name, config, env) of the corpus, in a fixed order.

    Each family draws from its own random stream, so changing one family leaves the others as they are
    (and their recordings valid).
    """

    def stream(family: str) -> random.Random:
        return random.Random(f"{seed}:{family}")

    out: list[tuple[str, dict[str, Any], dict[str, str]]] = []
    samples: list[tuple[str, dict[str, Any], list[Site]]] = []
    sampler = Sampler(stream("sections"))
    for section in _sections():
        sample = sampler.sample(node_at(section), (section,))
        config = {section: sample.value}
        out.append((f"section_{section}_0", config, {}))
        samples.append((f"section_{section}", config, sample.sites))
    sampler = Sampler(stream("channels"))
    for channel in channel_ids():
        node = node_at(f"channels.{channel}")
        # The channel's root settings and, where it has them, its accounts (multi-account channels).
        sample = sampler.sample(node, ("channels", channel))
        config = {"channels": {channel: sample.value}}
        accounts = node.get("properties", {}).get("accounts")
        if accounts:
            extra = sampler.sample(accounts, ("channels", channel, "accounts"))
            config["channels"][channel]["accounts"] = extra.value
            sample.sites += extra.sites
        out.append((f"channel_{channel}_1", config, {}))
        samples.append((f"channel_{channel}_1", config, sample.sites))
    rng = stream("mutations")
    for origin, config, sites in samples:
        chosen = list(mutations(config, sites, rng))
        for kind, mutated in rng.sample(chosen, min(len(chosen), 1)):
            out.append((f"mutated_{origin}_{kind}", mutated, {}))
    operator = Operator(stream("operators"))
    for index in range(OPERATORS):
        config, env = operator.config()
        out.append((f"operator_{index:02d}", config, env))
    for name, config in rule_configs(stream("rules")):
        out.append((f"rule_{name}", config, {}))
    names = [name for name, _, _ in out]
    assert len(names) == len(set(names)), "corpus names must be unique"
    return out


def render(config: dict[str, Any]) -> str:
    """The file text: JSON (a subset of JSON5), indented, one config per file."""
    return json.dumps(config, indent=2, ensure_ascii=False) + "\n"


def write(out: Path = OUT, seed: int = SEED) -> int:
    """(Re)write the corpus directory: configs and .env sidecars; returns the number of configs."""
    out.mkdir(parents=True, exist_ok=True)
    items = corpus(seed)
    names = {name for name, _, _ in items}
    for stale in out.glob("*"):
        if stale.name.split(".", 1)[0] not in names:
            stale.unlink()
    for name, config, env in items:
        (out / f"{name}.json5").write_text(render(config))
        sidecar = out / f"{name}.env"
        if env:
            sidecar.write_text("".join(f"{k}={v}\n" for k, v in sorted(env.items())))
        elif sidecar.exists():
            sidecar.unlink()
    return len(items)


if __name__ == "__main__":
    # A different seed and directory draw a fresh sample (a check that the validator generalises).
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else SEED
    print("wrote", write(target, seed), "configs to", target)
