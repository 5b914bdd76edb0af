"""The config a linked gateway runs: which revision it is (or the drift), pushes of revisions, adoption.

The gateway worker reports every ``config.get`` answer here (on connect and after each
``config.changed``). A running config is matched to a revision by the hash a push of that revision
returned, by the hash an adoption recorded, or by content (secrets and the gateway-managed ``meta``
block aside). Anything else is drift: recorded, shown with its diff, and alerted once per running
hash, critical when it gives an agent more power than the panel's current revision does.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from controlpanel.background import enqueue_on_commit
from controlpanel.lib.safetext import escape_unstorable, fit
from controlpanel.models import Alert, AlertEvent, ConfigRevision, Gateway, GatewayConfigPush, GatewayLink
from controlpanel.openclaw import SECRET_MARKER, ConfigSyntaxError, parse_json5, redact
from controlpanel.selectors import LiveState, alert_snapshot, drift_whatif
from controlpanel.tasks.gateways import config_push_send

from .activity import activity_record
from .alerts.publish import alert_events_emit

DRIFT_TYPE = "config.drift"
DRIFT_SUBJECT = "config"
MATCH_DEPTH = 20  # how many recent revisions a running config is compared with
MANAGED_KEYS = ("meta",)  # written by the gateway itself (lastTouchedVersion, migrations)


class PushRefused(Exception):
    """The push cannot be queued (no link, no known running hash); the message says what to do."""


def _comparable(value: Any) -> Any:
    """The value with the gateway-managed keys dropped and secrets redacted (as the gateway shows them)."""
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if k not in MANAGED_KEYS}
    return redact(value)


def _same_modulo_secrets(a: Any, b: Any) -> bool:
    if a == SECRET_MARKER or b == SECRET_MARKER:
        return isinstance(a, str) and isinstance(b, str)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_modulo_secrets(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_modulo_secrets(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def match_revision(gateway: Gateway, live_hash: str, live_text: str) -> ConfigRevision | None:
    """Return the revision the gateway runs, or None (drift, or nothing to compare with)."""
    push = (
        GatewayConfigPush.objects.filter(gateway=gateway, result_hash=live_hash, revision__isnull=False)
        .select_related("revision")
        .order_by("-created_at")
        .first()
    )
    if push is not None:
        return push.revision
    adopted = gateway.revisions.filter(detail__live_hash=live_hash).first()
    if adopted is not None:
        return adopted
    try:
        live = _comparable(parse_json5(live_text))
    except ConfigSyntaxError:
        return None
    for revision in gateway.revisions.all()[:MATCH_DEPTH]:
        try:
            if _same_modulo_secrets(_comparable(parse_json5(revision.text)), live):
                return revision
        except ConfigSyntaxError:
            continue
    return None


def live_config_record(*, gateway_id: int, payload: dict[str, Any]) -> LiveState:
    """Record a ``config.get`` answer: the running hash and text, the revision it is, drift and alert."""
    # The gateway's file may hold text no database can store: kept escaped (inside a string the
    # escape means the same; adopting it is then refused by the validator, naming the path).
    live_hash = fit(escape_unstorable(str(payload.get("hash") or "")), 200)
    live_text = escape_unstorable(payload["raw"]) if isinstance(payload.get("raw"), str) else ""
    now = timezone.now()
    with transaction.atomic():
        link = GatewayLink.objects.select_for_update().select_related("gateway").get(gateway_id=gateway_id)
        gateway = link.gateway
        changed = link.remote_config_hash != live_hash
        link.remote_config_hash = live_hash
        link.remote_config_text = live_text
        link.remote_config_fetched_at = now
        running = match_revision(gateway, live_hash, live_text)
        link.live_revision = running
        unconfirmed = GatewayConfigPush.objects.filter(gateway=gateway, confirmed_at__isnull=True)
        unconfirmed.filter(result_hash=live_hash).update(confirmed_at=now)
        current = gateway.revisions.first()
        if running is None and current is not None and link.drift_alerted_hash != live_hash:
            _drift_alert(gateway, current, live_text, now)
            link.drift_alerted_hash = live_hash
            activity_record(
                action="config.drift_detected",
                gateway=gateway,
                target="config:live",
                detail={"live_hash": live_hash, "panel_revision": current.number},
            )
        elif running is not None:
            link.drift_alerted_hash = ""
            _drift_resolve(gateway, running, now)
        link.save()
        if changed and running is not None:
            activity_record(
                action="config.live_matched",
                gateway=gateway,
                target=f"config:r{running.number}",
                detail={"live_hash": live_hash},
            )
    return LiveState(link, running, current, running is None and current is not None, live_text)


def live_rematch(gateway: Gateway) -> None:
    """After a save: the new revision may be what the gateway already runs (an adoption, say)."""
    link = GatewayLink.objects.select_for_update().filter(gateway=gateway).first()
    if link is None or not link.remote_config_hash:
        return
    running = match_revision(gateway, link.remote_config_hash, link.remote_config_text)
    if running is not None and running.pk != link.live_revision_id:
        link.live_revision, link.drift_alerted_hash = running, ""
        link.save(update_fields=["live_revision", "drift_alerted_hash", "updated_at"])
        _drift_resolve(gateway, running, timezone.now())


def last_known_running(gateway: Gateway) -> ConfigRevision | None:
    """The newest revision the gateway is known to have run (a confirmed push or an adoption)."""
    push = (
        GatewayConfigPush.objects.filter(gateway=gateway, revision__isnull=False, confirmed_at__isnull=False)
        .select_related("revision")
        .order_by("-confirmed_at")
        .first()
    )
    adopted = gateway.revisions.filter(source=ConfigRevision.Source.PULLED).first()
    candidates = [r for r in (push.revision if push else None, adopted) if r is not None]
    return max(candidates, key=lambda r: r.number) if candidates else None


def adopt_text(gateway: Gateway, link: GatewayLink) -> tuple[str, list[str]]:
    """The running config as a revision text, and the secret paths left redacted.

    ``config.get`` redacts every secret. Where the running config came from a revision the panel
    pushed or adopted, that revision's secrets are put back; the others stay redacted: the gateway
    keeps its own value when the marker comes back in a push.
    """
    from controlpanel.configedit.secrets import restore_known_secrets

    source = last_known_running(gateway)
    if source is None:
        return link.remote_config_text, _marker_paths(link.remote_config_text)
    return restore_known_secrets(link.remote_config_text, source.text)


def _marker_paths(text: str) -> list[str]:
    from controlpanel.openclaw.syntax import decode_string, walk_values

    try:
        return [
            ".".join(site.path)
            for site in walk_values(text)
            if site.token.kind == "string" and decode_string(text, site.token) == SECRET_MARKER
        ]
    except ConfigSyntaxError:
        return []


def _drift_alert(gateway: Gateway, current: ConfigRevision, live_text: str, now) -> None:
    effect = drift_whatif(current, live_text)
    loosens = effect is not None and effect.loosens
    severity = Alert.Severity.CRITICAL if loosens else Alert.Severity.WARNING
    what = (
        "it gives an agent more power (tools, exec, sandbox or elevated)"
        if loosens
        else "it differs from the panel's config"
    )
    message = f"The gateway runs a config that is not revision {current.number}: {what}. Review the drift."
    alert = (
        Alert.objects.select_for_update()
        .filter(gateway=gateway, type=DRIFT_TYPE, subject=DRIFT_SUBJECT)
        .exclude(state=Alert.State.RESOLVED)
        .first()
    )
    if alert is None:
        alert = Alert.objects.create(
            gateway=gateway,
            type=DRIFT_TYPE,
            subject=DRIFT_SUBJECT,
            severity=severity,
            message=message,
            detail={"panel_revision": current.number, "loosens": loosens},
            first_seen_at=now,
            last_seen_at=now,
        )
        kind = AlertEvent.Kind.CREATED
    else:
        kind = AlertEvent.Kind.ESCALATED if severity == Alert.Severity.CRITICAL else AlertEvent.Kind.UPDATED
        alert.severity, alert.message, alert.last_seen_at = severity, message, now
        alert.count += 1
        alert.detail = {**alert.detail, "panel_revision": current.number, "loosens": loosens}
        alert.save()
    event = AlertEvent.objects.create(
        gateway=gateway, alert=alert, kind=kind, payload={"alert": alert_snapshot(alert, gateway)}
    )
    alert_events_emit([event])


def _drift_resolve(gateway: Gateway, running: ConfigRevision, now) -> None:
    alert = (
        Alert.objects.select_for_update()
        .filter(gateway=gateway, type=DRIFT_TYPE, subject=DRIFT_SUBJECT)
        .exclude(state=Alert.State.RESOLVED)
        .first()
    )
    if alert is None:
        return
    alert.state, alert.resolved_at = Alert.State.RESOLVED, now
    alert.detail = {**alert.detail, "resolved_reason": f"the gateway runs revision {running.number}"}
    alert.save()
    event = AlertEvent.objects.create(
        gateway=gateway,
        alert=alert,
        kind=AlertEvent.Kind.RESOLVED,
        notify=False,
        payload={"alert": alert_snapshot(alert, gateway)},
    )
    alert_events_emit([event])


def config_push_revision(*, gateway: Gateway, revision: ConfigRevision, actor) -> GatewayConfigPush:
    """Queue ``revision`` for the live gateway as a whole config (``config.apply``), guarded by the
    running hash the panel last saw: if someone changed the gateway since, the gateway refuses.

    Its task (``tasks.gateways.config_push_send``) runs on the gateway worker's connection."""
    link = GatewayLink.objects.filter(gateway=gateway).first()
    if link is None or not link.remote_config_hash:
        raise PushRefused("The panel has not read this gateway's running config yet: link it first.")
    with transaction.atomic():
        push = GatewayConfigPush.objects.create(
            gateway=gateway,
            patch=revision.text,
            base_hash=link.remote_config_hash,
            created_by=actor,
            revision=revision,
            mode=GatewayConfigPush.Mode.APPLY,
        )
        activity_record(
            action="config.push_requested",
            actor=actor,
            gateway=gateway,
            target=f"config:r{revision.number}",
            detail={"push": push.pk, "base_hash": link.remote_config_hash, "mode": "apply"},
        )
        # Sent by the gateway worker holding the connection (queue "gateways"), after this commits.
        if result := enqueue_on_commit(config_push_send, gateway_id=gateway.pk, push_id=push.pk):
            push.task_id = result.id
            push.save(update_fields=["task_id"])
    return push
