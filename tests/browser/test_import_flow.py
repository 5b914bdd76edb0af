"""Log in, import a config with an error, see the path, fix it, see the gateway with its agents."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from controlpanel.models import Gateway

from .conftest import ARTIFACTS, login

BROKEN = """{
  // requireMention must be a boolean
  gateway: { bind: "loopback", auth: { mode: "token", token: "${GW_TOKEN}" } },
  agents: { ownership: "explicit", entries: { main: { name: "Main" }, scout: { name: "Scout" } } },
  channels: { telegram: { dmPolicy: "pairing", groups: { "-1001": { requireMention: "yes" } } } },
}
"""
FIXED = BROKEN.replace('requireMention: "yes"', "requireMention: true")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_import_shows_path_then_imports_after_fix(page, live_server):
    get_user_model().objects.create_user("alice", password="correct-horse-battery")
    login(page, live_server, "alice", "correct-horse-battery")

    page.click("text=Import a config")
    page.fill("#id_name", "home")
    page.fill("#id_config_text", BROKEN)
    page.fill("#id_env_text", "GW_TOKEN=" + "f" * 40)
    page.click("#review-import")

    issues = page.locator("#config-issues")
    issues.wait_for()
    assert "channels.telegram.groups.-1001.requireMention" in issues.inner_text()
    assert "boolean" in issues.inner_text()
    assert not Gateway.objects.exists(), "an invalid config must save nothing"

    page.fill("#id_config_text", FIXED)
    page.click("#review-import")
    # The review: what each agent could do and the audit; nothing is created before Create.
    page.wait_for_selector("#import-agent-scout")
    assert page.locator("#import-findings").is_visible()
    assert "f" * 40 not in page.content(), "the environment never goes to the browser"
    assert not Gateway.objects.exists(), "the review saves nothing"
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"import-review-{width}.png"), full_page=True)
    page.fill("#id_reason", "the home lab")
    page.click("#create-button")
    page.wait_for_selector("#agent-table")
    rows = page.locator("#agent-table tbody tr")
    assert rows.count() == 2
    assert "scout" in page.locator("#agent-table").inner_text()
    assert Gateway.objects.get(name="home").agents.count() == 2
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "import-flow-agents.png"), full_page=True)
