"""Effective exec policy of a scope (global `tools.exec` or one agent), as `openclaw exec-policy show`.

OpenClaw 2026.9.6 rules (read from `exec-approvals-effective` / `exec-approvals-core`, checked against
`exec-policy show --json` fixtures):

- `mode` is shorthand for a (security, ask) pair: deny=(deny,off), allowlist=(allowlist,off),
  ask=(allowlist,on-miss), auto=(allowlist,on-miss + auto review), full=(full,off).
- requested policy of a scope: its own `mode` wins; else, when the scope sets neither security nor
  ask, the global `tools.exec.mode`; else, when the global has a mode and the scope sets legacy
  security/ask, those override the global mode's pair; else security/ask each fall back
  scope -> `tools.exec` -> OpenClaw default (security "full", ask "off").
- a mode is derived back from a pair: deny if security deny; allowlist if allowlist+off; full if
  full and ask is not always; otherwise ask.
- host approvals (the gateway's approvals file) can only tighten: effective security is the
  stricter one, ask the more eager one, askFallback (default "deny") never looser than security.
  This module takes host approvals as an optional argument; without it the host inherits.
- safe bins: the scope's list, else the global one, else the defaults; trusted dirs are the
  defaults plus global plus scope lists (the real CLI also resolves symlinks on disk: we do not).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .config_access import agent_tools, as_dict, global_tools

MODE_POLICY: dict[str, tuple[str, str]] = {
    "deny": ("deny", "off"),
    "allowlist": ("allowlist", "off"),
    "ask": ("allowlist", "on-miss"),
    "auto": ("allowlist", "on-miss"),
    "full": ("full", "off"),
}
DEFAULT_SECURITY = "full"
DEFAULT_ASK = "off"
DEFAULT_ASK_FALLBACK = "deny"
DEFAULT_HOST = "auto"
DEFAULT_SAFE_BINS = ("cut", "uniq", "head", "tail", "tr", "wc")
DEFAULT_SAFE_BIN_TRUSTED_DIRS = ("/bin", "/usr/bin")
_SECURITY_ORDER = {"deny": 0, "allowlist": 1, "full": 2}
_ASK_ORDER = {"off": 0, "on-miss": 1, "always": 2}


@dataclass(frozen=True)
class ExecPolicy:
    """The effective exec policy of one scope, with where each requested value came from."""

    scope_label: str
    config_path: str
    host: str
    host_source: str
    mode: str
    mode_source: str
    security: str
    security_source: str
    ask: str
    ask_source: str
    ask_fallback: str
    auto_review: bool
    allowed_decisions: tuple[str, ...]
    safe_bins: tuple[str, ...]
    safe_bin_trusted_dirs: tuple[str, ...]
    strict_inline_eval: bool

    def as_json(self) -> dict[str, Any]:
        """Return the camelCase dict used by explain_json and the panel."""
        return {
            "scope": self.scope_label,
            "configPath": self.config_path,
            "host": self.host,
            "mode": self.mode,
            "security": self.security,
            "ask": self.ask,
            "askFallback": self.ask_fallback,
            "autoReview": self.auto_review,
            "allowedDecisions": list(self.allowed_decisions),
            "safeBins": list(self.safe_bins),
            "safeBinTrustedDirs": list(self.safe_bin_trusted_dirs),
            "strictInlineEval": self.strict_inline_eval,
            "sources": {
                "host": self.host_source,
                "mode": self.mode_source,
                "security": self.security_source,
                "ask": self.ask_source,
            },
        }


def mode_from_pair(security: str, ask: str) -> str:
    """Return the exec mode name that a (security, ask) pair amounts to."""
    if security == "deny":
        return "deny"
    if security == "allowlist" and ask == "off":
        return "allowlist"
    if security == "full" and ask != "always":
        return "full"
    return "ask"


def stricter_security(a: str, b: str) -> str:
    """Return the more restrictive of two security levels."""
    return a if _SECURITY_ORDER.get(a, 0) <= _SECURITY_ORDER.get(b, 0) else b


def eager_ask(a: str, b: str) -> str:
    """Return the ask setting that asks more often."""
    return a if _ASK_ORDER.get(a, 2) >= _ASK_ORDER.get(b, 2) else b


def _derived(security_source: str, ask_source: str) -> str:
    """Return the CLI's wording for a mode derived from security and ask sources."""
    if security_source == ask_source:
        return f"derived from {security_source}"
    return f"derived from {security_source} and {ask_source}"


def _field(scope: Mapping[str, Any], glob: Mapping[str, Any], name: str, path: str, default: str):
    """Return (value, source) of security/ask: scope, then tools.exec, then the OpenClaw default."""
    if scope.get(name) is not None:
        return scope[name], f"{path}.{name}"
    if glob.get(name) is not None:
        return glob[name], f"tools.exec.{name}"
    return default, f"OpenClaw default ({default})"


def _requested_policy(scope: Mapping[str, Any], glob: Mapping[str, Any], path: str) -> dict[str, str]:
    """Return the requested mode/security/ask of a scope and the source of each.

    `glob` is the parent `tools.exec` (empty when the scope is `tools.exec` itself).
    """
    legacy = scope.get("security") is not None or scope.get("ask") is not None
    own_mode, global_mode = scope.get("mode"), glob.get("mode")
    chosen = own_mode or (global_mode if not legacy else None)
    if chosen in MODE_POLICY:
        source = f"{path if own_mode else 'tools.exec'}.mode"
        security, ask = MODE_POLICY[chosen]
        return {
            "mode": chosen,
            "security": security,
            "ask": ask,
            "mode_source": source,
            "security_source": source,
            "ask_source": source,
        }
    if legacy and global_mode in MODE_POLICY:
        inherited_src = "tools.exec.mode"
        base_security, base_ask = MODE_POLICY[global_mode]
        security = scope.get("security") or base_security
        ask = scope.get("ask") or base_ask
        sec_src = f"{path}.security" if scope.get("security") is not None else inherited_src
        ask_src = f"{path}.ask" if scope.get("ask") is not None else inherited_src
    else:
        security, sec_src = _field(scope, glob, "security", path, DEFAULT_SECURITY)
        ask, ask_src = _field(scope, glob, "ask", path, DEFAULT_ASK)
    return {
        "mode": mode_from_pair(security, ask),
        "security": security,
        "ask": ask,
        "mode_source": _derived(sec_src, ask_src),
        "security_source": sec_src,
        "ask_source": ask_src,
    }


def resolve_exec(
    config: Mapping[str, Any], agent_id: str | None = None, *, host_approvals: Mapping[str, str] | None = None
) -> ExecPolicy:
    """Return the effective exec policy of an agent (or of global `tools.exec` when agent_id is None).

    host_approvals: optional {"security", "ask", "askFallback"} of the gateway host's approvals file.
    """
    glob = as_dict(global_tools(config).get("exec"))
    if agent_id is None:
        scope, path, label, parent = glob, "tools.exec", "tools.exec", {}
    else:
        scope = as_dict(agent_tools(config, agent_id).get("exec"))
        path, label, parent = f"agents.entries.{agent_id}.tools.exec", f"agent:{agent_id}", glob
    req = _requested_policy(scope, parent, path)
    host_cfg = as_dict(host_approvals)
    security = stricter_security(req["security"], host_cfg.get("security", req["security"]))
    ask = eager_ask(req["ask"], host_cfg.get("ask", req["ask"]))
    fallback = stricter_security(security, host_cfg.get("askFallback", DEFAULT_ASK_FALLBACK))
    same = security == req["security"] and ask == req["ask"]
    mode = req["mode"] if same else mode_from_pair(security, ask)
    if scope.get("host") is not None:
        host, host_source = scope["host"], f"{path}.host"
    elif parent.get("host") is not None:
        host, host_source = parent["host"], "tools.exec.host"
    else:
        host, host_source = DEFAULT_HOST, f"OpenClaw default ({DEFAULT_HOST})"
    bins = scope.get("safeBins") if isinstance(scope.get("safeBins"), list) else parent.get("safeBins")
    bins = DEFAULT_SAFE_BINS if not isinstance(bins, list) else bins
    dirs = [*DEFAULT_SAFE_BIN_TRUSTED_DIRS, *_strings(parent.get("safeBinTrustedDirs"))]
    dirs += _strings(scope.get("safeBinTrustedDirs"))
    strict = scope.get("strictInlineEval", parent.get("strictInlineEval", False))
    return ExecPolicy(
        scope_label=label,
        config_path=path,
        host=host,
        host_source=host_source,
        mode=mode,
        mode_source=req["mode_source"],
        security=security,
        security_source=req["security_source"],
        ask=ask,
        ask_source=req["ask_source"],
        ask_fallback=fallback,
        auto_review=mode == "auto",
        # Why: with ask=always every run needs a fresh approval, so "allow-always" is not offered.
        allowed_decisions=("allow-once", "deny")
        if ask == "always"
        else ("allow-once", "allow-always", "deny"),
        safe_bins=tuple(sorted({b.strip().lower() for b in bins if isinstance(b, str) and b.strip()})),
        safe_bin_trusted_dirs=tuple(dict.fromkeys(d.strip() for d in dirs if d.strip())),
        strict_inline_eval=bool(strict),
    )


def _strings(value: Any) -> list[str]:
    """Return the string items of a list value (empty list otherwise)."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
