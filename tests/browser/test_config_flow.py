"""Changing a config in the browser: form edit with what-if, live validation, two owners, rollback."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from controlpanel.models import Role
from controlpanel.services.config_revisions import config_revision_create
from tests.conftest import make_gateway

from .conftest import ARTIFACTS, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
COMMENTED = """// the lab gateway: keep this file readable
{
  gateway: { bind: "loopback", port: 18789, auth: { mode: "token", token: "${GW_TOKEN}" } },
  agents: {
    ownership: "explicit",
    entries: {
      // the one people talk to
      main: { name: "Main" },
      coder: { name: "Coder", tools: { profile: "coding" } }, // writes code
    },
  },
  channels: { telegram: { dmPolicy: "pairing", allowFrom: ["111"] } },
}
"""


def _owner(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username, password=PASSWORD)


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_per_agent_deny_from_the_form_is_reviewed_saved_and_keeps_comments(page, live_server):
    alice = _owner("alice")
    gateway = make_gateway("lab", members={alice: Role.OWNER}, text=COMMENTED)
    login(page, live_server, "alice", PASSWORD)
    page.goto(f"{live_server.url}/gateways/{gateway.code}/config/form/")
    _shot(page, "config-form")
    page.fill("[name='f:agents.entries.coder.tools.deny']", "exec")
    page.click("#review-button")
    lost = page.locator("#whatif-agent-coder")
    lost.wait_for()
    assert "loses" in lost.inner_text() and "exec" in lost.inner_text()
    _shot(page, "config-review")
    assert gateway.revisions.count() == 1, "the review saves nothing"
    page.fill("#id_reason", "coder never runs shell commands")
    page.click("#save-button")
    page.wait_for_selector("#revision-facts")
    assert "coder never runs shell commands" in page.locator("#revision-facts").inner_text()
    diff = page.locator("#revision-diff").inner_text()
    assert 'deny: ["exec"]' in diff
    _shot(page, "config-revision")
    revision = gateway.revisions.first()
    assert revision.number == 2 and revision.source == "form"
    for comment in (
        "// the lab gateway: keep this file readable",
        "// the one people talk to",
        "// writes code",
    ):
        assert comment in revision.text
    assert revision.text == COMMENTED.replace(
        'tools: { profile: "coding" } }', 'tools: { profile: "coding", deny: ["exec"] } }'
    )
    page.click("text=History")
    page.wait_for_selector("#revision-2")
    _shot(page, "config-history")


def test_the_raw_editor_marks_a_validation_error_on_its_line_as_you_type(page, live_server):
    alice = _owner("alice")
    gateway = make_gateway("lab", members={alice: Role.OWNER}, text=COMMENTED)
    login(page, live_server, "alice", PASSWORD)
    page.goto(f"{live_server.url}/gateways/{gateway.code}/config/edit/")
    page.wait_for_selector(".cm-editor")
    expect(page.locator("#editor-status")).to_have_text("Valid.")
    # Line 3 holds the gateway: make its port a string, as a hurried operator would.
    page.evaluate(
        """() => {
          const view = window.configEditor;
          const line = view.state.doc.line(3);
          const at = line.text.indexOf("18789");
          view.dispatch({changes: {from: line.from + at, to: line.from + at + 5, insert: '"x"'}});
        }"""
    )
    issue = page.locator("#editor-issues li").first
    issue.wait_for()
    assert issue.get_attribute("data-line") == "3"
    assert "gateway.port" in issue.inner_text()
    # The gutter marks line 3 (the editor lives in a shadow root; Playwright's selectors pierce it).
    marker = page.locator(".cm-lint-marker-error").first
    marker.wait_for()
    marker_top = marker.bounding_box()["y"]
    numbers = page.locator(".cm-lineNumbers .cm-gutterElement")
    marked = [
        numbers.nth(i).inner_text()
        for i in range(numbers.count())
        if (box := numbers.nth(i).bounding_box()) and abs(box["y"] - marker_top) < 4
    ]
    assert marked == ["3"], marked
    _shot(page, "config-editor")


def test_the_second_of_two_owners_is_refused_with_the_three_way_view(browser, live_server):
    alice, olga = _owner("alice"), _owner("olga")
    gateway = make_gateway("lab", members={alice: Role.OWNER, olga: Role.OWNER}, text=COMMENTED)
    pages = []
    for name in ("alice", "olga"):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        p = context.new_page()
        p.set_default_timeout(10_000)
        login(p, live_server, name, PASSWORD)
        p.goto(f"{live_server.url}/gateways/{gateway.code}/config/form/")
        pages.append(p)
    first, second = pages
    first.select_option("[name='f:session.dmScope']", "per-channel-peer")
    first.click("#review-button")
    second.select_option("[name='f:agents.entries.main.sandbox.mode']", "all")
    second.click("#review-button")
    first.fill("#id_reason", "one session per sender")
    first.click("#save-button")
    first.wait_for_selector("#revision-facts")
    second.fill("#id_reason", "sandbox main")
    second.click("#save-button")
    second.wait_for_selector("#conflict")
    for part in ("#three-way-yours", "#three-way-theirs", "#three-way-base"):
        assert second.locator(part).is_visible()
    assert "sandbox" in second.locator("#three-way-yours").inner_text()
    assert "dmScope" in second.locator("#three-way-theirs").inner_text()
    assert gateway.revisions.count() == 2
    _shot(second, "config-conflict")
    # Nothing is lost: the two changes fit together and can be reviewed as one.
    second.click("#review-merged")
    second.fill("#id_reason", "sandbox main, on top of olga's change")
    second.click("#save-button")
    second.wait_for_selector("#revision-facts")
    latest = gateway.revisions.first()
    assert (
        latest.number == 3 and 'dmScope: "per-channel-peer"' in latest.text and 'mode: "all"' in latest.text
    )
    for p in pages:
        p.context.close()


def test_rollback_restores_the_earlier_text_byte_for_byte(page, live_server):
    alice = _owner("alice")
    gateway = make_gateway("lab", members={alice: Role.OWNER}, text=COMMENTED)
    config_revision_create(
        gateway=gateway,
        text=COMMENTED.replace('dmPolicy: "pairing"', 'dmPolicy: "open"').replace("// writes code\n", "\n"),
        source="editor",
        reason="open the bot",
        actor=alice,
    )
    login(page, live_server, "alice", PASSWORD)
    page.goto(f"{live_server.url}/gateways/{gateway.code}/config/revisions/1/")
    page.click("#rollback")
    page.wait_for_selector("#whatif")
    page.fill("#id_reason", "the open bot was a mistake")
    page.click("#save-button")
    page.wait_for_selector("#revision-facts")
    latest = gateway.revisions.first()
    assert latest.number == 3 and latest.source == "rollback"
    assert latest.text.encode() == COMMENTED.encode()
