"""Every page renders under the strict CSP with no violation (no inline script or style anywhere)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from controlpanel.models import AuditRun, Role
from controlpanel.services.audits import audit_run_execute
from tests.conftest import make_exec, make_gateway, make_pairing, make_user

from .conftest import login


def _pages(gateway, pairing, exe, run) -> list[str]:
    code = {"code": gateway.code}
    tabs = ["config", "agents", "devices", "pairing", "approvals", "audit", "alerts", "activity"]
    return [
        reverse("gateway-list"),
        reverse("gateway-import"),
        reverse("gateway-detail", kwargs=code),
        *[reverse(f"gateway-{t}", kwargs=code) for t in tabs],
        reverse("gateway-reimport", kwargs=code),
        reverse("member-list", kwargs=code),
        reverse("gateway-delete", kwargs=code),
        reverse("agent-detail", kwargs={**code, "agent_id": "main"}) + "?tool=exec",
        reverse("approvals-inbox"),
        reverse("approvals-inbox") + "?view=history",
        reverse("pairing-detail", kwargs={"code": pairing.code}),
        reverse("exec-detail", kwargs={"code": exe.code}),
        reverse("audit-fleet"),
        reverse("audit-run", kwargs={"code": run.code}),
        reverse("audit-fixes", kwargs={"code": run.code}),
        reverse("reauth"),
        reverse("config-history", kwargs=code),
        reverse("config-revision", kwargs={**code, "number": 1}),
        reverse("config-diff", kwargs=code),
        reverse("config-edit", kwargs=code),
        reverse("config-form", kwargs=code),
        reverse("config-live", kwargs=code),
        reverse("account"),
        reverse("account-password"),
        reverse("account-two-factor"),
        reverse("account-tokens"),
        reverse("account-people"),
    ]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_csp_violation_on_any_page(browser, live_server):
    alice = make_user("alice")
    gateway = make_gateway("csp", members={alice: Role.OWNER})
    pairing, exe = make_pairing(gateway), make_exec(gateway, command="echo 'multi\nline' && ls")
    run = AuditRun.objects.create(gateway=gateway)
    audit_run_execute(run_id=run.pk)

    context = browser.new_context()
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: (
            violations.append(f"{page.url}: {msg.text}") if "Content Security Policy" in msg.text else None
        ),
    )
    page.goto(f"{live_server.url}/login/")
    assert page.locator("#id_username").count() == 1
    login(page, live_server, "alice", "pw-alice-long-enough")
    for path in _pages(gateway, pairing, exe, run):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
    # An htmx swap too: a tab click and the can-X-do-Y box.
    page.goto(f"{live_server.url}{reverse('gateway-detail', kwargs={'code': gateway.code})}")
    page.click("a.tab:has-text('Config')")
    page.locator("#config-text").wait_for()
    assert violations == []
    context.close()
