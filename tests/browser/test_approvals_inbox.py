"""Approve a DM pairing and an exec request from the inbox; the badge drops without a reload; a
second tab that tries the same request is told it was already decided."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from controlpanel.models import ExecApprovalRequest, PairingRequest, Role
from tests.conftest import make_exec, make_gateway, make_pairing, make_user

from .conftest import login


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_inbox_decisions(browser, page, live_server):
    bob = make_user("bob")
    gateway = make_gateway("alpha", members={bob: Role.ADMIN})
    dm = make_pairing(gateway, sender_id="555", sender_name="Dana")
    exe = make_exec(gateway, command="git status\u200b && make test")

    login(page, live_server, "bob", "pw-bob-long-enough")
    page.goto(f"{live_server.url}/approvals/")
    badge = page.locator("#pending-badge .badge-number")
    assert badge.inner_text() == "2"
    # The zero-width space in the command is shown as an escape, with a warning beside it.
    assert "\\u{200B}" in page.locator(f"#request-{exe.code} pre").inner_text()

    other = browser.new_context().new_page()
    login(other, live_server, "bob", "pw-bob-long-enough")
    other.goto(f"{live_server.url}/approvals/")

    page.click(f"#request-{dm.code} button[data-decision=approve]")
    page.locator(f"#request-{dm.code} .status-approved").wait_for()
    expect(page.locator("#pending-badge .badge-number")).to_have_text("1")

    page.click(f"#request-{exe.code} button[data-decision=allow-once]")
    page.locator(f"#request-{exe.code} .status-allowed").wait_for()
    expect(page.locator("#pending-badge .badge-number")).to_have_text("0")

    other.click(f"#request-{dm.code} button[data-decision=approve]")
    result = other.locator(f"#request-{dm.code} .result")
    result.wait_for()
    assert result.inner_text() == "Already approved by bob."

    assert PairingRequest.objects.get(pk=dm.pk).status == "approved"
    assert ExecApprovalRequest.objects.get(pk=exe.pk).decision == "allow-once"
    gateway.refresh_from_db()
    assert "555" in gateway.config_raw["channels"]["telegram"]["allowFrom"]
    other.context.close()
