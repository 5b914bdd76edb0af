"""Receivers and routes: created, changed and removed by owners (a gateway's) or superusers (the
global ones), each change in the activity log. Secrets are encrypted at once and never returned,
except a webhook's signing secret, shown once when it is made."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from controlpanel import fieldcrypto
from controlpanel.models import Gateway, Notification, Receiver, Route
from controlpanel.notify import payload, signing
from controlpanel.notify.routing import ALL_LABELS, MatcherError, parse_matchers

from ..activity import activity_record
from . import senders

MAX_ROUTE_DEPTH = 4
LABEL_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
DURATION_RE = re.compile(r"^(\d+)\s*([smhd])$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class ConfigError(ValueError):
    """Bad input; ``field`` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# --- parsing ----------------------------------------------------------------------------------------


def parse_duration(field: str, text: str, *, low: timedelta, high: timedelta) -> timedelta | None:
    """ "30s", "5m", "4h", "1d"; "" is None (inherit)."""
    text = (text or "").strip().lower()
    if not text:
        return None
    found = DURATION_RE.match(text)
    if not found:
        raise ConfigError(field, f"{text!r}: write a number and a unit, e.g. 30s, 5m, 4h or 1d")
    value = timedelta(seconds=int(found.group(1)) * UNITS[found.group(2)])
    if not low <= value <= high:
        raise ConfigError(field, f"must be between {_fmt(low)} and {_fmt(high)}")
    return value


def _fmt(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds and seconds % UNITS[unit] == 0:
            return f"{seconds // UNITS[unit]}{unit}"
    return f"{seconds}s"


def format_duration(value: timedelta | None) -> str:
    return "" if value is None else _fmt(value)


def parse_group_by(text: str) -> list[str] | None:
    names = [n.strip() for n in (text or "").replace("\n", ",").split(",") if n.strip()]
    if not names:
        return None
    for name in names:
        if name != ALL_LABELS and not LABEL_RE.match(name):
            raise ConfigError("group_by", f"{name!r} is not a label name (or ... for every label)")
    return names


def parse_matcher_lines(text: str) -> list[str]:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if len(lines) > 20:
        raise ConfigError("matchers", "at most 20 matchers")
    for number, line in enumerate(lines, 1):
        try:
            parse_matchers([line])
        except MatcherError as exc:
            raise ConfigError("matchers", f"line {number}: {exc}") from None
    return lines


def _url_hint(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme in ("http", "https"):
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}/…"
    return f"{parts.scheme}://…"


def _receiver_settings(kind: str, *, url: str, to: str) -> tuple[dict, str]:
    """Check the destination of a receiver; returns (the settings to encrypt, the hint to show)."""
    if kind == Receiver.Kind.WEBHOOK:
        url = url.strip()
        if len(url) > 2000:
            raise ConfigError("url", "longer than 2000 characters")
        try:
            senders.check_http_url(url)
        except senders.Permanent as exc:
            raise ConfigError("url", str(exc)) from None
        return {"url": url}, _url_hint(url)
    if kind == Receiver.Kind.APPRISE:
        import apprise

        url = url.strip()
        try:
            senders.apprise_check(url)
        except senders.Permanent as exc:
            raise ConfigError("url", str(exc)) from None
        if not apprise.Apprise().add(url):
            raise ConfigError("url", "Apprise cannot read this URL (see its documentation for the service)")
        return {"url": url}, _url_hint(url)
    if kind == Receiver.Kind.EMAIL:
        addresses = [a.strip() for a in re.split(r"[,\s]+", to or "") if a.strip()]
        if not addresses or len(addresses) > 20:
            raise ConfigError("to", "one to 20 email addresses")
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                raise ConfigError("to", f"{address!r} is not an email address") from None
        return {"to": addresses}, ", ".join(addresses)[:200]
    raise ConfigError("kind", "choose webhook, apprise or email")


# --- receivers --------------------------------------------------------------------------------------


def _check_name(name: str, gateway: Gateway | None, exclude: int | None = None) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise ConfigError("name", "1 to 100 characters")
    taken = Receiver.objects.filter(gateway=gateway, name=name)
    if exclude:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise ConfigError("name", f"a receiver named {name!r} exists already here")
    return name


def receiver_create(
    *,
    gateway: Gateway | None,
    name: str,
    kind: str,
    url: str = "",
    to: str = "",
    send_resolved: bool = True,
    actor,
) -> tuple[Receiver, str]:
    """Create a receiver; returns it and, for a webhook, its signing secret (shown once, never again)."""
    name = _check_name(name, gateway)
    config, hint = _receiver_settings(kind, url=url, to=to)
    secret = ""
    if kind == Receiver.Kind.WEBHOOK:
        secret = config["secret"] = signing.new_secret()
    with transaction.atomic():
        receiver = Receiver.objects.create(
            gateway=gateway,
            name=name,
            kind=kind,
            config_enc=fieldcrypto.encrypt(json.dumps(config)),
            target_hint=hint,
            send_resolved=send_resolved,
            secret_set_at=timezone.now(),
            created_by=actor,
        )
        activity_record(
            action="notify.receiver_created",
            actor=actor,
            gateway=gateway,
            target=f"receiver:{receiver.pk}",
            after={"name": name, "kind": kind, "target": hint, "send_resolved": send_resolved},
        )
    return receiver, secret


def _config(receiver: Receiver) -> dict:
    return json.loads(fieldcrypto.decrypt(receiver.config_enc) or "{}")


def receiver_update(
    *,
    receiver: Receiver,
    name: str,
    send_resolved: bool,
    enabled: bool,
    url: str = "",
    to: str = "",
    actor,
) -> Receiver:
    """Change a receiver. An empty ``url`` keeps the stored one (it is never shown to be re-typed)."""
    name = _check_name(name, receiver.gateway, exclude=receiver.pk)
    with transaction.atomic():
        receiver = Receiver.objects.select_for_update().get(pk=receiver.pk)
        before = {
            "name": receiver.name,
            "target": receiver.target_hint,
            "send_resolved": receiver.send_resolved,
            "enabled": receiver.enabled,
        }
        if url.strip() or (receiver.kind == Receiver.Kind.EMAIL and to.strip()):
            config, hint = _receiver_settings(receiver.kind, url=url, to=to)
            old = _config(receiver)
            if "secret" in old:
                config["secret"] = old["secret"]
            receiver.config_enc = fieldcrypto.encrypt(json.dumps(config))
            receiver.target_hint = hint
            receiver.secret_set_at = timezone.now()
        receiver.name, receiver.send_resolved, receiver.enabled = name, send_resolved, enabled
        receiver.save()
        activity_record(
            action="notify.receiver_changed",
            actor=actor,
            gateway=receiver.gateway,
            target=f"receiver:{receiver.pk}",
            before=before,
            after={
                "name": name,
                "target": receiver.target_hint,
                "send_resolved": send_resolved,
                "enabled": enabled,
            },
        )
    return receiver


def receiver_rotate_secret(*, receiver: Receiver, actor) -> str:
    """A new webhook signing secret (returned once); the old one stops verifying at once."""
    if receiver.kind != Receiver.Kind.WEBHOOK:
        raise ConfigError("kind", "only webhooks have a signing secret")
    secret = signing.new_secret()
    with transaction.atomic():
        receiver = Receiver.objects.select_for_update().get(pk=receiver.pk)
        config = _config(receiver)
        config["secret"] = secret
        receiver.config_enc = fieldcrypto.encrypt(json.dumps(config))
        receiver.secret_set_at = timezone.now()
        receiver.save(update_fields=["config_enc", "secret_set_at", "updated_at"])
        activity_record(
            action="notify.receiver_secret_rotated",
            actor=actor,
            gateway=receiver.gateway,
            target=f"receiver:{receiver.pk}",
        )
    return secret


def receiver_delete(*, receiver: Receiver, actor) -> None:
    used = list(receiver.routes.values_list("name", flat=True))
    if used:
        raise ConfigError(
            "receiver", "routes send to it: " + ", ".join(used) + "; change or remove them first"
        )
    with transaction.atomic():
        activity_record(
            action="notify.receiver_deleted",
            actor=actor,
            gateway=receiver.gateway,
            target=f"receiver:{receiver.pk}",
            before={"name": receiver.name, "kind": receiver.kind, "target": receiver.target_hint},
        )
        receiver.delete()


def receiver_test(*, receiver: Receiver, actor) -> Notification:
    """Queue a test notification to ``receiver`` (delivered, retried and logged like any other)."""
    from .routing import Deliveries, notification_create

    now = timezone.now()
    deliveries = Deliveries()
    with transaction.atomic():
        activity_record(
            action="notify.receiver_tested",
            actor=actor,
            gateway=receiver.gateway,
            target=f"receiver:{receiver.pk}",
        )
        notification = notification_create(
            source=f"test:{uuid.uuid4()}",
            channel=receiver.kind,
            receiver=receiver,
            gateway_id=receiver.gateway_id,
            reason="test",
            build=lambda key: payload.body_for_a_test_send(
                key=key, receiver=receiver.name, sent_at=now.isoformat()
            ),
        )
        deliveries.add(notification)
        deliveries.enqueue()
    return notification


# --- routes -----------------------------------------------------------------------------------------


def _depth(route: Route | None) -> int:
    depth = 0
    while route is not None:
        depth += 1
        route = route.parent
    return depth


def _route_fields(
    *,
    gateway: Gateway | None,
    name: str,
    matchers: str,
    receiver: Receiver | None,
    parent: Route | None,
    continue_matching: bool,
    group_by: str,
    group_wait: str,
    group_interval: str,
    repeat_interval: str,
) -> dict:
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise ConfigError("name", "1 to 100 characters")
    if receiver is not None and receiver.gateway_id != (gateway.pk if gateway else None):
        raise ConfigError(
            "receiver", "choose a receiver of this tree (the gateway's own, or global for the global tree)"
        )
    if parent is not None:
        if parent.gateway_id != (gateway.pk if gateway else None):
            raise ConfigError("parent", "the parent route must be in the same tree")
        if _depth(parent) >= MAX_ROUTE_DEPTH:
            raise ConfigError("parent", f"routes nest at most {MAX_ROUTE_DEPTH} deep")
    return {
        "name": name,
        "matchers": parse_matcher_lines(matchers),
        "receiver": receiver,
        "parent": parent,
        "continue_matching": continue_matching,
        "group_by": parse_group_by(group_by),
        "group_wait": parse_duration("group_wait", group_wait, low=timedelta(0), high=timedelta(hours=1)),
        "group_interval": parse_duration(
            "group_interval", group_interval, low=timedelta(seconds=1), high=timedelta(days=1)
        ),
        "repeat_interval": parse_duration(
            "repeat_interval", repeat_interval, low=timedelta(minutes=1), high=timedelta(days=7)
        ),
    }


def route_create(*, gateway: Gateway | None, actor, **fields) -> Route:
    values = _route_fields(gateway=gateway, **fields)
    with transaction.atomic():
        last = Route.objects.filter(gateway=gateway, parent=values["parent"]).order_by("-position").first()
        route = Route.objects.create(gateway=gateway, position=(last.position + 1) if last else 0, **values)
        activity_record(
            action="notify.route_created",
            actor=actor,
            gateway=gateway,
            target=f"route:{route.pk}",
            after=route_summary(route),
        )
    return route


def route_update(*, route: Route, actor, **fields) -> Route:
    values = _route_fields(gateway=route.gateway, **fields)
    parent = values["parent"]
    while parent is not None:
        if parent.pk == route.pk:
            raise ConfigError("parent", "a route cannot be under itself")
        parent = parent.parent
    with transaction.atomic():
        before = route_summary(route)
        for key, value in values.items():
            setattr(route, key, value)
        route.save()
        activity_record(
            action="notify.route_changed", actor=actor, gateway=route.gateway, target=f"route:{route.pk}",
            before=before, after=route_summary(route),
        )  # fmt: skip
    return route


def route_delete(*, route: Route, actor) -> None:
    with transaction.atomic():
        activity_record(
            action="notify.route_deleted", actor=actor, gateway=route.gateway, target=f"route:{route.pk}",
            before=route_summary(route),
        )  # fmt: skip
        route.delete()


def route_move(*, route: Route, up: bool, actor) -> None:
    """Swap the route with its neighbour above (``up``) or below, among its siblings."""
    with transaction.atomic():
        siblings = list(Route.objects.select_for_update().filter(gateway=route.gateway, parent=route.parent))
        siblings.sort(key=lambda r: (r.position, r.pk))
        index = next(i for i, r in enumerate(siblings) if r.pk == route.pk)
        other = index - 1 if up else index + 1
        if not 0 <= other < len(siblings):
            return
        siblings[index], siblings[other] = siblings[other], siblings[index]
        for position, sibling in enumerate(siblings):
            if sibling.position != position:
                Route.objects.filter(pk=sibling.pk).update(position=position)
        activity_record(
            action="notify.route_moved", actor=actor, gateway=route.gateway, target=f"route:{route.pk}",
            after={"position": other},
        )  # fmt: skip


def route_summary(route: Route) -> dict:
    return {
        "name": route.name,
        "matchers": route.matchers,
        "receiver": route.receiver.name if route.receiver else None,
        "parent": route.parent_id,
        "continue": route.continue_matching,
        "group_by": route.group_by,
        "group_wait": format_duration(route.group_wait),
        "group_interval": format_duration(route.group_interval),
        "repeat_interval": format_duration(route.repeat_interval),
    }
