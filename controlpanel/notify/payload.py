"""What a notification says: the webhook's JSON body (documented in docs/notifications.md) and the
short text for chat, email and browser push. Gateway text is hostile: it is sent as plain text only,
bounded in length, and never as markup."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

VERSION = "1"
MAX_ALERTS = 100  # alerts listed in one notification; the rest are counted in truncatedAlerts
MAX_TEXT = 1000


def alert_entry(
    *,
    fingerprint: str,
    firing: bool,
    labels: Mapping[str, str],
    annotations: Mapping[str, str],
    starts_at: str,
    ends_at: str | None,
) -> dict[str, Any]:
    return {
        "status": "firing" if firing else "resolved",
        "fingerprint": fingerprint,
        "labels": dict(labels),
        "title": str(annotations.get("title", ""))[:200],
        "message": str(annotations.get("message", ""))[:MAX_TEXT],
        "url": annotations.get("url", ""),
        "startsAt": starts_at,
        "endsAt": ends_at,
    }


def body(
    *,
    key: str,
    receiver: str,
    reason: str,
    group_key: str,
    group_labels: Mapping[str, str],
    alerts: Sequence[dict[str, Any]],
    sent_at: str,
) -> dict[str, Any]:
    """The webhook body of one notification (Alertmanager's shape, camelCase as Alertmanager's)."""
    firing = [a for a in alerts if a["status"] == "firing"]
    common = _common_labels([a["labels"] for a in alerts])
    return {
        "version": VERSION,
        "id": key,
        "receiver": receiver,
        "status": "firing" if firing else "resolved",
        "reason": reason,
        "groupKey": group_key,
        "groupLabels": dict(group_labels),
        "commonLabels": common,
        "alerts": list(alerts[:MAX_ALERTS]),
        "truncatedAlerts": max(0, len(alerts) - MAX_ALERTS),
        "sentAt": sent_at,
    }


def body_for_a_test_send(*, key: str, receiver: str, sent_at: str) -> dict[str, Any]:
    """The body of a test notification (no alerts), as a receiver's or a browser's "Send a test" sends."""
    return body(
        key=key,
        receiver=receiver,
        reason="test",
        group_key="test",
        group_labels={},
        alerts=[],
        sent_at=sent_at,
    )


def _common_labels(label_sets: Sequence[Mapping[str, str]]) -> dict[str, str]:
    if not label_sets:
        return {}
    common = dict(label_sets[0])
    for labels in label_sets[1:]:
        common = {k: v for k, v in common.items() if labels.get(k) == v}
    return dict(sorted(common.items()))


def summary(payload: Mapping[str, Any]) -> tuple[str, str, str]:
    """(title, text, url) of a notification body, for chat, email and browser push."""
    alerts = payload.get("alerts", [])
    firing = [a for a in alerts if a["status"] == "firing"]
    resolved = [a for a in alerts if a["status"] != "firing"]
    labels = payload.get("commonLabels", {})
    where = labels.get("gateway", "")
    if payload.get("reason") == "test":
        return "Test notification from the OpenClaw panel", "If you can read this, the receiver works.", ""
    if len(alerts) == 1:
        a = alerts[0]
        state = "RESOLVED" if a["status"] != "firing" else a["labels"].get("severity", "").upper()
        title = f"[{state}] {a['title'] or a['labels'].get('type', '')}"
    else:
        parts = [f"{len(firing)} firing" if firing else "", f"{len(resolved)} resolved" if resolved else ""]
        title = f"[{', '.join(p for p in parts if p)}] {labels.get('type', 'alerts')}"
    if where:
        title += f" on {where}"
    lines = []
    for a in alerts[:20]:
        mark = "resolved" if a["status"] != "firing" else a["labels"].get("severity", "")
        lines.append(f"- [{mark}] {a['title']}: {a['message']}".strip()[:300])
        if a.get("url"):
            lines.append(f"  {a['url']}")
    if len(alerts) > 20 or payload.get("truncatedAlerts"):
        lines.append(f"... and {len(alerts) - 20 + payload.get('truncatedAlerts', 0)} more")
    url = alerts[0].get("url", "") if len(alerts) == 1 else ""
    return title[:250], "\n".join(lines)[:4000], url
