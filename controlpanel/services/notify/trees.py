"""The routing trees as stored: the global tree and each gateway's, built for ``notify.routing``."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from controlpanel.models import Gateway, Receiver, Route
from controlpanel.notify import routing
from controlpanel.notify.routing import Matcher, MatcherError

GLOBAL = "global"


def root_id(gateway_id: int | None) -> str:
    return GLOBAL if gateway_id is None else f"gateway-{gateway_id}"


def _node(row: Route, children: dict[int | None, list[Route]]) -> routing.Route:
    matchers = []
    for text in row.matchers or []:
        try:
            matchers.append(Matcher.parse(text))
        except MatcherError:
            # Saved matchers were checked by the form; a stored one that no longer parses never matches.
            matchers.append(Matcher("__invalid__", "=", "\0"))
    return routing.Route(
        id=row.pk,
        name=row.name,
        matchers=matchers,
        receiver=row.receiver_id,
        continue_=row.continue_matching,
        group_by=row.group_by,
        group_wait=row.group_wait,
        group_interval=row.group_interval,
        repeat_interval=row.repeat_interval,
        children=[_node(child, children) for child in children.get(row.pk, [])],
    )


@dataclass
class Trees:
    """The trees an alert of one gateway goes through, and their receivers by id."""

    roots: list[routing.Route]
    receivers: dict[int, Receiver]


def trees_for(gateway_ids: set[int]) -> dict[int, Trees]:
    """The global tree plus each gateway's own, for every gateway of ``gateway_ids`` (two queries)."""
    rows = list(Route.objects.filter(gateway__isnull=True).order_by("position", "id")) + list(
        Route.objects.filter(gateway_id__in=gateway_ids).order_by("position", "id")
    )
    receivers = {
        r.pk: r for r in Receiver.objects.filter(pk__in={row.receiver_id for row in rows if row.receiver_id})
    }
    by_parent: dict[tuple[int | None, int | None], list[Route]] = defaultdict(list)
    for row in rows:
        by_parent[(row.gateway_id, row.parent_id)].append(row)
    names = dict(Gateway.objects.filter(pk__in=gateway_ids).values_list("pk", "name"))
    children_of: dict[int | None, list[Route]] = defaultdict(list)
    for row in rows:
        if row.parent_id is not None:
            children_of[row.parent_id].append(row)
    global_root = routing.Route(
        id=GLOBAL,
        name="global tree",
        children=[_node(row, children_of) for row in by_parent[(None, None)]],
    )
    out = {}
    for gid in gateway_ids:
        gateway_root = routing.Route(
            id=root_id(gid),
            name=f"{names.get(gid, gid)} tree",
            matchers=[Matcher("gateway", "=", names.get(gid, ""))],
            children=[_node(row, children_of) for row in by_parent[(gid, None)]],
        )
        out[gid] = Trees(roots=[global_root, gateway_root], receivers=receivers)
    return out
