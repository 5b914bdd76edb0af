"""A real exec request from the real gateway reaches the inbox live; Approve makes the command run."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from controlpanel.models import ExecApprovalRequest, GatewayLink, Role
from tests.conftest import make_gateway, make_user
from tests.gateway.conftest import (  # noqa: F401 - the gateway fixtures (one gateway per run)
    LLM_COMMAND,
    fake_llm,
    link_paired,
    operator_identity,
    real_gateway,
    running_worker,
    wait_for,
)
from tests.gateway.test_live_gateway import _start_agent_turn, _tool_result_for

from .conftest import login

pytestmark = [
    pytest.mark.gateway,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("oracle_parity_paused"),  # configs from the running gateway (per-run port)
]


def test_an_exec_request_is_approved_from_the_inbox(
    page,
    live_server,
    real_gateway,  # noqa: F811
    operator_identity,  # noqa: F811
    fake_llm,  # noqa: F811
):
    alice = make_user("alice")
    gateway = make_gateway("alpha", members={alice: Role.OWNER})
    link_paired(gateway, real_gateway, operator_identity, alice)
    with running_worker():
        wait_for(
            lambda: GatewayLink.objects.get(gateway=gateway).state == "connected",
            timeout=120,
            what="the worker",
        )
        login(page, live_server, "alice", "pw-alice-long-enough")
        page.goto(f"{live_server.url}/approvals/")
        badge = page.locator("#pending-badge .badge-number")
        expect(badge).to_have_text("0")

        session_key = _start_agent_turn(real_gateway, operator_identity)
        # Wait on the event itself: the gateway runs a whole agent turn (model call, tool call, approval
        # request) before the worker can mirror it, which on a loaded machine takes minutes, not seconds.
        request = wait_for(
            lambda: ExecApprovalRequest.objects.filter(gateway=gateway, session_key=session_key).first(),
            timeout=300,
            what="the gateway's exec request to be mirrored",
        )
        # The badge polls every 5 s: the request shows up without anyone touching the page.
        expect(badge).to_have_text("1", timeout=30_000)
        page.reload()
        row = page.locator(f"#request-{request.code}")
        expect(row.locator("pre")).to_contain_text(LLM_COMMAND)

        row.locator("button[data-decision=allow-once]").click()
        row.locator(".status-allowed").wait_for()
        wait_for(
            lambda: ExecApprovalRequest.objects.get(pk=request.pk).delivery == "delivered",
            timeout=120,
            what="the gateway to accept the decision",
        )
        result = wait_for(
            lambda: _tool_result_for(fake_llm, session_key.split(":")[-1]) or None,
            timeout=300,
            what="the agent's tool result",
        )
        page.goto(f"{live_server.url}/approvals/exec/{request.code}/")
        expect(page.locator(".delivery-delivered")).to_contain_text("Confirmed by the gateway")
    assert "approved-by-panel" in result
