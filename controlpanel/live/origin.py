"""The WebSocket handshake's Origin must be the panel's own: same scheme, host and port.

Browsers send cookies with a cross-site WebSocket handshake, so the Origin check is what stops
another site from reading a logged-in user's live alerts (cross-site WebSocket hijacking). Channels'
``AllowedHostsOriginValidator`` compared the Origin's host with ``ALLOWED_HOSTS`` and ignored the
scheme and the port: ``http://127.0.0.1:9999`` (any other program on the machine) passed.

The rule is Django's CSRF Origin check, applied to the handshake: the Origin equals
``<scheme>://<host>`` of the request itself (the ``Host`` header, which must be in ``ALLOWED_HOSTS``;
https when the connection is, or ``SECURE_PROXY_SSL_HEADER`` says so), or is listed in
``CSRF_TRUSTED_ORIGINS`` (for a proxy that rewrites ``Host``). Default ports compare equal to no port.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import is_same_domain, split_domain_port, validate_host

_DEFAULT_PORT = {"http": 80, "https": 443}
Origin = tuple[str, str, int]  # scheme, host (lower case), port


def _parse(origin: str) -> Origin | None:
    """Return (scheme, host, port) of a serialised origin, or None if it is not one (``null``, a path)."""
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORT or not parts.hostname or parts.username or parts.password:
        return None
    if parts.path or parts.query or parts.fragment or origin.endswith(("?", "#")):
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORT[scheme]


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    values = [value for key, value in scope.get("headers", []) if key.lower() == name]
    if len(values) != 1:  # missing, or repeated to confuse: no answer
        return None
    try:
        return values[0].decode("latin-1")
    except (AttributeError, UnicodeDecodeError):
        return None


def _is_secure(scope: dict[str, Any]) -> bool:
    if scope.get("scheme") in ("wss", "https"):
        return True
    header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if header:
        name, value = header
        sent = _header(scope, name.removeprefix("HTTP_").lower().replace("_", "-").encode())
        return sent is not None and sent.split(",")[0].strip() == value
    return False


def own_origin(scope: dict[str, Any]) -> Origin | None:
    """Return the handshake's own origin (as Django's ``request.get_host()`` and ``is_secure()``
    would give it), or None when its host is not allowed."""
    host = None
    if settings.USE_X_FORWARDED_HOST:
        host = _header(scope, b"x-forwarded-host")
    host = host or _header(scope, b"host")
    if host is None and scope.get("server"):
        server_host, server_port = scope["server"][0], scope["server"][1]
        host = f"{server_host}:{server_port}" if server_port else server_host
    if not host:
        return None
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    return _parse(f"{'https' if _is_secure(scope) else 'http'}://{host}")


def origin_allowed(scope: dict[str, Any]) -> bool:
    """True when the handshake's Origin header is the panel's own origin or a trusted one."""
    sent = _header(scope, b"origin")
    origin = _parse(sent) if sent is not None else None
    if origin is None:
        return False
    if origin == own_origin(scope):
        return True
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        scheme, _, netloc = trusted.partition("://")
        if netloc.startswith("*."):  # Django's subdomain wildcard
            pattern = _parse(f"{scheme}://{netloc[2:]}")
            if pattern is None:
                continue
            p_scheme, p_host, p_port = pattern
            if (origin[0], origin[2]) == (p_scheme, p_port) and is_same_domain(origin[1], "." + p_host):
                return True
        elif origin == _parse(trusted):
            return True
    return False


class SameOriginValidator:
    """ASGI middleware: a WebSocket handshake from any other origin is refused (HTTP 403)."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
