"""Creating and updating gateways from ``openclaw.json`` files, and exporting them again."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from controlpanel.models import Agent, ChannelAccount, Gateway, GatewayMembership, Role
from controlpanel.openclaw import LoadResult, agents_of, channels_of, dump_config, load_config

from .activity import activity_record
from .audits import audit_after_config_change

DEFAULT_GATEWAY_PORT = 18789
NAME_MAX_LENGTH = 100  # Gateway.name's max_length, which SQLite does not enforce


class GatewayNameTaken(Exception):
    """Another gateway already has this name."""


class GatewayNameInvalid(ValueError):
    """The name breaks the rule of ``gateway_name_clean``; the message says how."""


def gateway_name_clean(name: str) -> str:
    """The one rule for a gateway's name, on every surface (the import form, the API, the command).

    1 to 100 letters, digits, dots, dashes and underscores (surrounding white space dropped): a name
    is shown everywhere and becomes part of file names, so no quotes, separators or control characters.
    Returns the name; raises GatewayNameInvalid.
    """
    name = name.strip()
    if not name:
        raise GatewayNameInvalid("Give the gateway a name.")
    if len(name) > NAME_MAX_LENGTH:
        raise GatewayNameInvalid(f"Use at most {NAME_MAX_LENGTH} characters (this one has {len(name)}).")
    if not all(c.isalnum() or c in "._-" for c in name):
        raise GatewayNameInvalid("Use letters, digits, dots, dashes and underscores only.")
    return name


@dataclass
class ImportOutcome:
    """What an import did. ``gateway`` is None when nothing was saved (invalid config or dry run)."""

    result: LoadResult
    gateway: Gateway | None = None
    created: bool = False
    agents_added: list[str] = field(default_factory=list)
    agents_removed: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def valid(self) -> bool:
        return self.result.valid


def config_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _gateway_fields(resolved: dict[str, Any]) -> dict[str, Any]:
    """Columns of Gateway that come from the config (the rest of the config stays in config_raw)."""
    gw = resolved.get("gateway") or {}
    auth = gw.get("auth") or {}
    mode = auth.get("mode") or ("password" if auth.get("password") else "token")
    port = gw.get("port") or DEFAULT_GATEWAY_PORT
    return {"bind": gw.get("bind") or "loopback", "port": port, "auth_mode": mode}


def gateway_import_config(
    *,
    text: str,
    env: dict[str, str] | None = None,
    name: str,
    actor=None,
    gateway: Gateway | None = None,
    dry_run: bool = False,
) -> ImportOutcome:
    """Validate ``text`` and, if valid and not a dry run, create or update the gateway ``name``.

    All or nothing: the gateway row, its agents and channel accounts and the activity event are
    written in one transaction. ``env`` is used to resolve ``${VAR}`` references and is never stored.
    Raises GatewayNameInvalid when creating a gateway with a name ``gateway_name_clean`` refuses, and
    GatewayNameTaken when its name exists (pass ``gateway`` to update).
    """
    if gateway is None and not dry_run:
        name = gateway_name_clean(name)
    result = load_config(text, env=env or {})
    outcome = ImportOutcome(result=result, dry_run=dry_run)
    if not result.valid or dry_run:
        return outcome

    agents = agents_of(result.resolved)
    channels = channels_of(result.resolved)
    with transaction.atomic():
        if gateway is None:
            if Gateway.objects.filter(name=name).exists():
                raise GatewayNameTaken(name)
            gateway = Gateway(name=name)
            outcome.created = True
            before = None
        else:
            gateway = Gateway.objects.select_for_update().get(pk=gateway.pk)
            before = _snapshot(gateway)

        for key, value in _gateway_fields(result.resolved).items():
            setattr(gateway, key, value)
        if not gateway.ws_url and gateway.bind == "loopback":
            gateway.ws_url = f"ws://127.0.0.1:{gateway.port}"
        gateway.config_text = text
        gateway.config_raw = result.raw
        gateway.config_hash = config_hash(text)
        gateway.config_imported_at = timezone.now()
        gateway.save()
        if outcome.created and actor is not None:
            GatewayMembership.objects.create(user=actor, gateway=gateway, role=Role.OWNER)

        existing = set(gateway.agents.values_list("agent_id", flat=True))
        wanted = {a.id for a in agents}
        outcome.agents_added = sorted(wanted - existing)
        outcome.agents_removed = sorted(existing - wanted)
        gateway.agents.filter(agent_id__in=outcome.agents_removed).delete()
        # Clear the default flag first: the one-default constraint holds after every statement.
        gateway.agents.update(is_default=False)
        for spec in agents:
            Agent.objects.update_or_create(
                gateway=gateway,
                agent_id=spec.id,
                defaults={
                    "name": spec.name or "",
                    "model": spec.model or "",
                    "workspace": spec.workspace or "",
                    "is_default": spec.is_default,
                    "config": spec.raw,
                },
            )

        gateway.channels.exclude(name__in=[c.name for c in channels]).delete()
        for ch in channels:
            ChannelAccount.objects.update_or_create(
                gateway=gateway,
                name=ch.name,
                account="default",
                defaults={
                    "dm_policy": ch.dm_policy or ChannelAccount.DmPolicy.PAIRING,
                    "allow_from": list(ch.allow_from),
                    "group_policy": ch.group_policy or "",
                },
            )

        activity_record(
            action="gateway.created" if outcome.created else "gateway.config_imported",
            actor=actor,
            gateway=gateway,
            target=f"gateway:{gateway.name}",
            before=before,
            after=_snapshot(gateway),
            detail={
                "agents_added": outcome.agents_added,
                "agents_removed": outcome.agents_removed,
                "warnings": [w.message for w in result.warnings],
            },
        )
        audit_after_config_change(gateway=gateway, actor=actor)
    outcome.gateway = gateway
    return outcome


def _snapshot(gateway: Gateway) -> dict[str, Any]:
    """What the activity log records of a gateway's config: identity, never secret values."""
    return {
        "config_hash": gateway.config_hash,
        "bind": gateway.bind,
        "port": gateway.port,
        "auth_mode": gateway.auth_mode,
        "agents": sorted(gateway.agents.values_list("agent_id", flat=True)) if gateway.pk else [],
    }


def gateway_export_config(*, gateway: Gateway) -> str:
    """The gateway's config as a file: the imported text exactly, or a dump of the stored form.

    ``${VAR}`` references are kept; resolved secret values are never written.
    """
    if gateway.config_text and config_hash(gateway.config_text) == gateway.config_hash:
        return gateway.config_text
    return dump_config(gateway.config_raw)


def gateway_delete(*, gateway: Gateway, actor) -> None:
    with transaction.atomic():
        activity_record(
            action="gateway.deleted",
            actor=actor,
            gateway=None,
            target=f"gateway:{gateway.name}",
            before=_snapshot(gateway),
        )
        gateway.delete()
