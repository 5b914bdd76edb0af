"""The fleet pages in a browser, at 1366 and 390 px: the fleet audit view (a never-audited gateway
shown as such, a posture alert, a fleet-wide audit run by the task worker to the end), the audit
schedule on the Audit tab, and the paged gateway list, approvals inbox and alerts list. Screenshots
go to var/screenshots/ (fleet-*.png)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from controlpanel.background.testing import run_queued_tasks
from controlpanel.models import Alert, Role
from tests.audits.test_schedule_posture import LAN
from tests.conftest import make_gateway, make_user
from tests.views.test_query_counts import populate_fleet

from .conftest import login

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTHS = (1366, 390)


def shoot(page, name: str) -> None:
    """Screenshots at both widths; at each, the page's content is no wider than the viewport (the
    navigation bar is issue 20's)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"fleet-{name}-{width}.png"), full_page=True)
        overflow = page.evaluate(
            "Math.max(...[...document.querySelectorAll('main.content > *')].map("
            "e => e.getBoundingClientRect().right)) - window.innerWidth"
        )
        assert overflow <= 0, f"{name} is {overflow} px wider than {width} px"


def drain() -> None:
    """Run the queued tasks as a task worker would, on a thread of its own (Playwright's event loop
    runs on this one)."""
    from django.db import connection

    def work() -> None:
        try:
            run_queued_tasks()
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=120)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_fleet_pages(page, live_server):
    alice = make_user("alice")
    make_gateway("clean", members={alice: Role.OWNER})
    make_gateway("exposed", text=LAN, members={alice: Role.OWNER})
    drain()  # their config audits: "exposed" gets a posture alert
    fresh = make_gateway("fresh", members={alice: Role.OWNER})  # its audit still queued
    populate_fleet(alice, gateways=60, agents=2, alerts=2, requests=1, prefix="fleet")
    assert Alert.objects.filter(type="audit.posture", gateway__name="exposed").count() == 1
    login(page, live_server, "alice", "pw-alice-long-enough")

    page.goto(f"{live_server.url}/audits/")
    first = page.locator("#fleet-table tbody tr").first
    assert "Never audited" in first.inner_text(), "unknown posture first, never shown as clean"
    fresh_row = page.locator(f"#fleet-row-{fresh.code}")
    assert "Never audited" in fresh_row.inner_text() and "0" not in fresh_row.inner_text()
    assert "never audited" in page.locator("#fleet-summary").inner_text()
    shoot(page, "audits")

    page.click("#fleet-audit-start")
    page.locator("#fleet-progress").wait_for()
    assert "63 gateways" in page.locator("#fleet-progress").inner_text()
    shoot(page, "audits-progress")
    drain()  # the fan-out, then the 63 audits (a task worker's work)
    page.locator("#fleet-progress", has_text="finished").wait_for(timeout=20_000)
    page.reload()
    assert "Never audited" not in page.locator("#fleet-table").inner_text()

    page.goto(f"{live_server.url}/gateways/{fresh.code}/audit/")
    page.select_option("#id_audit_every_hours", "6")
    page.click("#audit-schedule-form button")
    page.locator(".messages", has_text="Every 6 hours").wait_for()
    assert "Every 6 hours" in page.locator("#audit-schedule").inner_text()
    shoot(page, "audit-tab")

    for name, path in (("gateways", "/"), ("approvals", "/approvals/"), ("alerts", "/alerts/")):
        page.goto(f"{live_server.url}{path}")
        assert page.locator("nav.pager a[rel=next]").count() == 1, f"{name} is paged"
        shoot(page, name)
    page.goto(f"{live_server.url}/alerts/")
    assert "audit.posture" in page.locator("#alert-list").inner_text()
