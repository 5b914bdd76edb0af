"""Every change to a gateway's config is a ConfigRevision: validated, guarded by a base hash, logged.

One function writes revisions (``config_revision_create``); the paths that change a config (import,
raw editor, form, audit fix, legacy migration, approval side effect, rollback, adopting the live
config, fleet change) all end there, so each is validated the same way, refused when it was made
against an older revision (``ConfigConflict``: nothing is lost, the caller shows the three-way view),
and recorded once in the activity log.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from controlpanel.lib.safetext import fit, refusal
from controlpanel.models import Agent, AuditRun, ChannelAccount, ConfigRevision, Gateway
from controlpanel.openclaw import LoadResult, agents_of, channels_of, load_config, redact

from .activity import activity_record

Source = ConfigRevision.Source
DEFAULT_GATEWAY_PORT = 18789


class ConfigEditError(Exception):
    """The change cannot be saved as it is; the message names the path when there is one."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path


class NothingToSave(ConfigEditError):
    """The new text is the current text."""

    def __init__(self) -> None:
        super().__init__("Nothing changed: the config is already exactly this text.")


class ConfigConflict(Exception):
    """The change was made against ``base_hash`` but the config is now ``head`` (someone saved since)."""

    def __init__(self, *, base_hash: str, head: ConfigRevision | None) -> None:
        super().__init__("the config changed since this edit started")
        self.base_hash = base_hash
        self.head = head


@dataclass
class Saved:
    """What a save did: the revision, and which agents appeared or went."""

    revision: ConfigRevision
    agents_added: list[str] = field(default_factory=list)
    agents_removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    audit: AuditRun | None = None  # the audit of the new config (queued, or a queued one reused)


def config_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def author_label(actor) -> str:
    return "system" if actor is None else f"user:{actor.pk}:{actor.get_username()}"


def config_validate(text: str, env: dict[str, str] | None = None) -> LoadResult:
    """Validate ``text`` as a save would. Raises ConfigEditError naming the first blocking issue.

    Without an environment, ``${VAR}`` references cannot be resolved: issues that are only about a
    missing variable do not block (the gateway has the variable, the panel never stores it).
    """
    result = load_config(text, env=env or {})
    blocking = [i for i in result.issues if "env var" not in i.message.lower()]
    if result.raw is None or blocking:
        issue = blocking[0] if blocking else result.issues[0]
        raise ConfigEditError(f"{issue.path}: {issue.message}", path=issue.path)
    return result


def config_revision_create(
    *,
    gateway: Gateway,
    text: str,
    source: str,
    reason: str,
    actor=None,
    base_hash: str | None = None,
    action: str = "config.revision_created",
    detail: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    created: bool = False,
) -> Saved:
    """Validate ``text`` and make it the gateway's config as a new revision, in one transaction.

    ``base_hash``: the config hash the change was made against; when the config has moved on since,
    ConfigConflict is raised and nothing is written. ``reason`` is required. Runs inside the
    caller's transaction when there is one. Raises ConfigEditError (invalid, no reason, no change).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ConfigEditError("Say why you make this change (reason).", path="reason")
    if (message := refusal(reason, "the reason")) is not None:
        raise ConfigEditError(message, path="reason")
    result = config_validate(text, env)
    with transaction.atomic():
        gateway = Gateway.objects.select_for_update().get(pk=gateway.pk)
        head = gateway.revisions.first()
        if base_hash is not None and base_hash != gateway.config_hash:
            raise ConfigConflict(base_hash=base_hash, head=head)
        if head is not None and head.text == text:
            raise NothingToSave
        revision = ConfigRevision(
            gateway=gateway,
            number=head.number + 1 if head else 1,
            parent=head,
            text=text,
            sha256=config_hash(text),
            author=actor,
            author_label=author_label(actor),
            source=source,
            reason=reason,
            detail=detail or {},
            created_at=timezone.now(),
        )
        revision.save()
        saved = Saved(revision=revision, warnings=[w.message for w in result.warnings])
        before = snapshot(gateway)
        _apply(gateway, revision, result, saved)
        activity_record(
            action=action,
            actor=actor,
            gateway=gateway,
            target=f"config:r{revision.number}",
            before=None if created else before,
            after=snapshot(gateway),
            detail={
                "source": source,
                "reason": reason,
                "agents_added": saved.agents_added,
                "agents_removed": saved.agents_removed,
                **(detail or {}),
            },
        )
        from .audits import audit_after_config_change  # imported on use, as live_rematch
        from .config_live import live_rematch  # the live side reads revisions; imported on use

        live_rematch(gateway)
        # Every config change is audited: this is the one place every config write goes through.
        saved.audit = audit_after_config_change(gateway=gateway, actor=actor)
    return saved


def snapshot(gateway: Gateway) -> dict[str, Any]:
    """What the activity log records of a gateway's config: identity, never secret values."""
    head = gateway.revisions.values_list("number", flat=True).first() if gateway.pk else None
    return {
        "config_hash": gateway.config_hash,
        "revision": head,
        "bind": gateway.bind,
        "port": gateway.port,
        "auth_mode": gateway.auth_mode,
        "agents": sorted(gateway.agents.values_list("agent_id", flat=True)) if gateway.pk else [],
    }


def _choice(model, field: str, written: Any, resolved: Any, default: str) -> str:
    """An enumerated column: the value as written; a ``${VAR}`` there (which the column cannot hold)
    stores the resolved value, one of the public words the schema allows; else the default."""
    choices = {value for value, _ in model._meta.get_field(field).choices}
    for value in (written, resolved):
        if isinstance(value, str) and value in choices:
            return value
    return default


def _text(model, field: str, value: Any) -> str:
    """A string as written, fitted to its column (a name longer than the column keeps a digest)."""
    return fit(value if isinstance(value, str) else "", model._meta.get_field(field).max_length)


def _section(config: dict[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        config = config.get(key) if isinstance(config.get(key), dict) else {}
    return config


def _gateway_fields(written: dict[str, Any], resolved: dict[str, Any]) -> dict[str, Any]:
    """Columns of Gateway that come from the config (the rest of the config stays in config_raw)."""
    gw, auth = _section(written, "gateway"), _section(written, "gateway", "auth")
    implied = "password" if auth.get("password") else "token"
    mode = _choice(
        Gateway, "auth_mode", auth.get("mode"), _section(resolved, "gateway", "auth").get("mode"), implied
    )
    port = gw.get("port") if isinstance(gw.get("port"), int) else DEFAULT_GATEWAY_PORT
    bind = _text(Gateway, "bind", gw.get("bind")) or "loopback"
    return {"bind": bind, "port": port, "auth_mode": mode}


def _apply(gateway: Gateway, revision: ConfigRevision, result: LoadResult, saved: Saved) -> None:
    """Make the revision the gateway's current config: the text, its parsed form, agents, channels.

    Everything stored is taken from the config as written (``${VAR}`` references kept, secret
    values redacted in the agent copies): the environment of an import resolves references for
    the validation only and is never stored (issue 19, finding 3).
    """
    written = result.raw or {}
    resolved = result.resolved or {}
    for key, value in _gateway_fields(written, resolved).items():
        setattr(gateway, key, value)
    if not gateway.ws_url and gateway.bind == "loopback":
        gateway.ws_url = f"ws://127.0.0.1:{gateway.port}"
    gateway.config_text = revision.text
    gateway.config_raw = result.raw
    gateway.config_hash = revision.sha256
    gateway.config_imported_at = revision.created_at
    gateway.save()

    agents = agents_of(written)
    existing = set(gateway.agents.values_list("agent_id", flat=True))
    wanted = {a.id for a in agents}
    saved.agents_added = sorted(wanted - existing)
    saved.agents_removed = sorted(existing - wanted)
    gateway.agents.filter(agent_id__in=saved.agents_removed).delete()
    # Clear the default flag first: the one-default constraint holds after every statement.
    gateway.agents.update(is_default=False)
    for spec in agents:
        Agent.objects.update_or_create(
            gateway=gateway,
            agent_id=spec.id,
            defaults={
                "name": _text(Agent, "name", spec.name),
                "model": _text(Agent, "model", spec.model),
                "workspace": _text(Agent, "workspace", spec.workspace),
                "is_default": spec.is_default,
                "config": redact(spec.raw, ("agents", "entries", spec.id)),
            },
        )
    channels = channels_of(written)
    resolved_channels = _section(resolved, "channels")
    gateway.channels.exclude(name__in=[c.name for c in channels]).delete()
    for ch in channels:
        live = resolved_channels.get(ch.name) if isinstance(resolved_channels.get(ch.name), dict) else {}
        ChannelAccount.objects.update_or_create(
            gateway=gateway,
            name=ch.name,
            account="default",
            defaults={
                "dm_policy": _choice(
                    ChannelAccount,
                    "dm_policy",
                    ch.dm_policy,
                    live.get("dmPolicy"),
                    ChannelAccount.DmPolicy.PAIRING,
                ),
                "allow_from": list(ch.allow_from),
                "group_policy": _text(ChannelAccount, "group_policy", ch.group_policy),
            },
        )


def config_rollback(
    *, gateway: Gateway, revision: ConfigRevision, reason: str, actor, base_hash: str
) -> Saved:
    """Make an earlier revision's text, byte for byte, the newest revision (source "rollback")."""
    if revision.gateway_id != gateway.pk:
        raise ConfigEditError("That revision belongs to another gateway.")
    return config_revision_create(
        gateway=gateway,
        text=revision.text,
        source=Source.ROLLBACK,
        reason=reason,
        actor=actor,
        base_hash=base_hash,
        action="config.rolled_back",
        detail={"rolled_back_to": revision.number},
    )
