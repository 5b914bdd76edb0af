"""The route preview: where an alert would go now, and why (a read: nothing is written)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from controlpanel.models import Alert, Gateway
from controlpanel.notify.routing import Step, group_labels
from controlpanel.notify.routing import route as tree_route

from . import personal
from .routing import Muter, Source
from .trees import GLOBAL, trees_for


@dataclass
class PreviewReceiver:
    name: str
    scope: str  # "global" or the gateway's name
    route_path: str
    group_by: str
    group_labels: dict
    timers: str
    held: str  # why it would not be sent now ("" when it would)


@dataclass
class PreviewTree:
    name: str
    steps: list[Step]
    receivers: list[PreviewReceiver] = field(default_factory=list)


@dataclass
class Preview:
    labels: dict[str, str]
    trees: list[PreviewTree]
    muted: str  # silenced or inhibited now ("" if not)
    people: list  # personal.Recipient


def _fmt(delta) -> str:
    seconds = int(delta.total_seconds())
    return (
        f"{seconds // 3600}h"
        if seconds >= 3600 and seconds % 3600 == 0
        else (f"{seconds // 60}m" if seconds >= 60 and seconds % 60 == 0 else f"{seconds}s")
    )


def _timers(timers) -> str:
    return (
        f"wait {_fmt(timers.group_wait)}, interval {_fmt(timers.group_interval)}, "
        f"repeat {_fmt(timers.repeat_interval)}"
    )


def route_preview(*, gateway: Gateway, labels: dict[str, str], alert: Alert | None = None) -> Preview:
    now = timezone.now()
    trees = trees_for({gateway.pk})[gateway.pk]
    fingerprint = f"alert:{alert.pk}" if alert else "alert:preview"
    muter = Muter(now)
    muted = muter.reasons([(gateway.pk, fingerprint, labels)]).get(fingerprint, "")
    out = []
    for root in trees.roots:
        matches, steps = tree_route(root, labels)
        tree = PreviewTree(
            name="Global routes" if root.id == GLOBAL else f"Routes of {gateway.name}", steps=steps[1:]
        )
        for match in matches:
            receiver = trees.receivers.get(match.receiver)
            if receiver is None:
                continue
            held = muted
            if not receiver.enabled:
                held = "the receiver is disabled"
            tree.receivers.append(
                PreviewReceiver(
                    name=receiver.name,
                    scope="global" if receiver.gateway_id is None else gateway.name,
                    route_path=" > ".join(match.path[1:]),
                    group_by=", ".join(match.group_by),
                    group_labels=group_labels(labels, match.group_by),
                    timers=_timers(match.timers),
                    held=held,
                )
            )
        out.append(tree)
    source = Source(fingerprint=fingerprint, gateway=gateway, labels=labels, annotations={}, starts_at=now)
    people = personal.recipients(source, now=now, muter=muter)
    return Preview(labels=labels, trees=out, muted=muted, people=people)
