"""Gateway HTTP API checks (CLI order 600-610)."""

from __future__ import annotations

from collections.abc import Iterator

from ..catalogue import check
from ..facts import Facts, sub
from ..schema import CheckClass, Finding, Severity


def _endpoint(f: Facts, name: str) -> bool:
    return sub(f.gateway, "http", "endpoints", name, "enabled") is True


@check(
    "gateway.http.no_auth",
    severity=Severity.WARN,
    title="Gateway HTTP APIs are reachable without auth",
    remediation=(
        "Set gateway.auth.mode to token/password (recommended). If you intentionally keep "
        "mode=none, keep gateway.bind=loopback and disable optional HTTP endpoints/plugins."
    ),
    cls=CheckClass.CONFIG_ENV,
    paths=("gateway.auth", "gateway.http.endpoints", "gateway.bind", "gateway.tailscale.mode"),
    order=600,
)
def http_no_auth(f: Facts) -> Iterator[Finding]:
    """No credential guards the HTTP APIs (critical when remotely exposed)."""
    if f.has_http_auth:
        return
    endpoints = ["/tools/invoke"]
    if _endpoint(f, "chatCompletions"):
        endpoints.append("/v1/chat/completions")
    if _endpoint(f, "responses"):
        endpoints.append("/v1/responses")
    if sub(f.cfg, "plugins", "entries", "admin-http-rpc", "enabled") is True:
        endpoints.append("/api/v1/admin/rpc")
    # The CLI always words the detail as mode "none", whatever the actual mode is.
    yield http_no_auth.finding(
        f'gateway.auth.mode="none" leaves {", ".join(endpoints)} callable without a shared '
        "secret. Treat this as trusted-local only and avoid exposing the gateway beyond "
        "loopback.",
        severity=Severity.CRITICAL if f.remotely_exposed else Severity.WARN,
    )


@check(
    "gateway.http.session_key_override_enabled",
    severity=Severity.INFO,
    title="HTTP API session-key override is enabled",
    paths=("gateway.http.endpoints.chatCompletions.enabled", "gateway.http.endpoints.responses.enabled"),
    order=610,
    needs=("gateway",),
)
def session_key_override(f: Facts) -> Iterator[Finding]:
    """OpenAI-compatible endpoints accept a per-request session key."""
    endpoints = [
        path
        for name, path in (("chatCompletions", "/v1/chat/completions"), ("responses", "/v1/responses"))
        if _endpoint(f, name)
    ]
    if endpoints:
        yield session_key_override.finding(
            f"{', '.join(endpoints)} accept x-openclaw-session-key for per-request session "
            "routing. Treat API credential holders as trusted principals."
        )
