"""Small config changes the panel makes itself, each one validated, stored and audited."""

from __future__ import annotations

import copy

from django.db import transaction
from django.utils import timezone

from controlpanel.approvals.dm import allow_from_add
from controlpanel.lib.json5edit import replace_value
from controlpanel.models import AuditRun, ChannelAccount, Gateway
from controlpanel.openclaw import dump_config, load_config

from .activity import activity_record


class ConfigEditError(Exception):
    """The edited config would not be valid (the message names the path)."""


def _set_in(raw: dict, path: list[str], value) -> dict:
    data = copy.deepcopy(raw)
    node = data
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    return data


def gateway_config_set_value(*, gateway: Gateway, path: list[str], value, actor, action: str) -> None:
    """Set one value in the stored config, keeping the file's comments when the key already exists.

    The result must still parse and validate (structure only: ``${VAR}`` references need no values
    here); otherwise ConfigEditError and nothing changes. Runs inside the caller's transaction.
    """
    text = replace_value(gateway.config_text, path, value) if gateway.config_text else None
    comments_kept = text is not None
    if text is None:
        text = dump_config(_set_in(gateway.config_raw or {}, path, value))
    gateway_config_replace_text(
        gateway=gateway,
        text=text,
        actor=actor,
        action=action,
        detail={"path": ".".join(path), "value": value, "comments_kept": comments_kept},
    )


def gateway_config_replace_text(*, gateway: Gateway, text: str, actor, action: str, detail: dict) -> AuditRun:
    """Store a new config text that the panel produced itself (validated; references need no values).

    Returns the audit run of the new config (queued by ``audit_after_config_change``).
    """
    from controlpanel.services.audits import audit_after_config_change
    from controlpanel.services.gateways import config_hash

    result = load_config(text, env={})
    blocking = [i for i in result.issues if "env var" not in i.message.lower()]
    if result.raw is None or blocking:
        issue = blocking[0] if blocking else None
        raise ConfigEditError(
            f"{issue.path}: {issue.message}" if issue else "the edited config does not parse"
        )
    before = gateway.config_hash
    gateway.config_text = text
    gateway.config_raw = result.raw
    gateway.config_hash = config_hash(text)
    gateway.config_imported_at = timezone.now()
    gateway.save(
        update_fields=["config_text", "config_raw", "config_hash", "config_imported_at", "updated_at"]
    )
    activity_record(
        action=action,
        actor=actor,
        gateway=gateway,
        target="config",
        before={"config_hash": before},
        after={"config_hash": gateway.config_hash},
        detail=detail,
    )
    return audit_after_config_change(gateway=gateway, actor=actor)


def gateway_channel_allow_from_add(*, gateway: Gateway, channel: str, sender: str, actor) -> bool:
    """Add ``sender`` to ``channels.<channel>.allowFrom`` (config and mirror). False if already there."""
    with transaction.atomic():
        gateway = Gateway.objects.select_for_update().get(pk=gateway.pk)
        current = ((gateway.config_raw.get("channels") or {}).get(channel) or {}).get("allowFrom") or []
        new = allow_from_add(current, sender, channel=channel)
        if new == list(current):
            return False
        gateway_config_set_value(
            gateway=gateway,
            path=["channels", channel, "allowFrom"],
            value=new,
            actor=actor,
            action="config.allow_from_added",
        )
        ChannelAccount.objects.filter(gateway=gateway, name=channel).update(allow_from=new)
    return True
