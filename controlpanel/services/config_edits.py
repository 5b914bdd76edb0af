"""Small config changes the panel makes itself (approval side effects): minimal text edits, new revisions."""

from __future__ import annotations

from django.db import transaction

from controlpanel.approvals.dm import allow_from_add
from controlpanel.lib.json5edit import set_value
from controlpanel.models import ChannelAccount, ConfigRevision, Gateway

from .config_revisions import ConfigConflict, ConfigEditError, Saved, config_revision_create

__all__ = ["ConfigConflict", "ConfigEditError", "gateway_channel_allow_from_add", "gateway_config_set_value"]


def gateway_config_set_value(
    *, gateway: Gateway, path: list[str], value, actor, action: str, source: str, reason: str
) -> Saved:
    """Set one value of the current config as a new revision; only that value's text changes.

    The gateway row must be locked by the caller's transaction (the edit is made on its current text).
    Raises ConfigEditError when the result would not be valid; nothing is written then.
    """
    text = set_value(gateway.config_text or "{}\n", path, value)
    return config_revision_create(
        gateway=gateway,
        text=text,
        source=source,
        reason=reason,
        actor=actor,
        base_hash=gateway.config_hash,
        action=action,
        detail={"path": ".".join(path), "value": value},
    )


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
            source=ConfigRevision.Source.APPROVAL,
            reason=f"Approved DM pairing: {sender} may now message the agents on {channel}.",
        )
        ChannelAccount.objects.filter(gateway=gateway, name=channel).update(allow_from=new)
    return True
