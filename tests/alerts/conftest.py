"""Helpers for the alert tests: events built through the real parsers, a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from controlpanel.events.parse import parse_json_event

T0 = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
MI = 2**20


def ev(**fields):
    """One event through the JSON parser (so tests feed exactly what the API would)."""
    return parse_json_event(fields)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def make_alert(gateway, **overrides):
    """A firing alert on ``gateway`` (override type/subject/severity/state as needed)."""
    from django.utils import timezone

    from controlpanel.models import Alert

    now = timezone.now()
    fields = {
        "gateway": gateway,
        "type": "exec.denied",
        "subject": "main",
        "severity": "warning",
        "message": "denied",
        "first_seen_at": now,
        "last_seen_at": now,
    }
    fields.update(overrides)
    return Alert.objects.create(**fields)
