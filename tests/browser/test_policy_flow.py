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
