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
- a value OpenClaw's normalisers reject (`mode: "bogus"`, `security: null`, a number; compared
  trimmed and lower-cased, as `normalizeExecMode`/`normalizeExecSecurity`/`normalizeExecAsk` do)
  counts as not set: the next source applies (scope -> `tools.exec` -> the default). This is the
  one fallback for bad values; nothing here raises. (The real validator refuses such configs, and
  OpenClaw's own readers of unvalidated input -- host approvals, session overrides -- normalise to
  "unset" the same way.)
- the default security is "full" (`exec-policy show`, the runtime on the host); the CLI's
  `security audit` starts from "deny" instead for its exec-scope checks, so `requested_exec` takes
  it as a parameter. The gateway host's approvals file can only tighten the requested policy; the
  panel does not read that file, so it shows the requested policy.
- exec host: the scope's `host`, else `tools.exec.host`, else "auto" (invalid values as unset, as
  above); "auto" runs in the sandbox when the agent's sandbox mode is not off, else on the gateway.
- safe bins: the scope's list, else the global one, else the defaults; trusted dirs are the
  defaults plus global plus scope lists (the real CLI also resolves symlinks on disk: we do not).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from .config_access import EMPTY, agent_tools, as_dict, dig, global_tools

MODE_POLICY: dict[str, tuple[str, str]] = {
    "deny": ("deny", "off"),
    "allowlist": ("allowlist", "off"),
    "ask": ("allowlist", "on-miss"),
    "auto": ("allowlist", "on-miss"),
    "full": ("full", "off"),
}
SECURITIES = ("deny", "allowlist", "full")
ASKS = ("off", "on-miss", "always")
DECISIONS = ("allow-once", "allow-always", "deny")
DEFAULT_SECURITY = "full"
AUDIT_DEFAULT_SECURITY = "deny"  # what the CLI's security audit assumes for an unset security
DEFAULT_ASK = "off"
DEFAULT_ASK_FALLBACK = "deny"
DEFAULT_HOST = "auto"
HOSTS = ("auto", "sandbox", "gateway", "node")
DEFAULT_SAFE_BINS = ("cut", "uniq", "head", "tail", "tr", "wc")
DEFAULT_SAFE_BIN_TRUSTED_DIRS = ("/bin", "/usr/bin")


class RequestedExec(NamedTuple):
    """The requested (security, ask) of one scope, the mode they amount to, and each one's source."""

    mode: str
    security: str
    ask: str
    mode_source: str
    security_source: str
    ask_source: str


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

    @property
    def runs_anything_unasked(self) -> bool:
        """Return True for security=full with ask=off: any command runs and nobody is asked."""
        return self.security == "full" and self.ask == "off"

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


def allowed_decisions(ask: str) -> tuple[str, ...]:
    """Return the decisions an approval under `ask` offers.

    Why: with ask=always every run needs a fresh approval, so "allow-always" is not offered.
    """
    return ("allow-once", "deny") if ask == "always" else DECISIONS


def _valid(value: Any, allowed: tuple[str, ...]) -> str | None:
    """Return the normalised value if OpenClaw accepts it, else None (the one fallback: "not set")."""
    if value.__class__ is not str:
        return None
    if value in allowed:
        return value
    folded = value.strip().lower()
    return folded if folded in allowed else None


def _derived(security_source: str, ask_source: str) -> str:
    """Return the CLI's wording for a mode derived from security and ask sources."""
    if security_source == ask_source:
        return f"derived from {security_source}"
    return f"derived from {security_source} and {ask_source}"


def _layer_values(section: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    """Return the (mode, security, ask) a `tools.exec`-like section sets, invalid values as unset."""
    return (
        _valid(section.get("mode"), _MODES),
        _valid(section.get("security"), SECURITIES),
        _valid(section.get("ask"), ASKS),
    )


_MODES = tuple(MODE_POLICY)


def requested_exec(
    config: Mapping[str, Any], agent_id: str | None = None, *, default_security: str = DEFAULT_SECURITY
) -> RequestedExec:
    """Return the requested exec policy of an agent (None: the global `tools.exec` scope).

    Layers, as OpenClaw applies them (`applyExecPolicyLayer`): the defaults, then `tools.exec`, then
    the agent's `tools.exec`; a layer's `mode` sets both values, else its security/ask patch the
    ones below.
    """
    glob = dig(global_tools(config), "exec")
    own = dig(agent_tools(config, agent_id), "exec") if agent_id is not None else EMPTY
    if not glob and not own:
        return _default_exec(default_security)
    agent_layer = (f"agents.entries.{agent_id}.tools.exec", *_layer_values(own)) if own else None
    return _requested(("tools.exec", *_layer_values(glob)), agent_layer, default_security)


@lru_cache(maxsize=1024)
def _requested(
    glob: tuple[str, str | None, str | None, str | None],
    agent: tuple[str, str | None, str | None, str | None] | None,
    default_security: str,
) -> RequestedExec:
    """Return the requested policy of (path, mode, security, ask) layers (memoised: hashable inputs)."""
    security, ask = default_security, DEFAULT_ASK
    sec_src = f"OpenClaw default ({default_security})"
    ask_src = f"OpenClaw default ({DEFAULT_ASK})"
    mode: str | None = None
    mode_src = ""
    for path, layer_mode, sec, layer_ask in (glob, agent) if agent else (glob,):
        if layer_mode is not None:
            mode, (security, ask) = layer_mode, MODE_POLICY[layer_mode]
            sec_src = ask_src = mode_src = f"{path}.mode"
        elif sec is not None or layer_ask is not None:
            mode = None
            if sec is not None:
                security, sec_src = sec, f"{path}.security"
            if layer_ask is not None:
                ask, ask_src = layer_ask, f"{path}.ask"
    return RequestedExec(
        mode=mode or mode_from_pair(security, ask),
        security=security,
        ask=ask,
        mode_source=mode_src if mode else _derived(sec_src, ask_src),
        security_source=sec_src,
        ask_source=ask_src,
    )


@lru_cache(maxsize=8)
def _default_exec(default_security: str) -> RequestedExec:
    """Return the requested policy when nothing configures exec (the common case, so shared)."""
    security_source = f"OpenClaw default ({default_security})"
    ask_source = f"OpenClaw default ({DEFAULT_ASK})"
    return RequestedExec(
        mode=mode_from_pair(default_security, DEFAULT_ASK),
        security=default_security,
        ask=DEFAULT_ASK,
        mode_source=_derived(security_source, ask_source),
        security_source=security_source,
        ask_source=ask_source,
    )


def requested_host(config: Mapping[str, Any], agent_id: str | None = None) -> tuple[str, str]:
    """Return the exec host an agent (None: the global scope) requests, and the key it came from."""
    glob = _valid(dig(global_tools(config), "exec").get("host"), HOSTS)
    own = None if agent_id is None else _valid(dig(agent_tools(config, agent_id), "exec").get("host"), HOSTS)
    if own is not None:
        return own, f"agents.entries.{agent_id}.tools.exec.host"
    if glob is not None:
        return glob, "tools.exec.host"
    return DEFAULT_HOST, f"OpenClaw default ({DEFAULT_HOST})"


def effective_host(host: str, sandbox_mode: str) -> str:
    """Return where exec runs for a requested ``host``: "auto" is the sandbox unless sandboxing is off."""
    if host != "auto":
        return host
    return "sandbox" if sandbox_mode != "off" else "gateway"


def resolve_exec(config: Mapping[str, Any], agent_id: str | None = None) -> ExecPolicy:
    """Return the exec policy of an agent (or of global `tools.exec` when agent_id is None)."""
    glob = as_dict(global_tools(config).get("exec"))
    if agent_id is None:
        scope, path, label, parent = glob, "tools.exec", "tools.exec", {}
    else:
        scope = as_dict(agent_tools(config, agent_id).get("exec"))
        path, label, parent = f"agents.entries.{agent_id}.tools.exec", f"agent:{agent_id}", glob
    req = requested_exec(config, agent_id)
    host, host_source = requested_host(config, agent_id)
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
        mode=req.mode,
        mode_source=req.mode_source,
        security=req.security,
        security_source=req.security_source,
        ask=req.ask,
        ask_source=req.ask_source,
        # Without the host's approvals file nothing tightens the fallback below its default.
        ask_fallback=DEFAULT_ASK_FALLBACK,
        auto_review=req.mode == "auto",
        allowed_decisions=allowed_decisions(req.ask),
        safe_bins=tuple(sorted({b.strip().lower() for b in bins if isinstance(b, str) and b.strip()})),
        safe_bin_trusted_dirs=tuple(dict.fromkeys(d.strip() for d in dirs if d.strip())),
        strict_inline_eval=bool(strict),
    )


def _strings(value: Any) -> list[str]:
    """Return the string items of a list value (empty list otherwise)."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
