"""Open an agent, see why exec is denied; edit the config to allow it; the what-if panel shows the
change before saving; after saving, exec is allowed."""

from __future__ import annotations

import pytest

from controlpanel.models import Role
from tests.conftest import make_gateway, make_user

from .conftest import login

CONFIG = """{
  // exec is denied for everyone
  gateway: { auth: { mode: "token", token: "${GW_TOKEN}" } },
  tools: { deny: ["exec"] },
  agents: { ownership: "explicit", entries: { main: {}, coder: { tools: { profile: "coding" } } } },
}
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_why_exec_is_denied_and_what_if(page, live_server):
    alice = make_user("alice")
    gateway = make_gateway("lab", text=CONFIG, members={alice: Role.OWNER})
    login(page, live_server, "alice", "pw-alice-long-enough")

    page.goto(f"{live_server.url}/gateways/{gateway.code}/agents/")
    page.click("#agent-row-coder a")
    tile = page.locator("#tool-exec")
    assert "tool-denied" in tile.get_attribute("class")
    assert "tools.deny" in tile.inner_text()

    page.fill("#id_tool", "exec")
    page.click(".can-form button")
    page.locator("#can-result .verdict-no").wait_for()

    page.goto(f"{live_server.url}/gateways/{gateway.code}/config/import/")
    text = page.input_value("#id_config_text")
    page.fill("#id_config_text", text.replace('tools: { deny: ["exec"] },', "tools: {},"))
    page.fill("#id_env_text", "GW_TOKEN=" + "c" * 40)
    page.click("button[name=validate]")
    whatif = page.locator("#whatif-agent-coder")
    whatif.wait_for()
    assert "gains" in whatif.inner_text() and "exec" in whatif.inner_text()
    gateway.refresh_from_db()
    assert '"exec"' in gateway.config_text, "nothing saved before the explicit Save"

    page.fill("#id_reason", "coder may run commands again")
    page.click("#save-button")
    page.wait_for_selector("#revision-facts")
    page.goto(f"{live_server.url}/gateways/{gateway.code}/agents/coder/")
    assert "tool-allowed" in page.locator("#tool-exec").get_attribute("class")


LEGACY = """{
  gateway: { auth: { mode: "token", token: "${GW_TOKEN}" } },
  agents: { list: [
    { id: "alpha", tools: { exec: { mode: "ask" } } },
    { id: "ops", default: true, tools: { profile: "coding", deny: ["browser"] } },
  ] },
}
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1366, 390])
def test_can_it_use_quotes_the_rule_as_written_and_the_page_warns(page, live_server, width):
    """Issue 20: browser is denied explicitly in agents.list[1]; the box says so, not the profile."""
    from .conftest import ARTIFACTS

    alice = make_user("alice")
    gateway = make_gateway("legacy", text=LEGACY, members={alice: Role.OWNER})
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, "alice", "pw-alice-long-enough")
    page.goto(f"{live_server.url}/gateways/{gateway.code}/agents/ops/")
    assert "security is full and ask is off" in page.locator("#warning-exec-unguarded").inner_text()
    assert "agents.list[1].tools.profile" in page.locator("#class-plugin").inner_text()

    page.fill("#id_tool", "browser")
    page.click(".can-form button")
    answer = page.locator("#can-result .verdict-no")
    answer.wait_for()
    text = answer.inner_text()
    assert "deny rule of the agent's own tool policy" in text and "agents.list[1].tools.deny" in text
    page.fill("#id_tool", "jira_search")
    page.click(".can-form button")
    page.get_by_text("is not a built-in tool; as a plugin tool it would be denied").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    for part in ("#warning-exec-unguarded", "#tool-classes", "#can-result"):
        page.locator(part).screenshot(path=str(ARTIFACTS / f"agent-page-{width}-{part[1:]}.png"))
