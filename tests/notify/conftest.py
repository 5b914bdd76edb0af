"""Builders for the notification tests."""

from __future__ import annotations

from datetime import timedelta

import pytest

from controlpanel.services.notify.config import receiver_create, route_create


def webhook(gateway, url: str, *, name: str = "hook", send_resolved: bool = True):
    """A webhook receiver (global when ``gateway`` is None); returns (receiver, signing secret)."""
    return receiver_create(
        gateway=gateway, name=name, kind="webhook", url=url, send_resolved=send_resolved, actor=None
    )


def route(gateway, receiver, *, name: str = "all", matchers: str = "", parent=None, cont: bool = False,
          group_by: str = "", wait: str = "0s", interval: str = "", repeat: str = ""):  # fmt: skip
    return route_create(
        gateway=gateway,
        actor=None,
        name=name,
        matchers=matchers,
        receiver=receiver,
        parent=parent,
        continue_matching=cont,
        group_by=group_by,
        group_wait=wait,
        group_interval=interval,
        repeat_interval=repeat,
    )


@pytest.fixture
def http_receiver():
    from tests.notify.servers import HttpReceiver

    with HttpReceiver() as server:
        yield server


def later(now, seconds: float):
    return now + timedelta(seconds=seconds)


def off_loop(fn, /, *args, **kwargs):
    """Run ``fn`` on a thread of its own: alert publishing uses async_to_sync, which refuses a thread
    where an event loop runs (Playwright's sync API leaves one marked running in the main thread
    after the browser tests)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    def run():
        try:
            return fn(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


@pytest.fixture
def alpha(alpha):
    """The gateway with the audit its import queued already run (and any posture alert it raised
    routed) before the test's routes exist: the tests count what their own alerts deliver."""
    from controlpanel.background.testing import run_queued_tasks

    run_queued_tasks()
    return alpha
