"""Gateway credential and trusted-proxy checks (CLI order 202-230)."""

from __future__ import annotations

from collections.abc import Iterator

from ...openclaw.runtime import unresolved_reference
from ..catalogue import check
from ..facts import Facts, as_list, as_map, is_secret_ref, trimmed
from ..schema import CheckClass, Finding, Severity

W, C = Severity.WARN, Severity.CRITICAL


@check(
    "gateway.bind_no_auth",
    severity=C,
    title="Gateway binds beyond loopback without auth",
    remediation="Set gateway.auth (token recommended) or bind to loopback.",
    cls=CheckClass.CONFIG_ENV,
    paths=("gateway.bind", "gateway.auth.mode", "gateway.auth.token", "gateway.auth.password"),
    order=202,
    needs=("gateway",),
)
def bind_no_auth(f: Facts) -> Iterator[Finding]:
    """Bind is not loopback and no usable gateway credential exists."""
    if f.exposed and not f.has_gateway_auth:
        yield bind_no_auth.finding(
            f'gateway.bind="{f.bind}" but no gateway.auth token/password is configured.'
        )


_ENV = "OPENCLAW_GATEWAY_TOKEN"


@check(
    "gateway.env_token_overrides_config",
    severity=W,
    title=f"{_ENV} conflicts with gateway.auth.token",
    remediation=(
        f"Remove {_ENV} from the shell, ~/.openclaw/.env, or launchctl env if gateway.auth.token "
        f"is intended, or point gateway.auth.token at ${{{_ENV}}} if the env var should be "
        "canonical."
    ),
    cls=CheckClass.CONFIG_ENV,
    paths=("gateway.auth.token", "gateway.mode", "gateway.auth.mode"),
    order=203,
    needs=("gateway",),
)
def env_token_overrides_config(f: Facts) -> Iterator[Finding]:
    """OPENCLAW_GATEWAY_TOKEN is set and differs from the configured gateway.auth.token."""
    env_token = f.env_token
    if not env_token or (f.env.get("OPENCLAW_SERVICE_KIND") or "").strip() == "gateway":
        return
    if f.gateway.get("mode") == "remote" or f.explicit_auth_mode in (
        "password",
        "none",
        "trusted-proxy",
    ):
        return
    value = f.auth_cfg.get("token")
    if is_secret_ref(value):
        if value.get("source") == "env" and value.get("id") == _ENV:
            return
    else:
        configured = trimmed(value)
        if not configured or configured == env_token:
            return
    yield env_token_overrides_config.finding(
        f"{_ENV} is set while gateway.auth.token uses a different configured source. Configured "
        "local Gateway clients and the managed gateway service prefer gateway.auth.token. "
        "Environment credentials remain active for explicit environment URL and node-host "
        "targets, so a stale value can still authenticate against the wrong target."
    )


@check(
    "gateway.loopback_no_auth",
    severity=C,
    title="Gateway auth missing on loopback",
    remediation="Set gateway.auth (token recommended) or keep the Control UI local-only.",
    cls=CheckClass.CONFIG_ENV,
    paths=("gateway.bind", "gateway.controlUi.enabled", "gateway.auth", "gateway.tailscale.mode"),
    order=205,
)
def loopback_no_auth(f: Facts) -> Iterator[Finding]:
    """Loopback bind, Control UI on, no credential (and no Tailscale serve identity)."""
    if f.exposed or not f.control_ui_enabled or f.has_gateway_auth:
        return
    if f.auth.allow_tailscale and f.tailscale_mode == "serve":
        return
    yield loopback_no_auth.finding(
        "gateway.bind is loopback but no gateway auth secret is configured. If the Control UI is "
        "exposed through a reverse proxy, unauthenticated access is possible."
    )


def _secret_input(f: Facts, key: str) -> object:
    """The credential input the gateway will check for placeholder/length (an unset ``${VAR}``
    reference is none: "${TEAM_GATEWAY_TOKEN}" is no 21-char token, issue 20)."""
    configured = f.auth_cfg.get(key)
    if is_secret_ref(configured) or unresolved_reference(configured, f.env):
        return f.secret_value(configured)[0]
    resolved = f.auth.token if key == "token" else f.auth.password
    return resolved if resolved is not None else configured


def _placeholder(value: object) -> bool:
    return isinstance(value, str) and value.strip() in ("", "undefined", "null")


@check(
    "gateway.token_placeholder_value",
    severity=C,
    title="Gateway token is a blank or undefined/null placeholder",
    remediation=(
        "Run `openclaw doctor --fix --generate-gateway-token` for an inline token; otherwise "
        "rotate its external secret source. Restart the Gateway afterward."
    ),
    cls=CheckClass.CONFIG_ENV,
    paths=("gateway.auth.token", "gateway.auth.mode"),
    order=215,
)
def token_placeholder(f: Facts) -> Iterator[Finding]:
    """Token mode and the token is "", "undefined" or "null"."""
    if f.auth.mode == "token" and _placeholder(_secret_input(f, "token")):
        yield token_placeholder.finding(
            "The selected Gateway token is a known non-secret value. Gateway startup rejects it."
        )


@check(
    "gateway.token_too_short",
    severity=W,
    title="Gateway token looks short",
    cls=CheckClass.CONFIG_ENV,
    paths=("gateway.auth.token",),
    order=216,
)
def token_too_short(f: Facts) -> Iterator[Finding]:
    """Token mode and the resolved token is shorter than 24 characters."""
    value = _secret_input(f, "token")
    if f.auth.mode == "token" and not _placeholder(value):
        value = trimmed(value)
        if value and len(value) < 24:
            yield token_too_short.finding(
                f"gateway auth token is {len(value)} chars; prefer a long random token."
            )


@check(
    "gateway.password_placeholder_value",
    severity=C,
    title="Gateway password is a blank or undefined/null placeholder",
    remediation=(
        "Generate a real secret (for example, `openssl rand -hex 32`) and update "
        "OPENCLAW_GATEWAY_PASSWORD or gateway.auth.password (or its external source). Restart "
        "the Gateway afterward."
    ),
    cls=CheckClass.CONFIG_ENV,
    paths=("gateway.auth.password", "gateway.auth.mode"),
    order=217,
)
def password_placeholder(f: Facts) -> Iterator[Finding]:
    """Password mode and the password is "", "undefined" or "null"."""
    if f.auth.mode == "password" and _placeholder(_secret_input(f, "password")):
        yield password_placeholder.finding(
            "The selected Gateway password is a known non-secret value. Gateway startup rejects it."
        )


@check(
    "gateway.password_too_short",
    severity=W,
    title="Gateway password looks short",
    cls=CheckClass.CONFIG_ENV,
    paths=("gateway.auth.password",),
    order=218,
)
def password_too_short(f: Facts) -> Iterator[Finding]:
    """Password mode and the resolved password is shorter than 24 characters."""
    value = _secret_input(f, "password")
    if f.auth.mode == "password" and not _placeholder(value):
        value = trimmed(value)
        if value and len(value) < 24:
            yield password_too_short.finding(
                f"gateway auth password is {len(value)} chars; prefer a long random password."
            )


def _trusted_proxy(f: Facts) -> dict:
    return dict(as_map(f.auth_cfg.get("trustedProxy")))


@check(
    "gateway.trusted_proxy_auth",
    severity=C,
    title="Trusted-proxy auth mode enabled",
    remediation=(
        "Verify: (1) Your proxy terminates TLS and authenticates users. (2) "
        "gateway.trustedProxies is restricted to proxy IPs only. (3) Direct access to the "
        "Gateway port is blocked by firewall. Same-host proxy requests are rejected unless "
        "gateway.auth.trustedProxy.allowLoopback=true and gateway.trustedProxies includes their "
        "loopback source; enable only for a deliberate same-host trust boundary. See "
        "/gateway/trusted-proxy-auth for setup guidance."
    ),
    paths=("gateway.auth.mode",),
    order=220,
    needs=("gateway",),
)
def trusted_proxy_auth(f: Facts) -> Iterator[Finding]:
    """Authentication is delegated to a reverse proxy."""
    if f.auth.mode == "trusted-proxy":
        yield trusted_proxy_auth.finding(
            'gateway.auth.mode="trusted-proxy" delegates authentication to a reverse proxy. '
            "Ensure your proxy (Pomerium, Caddy, nginx) handles auth correctly and that "
            "gateway.trustedProxies only contains IPs of your actual proxy servers."
        )


@check(
    "gateway.trusted_proxy_no_proxies",
    severity=C,
    title="Trusted-proxy auth enabled but no trusted proxies configured",
    remediation="Set gateway.trustedProxies to the IP(s) of your reverse proxy.",
    paths=("gateway.trustedProxies",),
    order=221,
    needs=("gateway",),
)
def trusted_proxy_no_proxies(f: Facts) -> Iterator[Finding]:
    """Trusted-proxy mode with an empty gateway.trustedProxies."""
    if f.auth.mode == "trusted-proxy" and not f.trusted_proxies:
        yield trusted_proxy_no_proxies.finding(
            'gateway.auth.mode="trusted-proxy" but gateway.trustedProxies is empty. All requests '
            "will be rejected."
        )


@check(
    "gateway.trusted_proxy_no_user_header",
    severity=C,
    title="Trusted-proxy auth missing userHeader config",
    remediation=(
        "Set gateway.auth.trustedProxy.userHeader to the header name your proxy uses (e.g., "
        '"x-forwarded-user", "x-pomerium-claim-email").'
    ),
    paths=("gateway.auth.trustedProxy.userHeader",),
    order=222,
    needs=("gateway",),
)
def trusted_proxy_no_user_header(f: Facts) -> Iterator[Finding]:
    """Trusted-proxy mode without a user header."""
    if f.auth.mode == "trusted-proxy" and not _trusted_proxy(f).get("userHeader"):
        yield trusted_proxy_no_user_header.finding(
            'gateway.auth.mode="trusted-proxy" but gateway.auth.trustedProxy.userHeader is not configured.'
        )


@check(
    "gateway.trusted_proxy_allow_loopback",
    severity=W,
    title="Trusted-proxy auth allows loopback proxy sources",
    remediation=(
        "Enable this only when a same-host reverse proxy is the intended trust boundary. Keep "
        "direct Gateway access private to the host and require the proxy to strip or overwrite "
        "identity headers."
    ),
    paths=("gateway.auth.trustedProxy.allowLoopback",),
    order=223,
    needs=("gateway",),
)
def trusted_proxy_allow_loopback(f: Facts) -> Iterator[Finding]:
    """Trusted-proxy mode accepts loopback proxy sources."""
    if f.auth.mode == "trusted-proxy" and _trusted_proxy(f).get("allowLoopback") is True:
        yield trusted_proxy_allow_loopback.finding(
            "gateway.auth.trustedProxy.allowLoopback=true allows loopback-source requests from "
            "configured gateway.trustedProxies entries to satisfy trusted-proxy auth."
        )


def _auto_approve(f: Facts) -> dict:
    return dict(as_map(_trusted_proxy(f).get("deviceAutoApprove")))


@check(
    "gateway.trusted_proxy_device_auto_approve",
    severity=W,
    title="Trusted-proxy operator device auto-approval enabled",
    remediation=(
        "Enable this only when the proxy is the exclusive Gateway ingress, strongly "
        "authenticates users, overwrites identity headers, and restricts access with allowUsers."
    ),
    paths=("gateway.auth.trustedProxy.deviceAutoApprove.enabled",),
    order=224,
    needs=("gateway",),
)
def device_auto_approve(f: Facts) -> Iterator[Finding]:
    """Trusted-proxy identities auto-approve new operator devices."""
    if f.auth.mode == "trusted-proxy" and _auto_approve(f).get("enabled") is True:
        yield device_auto_approve.finding(
            "gateway.auth.trustedProxy.deviceAutoApprove.enabled=true delegates new browser and "
            "native UI operator device pairing entirely to the reverse-proxy identity."
        )


@check(
    "gateway.trusted_proxy_device_auto_approve_admin",
    severity=C,
    title="Trusted-proxy device auto-approval allows full admin",
    remediation=(
        "Remove operator.admin and approve admin access manually, or grant admin per identity "
        "via gateway.auth.identityScopes."
    ),
    paths=("gateway.auth.trustedProxy.deviceAutoApprove.scopes",),
    order=225,
    needs=("gateway",),
)
def device_auto_approve_admin(f: Facts) -> Iterator[Finding]:
    """Auto-approved devices may receive operator.admin."""
    approve = _auto_approve(f)
    scopes = [s.strip() for s in as_list(approve.get("scopes")) if isinstance(s, str)]
    if f.auth.mode == "trusted-proxy" and approve.get("enabled") is True and "operator.admin" in scopes:
        yield device_auto_approve_admin.finding(
            "gateway.auth.trustedProxy.deviceAutoApprove.scopes includes operator.admin, so every "
            "proxy-authenticated user can auto-approve a new operator device with full admin; "
            "requests without scopes receive full admin automatically."
        )


@check(
    "gateway.trusted_proxy_no_allowlist",
    severity=W,
    title="Trusted-proxy auth allows all authenticated users",
    remediation=(
        "Consider setting gateway.auth.trustedProxy.allowUsers to restrict access to specific "
        'users (e.g., ["nick@example.com"]).'
    ),
    paths=("gateway.auth.trustedProxy.allowUsers",),
    order=226,
    needs=("gateway",),
)
def trusted_proxy_no_allowlist(f: Facts) -> Iterator[Finding]:
    """Trusted-proxy mode admits every proxy-authenticated user."""
    if f.auth.mode == "trusted-proxy" and not as_list(_trusted_proxy(f).get("allowUsers")):
        yield trusted_proxy_no_allowlist.finding(
            "gateway.auth.trustedProxy.allowUsers is empty, so any user authenticated by your "
            "proxy can access the Gateway."
        )


@check(
    "gateway.auth_no_rate_limit",
    severity=W,
    title="No auth rate limiting configured",
    remediation=(
        "Set gateway.auth.rateLimit (e.g. { maxAttempts: 10, windowMs: 60000, lockoutMs: 300000 })."
    ),
    paths=("gateway.bind", "gateway.auth.rateLimit"),
    order=230,
    needs=("gateway",),
)
def auth_no_rate_limit(f: Facts) -> Iterator[Finding]:
    """Exposed gateway without gateway.auth.rateLimit (an empty object counts as set)."""
    if f.exposed and f.auth.mode != "trusted-proxy" and not _truthy(f.auth_cfg.get("rateLimit")):
        yield auth_no_rate_limit.finding(
            "gateway.bind is not loopback but no gateway.auth.rateLimit is configured. Without "
            "rate limiting, brute-force auth attacks are not mitigated."
        )


def _truthy(value: object) -> bool:
    # JavaScript truthiness: {} and [] are truthy, "", 0, null, false are not.
    if isinstance(value, (dict, list)):
        return True
    return bool(value)
