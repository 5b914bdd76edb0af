"""What a socket sends the browser for an AlertEvent, the same live and in a backfill.

The alert's fragment is rendered from the snapshot stored with the event (``selectors.alert_snapshot``),
through the auto-escaped ``alerts/_alert.html``: gateway text is hostile.
"""

from __future__ import annotations

import json
from typing import Any

from django.template.loader import render_to_string

from controlpanel.models import AlertEvent


def render_alert(snapshot: dict[str, Any], *, can_decide: bool = False) -> str:
    """Return the ``alerts/_alert.html`` fragment for a snapshot (auto-escaped: gateway text is hostile)."""
    return render_to_string("alerts/_alert.html", {"a": snapshot, "can_decide": can_decide})


def socket_message(event: AlertEvent) -> dict[str, Any]:
    """Return what a socket sends the browser for one AlertEvent (with its gateway id, for the
    socket's own visibility check; ``client_message`` drops it)."""
    snap = event.payload.get("alert", {})
    return {
        "id": event.pk,
        "gateway_id": event.gateway_id,
        "kind": event.kind,
        "gateway": snap.get("gateway_code", ""),
        "gateway_name": snap.get("gateway_name", ""),
        "alert": event.alert_id,
        "severity": snap.get("severity", ""),
        "state": snap.get("state", ""),
        "title": f"{snap.get('type', '')} {snap.get('subject', '')}".strip()[:200],
        "notify": event.notify,
        "html": render_alert(snap),
    }


def client_message(kind: str, message: dict[str, Any]) -> dict[str, Any]:
    """Return the browser's frame for one socket message: typed ``kind``, without the gateway id."""
    return {"type": kind, **{k: v for k, v in message.items() if k not in ("type", "gateway_id")}}


def doorbell(gateway_id: int, events: list[AlertEvent]) -> dict[str, Any]:
    """Return one group message for a gateway's AlertEvents of one commit (in id order).

    ``text`` is the browser's frame, JSON-encoded once here rather than once per socket: a single
    ``alert`` or, for several events, ``{"type": "alerts", "events": [...]}`` (one frame per socket
    per batch: the fan-out to sockets is the expensive part).
    """
    frames = [client_message("alert", socket_message(event)) for event in events]
    browser = frames[0] if len(frames) == 1 else {"type": "alerts", "events": frames}
    ids = [event.pk for event in events]
    return {"type": "alert.event", "gateway_id": gateway_id, "ids": ids, "text": json.dumps(browser)}


def doorbell_ids(message: dict[str, Any]) -> list[int]:
    """Return the AlertEvent ids a doorbell (group message ``alert.event``) carries."""
    ids = message.get("ids")
    if isinstance(ids, list):
        return [pk for pk in ids if isinstance(pk, int)]
    try:  # a doorbell without "ids" (older senders): read them from the frame
        frame = json.loads(message["text"])
    except (KeyError, TypeError, ValueError):
        return []
    events = frame.get("events", []) if frame.get("type") == "alerts" else [frame]
    return [e["id"] for e in events if isinstance(e, dict) and isinstance(e.get("id"), int)]
