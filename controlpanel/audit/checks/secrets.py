"""Secrets written inline in the config (CLI order 660-661)."""

from __future__ import annotations

from collections.abc import Iterator

from ...openclaw.runtime import unresolved_reference
from ..catalogue import check
from ..facts import Facts, sub, trimmed
from ..schema import Finding, Severity


@check(
    "config.secrets.gateway_password_in_config",
    severity=Severity.WARN,
    title="Gateway password is stored in config",
    remediation="Prefer OPENCLAW_GATEWAY_PASSWORD (env) and remove gateway.auth.password from disk.",
    paths=("gateway.auth.password",),
    order=660,
    needs=("gateway",),
)
def password_in_config(f: Facts) -> Iterator[Finding]:
    """gateway.auth.password is a non-empty inline string."""
    # A `${VAR}` reference counts too: the CLI audits the substituted value (verified,
    # fixture 43), although audit-catalogue.md says env-resolved paths are exempt. A reference to an
    # unset variable is no value at all (the CLI skips unresolved paths; corpus, issue 24).
    password = f.auth_cfg.get("password")
    if trimmed(password) and not unresolved_reference(password, f.env):
        yield password_in_config.finding(
            "gateway.auth.password is set in the config file; prefer environment variables for "
            "secrets when possible."
        )


@check(
    "config.secrets.hooks_token_in_config",
    severity=Severity.INFO,
    title="Hooks token is stored in config",
    paths=("hooks.enabled", "hooks.token"),
    order=661,
    needs=("hooks",),
)
def hooks_token_in_config(f: Facts) -> Iterator[Finding]:
    """Webhooks are on and hooks.token is an inline string (not a reference to an unset variable)."""
    token = sub(f.cfg, "hooks", "token")
    if sub(f.cfg, "hooks", "enabled") is True and trimmed(token) and not unresolved_reference(token, f.env):
        yield hooks_token_in_config.finding(
            "hooks.token is set in the config file; keep config perms tight and treat it like an API secret."
        )
