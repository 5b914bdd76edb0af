"""Webhook ingress checks (CLI order 500-509); all need hooks.enabled=true."""

from __future__ import annotations

from collections.abc import Iterator

from ..catalogue import check
from ..facts import Facts, as_list, as_map, trimmed
from ..schema import CheckClass, Finding, Severity

W, C = Severity.WARN, Severity.CRITICAL


def _hooks(f: Facts) -> dict | None:
    hooks = as_map(f.cfg.get("hooks"))
    return dict(hooks) if hooks.get("enabled") is True else None


@check(
    "hooks.token_too_short",
    severity=W,
    title="Hooks token looks short",
    paths=("hooks.token",),
    order=501,
    needs=("hooks",),
)
def token_too_short(f: Facts) -> Iterator[Finding]:
    """hooks.token is shorter than 24 characters."""
    hooks = _hooks(f)
    token = trimmed(hooks.get("token")) if hooks else None
    if token and len(token) < 24:
        yield token_too_short.finding(f"hooks.token is {len(token)} chars; prefer a long random token.")


@check(
    "hooks.token_reuse_gateway_token",
    severity=C,
    title="Hooks token reuses the Gateway token",
    remediation=(
        "Run openclaw doctor --fix to rotate a persisted hooks.token, then update external hook "
        "senders to use the new hook token."
    ),
    cls=CheckClass.CONFIG_ENV,
    paths=("hooks.token", "gateway.auth.token", "gateway.auth.password"),
    order=502,
    needs=("hooks",),
)
def token_reuse(f: Facts) -> Iterator[Finding]:
    """hooks.token equals the gateway's active shared secret (token or password)."""
    hooks = _hooks(f)
    token = trimmed(hooks.get("token")) if hooks else None
    if not token:
        return
    auth = f.auth
    if auth.mode == "token" and auth.token == token:
        yield token_reuse.finding(
            "hooks.token matches gateway.auth token; compromise of hooks expands blast radius to "
            "the Gateway API."
        )
    elif auth.mode in ("password", "trusted-proxy") and auth.password == token:
        yield token_reuse.finding(
            "hooks.token matches gateway.auth password; compromise of hooks expands blast radius "
            "to Gateway password auth.",
            title="Hooks token reuses the Gateway password",
        )


@check(
    "hooks.path_root",
    severity=C,
    title="Hooks base path is '/'",
    remediation="Use a dedicated path like '/hooks'.",
    paths=("hooks.path",),
    order=503,
    needs=("hooks",),
)
def path_root(f: Facts) -> Iterator[Finding]:
    """hooks.path is "/" and would shadow every other HTTP endpoint."""
    hooks = _hooks(f)
    if hooks and trimmed(hooks.get("path")) == "/":
        yield path_root.finding("hooks.path='/' would shadow other HTTP endpoints and is unsafe.")


@check(
    "hooks.default_session_key_unset",
    severity=W,
    title="hooks.defaultSessionKey is not configured",
    remediation='Set hooks.defaultSessionKey (for example, "hook:ingress").',
    paths=("hooks.defaultSessionKey",),
    order=504,
    needs=("hooks",),
)
def default_session_key_unset(f: Facts) -> Iterator[Finding]:
    """Hook runs without a sessionKey get generated per-request keys."""
    hooks = _hooks(f)
    if hooks is not None and not trimmed(hooks.get("defaultSessionKey")):
        yield default_session_key_unset.finding(
            "Hook agent runs without explicit sessionKey use generated per-request keys. Set "
            "hooks.defaultSessionKey to keep hook ingress scoped to a known session."
        )


@check(
    "hooks.allowed_agent_ids_unrestricted",
    severity=W,
    title="Hook agent routing allows any configured agent",
    remediation=(
        'Set hooks.allowedAgentIds to an explicit allowlist (for example, ["hooks", "main"]) or '
        "[] to deny hook agent routing."
    ),
    paths=("hooks.allowedAgentIds", "gateway.bind", "gateway.tailscale.mode"),
    order=505,
    needs=("hooks",),
)
def allowed_agent_ids(f: Facts) -> Iterator[Finding]:
    """hooks.allowedAgentIds unset or "*" (critical when remotely exposed)."""
    hooks = _hooks(f)
    if hooks is None:
        return
    ids = hooks.get("allowedAgentIds")
    unrestricted = not isinstance(ids, list) or any(isinstance(i, str) and i.strip() == "*" for i in ids)
    if unrestricted:
        yield allowed_agent_ids.finding(
            "hooks.allowedAgentIds is unset or includes '*', so authenticated hook callers may "
            "route to any configured agent id, including the default agent when agentId is "
            "omitted.",
            severity=C if f.remotely_exposed else W,
        )


@check(
    "hooks.request_session_key_enabled",
    severity=W,
    title="External hook payloads may override sessionKey",
    remediation=(
        "Set hooks.allowRequestSessionKey=false (recommended) or constrain hooks.allowedSessionKeyPrefixes."
    ),
    paths=("hooks.allowRequestSessionKey",),
    order=506,
    needs=("hooks",),
)
def request_session_key(f: Facts) -> Iterator[Finding]:
    """Hook callers may choose the session key (critical when remotely exposed)."""
    hooks = _hooks(f)
    if hooks and hooks.get("allowRequestSessionKey") is True:
        yield request_session_key.finding(
            "hooks.allowRequestSessionKey=true allows `/hooks/agent` callers to choose the "
            "session key. Treat hook token holders as full-trust unless you also restrict "
            "prefixes.",
            severity=C if f.remotely_exposed else W,
        )


@check(
    "hooks.request_session_key_prefixes_missing",
    severity=W,
    title="Request sessionKey override is enabled without prefix restrictions",
    remediation=(
        'Set hooks.allowedSessionKeyPrefixes (for example, ["hook:"]) or disable request overrides.'
    ),
    paths=("hooks.allowRequestSessionKey", "hooks.allowedSessionKeyPrefixes"),
    order=507,
    needs=("hooks",),
)
def request_session_key_prefixes(f: Facts) -> Iterator[Finding]:
    """Session-key override without allowedSessionKeyPrefixes."""
    hooks = _hooks(f)
    if not hooks or hooks.get("allowRequestSessionKey") is not True:
        return
    prefixes = [p for p in as_list(hooks.get("allowedSessionKeyPrefixes")) if trimmed(p)]
    if not prefixes:
        yield request_session_key_prefixes.finding(
            "hooks.allowRequestSessionKey=true and hooks.allowedSessionKeyPrefixes is "
            "unset/empty, so request payloads can target arbitrary session key shapes.",
            severity=C if f.remotely_exposed else W,
        )
