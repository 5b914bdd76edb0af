"""Notifications in a real Chromium: the route preview says where an alert goes and why; the service
worker registers, the subscribe control shows, and a push event delivered to the worker is shown as
a notification. Screenshots of the pages go to $CP_SCREENSHOTS when it is set."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from controlpanel.models import Role, Silence
from controlpanel.services.notify.config import receiver_create
from tests.alerts.conftest import make_alert
from tests.conftest import make_gateway, make_user
from tests.notify.conftest import route

from .conftest import login

SHOWN = "navigator.serviceWorker.ready.then(r => r.getNotifications()).then(ns => ns.map(n => n.title))"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shoot(page, name: str) -> None:
    """Screenshots at 1366 and 390 px wide, for people to look at (only when CP_SCREENSHOTS is set)."""
    target = os.environ.get("CP_SCREENSHOTS")
    if not target:
        return
    Path(target).mkdir(parents=True, exist_ok=True)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{target}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_route_preview_shows_where_an_alert_goes_and_why(page, live_server):
    alice = make_user("alice")
    gateway = make_gateway("alpha", members={alice: Role.OWNER})
    ops, _ = receiver_create(
        gateway=gateway, name="ops-email", kind="email", to="ops@example.com", actor=None
    )
    pager, _ = receiver_create(
        gateway=gateway, name="pager-email", kind="email", to="pager@example.com", actor=None
    )
    route(gateway, pager, name="criticals", matchers="severity=critical", cont=True)
    route(gateway, ops, name="memory", matchers="type=~clw-memory-.*")
    oom = make_alert(gateway, type="clw-memory-oom", subject="etl", severity="critical", message="killed")
    make_alert(gateway, type="exec.denied", subject="main")

    login(page, live_server, "alice", "pw-alice-long-enough")
    page.goto(f"{live_server.url}/gateways/{gateway.code}/notifications/")
    expect(page.locator("#route-list")).to_contain_text("criticals")
    shoot(page, "notify-home")
    page.goto(f"{live_server.url}/gateways/{gateway.code}/notifications/preview/")
    page.select_option("#p-alert", str(oom.pk))
    page.click("#preview-pick button[type=submit]")
    result = page.locator("#preview-result")
    expect(result.locator(".preview-receiver")).to_have_count(2)
    expect(result.locator("[data-receiver=pager-email]")).to_contain_text("criticals")
    expect(result.locator("[data-receiver=ops-email]")).to_contain_text("memory")
    shoot(page, "notify-preview")

    # Describe one instead: a denial matches no route; the steps say why.
    page.fill("#p-type", "exec.denied")
    page.select_option("#p-severity", "warning")
    page.click("#preview-describe button[type=submit]")
    expect(page.locator("#preview-result .preview-receiver")).to_have_count(0)
    page.locator("#preview-result details").last.click()  # the gateway's tree (the global one is first)
    expect(page.locator("#preview-result .preview-steps").last).to_contain_text(
        "type=~clw-memory-.* does not hold"
    )

    # A silence holds it back, and the preview says so.
    from datetime import timedelta

    from django.utils import timezone

    Silence.objects.create(gateway=gateway, type_pattern="clw-*", comment="etl maintenance",
                           expires_at=timezone.now() + timedelta(hours=1))  # fmt: skip
    page.goto(f"{live_server.url}/gateways/{gateway.code}/notifications/preview/?alert={oom.pk}")
    expect(page.locator("#preview-muted")).to_contain_text("etl maintenance")

    # The receiver's page and the alert's page show the delivery log.
    from controlpanel.services.notify.config import receiver_test

    receiver_test(receiver=ops, actor=None)
    page.goto(f"{live_server.url}/gateways/{gateway.code}/notifications/receivers/{ops.pk}/")
    expect(page.locator("#delivery-log tbody tr")).to_have_count(1)
    expect(page.locator("#delivery-log")).to_contain_text("test")
    shoot(page, "notify-receiver")
    page.goto(f"{live_server.url}/gateways/{gateway.code}/notifications/routes/new/")
    shoot(page, "notify-route-form")
    page.goto(f"{live_server.url}/gateways/{gateway.code}/alerts/{oom.pk}/")
    expect(page.locator("#delivery-log")).to_be_visible()
    shoot(page, "alert-detail")


def test_the_service_worker_shows_a_push(browser, live_server):
    make_user("alice")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["notifications"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        cdp = context.new_cdp_session(page)
        # A push delivered before the worker version is activated is dropped, so wait for that
        # event (ServiceWorker.workerVersionUpdated status "activated"), not for a registration.
        activated: list[str] = []
        cdp.on(
            "ServiceWorker.workerVersionUpdated",
            lambda event: activated.extend(
                v["registrationId"] for v in event["versions"] if v.get("status") == "activated"
            ),
        )
        cdp.send("ServiceWorker.enable")
        login(page, live_server, "alice", "pw-alice-long-enough")
        page.goto(f"{live_server.url}/account/notifications/")
        expect(page.locator("#push-control")).to_have_attribute("data-ready", "1")
        expect(page.locator("#push-subscribe")).to_be_visible()  # the subscribe control
        shoot(page, "account-notifications")
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        deadline = time.monotonic() + 60
        while not activated and time.monotonic() < deadline:
            page.wait_for_timeout(100)  # CDP events are dispatched while Playwright waits
        assert activated, "the service worker was activated"
        data = {
            "title": "[CRITICAL] clw-memory-oom etl on alpha",
            "body": "killed",
            "url": "/alerts/",
            "tag": "t1",
        }
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": live_server.url, "registrationId": activated[-1], "data": json.dumps(data)},
        )
        titles = []
        deadline = time.monotonic() + 60  # the loop ends when the notification is shown
        while not titles and time.monotonic() < deadline:
            titles = page.evaluate(SHOWN)
            page.wait_for_timeout(100)
        assert titles == [data["title"]]
    finally:
        context.close()
