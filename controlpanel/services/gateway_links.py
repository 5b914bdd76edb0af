"""The panel's link to a live gateway: credentials, the device identity and connection state.

Writes for the views (credentials, config pushes) and for the gateway worker (what it observed).
Secrets go in encrypted and come out only as ``ConnectOptions`` for the worker; no function here
returns a secret to a view.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from controlpanel import fieldcrypto
from controlpanel.background import enqueue_on_commit
from controlpanel.gatewayclient import ConnectOptions, DeviceIdentity
from controlpanel.models import Gateway, GatewayConfigPush, GatewayLink
from controlpanel.tasks.gateways import config_push_send

from .activity import activity_record

State = GatewayLink.State


def link_for(gateway: Gateway) -> GatewayLink:
    """Return the gateway's link row, creating an empty one on first use."""
    link, _ = GatewayLink.objects.get_or_create(gateway=gateway)
    return link


class GatewayUrlInvalid(ValueError):
    """The gateway's WebSocket URL breaks the rule of ``ws_url_clean``; the message says how."""


def ws_url_clean(url: str) -> str:
    """The rule for a gateway's WebSocket URL: ``ws://`` or ``wss://``, a host, an optional port, and no
    credentials in it. The URL is shown to every member (viewers included) and recorded in the activity
    log; the shared token or password goes into the encrypted secret instead. Raises GatewayUrlInvalid.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port that is not a number or out of range
    except ValueError:
        raise GatewayUrlInvalid("Not a URL: use ws://host:port or wss://host:port.") from None
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise GatewayUrlInvalid("Use a ws:// or wss:// URL, e.g. ws://127.0.0.1:18789")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise GatewayUrlInvalid(
            "Put no user name or password in the URL (every member can read it): "
            "enter the shared token or password in the secret field."
        )
    if port == 0 or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise GatewayUrlInvalid("Not a URL: use ws://host:port or wss://host:port.")
    return url


def gateway_credentials_set(*, gateway: Gateway, ws_url: str, kind: str, secret: str, actor) -> GatewayLink:
    """Store the URL and (when given) a new shared token or password, encrypted. Audited without the secret.

    An empty ``secret`` keeps the stored one: the form never shows it, so leaving it blank means
    "unchanged". Returns the link. Raises GatewayUrlInvalid for a URL ``ws_url_clean`` refuses.
    """
    ws_url = ws_url_clean(ws_url)
    with transaction.atomic():
        link = link_for(gateway)
        changed = []
        if ws_url != gateway.ws_url:
            gateway.ws_url = ws_url
            gateway.save(update_fields=["ws_url", "updated_at"])
            changed.append("ws_url")
        if secret:
            link.secret_kind = kind
            link.secret_enc = fieldcrypto.encrypt(secret)
            link.secret_set_at = timezone.now()
            # A new secret may belong to a different gateway: start the link's story afresh.
            link.last_error = ""
            link.save()
            changed.append(f"{kind} replaced")
        activity_record(
            action="gateway.credentials_set",
            actor=actor,
            gateway=gateway,
            target="link",
            detail={"changed": changed, "ws_url": ws_url},
        )
    return link


def link_identity(link: GatewayLink) -> DeviceIdentity:
    """Return the panel's device identity for this gateway, generating and storing it on first use."""
    if link.device_seed_enc:
        return DeviceIdentity(base64.b64decode(fieldcrypto.decrypt(link.device_seed_enc)))
    identity = DeviceIdentity.generate()
    link.device_seed_enc = fieldcrypto.encrypt(base64.b64encode(identity.seed).decode())
    link.device_id = identity.device_id
    link.save(update_fields=["device_seed_enc", "device_id", "updated_at"])
    return identity


def connect_options_for(
    gateway_id: int, *, display_name: str = "OpenClaw control panel"
) -> ConnectOptions | None:
    """Return what the worker needs to connect to gateway ``gateway_id``, or None without URL/secret."""
    gateway = Gateway.objects.filter(pk=gateway_id).first()
    if gateway is None or not gateway.ws_url:
        return None
    link = link_for(gateway)
    if not link.secret_enc and not link.device_token_enc:
        return None
    secret = fieldcrypto.decrypt(link.secret_enc)
    return ConnectOptions(
        url=gateway.ws_url,
        identity=link_identity(link),
        token=secret if link.secret_kind == "token" else "",
        password=secret if link.secret_kind == "password" else "",
        device_token=fieldcrypto.decrypt(link.device_token_enc),
        display_name=f"{display_name} ({gateway.name})",
    )


def linked_gateway_ids() -> list[int]:
    """Return the ids of gateways the worker should keep a connection to (URL and credentials set)."""
    return list(
        Gateway.objects.exclude(ws_url="")
        .filter(link__isnull=False)
        .exclude(link__secret_enc="", link__device_token_enc="")
        .values_list("pk", flat=True)
    )


def _save_status(gateway: Gateway, *, status: str, error: str, now: datetime, version: str = "") -> None:
    gateway.status = status
    gateway.status_checked_at = now
    gateway.last_error = error
    fields = ["status", "status_checked_at", "last_error", "updated_at"]
    if version:
        gateway.version = version
        fields.append("version")
    gateway.save(update_fields=fields)


def link_record_connected(*, gateway_id: int, hello: dict[str, Any], now: datetime | None = None) -> None:
    """Record a successful hello: protocol, granted scopes, version; keep a newly issued device token."""
    now = now or timezone.now()
    auth = hello.get("auth") if isinstance(hello.get("auth"), dict) else {}
    server = hello.get("server") if isinstance(hello.get("server"), dict) else {}
    version = str(server.get("version") or "")[: Gateway._meta.get_field("version").max_length]
    with transaction.atomic():
        link = GatewayLink.objects.select_for_update().select_related("gateway").get(gateway_id=gateway_id)
        if auth.get("deviceToken"):
            link.device_token_enc = fieldcrypto.encrypt(str(auth["deviceToken"]))
        link.state = State.CONNECTED
        link.scopes = list(auth.get("scopes") or [])
        protocol = hello.get("protocol")
        link.protocol = protocol if isinstance(protocol, int) and 0 <= protocol < 2**31 else None
        link.server_version = version
        link.connected_at = link.last_seen_at = now
        link.pairing_request_id = ""
        link.last_error = ""
        link.save()
        status, reason = health_verdict((hello.get("snapshot") or {}).get("health") or {})
        _save_status(link.gateway, status=status, error=reason, now=now, version=version)


def health_verdict(health: dict[str, Any]) -> tuple[str, str]:
    """Return (status, reason in words): online unless the gateway reports a problem itself."""
    loop = health.get("eventLoop") or {}
    problems = []
    if health.get("ok") is False:
        problems.append("the gateway reports it is not healthy")
    if loop.get("degraded"):
        reasons = ", ".join(str(r) for r in loop.get("reasons") or []) or "no reason given"
        problems.append(f"its event loop is degraded ({reasons})")
    errors = (health.get("plugins") or {}).get("errors") or []
    if errors:
        problems.append(f"{len(errors)} plugin error(s)")
    if problems:
        return Gateway.Status.DEGRADED, "Degraded: " + "; ".join(problems) + "."
    return Gateway.Status.ONLINE, ""


def link_record_health(*, gateway_id: int, health: dict[str, Any], now: datetime | None = None) -> None:
    """Record a fresh ``health`` answer (keeps the status from going stale while connected)."""
    now = now or timezone.now()
    GatewayLink.objects.filter(gateway_id=gateway_id).update(last_seen_at=now, updated_at=now)
    status, reason = health_verdict(health)
    _save_status(Gateway.objects.get(pk=gateway_id), status=status, error=reason, now=now)


def link_record_problem(
    *, gateway_id: int, state: str, error: str, pairing_request_id: str = "", now: datetime | None = None
) -> None:
    """Record why the worker is not connected. Pairing and restarts are not "offline" in the status."""
    now = now or timezone.now()
    link = GatewayLink.objects.select_related("gateway").get(gateway_id=gateway_id)
    link.state = state
    link.last_error = error
    link.pairing_request_id = pairing_request_id
    link.save(update_fields=["state", "last_error", "pairing_request_id", "updated_at"])
    # Reachable but not admitting us, or restarting: degraded; no answer at all: offline.
    status = Gateway.Status.OFFLINE if state == State.UNREACHABLE else Gateway.Status.DEGRADED
    _save_status(link.gateway, status=status, error=error, now=now)


def link_record_config(*, gateway_id: int, config_hash: str, now: datetime | None = None) -> None:
    now = now or timezone.now()
    GatewayLink.objects.filter(gateway_id=gateway_id).update(
        remote_config_hash=config_hash, remote_config_fetched_at=now, updated_at=now
    )


# --- config pushes ------------------------------------------------------------------------------


def config_push_create(*, gateway: Gateway, patch: str, base_hash: str, actor) -> GatewayConfigPush:
    """Queue a merge patch for the live gateway, based on ``base_hash`` (the hash the editor saw).

    Its task (``controlpanel.tasks.gateways.config_push_send``, queue "gateways") is run by the
    gateway worker holding the connection, after this commits.
    """
    with transaction.atomic():
        push = GatewayConfigPush.objects.create(
            gateway=gateway, patch=patch, base_hash=base_hash, created_by=actor
        )
        activity_record(
            action="config.push_requested",
            actor=actor,
            gateway=gateway,
            target=f"config-push:{push.pk}",
            detail={"base_hash": base_hash, "patch_chars": len(patch)},
        )
        if result := enqueue_on_commit(config_push_send, gateway_id=gateway.pk, push_id=push.pk):
            push.task_id = result.id
            push.save(update_fields=["task_id"])
    return push


def config_push_pending(push_id: int) -> tuple[str, str, str] | None:
    """Return (text, base_hash, mode) of a push still waiting to be sent, else None.

    ``mode`` "patch": a merge patch for ``config.patch``; "apply": a whole revision for ``config.apply``.
    """
    return (
        GatewayConfigPush.objects.filter(pk=push_id, status="pending")
        .values_list("patch", "base_hash", "mode")
        .first()
    )


def config_push_abandon(*, push_id: int, error: str) -> None:
    """Mark a push failed when its task gave up (the gateway kept failing, or its workers died)."""
    with transaction.atomic():
        if GatewayConfigPush.objects.filter(pk=push_id, status="pending").update(
            status="failed", error=error, updated_at=timezone.now()
        ):
            push = GatewayConfigPush.objects.select_related("gateway").get(pk=push_id)
            activity_record(
                action="config.push_failed",
                gateway=push.gateway,
                target=f"config-push:{push.pk}",
                detail={"error": error},
            )


def config_push_record(
    *,
    push_id: int,
    ok: bool,
    result_hash: str = "",
    error: str = "",
    issues: list | None = None,
    restart_required: bool = False,
) -> GatewayConfigPush:
    """Record the gateway's answer to a push: applied (new hash) or refused (message, per-path issues)."""
    with transaction.atomic():
        return _config_push_record(
            push_id=push_id,
            ok=ok,
            result_hash=result_hash,
            error=error,
            issues=issues,
            restart_required=restart_required,
        )


def _config_push_record(
    *, push_id: int, ok: bool, result_hash: str, error: str, issues: list | None, restart_required: bool
) -> GatewayConfigPush:
    push = GatewayConfigPush.objects.select_for_update(of=("self",)).select_related("gateway").get(pk=push_id)
    push.status = "applied" if ok else "refused"
    push.result_hash = result_hash
    push.error = error
    push.issues = [
        {"path": str(i.get("path") or ""), "message": str(i.get("message") or "")}
        for i in (issues or [])
        if isinstance(i, dict)
    ]
    push.sent_at = timezone.now()
    push.restart_required = restart_required
    push.save()
    activity_record(
        action=f"config.push_{push.status}",
        gateway=push.gateway,
        target=f"config-push:{push.pk}",
        detail={"error": error, "result_hash": result_hash, "restart_required": restart_required},
    )
    if ok and result_hash and push.mode == GatewayConfigPush.Mode.PATCH:
        link_record_config(gateway_id=push.gateway_id, config_hash=result_hash)
    return push
