"""Issue 20, in a browser: toasts, the "N new" badge, the phone navigation, the memory chart's axes,
tool tiles, the approve-device answer and the copy button. The page sweep covers layout on every page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from controlpanel.models import MemorySample, Role
from controlpanel.permissions import SESSION_AUTH_AT
from tests.alerts.conftest import MI
from tests.conftest import make_gateway, make_pairing, make_user

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

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

CONTRAST = """(el) => {
  const rgb = (c) => c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const style = getComputedStyle(el);
  const a = lum(rgb(style.color)), b = lum(rgb(style.backgroundColor));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


@pytest.fixture
def owner_page(page, live_server):
    user = make_user("alice")
    gateway = make_gateway("alpha", members={user: Role.OWNER})
    page.add_init_script(CAPTURE_SOCKETS)
    login(page, live_server, "alice", "pw-alice-long-enough")
    return page, gateway


def _frame(page, event_id: int, severity: str, title: str, kind: str = "created") -> None:
    html = (
        f'<li class="alert-item" id="alert-{event_id}" data-state="firing" data-severity="{severity}"></li>'
    )
    message = {
        "type": "alert",
        "id": event_id,
        "kind": kind,
        "gateway": "g",
        "gateway_name": "team-prod",
        "severity": severity,
        "title": title,
        "notify": True,
        "html": html,
    }
    page.evaluate("m => window.__sockets[0].onmessage({data: JSON.stringify(m)})", message)


def test_a_critical_alert_gets_a_toast_after_any_number_of_warnings(owner_page, live_server):
    page, _ = owner_page
    page.goto(f"{live_server.url}/")
    page.wait_for_function("window.__sockets && window.__sockets.length > 0")
    for i in range(6):
        _frame(page, 100 + i, "warning", f"exec.denied agent-{i}")
    toasts = page.locator("#alert-toasts .toast")
    assert toasts.count() == 1 and "+5 more" in toasts.inner_text()
    _frame(page, 200, "critical", "clw-sandbox-escape net-scanner")
    assert toasts.count() == 1
    text = toasts.inner_text()
    assert "clw-sandbox-escape net-scanner on team-prod" in text and "critical" in text.lower()
    assert toasts.get_attribute("class") == "toast toast-critical" and toasts.get_attribute("role") == "alert"
    # A newer warning does not replace it; a newer critical one does (the newest critical is shown).
    _frame(page, 201, "warning", "exec.denied later")
    assert "clw-sandbox-escape" in toasts.inner_text() and "+7 more" in toasts.inner_text()
    _frame(page, 202, "critical", "clw-memory-oom api")
    assert "clw-memory-oom api on team-prod" in toasts.inner_text()
    # The "N new" count is readable (WCAG AA) and counts every new alert.
    badge = page.locator("#alert-badge")
    assert badge.is_visible() and page.locator("#alert-badge-number").inner_text() == "9"
    assert badge.evaluate(CONTRAST) >= 4.5
    page.locator("#alert-toasts .toast-close").click()
    assert toasts.count() == 0


def test_on_a_phone_the_navigation_wraps_inside_the_bar(owner_page, live_server):
    page, _ = owner_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/")
    bar = page.locator(".topbar").bounding_box()
    for link in page.locator(".topbar a, .topbar button").all():
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, link.inner_text()
        assert bar["y"] <= box["y"] and box["y"] + box["height"] <= bar["y"] + bar["height"], (
            link.inner_text()
        )
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_the_memory_chart_has_axes_with_time_and_mib(owner_page, live_server):
    page, gateway = owner_page
    now = timezone.now()
    MemorySample.objects.bulk_create(
        MemorySample(
            gateway=gateway,
            subject="workload:api",
            usage_bytes=(500 + 20 * i) * MI,
            limit_bytes=1000 * MI,
            ts=now - timezone.timedelta(minutes=10 - i),
        )
        for i in range(10)
    )
    url = reverse("alert-memory", kwargs={"code": gateway.code}) + "?subject=workload:api"
    page.goto(live_server.url + url)
    page.locator("#memory-chart canvas").wait_for()
    axes = page.locator("#memory-chart .u-axis")
    assert axes.count() == 2
    # Axis labels and tick values are drawn on the canvas: ask the chart itself.
    labels = page.evaluate("document.getElementById('memory-chart').uplot.axes.map(a => a.label)")
    assert labels == ["Time (UTC)", "MiB"]
    assert page.evaluate("document.getElementById('memory-chart').uplot.scales.x.time") is True
    legend = page.locator("#memory-chart .u-legend").inner_text()
    assert "Usage" in legend and "80 % of the limit" in legend and "90 % of the limit" in legend


def test_tool_tiles_break_only_between_words(owner_page, live_server):
    page, gateway = owner_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + reverse("agent-detail", kwargs={"code": gateway.code, "agent_id": "coder"}))
    style = page.locator(".tool-why").first.evaluate(
        "el => [getComputedStyle(el).overflowWrap, getComputedStyle(el).wordBreak]"
    )
    assert style[0] != "anywhere" and style[1] != "break-all"


def test_approving_a_device_in_the_inbox_opens_its_token_page_once(owner_page, live_server):
    page, gateway = owner_page
    request = make_pairing(gateway, kind="device", device_id="phone-1", role="operator", pairing_code="")
    session = page.context.cookies()
    assert session  # logged in; mark the password as just entered (sudo mode)
    from django.contrib.sessions.models import Session

    store = Session.objects.get(session_key=next(c["value"] for c in session if c["name"] == "sessionid"))
    data = store.get_decoded()
    data[SESSION_AUTH_AT] = int(timezone.now().timestamp())
    Session.objects.save(store.session_key, data, store.expire_date)
    page.goto(f"{live_server.url}/approvals/")
    badge_before = page.locator("#pending-badge .badge-number").inner_text()
    page.click(f"#request-{request.code} button[data-decision=approve]")
    page.wait_for_url(f"{live_server.url}/once/")
    assert page.locator("#inbox-list").count() == 0 and page.locator(".topbar").count() == 1
    token = page.locator("#once-value").inner_text()
    assert len(token) > 20 and badge_before == "1"
    assert page.locator("button[data-copy='#once-value']").count() == 1
    page.reload()
    assert token not in page.content()
