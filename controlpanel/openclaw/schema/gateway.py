"""The ``gateway`` section: where the gateway listens and how clients authenticate."""

from __future__ import annotations

from pydantic import Field

from .base import Section, any_of, pad, union


class _Auth(Section):
    mode: any_of("none", "token", "password", "trusted-proxy") = None
    # A string, a ${VAR} reference, or a SecretRef object ({source, provider, id}).
    token: union(str, dict) = None
    password: union(str, dict) = None
    allowTailscale: bool = None


GatewayAuth = pad(_Auth, "gateway.auth")


class _ControlUi(Section):
    enabled: bool = None
    basePath: str = None
    allowedOrigins: list[str] = None
    dangerouslyDisableDeviceAuth: bool = None
    dangerouslyAllowHostHeaderOriginFallback: bool = None


ControlUi = pad(_ControlUi, "gateway.controlUi")


class _Tailscale(Section):
    mode: any_of("off", "serve", "funnel") = None
    preserveFunnel: bool = None


Tailscale = pad(_Tailscale, "gateway.tailscale")


class _Nodes(Section):
    allowSkills: bool = None


Nodes = pad(_Nodes, "gateway.nodes")


class _Gateway(Section):
    port: int | None = Field(default=None, ge=1, le=65535)
    mode: any_of("local", "remote") = None
    bind: any_of("auto", "lan", "loopback", "custom", "tailnet") = None
    customBindHost: str = None
    auth: GatewayAuth = None  # type: ignore[valid-type]
    controlUi: ControlUi = None  # type: ignore[valid-type]
    trustedProxies: list[str] = None
    allowRealIpFallback: bool = None
    tailscale: Tailscale = None  # type: ignore[valid-type]
    nodes: Nodes = None  # type: ignore[valid-type]


GatewayConfig = pad(_Gateway, "gateway")
