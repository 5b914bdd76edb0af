"""The config form: the settings operators change most, as fields generated from OpenClaw's schema.

Each field knows its path, its kind and choices (read from the recorded schema: enums and unions of
literals carry their values, booleans and arrays are recognised), its current value, what it defaults
to when unset, and the current audit findings whose check concerns that path. ``apply_form`` turns a posted
form into a minimal text edit of the file (only the changed keys' text changes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any

from controlpanel.audit import get_check
from controlpanel.lib.json5edit import delete_in, get_in, rewrite, same, set_in
from controlpanel.openclaw import parse_json5
from controlpanel.openclaw.schema import node_at
from controlpanel.policy.exec_policy import DEFAULT_ASK, DEFAULT_SECURITY

UNSET = ""

# What OpenClaw 2026.9.6 does when a key is not set (exec: controlpanel.policy; the rest from its docs).
DEFAULTS: dict[str, str] = {
    "gateway.bind": "loopback (auto inside a container)",
    "gateway.auth.mode": "token (generated at first start)",
    "gateway.controlUi.enabled": "true",
    "gateway.controlUi.allowedOrigins": "none (same origin only)",
    "gateway.trustedProxies": "none",
    "gateway.tailscale.mode": "off",
    "tools.profile": "none (every tool the other lists allow)",
    "tools.allow": "all tools",
    "tools.deny": "none",
    "tools.alsoAllow": "none",
    "tools.elevated.enabled": "true (still gated by tools.elevated.allowFrom)",
    "tools.exec.security": DEFAULT_SECURITY,
    "tools.exec.ask": DEFAULT_ASK,
    "agents.defaults.sandbox.mode": "off",
    "channels.*.dmPolicy": "pairing",
    "channels.*.allowFrom": "none",
    "channels.*.groupPolicy": "allowlist",
    "channels.*.groups": "none",
    "channels.*.groups.*.requireMention": "true",
    "session.dmScope": "main",
    "discovery.mdns.mode": "minimal",
    "plugins.allow": "all installed plugins",
}
# A channel OpenClaw does not know gets the values every bundled channel shares (Telegram's here).
CHOICES: dict[str, tuple[str, ...]] = {
    "channels.*.dmPolicy": tuple(node_at("channels.telegram.dmPolicy").get("enum", ())),
    "channels.*.groupPolicy": tuple(node_at("channels.telegram.groupPolicy").get("enum", ())),
}


@dataclass
class Field:
    path: tuple[str, ...]
    label: str
    kind: str  # "choice", "bool", "list", "text"
    choices: tuple[str, ...] = ()
    current: Any = None
    default: str = ""
    findings: list[dict[str, str]] = field(default_factory=list)
    help: str = ""

    @property
    def name(self) -> str:
        """The form field's name: the dotted path (keys with dots are not used by these settings)."""
        return "f:" + ".".join(self.path)

    @property
    def dotted(self) -> str:
        return ".".join(self.path)

    @property
    def is_set(self) -> bool:
        return self.current is not None

    @property
    def shown(self) -> str:
        """The current value as the form shows it."""
        if self.current is None:
            return UNSET
        if self.kind == "list":
            return "\n".join(str(v) for v in self.current) if isinstance(self.current, list) else ""
        if self.kind == "bool":
            return "true" if self.current is True else "false" if self.current is False else ""
        return str(self.current)


@dataclass
class Section:
    id: str
    title: str
    fields: list[Field]
    help: str = ""


@lru_cache(maxsize=1024)
def _schema_field(path: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """Return (kind, choices) of the schema field at ``path`` (``*`` segments cross map entries)."""
    return _kind(node_at(".".join(path)))


def _kind(node: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    if "enum" in node:
        return "choice", tuple(str(v) for v in node["enum"])
    if "const" in node:
        return "choice", (str(node["const"]),)
    branches = [b for b in node.get("anyOf", []) if isinstance(b, dict)]
    literals = [v for b in branches for v in ([b["const"]] if "const" in b else b.get("enum", []))]
    if branches and all("const" in b or "enum" in b for b in branches):
        return "choice", tuple(str(v) for v in literals)
    kinds = node.get("type")
    kinds = set(kinds) if isinstance(kinds, list) else {kinds} | {b.get("type") for b in branches}
    if "boolean" in kinds and not kinds - {"boolean", None}:
        return "bool", ()
    if "array" in kinds:
        return "list", ()
    return "text", ()


def _field(
    config: Mapping[str, Any],
    path: tuple[str, ...],
    label: str,
    *,
    schema: tuple[str, ...] | None = None,
    default: str | None = None,
    help: str = "",
) -> Field:
    # The concrete path when the schema knows it (a channel's own settings), else the generic one.
    kind, choices = _schema_field(path)
    if kind == "text" and schema:
        kind, choices = _schema_field(schema)
    generic = ".".join(schema or path)
    if generic in CHOICES:
        kind, choices = "choice", CHOICES[generic]
    return Field(
        path=path,
        label=label,
        kind=kind,
        choices=choices,
        current=get_in(config, list(path)),
        default=DEFAULTS.get(generic, "") if default is None else default,
        help=help,
    )


def form_sections(config: Mapping[str, Any], findings: list[dict[str, str]]) -> list[Section]:
    """The form of one config: exposure and auth, tool policy (global and per agent), channels, the rest."""
    sections = [
        Section(
            "exposure",
            "Gateway exposure and auth",
            [
                _field(config, ("gateway", "bind"), "Bind address"),
                _field(config, ("gateway", "auth", "mode"), "Auth mode"),
                _field(config, ("gateway", "controlUi", "enabled"), "Control UI"),
                _field(config, ("gateway", "controlUi", "allowedOrigins"), "Control UI allowed origins"),
                _field(config, ("gateway", "trustedProxies"), "Trusted proxies"),
                _field(config, ("gateway", "tailscale", "mode"), "Tailscale"),
            ],
        ),
        Section("tools", "Tool policy (all agents)", _tool_fields(config, ("tools",))),
    ]
    entries = get_in(config, ["agents", "entries"])
    for agent_id in entries if isinstance(entries, dict) else ():
        base = ("agents", "entries", str(agent_id))
        fields = _tool_fields(config, (*base, "tools"), agent=True)
        fields.append(
            _field(
                config,
                (*base, "sandbox", "mode"),
                "Sandbox mode",
                schema=("agents", "entries", "*", "sandbox", "mode"),
                default=_inherited(config, "agents.defaults.sandbox.mode"),
            )
        )
        sections.append(
            Section(f"agent-{agent_id}", f"Agent {agent_id}", fields, help="Unset: the global value.")
        )
    channels = config.get("channels")
    for name in channels if isinstance(channels, dict) else ():
        base = ("channels", str(name))
        star = ("channels", "*")
        sections.append(
            Section(
                f"channel-{name}",
                f"Channel {name}",
                [
                    _field(config, (*base, "dmPolicy"), "DM policy", schema=(*star, "dmPolicy")),
                    _field(config, (*base, "allowFrom"), "Allowed senders", schema=(*star, "allowFrom")),
                    _field(config, (*base, "groupPolicy"), "Group policy", schema=(*star, "groupPolicy")),
                    _groups_field(config, base),
                    _field(
                        config,
                        (*base, "groups", "*", "requireMention"),
                        "Require a mention in groups",
                        schema=(*star, "groups", "*", "requireMention"),
                        help='The "*" group: every group not listed on its own.',
                    ),
                ],
            )
        )
    sections.append(
        Section(
            "other",
            "Sessions, discovery and plugins",
            [
                _field(config, ("session", "dmScope"), "DM session scope"),
                _field(config, ("discovery", "mdns", "mode"), "mDNS discovery"),
                _field(config, ("plugins", "allow"), "Plugins allowed to load"),
            ],
        )
    )
    for section in sections:
        for item in section.fields:
            item.findings = [f for f in findings if _concerns(f["checkId"], item.path)]
    return sections


def _tool_fields(config: Mapping[str, Any], base: tuple[str, ...], agent: bool = False) -> list[Field]:
    schema = ("agents", "entries", "*", "tools") if agent else ("tools",)

    def one(rest: tuple[str, ...], label: str) -> Field:
        global_path = ".".join(("tools", *rest))
        default = _inherited(config, global_path) if agent else None
        return _field(config, (*base, *rest), label, schema=(*schema, *rest), default=default)

    return [
        one(("profile",), "Profile"),
        one(("allow",), "Allow"),
        one(("deny",), "Deny"),
        one(("alsoAllow",), "Also allow"),
        one(("elevated", "enabled"), "Elevated mode"),
        one(("exec", "security"), "Exec security"),
        one(("exec", "ask"), "Exec asks a human"),
    ]


def _inherited(config: Mapping[str, Any], global_path: str) -> str:
    value = get_in(config, global_path.split("."))
    if value is None:
        return f"{DEFAULTS.get(global_path, 'not set')} (from {global_path}, unset)"
    shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value).lower()
    return f"{shown} (from {global_path})"


def _groups_field(config: Mapping[str, Any], base: tuple[str, ...]) -> Field:
    groups = get_in(config, [*base, "groups"])
    item = Field(
        path=(*base, "groups"),
        label="Groups",
        kind="list",
        current=list(groups) if isinstance(groups, dict) else None,
        default=DEFAULTS["channels.*.groups"],
        help='Group ids the agent answers in ("*": all); their settings are kept.',
    )
    return item


def _concerns(check_id: str, path: tuple[str, ...]) -> bool:
    """True when the check's catalogue paths name this setting, a parent of it or a part of it."""
    spec = get_check(check_id)
    if spec is None:
        return False
    dotted = ".".join(path)
    for pattern in spec.paths:
        if fnmatchcase(dotted, pattern) or fnmatchcase(dotted, pattern + ".*"):
            return True
        depth = pattern.count(".") + 1
        if len(path) < depth and fnmatchcase(".".join(path), ".".join(pattern.split(".")[: len(path)])):
            return True
    return False


class FormError(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def parse_field(item: Field, posted: str) -> Any:
    """Return the value the form gives ``item`` (None: unset). Raises ValueError naming the problem."""
    posted = (posted or "").strip()
    if posted == UNSET:
        return None
    if item.kind == "choice":
        if posted not in item.choices:
            raise ValueError(f"choose one of {', '.join(item.choices)}")
        return posted
    if item.kind == "bool":
        if posted not in ("true", "false"):
            raise ValueError("choose true or false")
        return posted == "true"
    if item.kind == "list":
        return [line.strip() for line in posted.replace(",", "\n").splitlines() if line.strip()]
    return posted


def apply_form(
    text: str, sections: list[Section], post: Mapping[str, str], data: Any = None
) -> tuple[str, list[str]]:
    """Return (the edited text, the dotted paths that changed). Fields absent from ``post`` stay.

    ``data``: the parsed ``text`` when the caller has it (it is not changed: edits copy on write).
    Raises FormError with a message per field name when a value is not allowed.
    """
    data = parse_json5(text) if data is None else data
    errors: dict[str, str] = {}
    changed: list[str] = []
    for section in sections:
        for item in section.fields:
            if item.name not in post:
                continue
            try:
                value = parse_field(item, post[item.name])
            except ValueError as exc:
                errors[item.name] = f"{item.dotted}: {exc}"
                continue
            if item.path[-1] == "groups" and item.path[0] == "channels":
                if value is not None and value == item.current:
                    continue
                if value is not None:
                    kept = get_in(data, list(item.path))
                    kept = kept if isinstance(kept, dict) else {}
                    value = {gid: kept.get(gid, {}) for gid in value}
                    item_current = get_in(data, list(item.path))
                    if same(value, item_current):
                        continue
                    data = set_in(data, list(item.path), value)
                    changed.append(item.dotted)
                    continue
            if (value is None and item.current is None) or (value is not None and same(value, item.current)):
                continue
            data = delete_in(data, list(item.path)) if value is None else set_in(data, list(item.path), value)
            changed.append(item.dotted)
    if errors:
        raise FormError(errors)
    return rewrite(text, data), changed


__all__ = ["Field", "FormError", "Section", "apply_form", "form_sections", "parse_field"]
