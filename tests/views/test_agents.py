"""The agent page, the can-X-do-Y box and the what-if panel on re-import."""

from __future__ import annotations

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
