"""The approval contract: one transition out of pending, expiry means deny, rules before effects."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from controlpanel.models import ActivityEvent, ChannelAccount, Device, PairingRequest, Role
from controlpanel.services.activity import activity_verify
from controlpanel.services.approvals import (
    PairingRefused,
    actor_label,
    dm_pairing_request_create,
    exec_request_decide,
    pairing_request_approve,
    pairing_request_reject,
    requests_expire,
)
from tests.conftest import make_exec, make_pairing

pytestmark = pytest.mark.django_db


def events(action: str) -> int:
    return ActivityEvent.objects.filter(action=action).count()


class TestDmPairing:
    def test_approval_adds_the_sender_to_allow_from_keeping_comments(self, alpha, bob):
        request = make_pairing(alpha, sender_id="555")
        outcome = pairing_request_approve(request=request, actor=bob, role=Role.ADMIN)
        assert outcome.won and outcome.http_status == 200
        alpha.refresh_from_db()
        assert alpha.config_raw["channels"]["telegram"]["allowFrom"] == ["111", "555"]
        assert "// two agents, current format" in alpha.config_text, "comments survive a panel edit"
        assert ChannelAccount.objects.get(gateway=alpha, name="telegram").allow_from == ["111", "555"]
        assert events("config.allow_from_added") == 1 and events("pairing.approved") == 1
        assert activity_verify()[1] is None

    def test_an_effect_that_would_break_the_config_approves_nothing(self, alpha, bob):
        # A channel OpenClaw's schema does not know (say, mirrored from a plugin): adding it is invalid.
        request = make_pairing(alpha, channel="nosuch", sender_id="x1")
        before = alpha.config_hash
        outcome = pairing_request_approve(request=request, actor=bob, role=Role.ADMIN)
        assert not outcome.won and outcome.http_status == 403
        assert "Not approved" in outcome.message and "channels.nosuch" in outcome.message
        request.refresh_from_db()
        alpha.refresh_from_db()
        assert request.status == "pending" and alpha.config_hash == before and alpha.revisions.count() == 1
        assert events("pairing.approved") == 0 and events("pairing.decision_refused") == 1

    def test_a_repeat_is_harmless_and_names_the_winner(self, alpha, bob, alice):
        request = make_pairing(alpha)
        pairing_request_approve(request=request, actor=bob, role=Role.ADMIN)
        again = pairing_request_approve(request=request, actor=alice, role=Role.OWNER)
        assert not again.won and again.http_status == 200
        assert again.message == "Already approved by bob."
        other = pairing_request_reject(request=request, actor=alice)
        assert not other.won and other.http_status == 409
        assert events("pairing.approved") == 1 and events("pairing.decision_refused") == 2

    def test_an_expired_request_cannot_be_approved(self, alpha, bob):
        now = timezone.now()
        request = make_pairing(
            alpha, requested_at=now - timedelta(hours=2), expires_at=now - timedelta(hours=1)
        )
        outcome = pairing_request_approve(request=request, actor=bob, role=Role.ADMIN, now=now)
        assert not outcome.won and outcome.http_status == 410
        request.refresh_from_db()
        assert request.status == "expired"
        alpha.refresh_from_db()
        assert "555" not in alpha.config_raw["channels"]["telegram"]["allowFrom"]

    def test_expiry_is_exact_with_a_controlled_clock(self, alpha, bob):
        request = make_pairing(alpha)
        at_deadline = request.expires_at
        assert (
            pairing_request_approve(request=request, actor=bob, role=Role.ADMIN, now=at_deadline).http_status
            == 410
        )
        request2 = make_pairing(alpha, pairing_code="WXYZ2345", sender_id="777")
        just_before = request2.expires_at - timedelta(milliseconds=1)
        assert pairing_request_approve(request=request2, actor=bob, role=Role.ADMIN, now=just_before).won

    def test_the_fourth_pending_code_is_refused(self, alpha):
        now = timezone.now()
        codes = {
            dm_pairing_request_create(
                gateway=alpha, channel="telegram", sender_id=f"90{i}", now=now
            ).pairing_code
            for i in range(3)
        }
        assert len(codes) == 3
        with pytest.raises(PairingRefused, match="3 pairing requests are already pending"):
            dm_pairing_request_create(gateway=alpha, channel="telegram", sender_id="904", now=now)
        # A sender who already waits gets the same request, not a new code.
        again = dm_pairing_request_create(gateway=alpha, channel="telegram", sender_id="900", now=now)
        assert again.pairing_code in codes
        # Once they expire, new senders get codes again.
        later = now + timedelta(hours=1, seconds=1)
        assert dm_pairing_request_create(gateway=alpha, channel="telegram", sender_id="904", now=later)

    def test_known_senders_and_closed_policies_get_no_code(self, alpha):
        with pytest.raises(PairingRefused):
            dm_pairing_request_create(gateway=alpha, channel="telegram", sender_id="111")  # already allowed
        ChannelAccount.objects.filter(gateway=alpha).update(dm_policy="disabled")
        with pytest.raises(PairingRefused, match="disabled"):
            dm_pairing_request_create(gateway=alpha, channel="telegram", sender_id="999")


class TestDevicePairing:
    def test_an_admin_cannot_grant_operator_admin(self, alpha, bob, alice):
        request = make_pairing(
            alpha,
            kind="device",
            role="operator",
            pairing_code="",
            device_id="d1",
            requested_scopes=["operator.admin"],
        )
        refused = pairing_request_approve(request=request, actor=bob, role=Role.ADMIN)
        assert refused.http_status == 403 and "operator.admin" in refused.message
        request.refresh_from_db()
        assert request.status == "pending" and not Device.objects.filter(device_id="d1").exists()
        granted = pairing_request_approve(request=request, actor=alice, role=Role.OWNER)
        assert granted.won and granted.token
        device = Device.objects.get(device_id="d1")
        assert device.token_hash != granted.token and len(device.token_hash) == 64
        assert device.scopes == ["operator.admin"]

    def test_a_mirrored_request_gets_no_panel_token(self, alpha, alice):
        request = make_pairing(
            alpha,
            kind="device",
            role="operator",
            pairing_code="",
            device_id="gw-dev",
            requested_scopes=["operator.read"],
            external_id="req-1",
        )
        outcome = pairing_request_approve(request=request, actor=alice, role=Role.OWNER)
        assert outcome.won and outcome.token is None and outcome.device is None
        request.refresh_from_db()
        assert request.delivery == "pending", "the gateway worker sends it"

    def test_scopes_must_match_the_role(self, alpha, alice):
        request = make_pairing(
            alpha,
            kind="device",
            role="operator",
            pairing_code="",
            device_id="d2",
            requested_scopes=["node.exec"],
        )
        outcome = pairing_request_approve(request=request, actor=alice, role=Role.OWNER)
        assert outcome.http_status == 403 and "invalid scope" in outcome.message.lower()

    def test_a_node_device_needs_an_owner(self, alpha, bob, alice):
        request = make_pairing(alpha, kind="device", role="node", pairing_code="", device_id="n1")
        assert pairing_request_approve(request=request, actor=bob, role=Role.ADMIN).http_status == 403
        assert pairing_request_approve(request=request, actor=alice, role=Role.OWNER).won

    def test_nobody_approves_their_own_request(self, alpha, alice):
        request = make_pairing(
            alpha,
            kind="device",
            role="operator",
            pairing_code="",
            device_id="d3",
            requested_scopes=["operator.read"],
            requested_by=actor_label(alice),
        )
        outcome = pairing_request_approve(request=request, actor=alice, role=Role.OWNER)
        assert outcome.http_status == 403 and "you raised" in outcome.message


class TestExec:
    @pytest.mark.parametrize(
        "decision, status", [("allow-once", "allowed"), ("allow-always", "allowed"), ("deny", "denied")]
    )
    def test_decisions(self, alpha, bob, decision, status):
        request = make_exec(alpha)
        outcome = exec_request_decide(request=request, actor=bob, decision=decision)
        assert outcome.won and request.__class__.objects.get(pk=request.pk).status == status

    def test_only_decisions_the_request_allows(self, alpha, bob):
        request = make_exec(alpha, allowed_decisions=["allow-once", "deny"])
        outcome = exec_request_decide(request=request, actor=bob, decision="allow-always")
        assert outcome.http_status == 403 and "does not allow" in outcome.message
        assert exec_request_decide(request=request, actor=bob, decision="sudo").http_status == 403
        request.refresh_from_db()
        assert request.status == "pending"

    def test_sweep_expires_and_records(self, alpha):
        now = timezone.now()
        make_exec(alpha, requested_at=now - timedelta(hours=1), expires_at=now - timedelta(minutes=1))
        make_pairing(alpha, requested_at=now - timedelta(hours=2), expires_at=now - timedelta(hours=1))
        make_exec(alpha)
        assert requests_expire(now=now) == 2
        assert events("exec.expired") == 1 and events("pairing.expired") == 1
        assert PairingRequest.objects.get().status == "expired"
