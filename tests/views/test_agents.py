"""The agent page, the can-X-do-Y box and the what-if panel on re-import."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from tests.conftest import TEST_ENV, client_for, make_gateway

pytestmark = pytest.mark.django_db

CONFIG = """{
  gateway: { auth: { mode: "token", token: "${GW_TOKEN}" } },
  tools: { deny: ["exec"] },
  agents: { ownership: "explicit", defaults: { sandbox: { mode: "non-main" } },
            entries: { main: {}, coder: { tools: { profile: "coding" } } } },
  channels: { telegram: { dmPolicy: "pairing" } },
}"""


@pytest.fixture
def gw(alice, vera):
    from controlpanel.models import Role

    return make_gateway("pol", text=CONFIG, members={alice: Role.OWNER, vera: Role.VIEWER})


def test_the_grid_says_why_exec_is_denied(gw, vera):
    url = reverse("agent-detail", kwargs={"code": gw.code, "agent_id": "coder"})
    body = client_for(vera).get(url).content.decode()
    exec_tile = body[body.index('id="tool-exec"') :][:600]
    assert "tool-denied" in body[body.index('id="tool-exec"') - 40 : body.index('id="tool-exec"')]
    assert "tools.deny" in exec_tile


def test_group_sessions_are_sandboxed_under_non_main(gw, vera):
    url = reverse("agent-detail", kwargs={"code": gw.code, "agent_id": "main"})
    main = client_for(vera).get(url).content.decode()
    group = client_for(vera).get(url + "?session=group").content.decode()
    assert "on the host" in main and "sandboxed</span>" in group


def test_can_box_returns_the_rule(gw, vera):
    url = reverse("agent-detail", kwargs={"code": gw.code, "agent_id": "coder"})
    response = client_for(vera).get(url, {"tool": "exec", "partial": "can"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="can-result"')
    assert "No</strong>" in body and "tools.deny" in body
    yes = client_for(vera).get(url, {"tool": "read", "partial": "can"}, headers={"HX-Request": "true"})
    assert "Yes</strong>" in yes.content.decode()


def test_unknown_agent_is_404(gw, vera):
    url = reverse("agent-detail", kwargs={"code": gw.code, "agent_id": "ghost"})
    assert client_for(vera).get(url).status_code == 404


def test_whatif_shows_gains_and_new_findings_before_saving(gw, alice):
    url = reverse("gateway-reimport", kwargs={"code": gw.code})
    loosened = CONFIG.replace('tools: { deny: ["exec"] },', "tools: {},")
    env = "\n".join(f"{k}={v}" for k, v in TEST_ENV.items())
    body = (
        client_for(alice)
        .post(url, {"config_text": loosened, "env_text": env, "validate": "1"})
        .content.decode()
    )
    assert 'id="whatif"' in body
    gains = body[body.index('id="whatif-agent-coder"') :][:400]
    assert "gains" in gains and "<code>exec</code>" in gains
    gw.refresh_from_db()
    assert '"exec"' in gw.config_text, "validating saves nothing"


LEGACY = """{
  gateway: { auth: { mode: "token", token: "${GW_TOKEN}" } },
  agents: { list: [
    { id: "alpha", tools: { exec: { mode: "ask" } } },
    { id: "ops", default: true, tools: { profile: "coding", deny: ["browser"] } },
  ] },
}"""


@pytest.fixture
def legacy(vera):
    from controlpanel.models import Role

    return make_gateway("legacy", text=LEGACY, members={vera: Role.VIEWER})


def _ask(gateway, user, agent: str, tool: str) -> str:
    url = reverse("agent-detail", kwargs={"code": gateway.code, "agent_id": agent})
    response = client_for(user).get(url, {"tool": tool, "partial": "can"}, headers={"HX-Request": "true"})
    return " ".join(html.unescape(response.content.decode()).split())


def test_can_box_names_the_explicit_deny_as_the_file_spells_it(legacy, vera):
    # Issue 20: the coding profile also leaves browser out, but the config denies it explicitly,
    # and the file says agents.list, not agents.entries.
    body = _ask(legacy, vera, "ops", "browser")
    assert "No</strong>" in body and "by a deny rule of the agent's own tool policy" in body
    assert "<code>agents.list[1].tools.deny</code> matches <code>browser</code>" in body
    assert "tools.profile" not in body and "agents.entries" not in body


def test_can_box_answers_an_unknown_name_as_a_plugin_tool(legacy, vera):
    body = _ask(legacy, vera, "ops", "jira_search")
    assert "<code>jira_search</code> is not a built-in tool; as a plugin tool it would be denied" in body
    assert "<code>agents.list[1].tools.profile</code>" in body and "the tool profile" in body
    assert "nothing restricts it" in _ask(legacy, vera, "alpha", "jira_search")


def test_can_box_explains_a_group_name(legacy, vera):
    body = _ask(legacy, vera, "ops", "group:web")
    assert "is a group, not a tool" in body and "<code>web_fetch</code>" in body


def test_agent_page_shows_the_plugin_and_mcp_classes(legacy, vera):
    url = reverse("agent-detail", kwargs={"code": legacy.code, "agent_id": "ops"})
    body = " ".join(html.unescape(client_for(vera).get(url).content.decode()).split())
    plugin = body[body.index('id="class-plugin"') :][:400]
    mcp = body[body.index('id="class-bundleMcp"') :][:400]
    assert "denied" in plugin and "agents.list[1].tools.profile" in plugin
    assert "allowed" in mcp and "agents.list[1].tools.profile" in mcp  # coding names bundle-mcp


def test_exec_that_asks_nobody_gets_a_warning(legacy, vera):
    def page(agent: str) -> str:
        url = reverse("agent-detail", kwargs={"code": legacy.code, "agent_id": agent})
        return " ".join(html.unescape(client_for(vera).get(url).content.decode()).split())

    ops = page("ops")  # nothing configures exec: OpenClaw's default is security=full, ask=off
    assert 'id="warning-exec-unguarded"' in ops
    assert "nothing configures exec for this agent, and these are OpenClaw's defaults" in ops
    assert 'id="warning-exec-unguarded"' not in page("alpha")  # mode "ask"


def test_the_exec_warning_names_the_keys_that_set_it(alice):
    from controlpanel.models import Role

    text = LEGACY.replace(
        '{ id: "alpha", tools: { exec: { mode: "ask" } } }',
        '{ id: "alpha", tools: { exec: { mode: "full" } } }',
    )
    gateway = make_gateway("full", text=text, members={alice: Role.OWNER})
    url = reverse("agent-detail", kwargs={"code": gateway.code, "agent_id": "alpha"})
    body = " ".join(html.unescape(client_for(alice).get(url).content.decode()).split())
    assert "security is full and ask is off, set by <code>agents.list[0].tools.exec.mode</code>." in body
    assert 'Set agents.list[0].tools.exec.mode to "ask" (or "allowlist"), or deny exec' in body


def test_can_box_names_plugin_ids_that_would_decide_instead(alice):
    from controlpanel.models import Role

    text = """{ gateway: { auth: { mode: "token", token: "${GW_TOKEN}" } },
      tools: { allow: ["read", "jira"], deny: ["group:web", "slack-tools"] } }"""
    gateway = make_gateway("ids", text=text, members={alice: Role.OWNER})
    body = _ask(gateway, alice, "main", "jira_search")
    assert "as a plugin tool it would be denied because it is not in an allow list" in body
    assert "<code>jira</code> in <code>tools.allow</code> would allow it" in body
    assert "<code>slack-tools</code> in <code>tools.deny</code> would deny it" in body
    assert "group:web" not in body.split('id="can-plugin-ids"')[1]
    assert 'id="can-plugin-ids"' not in _ask(gateway, alice, "main", "read")
