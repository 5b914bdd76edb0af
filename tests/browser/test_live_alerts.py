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


# Records the page's WebSockets so a test can hand the page frames as the server would send them.
CAPTURE_SOCKETS = """
(() => {
  const Real = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = function (url, protocols) {
    const socket = new Real(url, protocols);
    window.__sockets.push(socket);
    return socket;
  };
  window.WebSocket.prototype = Real.prototype;
  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
})();
"""


def test_an_older_frame_of_an_alert_never_replaces_a_newer_one(page, tmp_path):
    env = server_env(tmp_path)
    setup_world(env)
    server = Server(env).start()
    try:
        page.add_init_script(CAPTURE_SOCKETS)
        login(page, server.url, "alice")
        page.goto(f"{server.url}/alerts/")
        page.locator("#alert-conn[data-state=live]").wait_for(timeout=5000)

        def frame(event_id: int, text: str) -> None:
            html = f'<li class="alert-item" id="alert-777"><span class="alert-message">{text}</span></li>'
            message = {"type": "alert", "id": event_id, "kind": "updated", "gateway": "g", "html": html}
            page.evaluate("m => window.__sockets[0].onmessage({data: JSON.stringify(m)})", message)

        frame(1000, "newer")
        frame(999, "older")  # e.g. the other worker's doorbell, late
        assert page.locator("#alert-777 .alert-message").inner_text() == "newer"
        frame(1001, "newest")
        assert page.locator("#alert-777 .alert-message").inner_text() == "newest"
        assert page.locator("#alert-list .alert-item#alert-777").count() == 1
    finally:
        server.stop()
