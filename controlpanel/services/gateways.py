"""Creating and updating gateways from ``openclaw.json`` files, and exporting them again."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from controlpanel.models import ConfigRevision, Gateway, GatewayMembership, Role
from controlpanel.openclaw import LoadResult, dump_config, load_config

from .activity import activity_record
from .config_revisions import config_hash, config_revision_create, snapshot

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
    revision: ConfigRevision | None = None
    unchanged: bool = False  # the text was already the current config: no new revision

    @property
    def valid(self) -> bool:
        return self.result.valid


def gateway_import_config(
    *,
    text: str,
    env: dict[str, str] | None = None,
    name: str,
    actor=None,
    gateway: Gateway | None = None,
    dry_run: bool = False,
    base_hash: str | None = None,
    reason: str = "",
) -> ImportOutcome:
    """Validate ``text`` and, if valid and not a dry run, create or update the gateway ``name``.

    All or nothing: the gateway row, its new config revision, agents, channel accounts and the
    activity event are written in one transaction. ``env`` is used to resolve ``${VAR}`` references
    and is never stored. ``base_hash`` (updates): the config hash the importer saw; a newer config
    raises ConfigConflict. Raises GatewayNameInvalid when creating a gateway with a name
    ``gateway_name_clean`` refuses, and GatewayNameTaken when its name exists (pass ``gateway`` to
    update).
    """
    if gateway is None and not dry_run:
        name = gateway_name_clean(name)
    result = load_config(text, env=env or {})
    outcome = ImportOutcome(result=result, dry_run=dry_run)
    if not result.valid or dry_run:
        return outcome

    with transaction.atomic():
        if gateway is None:
            if Gateway.objects.filter(name=name).exists():
                raise GatewayNameTaken(name)
            gateway = Gateway.objects.create(name=name)
            outcome.created = True
            if actor is not None:
                GatewayMembership.objects.create(user=actor, gateway=gateway, role=Role.OWNER)
        else:
            # Compare with the stored config under the row lock, not with the caller's copy (which
            # may be older than the last import).
            gateway = Gateway.objects.select_for_update().get(pk=gateway.pk)
        if not outcome.created and gateway.config_text == text:
            # The same file again: nothing to record (the history keeps changes only).
            outcome.gateway, outcome.unchanged = gateway, True
            outcome.revision = gateway.revisions.first()
            return outcome
        saved = config_revision_create(
            gateway=gateway,
            text=text,
            source=ConfigRevision.Source.IMPORT,
            reason=reason or ("First import." if outcome.created else "Imported a new version of the file."),
            actor=actor,
            base_hash=None if outcome.created else base_hash,
            action="gateway.created" if outcome.created else "gateway.config_imported",
            detail={"warnings": [w.message for w in result.warnings]},
            env=env,
            created=outcome.created,
        )
    outcome.gateway = saved.revision.gateway
    outcome.revision = saved.revision
    outcome.agents_added = saved.agents_added
    outcome.agents_removed = saved.agents_removed
    return outcome


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
            before=snapshot(gateway),
        )
        gateway.delete()
