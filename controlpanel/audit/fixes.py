"""Safe fix proposals: tightenings only, never loosening, never touching secrets.

`propose_fixes(config_raw, findings)` returns `Fix` objects, each a JSON-patch-like change
(path, before, after, reason) that the panel renders as a config diff; `apply_fixes`
returns a patched copy. A fix is only proposed when applying it cannot make another check
fire (e.g. removing "*" from allowedOrigins on an exposed gateway would trigger
`allowed_origins_required`, so that fix is only offered when other origins remain).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from controlpanel.policy.exec_policy import AUDIT_DEFAULT_SECURITY

from .facts import Facts, as_list, as_map, sub
from .schema import Finding

Path = tuple[str | int, ...]
MISSING = None  # `before` of a key that does not exist yet


@dataclass(frozen=True, slots=True)
class Fix:
    """One proposed change: set `path` from `before` to `after` (for `check_id`)."""

    check_id: str
    path: Path
    before: Any
    after: Any
    reason: str

    @property
    def dotted(self) -> str:
        """The path as `a.b[0].c` for display."""
        out = ""
        for seg in self.path:
            out += f"[{seg}]" if isinstance(seg, int) else (f".{seg}" if out else seg)
        return out


FixFn = Callable[[Facts, Finding], Iterator[Fix]]
_FIXERS: dict[str, FixFn] = {}


def fixer(*check_ids: str) -> Callable[[FixFn], FixFn]:
    """Register a fix proposer for one or more check ids."""

    def register(fn: FixFn) -> FixFn:
        for cid in check_ids:
            _FIXERS[cid] = fn
        return fn

    return register


def _set(f: Facts, cid: str, path: Path, after: Any, reason: str) -> Iterator[Fix]:
    before = f.cfg
    for seg in path:
        before = before[seg] if isinstance(before, (dict, list)) and _has(before, seg) else MISSING
    if before != after:
        yield Fix(cid, path, before, after, reason)


def _has(node: Any, seg: str | int) -> bool:
    if isinstance(node, dict):
        return seg in node
    return isinstance(seg, int) and 0 <= seg < len(node)


def _origins(f: Facts) -> list[Any]:
    return as_list(sub(f.gateway, "controlUi", "allowedOrigins"))


@fixer("gateway.control_ui.allowed_origins_wildcard")
def _origins_wildcard(f: Facts, finding: Finding) -> Iterator[Fix]:
    rest = [o for o in _origins(f) if not (isinstance(o, str) and o.strip() == "*")]
    if rest or not f.exposed:
        yield from _set(
            f, finding.check_id, ("gateway", "controlUi", "allowedOrigins"), rest, 'Drop the "*" origin.'
        )


@fixer("gateway.control_ui.host_header_origin_fallback")
def _host_header(f: Facts, finding: Finding) -> Iterator[Fix]:
    if not f.exposed or [o for o in _origins(f) if o != "*"]:
        path = ("gateway", "controlUi", "dangerouslyAllowHostHeaderOriginFallback")
        yield from _set(f, finding.check_id, path, False, "Disable Host-header origin fallback.")


@fixer("gateway.real_ip_fallback_enabled")
def _real_ip(f: Facts, finding: Finding) -> Iterator[Fix]:
    yield from _set(
        f, finding.check_id, ("gateway", "allowRealIpFallback"), False, "Trust X-Forwarded-For only."
    )


@fixer("discovery.mdns_full_mode")
def _mdns(f: Facts, finding: Finding) -> Iterator[Fix]:
    yield from _set(
        f, finding.check_id, ("discovery", "mdns", "mode"), "minimal", "Publish minimal mDNS records."
    )


@fixer("gateway.tailscale_funnel")
def _funnel(f: Facts, finding: Finding) -> Iterator[Fix]:
    yield from _set(
        f,
        finding.check_id,
        ("gateway", "tailscale", "mode"),
        "off",
        "Stop publishing the gateway on the internet.",
    )


@fixer("gateway.tools_invoke_http.dangerous_allow")
def _http_tools(f: Facts, finding: Finding) -> Iterator[Fix]:
    from .checks.gateway import HTTP_DENIED_TOOLS

    allow = as_list(sub(f.gateway, "tools", "allow"))
    kept = [t for t in allow if not (isinstance(t, str) and t.strip().lower() in HTTP_DENIED_TOOLS)]
    yield from _set(
        f,
        finding.check_id,
        ("gateway", "tools", "allow"),
        kept,
        "Keep dangerous tools off HTTP /tools/invoke.",
    )


@fixer("gateway.auth_no_rate_limit")
def _rate_limit(f: Facts, finding: Finding) -> Iterator[Fix]:
    limit = {"maxAttempts": 10, "windowMs": 60000, "lockoutMs": 300000}
    yield from _set(f, finding.check_id, ("gateway", "auth", "rateLimit"), limit, "Throttle auth attempts.")


@fixer("gateway.trusted_proxy_allow_loopback")
def _tp_loopback(f: Facts, finding: Finding) -> Iterator[Fix]:
    path = ("gateway", "auth", "trustedProxy", "allowLoopback")
    yield from _set(f, finding.check_id, path, False, "Reject loopback proxy sources.")


@fixer("gateway.trusted_proxy_device_auto_approve")
def _tp_auto(f: Facts, finding: Finding) -> Iterator[Fix]:
    path = ("gateway", "auth", "trustedProxy", "deviceAutoApprove", "enabled")
    yield from _set(f, finding.check_id, path, False, "Approve new operator devices by hand.")


@fixer("gateway.trusted_proxy_device_auto_approve_admin")
def _tp_admin(f: Facts, finding: Finding) -> Iterator[Fix]:
    path = ("gateway", "auth", "trustedProxy", "deviceAutoApprove", "scopes")
    scopes = as_list(sub(f.cfg, *path))
    kept = [s for s in scopes if not (isinstance(s, str) and s.strip() == "operator.admin")]
    yield from _set(f, finding.check_id, path, kept, "Never auto-grant operator.admin.")


@fixer("mcp.apps.enabled")
def _mcp_apps(f: Facts, finding: Finding) -> Iterator[Fix]:
    yield from _set(f, finding.check_id, ("mcp", "apps", "enabled"), False, "Disable the MCP Apps UI bridge.")


@fixer("hooks.path_root")
def _hooks_path(f: Facts, finding: Finding) -> Iterator[Fix]:
    yield from _set(f, finding.check_id, ("hooks", "path"), "/hooks", "Give hooks a dedicated base path.")


@fixer("hooks.default_session_key_unset")
def _hooks_key(f: Facts, finding: Finding) -> Iterator[Fix]:
    yield from _set(
        f, finding.check_id, ("hooks", "defaultSessionKey"), "hook:ingress", "Scope hook runs to one session."
    )


@fixer("hooks.allowed_agent_ids_unrestricted")
def _hooks_agents(f: Facts, finding: Finding) -> Iterator[Fix]:
    ids = as_list(sub(f.cfg, "hooks", "allowedAgentIds"))
    kept = [i for i in ids if not (isinstance(i, str) and i.strip() == "*")]
    yield from _set(
        f,
        finding.check_id,
        ("hooks", "allowedAgentIds"),
        kept,
        "Route hooks only to listed agents ([] = none).",
    )


@fixer("hooks.request_session_key_enabled", "hooks.request_session_key_prefixes_missing")
def _hooks_request_key(f: Facts, finding: Finding) -> Iterator[Fix]:
    yield from _set(
        f,
        finding.check_id,
        ("hooks", "allowRequestSessionKey"),
        False,
        "Do not let hook payloads pick the session.",
    )


_FLAG_FIXES: dict[str, tuple[Path, Any]] = {
    "hooks.gmail.allowUnsafeExternalContent=true": (("hooks", "gmail", "allowUnsafeExternalContent"), False),
    "tools.exec.applyPatch.workspaceOnly=false": (("tools", "exec", "applyPatch", "workspaceOnly"), True),
    "hooks.allowRequestSessionKey=true": (("hooks", "allowRequestSessionKey"), False),
    "browser.ssrfPolicy.dangerouslyAllowPrivateNetwork=true": (
        ("browser", "ssrfPolicy", "dangerouslyAllowPrivateNetwork"),
        False,
    ),
    "tools.fs.workspaceOnly=false": (("tools", "fs", "workspaceOnly"), True),
}


@fixer("config.insecure_or_dangerous_flags")
def _flags(f: Facts, finding: Finding) -> Iterator[Fix]:
    flag = finding.detail.removeprefix("Detected enabled flag: ").removesuffix(".")
    if flag in _FLAG_FIXES:
        path, after = _FLAG_FIXES[flag]
        yield from _set(f, finding.check_id, path, after, f"Turn off {flag.split('=')[0]}.")
    elif flag.startswith("hooks.mappings[") and flag.endswith("].allowUnsafeExternalContent=true"):
        index = int(flag[len("hooks.mappings[") : flag.index("]")])
        yield from _set(
            f,
            finding.check_id,
            ("hooks", "mappings", index, "allowUnsafeExternalContent"),
            False,
            "Treat hook content as untrusted.",
        )


@fixer("tools.elevated.allowFrom.<provider>.wildcard")
def _elevated(f: Facts, finding: Finding) -> Iterator[Fix]:
    provider = finding.check_id[len("tools.elevated.allowFrom.") : -len(".wildcard")]
    path = ("tools", "elevated", "allowFrom", provider)
    kept = [v for v in as_list(sub(f.cfg, *path)) if not (isinstance(v, str) and v.strip() == "*")]
    yield from _set(f, finding.check_id, path, kept, "Elevated mode only for listed senders.")


@fixer("tools.exec.security_full_configured")
def _exec_full(f: Facts, finding: Finding) -> Iterator[Fix]:
    # The key that makes each scope's security full (policy's exec reader names it); each once.
    sources = [f.requested_exec(None, AUDIT_DEFAULT_SECURITY)]
    sources += [f.requested_exec(agent["id"], AUDIT_DEFAULT_SECURITY) for agent in f.agents]
    keys = dict.fromkeys(r.security_source for r in sources if r.security == "full")
    for key in keys:
        path = tuple(key.split("."))
        if path[-1] in ("mode", "security") and sub(f.cfg, *path) is not None:
            yield from _set(f, finding.check_id, path, "allowlist", "Exec only allowlisted commands.")


@fixer("sandbox.dangerous_bind_mount")
def _binds(f: Facts, finding: Finding) -> Iterator[Fix]:
    from .checks.sandbox import blocked_bind

    home = f.env.get("HOME")
    sources: list[tuple[Path, Any]] = [
        (("agents", "defaults", "sandbox", "docker", "binds"), f.defaults_sandbox.get("docker"))
    ]
    for key, entry in as_map(sub(f.cfg, "agents", "entries")).items():
        sources.append(
            (("agents", "entries", key, "sandbox", "docker", "binds"), sub(entry, "sandbox", "docker"))
        )
    for path, docker in sources:
        binds = as_list(sub(docker, "binds"))
        kept = [
            b
            for b in binds
            if not (isinstance(b, str) and (blocked_bind(b, home) or ("",))[0] in ("covers", "targets"))
        ]
        if len(kept) != len(binds):
            yield from _set(f, finding.check_id, path, kept, "Never mount host system paths into sandboxes.")


@fixer("gateway.nodes.allow_commands_dangerous")
def _node_allow(f: Facts, finding: Finding) -> Iterator[Fix]:
    from .checks.nodes import DANGEROUS_NODE_COMMANDS

    path = ("gateway", "nodes", "commands", "allow")
    allow = as_list(sub(f.cfg, *path))
    kept = [c for c in allow if not (isinstance(c, str) and c.strip() in DANGEROUS_NODE_COMMANDS)]
    yield from _set(f, finding.check_id, path, kept, "Keep high-impact device commands off.")


@fixer("tools.profile_minimal_overridden")
def _minimal(f: Facts, finding: Finding) -> Iterator[Fix]:
    for key, entry in as_map(sub(f.cfg, "agents", "entries")).items():
        profile = sub(entry, "tools", "profile")
        if profile and profile != "minimal":
            yield from _set(
                f,
                finding.check_id,
                ("agents", "entries", key, "tools", "profile"),
                "minimal",
                "Enforce the global minimal profile.",
            )


def propose_fixes(
    config_raw: Mapping[str, Any], findings: Iterable[Finding], *, env: Mapping[str, str] | None = None
) -> list[Fix]:
    """Return the safe fixes for `findings` on the authored config (deduplicated by path).

    Checks without a safe fix (secrets, model choice, channel policy, ...) get none: the
    panel shows their remediation text instead.
    """
    from .catalogue import get_check

    facts = Facts(config_raw, env or {})
    fixes: dict[Path, Fix] = {}
    for finding in findings:
        spec = get_check(finding.check_id)
        fn = _FIXERS.get(spec.id if spec else finding.check_id)
        if fn is None:
            continue
        for fix in fn(facts, finding):
            fixes.setdefault(fix.path, fix)
    return list(fixes.values())


def apply_fixes(config_raw: Mapping[str, Any], fixes: Iterable[Fix]) -> dict[str, Any]:
    """Return a copy of `config_raw` with every fix applied (missing parents are created)."""
    out = copy.deepcopy(dict(config_raw))
    for fix in fixes:
        node: Any = out
        for seg in fix.path[:-1]:
            if isinstance(node, list):
                node = node[seg]  # type: ignore[index]
                continue
            if not isinstance(node.get(seg), (dict, list)):
                node[seg] = {}
            node = node[seg]
        node[fix.path[-1]] = copy.deepcopy(fix.after)
    return out


def fixable_check_ids() -> list[str]:
    """Return the check ids that have a safe fix (for choosing one fix to apply across gateways)."""
    return sorted(_FIXERS)
