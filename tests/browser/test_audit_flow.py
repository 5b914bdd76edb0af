"""Start an audit, watch its progress, open the report, apply a fix, see the finding resolved."""

from __future__ import annotations

import pytest

from controlpanel.models import Role
from tests.conftest import make_gateway, make_user

from .conftest import login

CONFIG = """{
  gateway: { auth: { mode: "token", token: "${GW_TOKEN}" } },
  discovery: { mdns: { mode: "full" } },
}
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_audit_fix_and_rerun(page, live_server, task_worker):
    alice = make_user("alice")
    gateway = make_gateway("lab", text=CONFIG, members={alice: Role.OWNER})
    login(page, live_server, "alice", "pw-alice-long-enough")

    page.goto(f"{live_server.url}/gateways/{gateway.code}/audit/")
    page.click("#start-audit")
    # The report page polls while the run is queued/running, then shows the findings.
    page.wait_for_url("**/audits/*/")
    page.locator("#audit-summary").wait_for(timeout=20_000)
    finding = page.locator("[data-check-id='discovery.mdns_full_mode']")
    assert finding.count() == 1

    page.click("#fix-offer a")
    diff = page.locator("#config-diff").inner_text()
    assert '-  discovery: { mdns: { mode: "full" } },' in diff
    assert '+  discovery: { mdns: { mode: "minimal" } },' in diff
    page.click("#apply-fixes")
    page.wait_for_url("**/audits/*/")
    page.locator("#audit-summary").wait_for(timeout=20_000)
    assert page.locator("[data-check-id='discovery.mdns_full_mode']").count() == 0
    assert "discovery.mdns_full_mode" in page.locator("#audit-body").inner_text(), "listed as resolved"
