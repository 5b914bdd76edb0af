"""Two users, one socket each, against a real daphne: an ingested alert shows up live on the right
page only; after the server is killed and restarted the page reconnects and shows what arrived
while it was down."""

from __future__ import annotations

import time

import pytest

from tests.alerts.servers import PASSWORD, Server, ingest_direct, post_events, server_env, setup_world

pytestmark = pytest.mark.browser


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_live_alerts_reach_the_right_page_and_survive_a_restart(browser, page, tmp_path):
    env = server_env(tmp_path)
    world = setup_world(env)
    server = Server(env).start()
    try:
        other = browser.new_context().new_page()
        login(page, server.url, "alice")
        login(other, server.url, "charlie")
        for p in (page, other):
            p.goto(f"{server.url}/alerts/")
            p.locator("#alert-conn[data-state=live]").wait_for(timeout=5000)

        alpha = world["alpha"]
        started = time.monotonic()
        post_events(server.url, alpha["code"], alpha["token"], {"type": "exec.denied", "agent": "live-1"})
        page.locator("#alert-list .alert-subject", has_text="live-1").wait_for(timeout=1000)
        assert time.monotonic() - started < 1.0
        assert page.locator("#alert-badge-number").inner_text() == "1"
        assert page.locator("#alert-toasts .toast").count() == 1
        other.wait_for_timeout(300)
        assert other.locator("#alert-list .alert-subject", has_text="live-1").count() == 0

        server.stop()
        page.locator("#alert-conn[data-state=reconnecting], #alert-conn[data-state=offline]").wait_for(
            timeout=5000
        )
        # Stored while no server runs (as another worker would): rows only, nobody rang the bell.
        ingest_direct(env, "alpha", {"type": "exec.denied", "agent": "while-down"})
        server = Server(env, port=server.port).start()
        page.locator("#alert-conn[data-state=live]").wait_for(timeout=20000)
        page.locator("#alert-list .alert-subject", has_text="while-down").wait_for(timeout=3000)
        assert other.locator("#alert-list .alert-subject", has_text="while-down").count() == 0
        # Still one list item per alert: the replay deduplicates by id.
        assert page.locator("#alert-list .alert-subject", has_text="live-1").count() == 1
        other.context.close()
    finally:
        server.stop()
