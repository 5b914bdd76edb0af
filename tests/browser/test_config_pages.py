"""The other config pages render at desktop and phone widths: live (drift), history, fleet change."""

from __future__ import annotations

import threading

import pytest

from controlpanel.models import GatewayLink, Role
from controlpanel.services.config_live import live_config_record
from controlpanel.services.gateway_links import link_for
from tests.conftest import make_gateway

from .conftest import ARTIFACTS, login
from .test_config_flow import COMMENTED, PASSWORD, _owner, _shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_live_drift_and_fleet_pages(page, live_server, task_worker):
    alice = _owner("alice")
    gateway = make_gateway("lab", members={alice: Role.OWNER}, text=COMMENTED)
    other = make_gateway("edge", members={alice: Role.OWNER}, text=COMMENTED)
    link_for(gateway)
    running = COMMENTED.replace('profile: "coding" }', 'profile: "coding", exec: { security: "full" } }')
    # As the gateway worker would, on a thread of its own (Playwright's loop runs in this one).
    worker = threading.Thread(
        target=live_config_record,
        kwargs={"gateway_id": gateway.pk, "payload": {"hash": "h:1", "raw": running}},
    )
    worker.start()
    worker.join()
    assert GatewayLink.objects.get(gateway=gateway).live_revision is None
    login(page, live_server, "alice", PASSWORD)
    page.goto(f"{live_server.url}/gateways/{gateway.code}/config/live/")
    page.wait_for_selector("#drift-keys")
    assert "agents.entries.coder.tools.exec" in page.locator("#drift-keys").inner_text()
    _shot(page, "config-live-drift")
    page.goto(f"{live_server.url}/fleet/changes/new/")
    page.check("#kind-baseline")
    page.check(f"input[value='{gateway.code}']")
    page.check(f"input[value='{other.code}']")
    page.fill("#id_reason", "baseline for the lab")
    page.click("#preview-button")
    # The previews run on the task worker; the page fills in as they finish, then offers the apply.
    page.wait_for_selector("#apply-button", timeout=60_000)
    assert "Previewed" in page.locator("#fleet-progress").inner_text()
    _shot(page, "fleet-preview")
    page.click("#apply-button")
    page.locator("#fleet-counts", has_text="2 saved").wait_for(timeout=60_000)
    assert "Applied" in page.locator("#fleet-progress").inner_text()
    assert gateway.revisions.first().source == "fleet" and other.revisions.first().source == "fleet"
    ARTIFACTS.mkdir(exist_ok=True)
    _shot(page, "fleet-applied")
