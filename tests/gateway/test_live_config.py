"""Config against a real OpenClaw 2026.9.6 gateway: push a revision, drift made on the gateway, adoption."""

from __future__ import annotations

import pytest
from django.urls import reverse

from controlpanel.gatewayclient import connect
from controlpanel.lib.json5edit import set_value
from controlpanel.models import Alert, ConfigRevision, GatewayConfigPush, GatewayLink
from controlpanel.openclaw import parse_json5
from controlpanel.services.config_live import adopt_text, config_push_revision
from controlpanel.services.config_revisions import config_revision_create
from tests.conftest import client_for

from .conftest import link_paired, options, run, running_worker, wait_for

pytestmark = [pytest.mark.gateway, pytest.mark.django_db(transaction=True)]


def _link(gateway) -> GatewayLink:
    return GatewayLink.objects.get(gateway=gateway)


def _live_get(real_gateway, operator_identity) -> dict:
    identity, _ = operator_identity

    async def get() -> dict:
        conn = await connect(options(real_gateway, identity))
        try:
            return await conn.call("config.get")
        finally:
            await conn.close()

    return run(get())


def _live_patch(real_gateway, operator_identity, patch: str) -> dict:
    """A change made on the gateway side (as an agent's config.patch or another client would)."""
    identity, _ = operator_identity

    async def change() -> dict:
        conn = await connect(options(real_gateway, identity))
        try:
            current = await conn.call("config.get")
            return await conn.call("config.patch", {"raw": patch, "baseHash": current["hash"]})
        finally:
            await conn.close()

    return run(change())


@pytest.fixture
def exec_policy_restored(real_gateway, operator_identity):
    """The gateway is shared by the session: put back the exec policy this test changes on it
    (the exec-approval tests rely on ``ask: "always"``)."""
    yield
    _live_patch(
        real_gateway,
        operator_identity,
        '{"tools": {"exec": {"host": "gateway", "security": "allowlist", "ask": "always"}}}',
    )
    running = parse_json5(_live_get(real_gateway, operator_identity)["raw"])["tools"]["exec"]
    assert (running["security"], running["ask"]) == ("allowlist", "always")


def test_push_then_drift_then_adopt(
    real_gateway, operator_identity, alpha, alice, oracle_parity_paused, exec_policy_restored
):
    # The configs here come from the running gateway (its own validator accepted them) and hold
    # per-run ports and paths: nothing to record for the oracle comparison.
    link_paired(alpha, real_gateway, operator_identity, alice)
    with running_worker():
        wait_for(lambda: _link(alpha).remote_config_text, what="the running config (config.get on connect)")
        # The panel's config of alpha is not what this gateway runs: drift, alerted once.
        assert _link(alpha).live_revision is None
        wait_for(
            lambda: Alert.objects.filter(gateway=alpha, type="config.drift").exists(), what="a drift alert"
        )

        # Adopt the running config: the gateway's secrets stay the gateway's.
        link = _link(alpha)
        text, unknown = adopt_text(alpha, link)
        assert "gateway.auth.token" in unknown, "the gateway's token is not the panel's to know"
        adopted = config_revision_create(
            gateway=alpha,
            text=text,
            source=ConfigRevision.Source.PULLED,
            reason="take over the lab gateway",
            actor=alice,
            base_hash=alpha.config_hash,
            detail={"live_hash": link.remote_config_hash, "secrets_kept_by_gateway": unknown},
        ).revision
        assert _link(alpha).live_revision == adopted
        assert not Alert.objects.filter(gateway=alpha, type="config.drift").exclude(state="resolved").exists()

        # Edit in the panel, push: afterwards the gateway runs exactly that revision.
        alpha.refresh_from_db()
        edited = config_revision_create(
            gateway=alpha,
            text=set_value(alpha.config_text, ["tools", "exec", "ask"], "on-miss"),
            source=ConfigRevision.Source.FORM,
            reason="ask only for commands off the allowlist",
            actor=alice,
            base_hash=alpha.config_hash,
        ).revision
        push = config_push_revision(gateway=alpha, revision=edited, actor=alice)
        wait_for(
            lambda: GatewayConfigPush.objects.get(pk=push.pk).status != "pending", what="the push answer"
        )
        push.refresh_from_db()
        assert push.status == "applied", (push.error, push.issues)
        wait_for(lambda: _link(alpha).live_revision_id == edited.pk, what="the pushed revision to be running")
        live = _live_get(real_gateway, operator_identity)  # connects with the shared token: it survived
        assert live["hash"] == push.result_hash == _link(alpha).remote_config_hash
        assert parse_json5(live["raw"])["tools"]["exec"]["ask"] == "on-miss"

        # Someone widens exec on the gateway itself: drift with its diff, a critical alert.
        _live_patch(real_gateway, operator_identity, '{"tools": {"exec": {"security": "full"}}}')
        wait_for(lambda: _link(alpha).live_revision is None, what="the drift to be seen")
        alert = wait_for(
            lambda: Alert.objects.filter(gateway=alpha, type="config.drift", state="firing").first(),
            what="the drift alert",
        )
        assert alert.severity == "critical", alert.message
        page = client_for(alice).get(reverse("config-live", kwargs={"code": alpha.code})).content.decode()
        assert "tools.exec.security" in page and "Drift" in page

        # Adopt it from the page: a new revision that is what runs.
        review = client_for(alice).get(reverse("config-adopt", kwargs={"code": alpha.code}))
        assert review.status_code == 200
    before = alpha.revisions.count()
    link = _link(alpha)
    text, unknown = adopt_text(alpha, link)
    config_revision_create(
        gateway=alpha,
        text=text,
        source=ConfigRevision.Source.PULLED,
        reason="the host change stays",
        actor=alice,
        detail={"live_hash": link.remote_config_hash},
    )
    assert alpha.revisions.count() == before + 1
    assert _link(alpha).live_revision == alpha.revisions.first()
    alert.refresh_from_db()
    assert alert.state == "resolved"
