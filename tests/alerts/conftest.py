"""Helpers for the alert tests: events built through the real parsers, a fixed clock."""

from __future__ import annotations

import asyncio
import concurrent.futures
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


def in_fresh_loop(coroutine_fn):
    """Run ``coroutine_fn()`` on a new event loop in a new thread and return its result.

    These tests need no database, so pytest-django orders them after the browser tests, whose
    Playwright (sync API) leaves an event loop marked running in the main thread.
    """
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(coroutine_fn())).result(timeout=30)
