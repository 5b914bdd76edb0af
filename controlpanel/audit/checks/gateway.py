"""Gateway network exposure checks: origins, proxies, mDNS, Tailscale, flags (CLI order 200-299).

Credential and trusted-proxy checks live in gateway_auth.py.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from ..catalogue import check
from ..facts import Facts, as_list, as_map, sub
from ..schema import Finding, Severity

W, C, INFO = Severity.WARN, Severity.CRITICAL, Severity.INFO

# Tools the gateway refuses over HTTP /tools/invoke unless gateway.tools.allow re-enables them.
HTTP_DENIED_TOOLS = (
    "exec", "spawn", "shell", "fs_write", "fs_delete", "fs_move", "apply_patch", "terminal",
    "portal", "sessions_spawn", "sessions_send", "conversations_list", "conversations_send",
    "conversations_turn", "automations", "gateway", "plugins", "nodes", "computer", "mobile_ui",
    "openclaw",
)  # fmt: skip


def _worse(exposed: bool) -> Severity:
    return C if exposed else W


@check(
    "gateway.tools_invoke_http.dangerous_allow",
    severity=W,
    title="Gateway HTTP /tools/invoke re-enables dangerous tools",
    remediation=(
        "Remove these entries from gateway.tools.allow (recommended). If you keep them enabled, "
        "keep gateway.bind loopback-only (or tailnet-only), restrict network exposure, and treat "
        "the gateway token/password as full-admin."
    ),
    paths=("gateway.tools.allow", "gateway.bind", "gateway.tailscale.mode"),
    order=201,
    needs=("gateway",),
)
def tools_invoke_http(f: Facts) -> Iterator[Finding]:
    """gateway.tools.allow re-enables a tool denied over HTTP by default (critical if exposed)."""
    allow = {v.strip().lower() for v in as_list(sub(f.gateway, "tools", "allow")) if isinstance(v, str)}
    hits = [t for t in HTTP_DENIED_TOOLS if t in allow]
    if hits:
        yield tools_invoke_http.finding(
            f"gateway.tools.allow includes {', '.join(hits)} which removes them from the default "
            "HTTP deny list. This can allow remote session spawning / control-plane actions via "
            "HTTP and increases RCE blast radius if the gateway is reachable.",
            severity=_worse(f.exposed or f.tailscale_mode == "funnel"),
        )


@check(
    "gateway.trusted_proxies_missing",
    severity=W,
    title="Reverse proxy headers are not trusted",
    remediation="Set gateway.trustedProxies to your proxy IPs or keep the Control UI local-only.",
    paths=("gateway.bind", "gateway.controlUi.enabled", "gateway.trustedProxies"),
    order=204,
)
def trusted_proxies_missing(f: Facts) -> Iterator[Finding]:
    """Loopback bind with the Control UI on and no gateway.trustedProxies."""
    if not f.exposed and f.control_ui_enabled and not f.trusted_proxies:
        yield trusted_proxies_missing.finding(
            "gateway.bind is loopback and gateway.trustedProxies is empty. If you expose the "
            "Control UI through a reverse proxy, configure trusted proxies so local-client checks "
            "cannot be spoofed."
        )


def _origins(f: Facts) -> list[str]:
    values = as_list(sub(f.gateway, "controlUi", "allowedOrigins"))
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


def _host_header_fallback(f: Facts) -> bool:
    return sub(f.gateway, "controlUi", "dangerouslyAllowHostHeaderOriginFallback") is True


@check(
    "gateway.control_ui.allowed_origins_required",
    severity=C,
    title="Non-loopback Control UI missing explicit allowed origins",
    remediation=(
        "Set gateway.controlUi.allowedOrigins to full trusted origins (for example "
        "https://control.example.com). If your deployment intentionally relies on Host-header "
        "origin fallback, set gateway.controlUi.dangerouslyAllowHostHeaderOriginFallback=true."
    ),
    paths=("gateway.bind", "gateway.controlUi.allowedOrigins"),
    order=206,
    needs=("gateway",),
)
def allowed_origins_required(f: Facts) -> Iterator[Finding]:
    """Exposed Control UI without allowedOrigins (and no Host-header fallback)."""
    if f.exposed and f.control_ui_enabled and not _origins(f) and not _host_header_fallback(f):
        yield allowed_origins_required.finding(
            "Control UI is enabled on a non-loopback bind but gateway.controlUi.allowedOrigins is "
            "empty. Strict origin policy requires explicit allowed origins for non-loopback "
            "deployments."
        )


@check(
    "gateway.control_ui.allowed_origins_wildcard",
    severity=W,
    title="Control UI allowed origins contains wildcard",
    remediation=(
        "Replace wildcard origins with explicit trusted origins (for example "
        'https://control.example.com). Do not use "*" outside tightly controlled local testing.'
    ),
    paths=("gateway.controlUi.allowedOrigins", "gateway.bind"),
    order=207,
    needs=("gateway",),
)
def allowed_origins_wildcard(f: Facts) -> Iterator[Finding]:
    """allowedOrigins contains "*" (critical when bind is not loopback)."""
    if "*" in _origins(f):
        yield allowed_origins_wildcard.finding(
            'gateway.controlUi.allowedOrigins includes "*" which means allow any browser origin '
            "for Control UI/WebChat requests. This disables origin allowlisting and should be "
            "treated as an intentional allow-all policy.",
            severity=_worse(f.exposed),
        )


@check(
    "gateway.control_ui.host_header_origin_fallback",
    severity=W,
    title="DANGEROUS: Host-header origin fallback enabled",
    remediation=(
        "Disable gateway.controlUi.dangerouslyAllowHostHeaderOriginFallback and configure "
        "explicit gateway.controlUi.allowedOrigins."
    ),
    paths=("gateway.controlUi.dangerouslyAllowHostHeaderOriginFallback", "gateway.bind"),
    order=208,
    needs=("gateway",),
)
def host_header_origin_fallback(f: Facts) -> Iterator[Finding]:
    """Host-header origin fallback is on (critical when bind is not loopback)."""
    if _host_header_fallback(f):
        yield host_header_origin_fallback.finding(
            "gateway.controlUi.dangerouslyAllowHostHeaderOriginFallback=true enables Host-header "
            "origin fallback for Control UI/WebChat websocket checks and weakens DNS rebinding "
            "protections.",
            severity=_worse(f.exposed),
        )


def _strict_loopback_proxy(entry: object) -> bool:
    if not isinstance(entry, str) or not entry.strip():
        return False
    ip, _, prefix = entry.strip().partition("/")
    if not _:
        return ip == "127.0.0.1" or ip.lower() == "::1"
    if not prefix.isdigit():
        return False
    try:
        addr = ipaddress.ip_address(ip.strip())
    except ValueError:
        return False
    if addr.version == 4:
        return ip.strip() == "127.0.0.1" and int(prefix) == 32
    return int(prefix) == 128 and ip.strip().lower() == "::1"


@check(
    "gateway.real_ip_fallback_enabled",
    severity=W,
    title="X-Real-IP fallback is enabled",
    remediation=(
        "Keep gateway.allowRealIpFallback=false (default). Only enable this when your trusted "
        "proxy always overwrites X-Real-IP and cannot provide X-Forwarded-For."
    ),
    paths=("gateway.allowRealIpFallback", "gateway.trustedProxies", "gateway.auth.mode"),
    order=209,
    needs=("gateway",),
)
def real_ip_fallback(f: Facts) -> Iterator[Finding]:
    """X-Real-IP fallback on (critical when exposed or trusting non-loopback proxies)."""
    if f.gateway.get("allowRealIpFallback") is not True:
        return
    non_loopback = any(not _strict_loopback_proxy(p) for p in f.trusted_proxies)
    exposed = f.exposed or (f.auth.mode == "trusted-proxy" and non_loopback)
    yield real_ip_fallback.finding(
        "gateway.allowRealIpFallback=true trusts X-Real-IP when trusted proxies omit "
        "X-Forwarded-For. Misconfigured proxies that forward client-supplied X-Real-IP can spoof "
        "source IP and local-client checks.",
        severity=_worse(exposed),
    )


@check(
    "discovery.mdns_full_mode",
    severity=W,
    title="mDNS full mode can leak host metadata",
    remediation=(
        'Prefer discovery.mdns.mode="minimal" (recommended) or "off", especially when '
        "gateway.bind is not loopback."
    ),
    paths=("discovery.mdns.mode", "gateway.bind"),
    order=210,
    needs=("discovery",),
)
def mdns_full_mode(f: Facts) -> Iterator[Finding]:
    """mDNS publishes full TXT records (critical when bind is not loopback)."""
    if sub(f.cfg, "discovery", "mdns", "mode") == "full":
        yield mdns_full_mode.finding(
            'discovery.mdns.mode="full" publishes cliPath/sshPort in local-network TXT records. '
            "This can reveal usernames, filesystem layout, and management ports.",
            severity=_worse(f.exposed),
        )


@check(
    "gateway.tailscale_funnel",
    severity=C,
    title="Tailscale Funnel exposure enabled",
    remediation='Prefer tailscale.mode="serve" (tailnet-only) or set tailscale.mode="off".',
    paths=("gateway.tailscale.mode",),
    order=211,
    needs=("gateway",),
)
def tailscale_funnel(f: Facts) -> Iterator[Finding]:
    """Tailscale Funnel publishes the gateway on the internet."""
    if f.tailscale_mode == "funnel":
        yield tailscale_funnel.finding(
            'gateway.tailscale.mode="funnel" exposes the Gateway publicly; keep auth strict and '
            "treat it as internet-facing."
        )


@check(
    "gateway.tailscale_serve",
    severity=INFO,
    title="Tailscale Serve exposure enabled",
    paths=("gateway.tailscale.mode",),
    order=212,
    needs=("gateway",),
)
def tailscale_serve(f: Facts) -> Iterator[Finding]:
    """Tailscale Serve publishes the gateway on the tailnet."""
    if f.tailscale_mode == "serve":
        yield tailscale_serve.finding(
            'gateway.tailscale.mode="serve" exposes the Gateway to your tailnet (loopback behind Tailscale).'
        )


@check(
    "mcp.apps.enabled",
    severity=W,
    title="MCP Apps UI bridge enabled",
    remediation=(
        "Keep this enabled only for MCP servers you trust. Disable with `openclaw config set "
        "mcp.apps.enabled false --strict-json` when it is not needed."
    ),
    paths=("mcp.apps.enabled",),
    order=213,
    needs=("mcp",),
)
def mcp_apps(f: Facts) -> Iterator[Finding]:
    """MCP servers may render interactive HTML in the UI."""
    if sub(f.cfg, "mcp", "apps", "enabled") is True:
        yield mcp_apps.finding(
            "mcp.apps.enabled=true allows configured MCP servers to provide interactive HTML. "
            "Views are CSP-restricted and origin-isolated, but they can call app-visible tools on "
            "their owning MCP server while the session runtime remains active."
        )


_DOCKER_FLAGS = (
    "dangerouslyAllowReservedContainerTargets",
    "dangerouslyAllowExternalBindSources",
    "dangerouslyAllowContainerNamespaceJoin",
)


# configContracts.dangerousFlags of the plugins bundled with openclaw 2026.9.6 (only imap
# declares any): (path pattern with `*` segments, the value that makes it dangerous).
PLUGIN_DANGEROUS_FLAGS: dict[str, tuple[tuple[str, object], ...]] = {
    "imap": (
        ("accounts.*.senderAuth.acceptTrustedAuthservId", True),
        ("accounts.*.senderAuth.min", "unverified"),
        ("accounts.*.senderAuth.min", "mutable"),
    ),
}


def _contract_matches(root: object, pattern: list[str], prefix: str = "") -> list[tuple[str, object]]:
    """Return (concrete path, value) for every path of `root` matching the `*` pattern."""
    if not pattern:
        return [(prefix, root)]
    if not isinstance(root, dict):
        return []
    head, rest = pattern[0], pattern[1:]
    keys = list(root) if head == "*" else ([head] if head in root else [])
    out: list[tuple[str, object]] = []
    for key in keys:
        out += _contract_matches(root[key], rest, f"{prefix}.{key}" if prefix else key)
    return out


def _format_flag_value(value: object) -> str:
    # JavaScript String(): true -> "true", null -> "null".
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def _plugin_flags(f: Facts) -> list[str]:
    entries = as_map(sub(f.cfg, "plugins", "entries"))
    out: dict[str, None] = {}
    for plugin_id, flags in PLUGIN_DANGEROUS_FLAGS.items():
        config = sub(entries.get(plugin_id), "config")
        if not isinstance(config, dict):
            continue
        for path, equals in flags:
            for concrete, value in _contract_matches(config, path.split(".")):
                if value == equals and type(value) is type(equals):
                    label = f"plugins.entries.{plugin_id}.config.{concrete}={_format_flag_value(equals)}"
                    out[label] = None
    return list(out)


def dangerous_flags(f: Facts) -> list[str]:
    """Return the labels of every enabled insecure/dangerous flag, in the CLI's order."""
    cfg = f.cfg
    hooks = as_map(cfg.get("hooks"))
    out: list[str] = []
    if _host_header_fallback(f):
        out.append("gateway.controlUi.dangerouslyAllowHostHeaderOriginFallback=true")
    if sub(hooks, "gmail", "allowUnsafeExternalContent") is True:
        out.append("hooks.gmail.allowUnsafeExternalContent=true")
    for i, mapping in enumerate(as_list(hooks.get("mappings"))):
        if sub(mapping, "allowUnsafeExternalContent") is True:
            out.append(f"hooks.mappings[{i}].allowUnsafeExternalContent=true")
    if sub(f.tools, "exec", "applyPatch", "workspaceOnly") is False:
        out.append("tools.exec.applyPatch.workspaceOnly=false")
    suppressions = as_list(sub(cfg, "security", "audit", "suppressions"))
    if suppressions:
        out.append(f"security.audit.suppressions configured ({len(suppressions)})")
    if hooks.get("allowRequestSessionKey") is True:
        out.append("hooks.allowRequestSessionKey=true")
    if sub(cfg, "browser", "ssrfPolicy", "dangerouslyAllowPrivateNetwork") is True:
        out.append("browser.ssrfPolicy.dangerouslyAllowPrivateNetwork=true")
    if sub(f.tools, "fs", "workspaceOnly") is False:
        out.append("tools.fs.workspaceOnly=false")
    docker = as_map(f.defaults_sandbox.get("docker"))
    out += [f"agents.defaults.sandbox.docker.{k}=true" for k in _DOCKER_FLAGS if docker.get(k) is True]
    for agent in f.agents:
        docker = as_map(sub(agent, "sandbox", "docker"))
        out += [
            f"agents.entries.{agent['id']}.sandbox.docker.{k}=true"
            for k in _DOCKER_FLAGS
            if docker.get(k) is True
        ]
    return out + _plugin_flags(f)


@check(
    "config.insecure_or_dangerous_flags",
    severity=W,
    title="Insecure or dangerous config flag enabled",
    remediation=(
        "Disable this flag when not actively debugging, or keep deployment scoped to "
        "trusted/local-only networks."
    ),
    paths=(
        "gateway.controlUi.dangerouslyAllowHostHeaderOriginFallback",
        "hooks.gmail.allowUnsafeExternalContent",
        "hooks.mappings[].allowUnsafeExternalContent",
        "tools.exec.applyPatch.workspaceOnly",
        "security.audit.suppressions",
        "hooks.allowRequestSessionKey",
        "browser.ssrfPolicy.dangerouslyAllowPrivateNetwork",
        "tools.fs.workspaceOnly",
        "agents.*.sandbox.docker.dangerouslyAllow*",
        "plugins.entries.<id>.config",
    ),
    order=214,
    needs=("gateway", "hooks", "tools", "security", "browser", "agents", "plugins"),
)
def insecure_flags(f: Facts) -> Iterator[Finding]:
    """One finding per enabled dangerous/insecure flag."""
    for flag in dangerous_flags(f):
        yield insecure_flags.finding(f"Detected enabled flag: {flag}.")
