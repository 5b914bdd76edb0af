"""The exec approval policy of OpenClaw 2026.9.6, and the decisions an approval request allows.

Two layers meet (``docs/tools/exec-approvals.md``): the *requested* policy from ``openclaw.json``
(``tools.exec`` and per-agent ``agents.entries.<id>.tools.exec``) and the *host* approvals document kept
on the execution host. The effective policy is their intersection: the stricter ``security``
(deny < allowlist < full), the more aggressive ``ask`` (off < on-miss < always), and an ``askFallback``
(default deny) never looser than the effective security. ``openclaw exec-policy show --json`` is the
oracle; :func:`exec_policy_scopes` returns the same facts per scope, in the same JSON shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from controlpanel.policy.exec_policy import mode_from_pair

SECURITY_ORDER = {"deny": 0, "allowlist": 1, "full": 2}
ASK_ORDER = {"off": 0, "on-miss": 1, "always": 2}
MODES = ("deny", "allowlist", "ask", "auto", "full")
# mode -> (security, ask); "auto" is "ask" plus an automatic reviewer for eligible misses.
MODE_POLICY = {
    "deny": ("deny", "off"),
    "allowlist": ("allowlist", "off"),
    "ask": ("allowlist", "on-miss"),
    "auto": ("allowlist", "on-miss"),
    "full": ("full", "off"),
}
DEFAULT_SECURITY = "full"  # 2026.x gateway/node default ("YOLO"): see seed 004 version notes
DEFAULT_ASK = "off"
DEFAULT_ASK_FALLBACK = "deny"
DEFAULT_AGENT_ID = "main"
DECISIONS = ("allow-once", "allow-always", "deny")

_NOTE = (
    "Effective exec policy is the host approvals policy intersected with requested tools.exec policy. "
    "Per-session /exec overrides are not included; run /exec in the relevant session to inspect its "
    "current defaults."
)


def min_security(a: str, b: str) -> str:
    """Return the stricter of two security levels."""
    return a if SECURITY_ORDER[a] <= SECURITY_ORDER[b] else b


def max_ask(a: str, b: str) -> str:
    """Return the more aggressive of two ask levels."""
    return a if ASK_ORDER[a] >= ASK_ORDER[b] else b


# One definition of the (security, ask) -> mode naming, shared with the policy resolver.
mode_from_policy = mode_from_pair


def exact_mode_from_policy(security: str, ask: str) -> str | None:
    """Return the mode equal to (security, ask), or None when no mode expresses it exactly."""
    if ask == "always" or (security == "full" and ask == "on-miss"):
        return None
    return mode_from_policy(security, ask)


@dataclass(frozen=True)
class Requested:
    """The requested policy of one scope and where each part came from."""

    mode: str
    mode_source: str
    security: str
    security_source: str
    ask: str
    ask_source: str


def _src(path: str, fld: str, default: str) -> str:
    return f"OpenClaw default ({default})" if path == "" else f"{path}.{fld}"


def _derived(security_source: str, ask_source: str) -> str:
    if security_source == ask_source:
        return f"derived from {security_source}"
    return f"derived from {security_source} and {ask_source}"


def _requested(scope: Mapping[str, Any], glob: Mapping[str, Any], config_path: str) -> Requested:
    """Resolve the requested policy: a scope's own mode, else global mode (unless legacy fields), …"""
    legacy = "security" in scope or "ask" in scope
    if scope.get("mode"):
        sec, ask = MODE_POLICY[scope["mode"]]
        src = f"{config_path}.mode"
        return Requested(scope["mode"], src, sec, src, ask, src)
    if glob.get("mode"):
        g_sec, g_ask = MODE_POLICY[glob["mode"]]
        g_src = "tools.exec.mode"
        if not legacy:
            return Requested(glob["mode"], g_src, g_sec, g_src, g_ask, g_src)
        # Legacy security/ask on the agent patch the inherited global mode field by field.
        sec = scope.get("security", g_sec)
        ask = scope.get("ask", g_ask)
        sec_src = f"{config_path}.security" if "security" in scope else g_src
        ask_src = f"{config_path}.ask" if "ask" in scope else g_src
        return Requested(mode_from_policy(sec, ask), _derived(sec_src, ask_src), sec, sec_src, ask, ask_src)
    sec_path = config_path if "security" in scope else ("tools.exec" if "security" in glob else "")
    ask_path = config_path if "ask" in scope else ("tools.exec" if "ask" in glob else "")
    sec = scope.get("security", glob.get("security", DEFAULT_SECURITY))
    ask = scope.get("ask", glob.get("ask", DEFAULT_ASK))
    sec_src = _src(sec_path, "security", DEFAULT_SECURITY)
    ask_src = _src(ask_path, "ask", DEFAULT_ASK)
    return Requested(mode_from_policy(sec, ask), _derived(sec_src, ask_src), sec, sec_src, ask, ask_src)


def _host_field(
    approvals: Mapping[str, Any], agent_key: str, fld: str, valid: Mapping[str, int], fallback: str
) -> tuple[str, str | None]:
    """Resolve one host field: agent entry, then the "*" agent, then defaults, then ``fallback``."""
    agents = approvals.get("agents") or {}
    for key in (agent_key, "*"):
        entry = agents.get(key) or {}
        if entry.get(fld) is not None:
            if entry[fld] in valid:
                return entry[fld], f"agents.{key}.{fld}"
            break  # an invalid value falls back to defaults, exactly like OpenClaw
    default = (approvals.get("defaults") or {}).get(fld)
    if default in valid:
        return default, f"defaults.{fld}"
    return fallback, None


def _agent_entries(config: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    agents = config.get("agents") or {}
    if isinstance(agents.get("entries"), Mapping):
        return {str(k): v or {} for k, v in agents["entries"].items()}
    if isinstance(agents.get("list"), list):  # legacy array form
        return {str(a["id"]): a for a in agents["list"] if isinstance(a, Mapping) and a.get("id")}
    return {}


def default_agent_id(config: Mapping[str, Any]) -> str | None:
    """Return the agent the top-level ``tools.exec`` scope is reported for (None: no such agent).

    With ``agents.ownership: "explicit"`` (required for multi-agent rosters) it is the recorded
    ``agents.defaults.systemAgent.agentId`` when that agent exists; otherwise the legacy
    ``default: true`` marker, the sole agent, or ``main`` when no agent is configured.
    """
    agents = config.get("agents") or {}
    entries = _agent_entries(config)
    if agents.get("ownership") == "explicit":
        system = ((agents.get("defaults") or {}).get("systemAgent") or {}).get("agentId")
        wanted = str(system).strip().lower() if system else None
        return wanted if wanted in {a.lower() for a in entries} else None
    marked = [a for a, e in entries.items() if isinstance(e, Mapping) and e.get("default") is True]
    if marked:
        return marked[0]
    return next(iter(entries), DEFAULT_AGENT_ID)


def _exec_of(entry: Mapping[str, Any]) -> Mapping[str, Any] | None:
    tools = entry.get("tools")
    return tools.get("exec") if isinstance(tools, Mapping) else None


def exec_policy_scopes(
    config: Mapping[str, Any],
    approvals: Mapping[str, Any] | None = None,
    *,
    host_path: str = "~/.openclaw/state/openclaw.sqlite#exec_approvals_config",
) -> list[dict[str, Any]]:
    """Return the effective exec policy per scope, shaped like ``exec-policy show --json`` scopes.

    ``config`` is a parsed openclaw.json (plain dicts), ``approvals`` the host approvals document (None
    when the host has none). The first scope is ``tools.exec`` for the default agent, then one per agent
    that overrides exec or appears in the approvals document, sorted by id.
    """
    approvals = approvals or {}
    glob = _exec_of(config) or {}
    default_id = default_agent_id(config)
    entries = _agent_entries(config)
    scopes = [_scope(approvals, glob, {}, "tools.exec", "tools.exec", default_id, host_path)]
    ids = {a for a, e in entries.items() if a != default_id or _exec_of(e) is not None}
    ids |= {a for a in (approvals.get("agents") or {}) if a not in ("*", "default") and a != default_id}
    for agent_id in sorted(ids):
        scope_cfg = _exec_of(entries.get(agent_id, {})) or {}
        path = f"agents.entries.{agent_id}.tools.exec"
        scopes.append(_scope(approvals, scope_cfg, glob, path, f"agent:{agent_id}", agent_id, host_path))
    return scopes


def _scope(
    approvals: Mapping[str, Any],
    scope_cfg: Mapping[str, Any],
    glob: Mapping[str, Any],
    config_path: str,
    label: str,
    agent_id: str | None,
    host_path: str,
) -> dict[str, Any]:
    req = _requested(scope_cfg, glob, config_path)
    # The host document keys a scope without an agent as "default".
    agent_key = agent_id or "default"
    if "host" in scope_cfg:
        host, host_src = scope_cfg["host"], f"{config_path}.host"
    elif "host" in glob:
        host, host_src = glob["host"], "tools.exec.host"
    else:
        host, host_src = "auto", "OpenClaw default (auto)"
    h_sec, h_sec_src = _host_field(approvals, agent_key, "security", SECURITY_ORDER, req.security)
    h_ask, h_ask_src = _host_field(approvals, agent_key, "ask", ASK_ORDER, req.ask)
    h_fb, h_fb_src = _host_field(approvals, agent_key, "askFallback", SECURITY_ORDER, DEFAULT_ASK_FALLBACK)

    def host_source(suffix: str | None, fallback: str) -> str:
        return f"{host_path} {suffix}" if suffix else fallback

    sec = min_security(req.security, h_sec)
    ask = max_ask(req.ask, h_ask)
    fallback = min_security(sec, h_fb)
    mode = req.mode if (sec, ask) == (req.security, req.ask) else mode_from_policy(sec, ask)
    out: dict[str, Any] = {
        "scopeLabel": label,
        "configPath": config_path,
        "host": {"requested": host, "requestedSource": host_src},
        "mode": {
            "requested": req.mode,
            "requestedSource": req.mode_source,
            "effective": mode,
            "note": "requested mode applies" if mode == req.mode else "host policy changes effective mode",
        },
        "security": {
            "requested": req.security,
            "requestedSource": req.security_source,
            "host": h_sec,
            "hostSource": host_source(h_sec_src, "inherits requested tool policy"),
            "effective": sec,
            "note": "requested security applies" if sec == req.security else "stricter host security wins",
        },
        "ask": {
            "requested": req.ask,
            "requestedSource": req.ask_source,
            "host": h_ask,
            "hostSource": host_source(h_ask_src, "inherits requested tool policy"),
            "effective": ask,
            "note": "requested ask applies" if ask == req.ask else "more aggressive ask wins",
        },
        "askFallback": {
            "effective": fallback,
            "source": host_source(h_fb_src, f"OpenClaw default ({DEFAULT_ASK_FALLBACK})"),
        },
        "runtimeApprovalsSource": "local-file",
    }
    if agent_id is not None:
        out["agentId"] = agent_id
    if host == "node":
        # The node's own approvals decide at runtime; the gateway cannot know them from here.
        unknown = {"host": "unknown", "hostSource": "node runtime approvals", "effective": "unknown"}
        note = {"note": "runtime policy resolved by node approvals"}
        out["runtimeApprovalsSource"] = "node-runtime"
        for fld in ("security", "ask"):
            keep = {k: out[fld][k] for k in ("requested", "requestedSource")}
            out[fld] = {**keep, **unknown, **note}
        out["askFallback"] = {"effective": "unknown", "source": "node runtime approvals"}
    return out


def exec_policy_show(
    config: Mapping[str, Any], approvals: Mapping[str, Any] | None = None, *, host_path: str = ""
) -> dict[str, Any]:
    """Return the ``effectivePolicy`` object of ``exec-policy show --json`` (note + scopes)."""
    kw = {"host_path": host_path} if host_path else {}
    scopes = exec_policy_scopes(config, approvals, **kw)
    note = _NOTE
    if any(s["runtimeApprovalsSource"] == "node-runtime" for s in scopes):
        note = (
            "Scopes requesting host=node are node-managed at runtime. Local approvals are shown only for "
            "local/gateway scopes. " + _NOTE.split(". ", 1)[1]
        )
    return {"note": note, "scopes": scopes}


# --- decisions -------------------------------------------------------------------------------------


def allowed_decisions(ask: str, *, durable_allowed: bool = True) -> tuple[str, ...]:
    """Return the decisions an approval request offers under effective ``ask``.

    With ``ask: always`` a durable ``allow-always`` would not stop future prompts, so OpenClaw offers only
    ``allow-once`` and ``deny``; the same when the request cannot persist a durable grant.
    """
    if ask == "always" or not durable_allowed:
        return ("allow-once", "deny")
    return DECISIONS


@dataclass(frozen=True)
class DecisionCheck:
    """Whether a submitted decision may be recorded, and why not."""

    ok: bool
    reason: str = ""


def validate_decision(decision: str, allowed: Sequence[str]) -> DecisionCheck:
    """Return whether ``decision`` is one of ``allowed`` (the request's own ``allowedDecisions``)."""
    if decision not in DECISIONS:
        return DecisionCheck(False, f"unknown decision {decision!r}")
    if decision not in allowed:
        return DecisionCheck(False, f"this request does not allow {decision!r}")
    return DecisionCheck(True)


def approval_flow_state(approvers: Sequence[str] | None, *, enabled: bool = True) -> str:
    """Return ``disabled``, ``enabled`` or ``fails_closed`` for a channel's exec approval flow.

    Since 2026.3 an empty approver list grants nobody explicit approval authority: it fails closed
    (every request that needs approval is denied) instead of letting anyone approve.
    """
    if not enabled:
        return "disabled"
    real = [a for a in (approvers or []) if str(a).strip()]
    return "enabled" if real else "fails_closed"
