"""Database constraints keep the state machines honest even if code forgets to."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from controlpanel.models import Device, ExecApprovalRequest, Gateway, PairingRequest


def _violates(**create) -> bool:
    model = create.pop("model")
    try:
        with transaction.atomic():
            model.objects.create(**create)
    except IntegrityError:
        return True
    return False


@pytest.fixture
def times():
    now = timezone.now()
    return {"requested_at": now, "expires_at": now + timedelta(hours=1)}


@pytest.mark.django_db
def test_pairing_state_machine(alpha, times):
    base = {"model": PairingRequest, "gateway": alpha, "kind": "dm", "pairing_code": "ABCD2345", **times}
    assert not _violates(**base)
    assert _violates(**{**base, "pairing_code": "ABCD2346", "status": "approved"}), (
        "decided without decided_at"
    )
    assert _violates(**{**base, "pairing_code": "ABCD2347", "decided_at": timezone.now()}), (
        "pending but decided"
    )
    assert _violates(**{**base, "pairing_code": "abcd0o1I"}), "code outside the alphabet"
    assert _violates(**{**base, "pairing_code": "ABCD2345", "channel": ""}), "same pending code twice"
    assert _violates(**{**base, "pairing_code": "ABCD2348", "status": "maybe", "decided_at": timezone.now()})
    assert _violates(**{**base, "pairing_code": "ABCD2349", "expires_at": times["requested_at"]})


@pytest.mark.django_db
def test_exec_decision_matches_status(alpha, times):
    base = {"model": ExecApprovalRequest, "gateway": alpha, "command": "ls", **times}
    now = timezone.now()
    assert not _violates(**base)
    assert not _violates(**{**base, "status": "allowed", "decision": "allow-once", "decided_at": now})
    assert _violates(**{**base, "status": "allowed", "decision": "deny", "decided_at": now})
    assert _violates(**{**base, "status": "denied", "decision": "", "decided_at": now})
    assert _violates(**{**base, "status": "expired", "decision": "allow-once", "decided_at": now})
    assert _violates(**{**base, "status": "allowed", "decision": "allow-once"}), "no decided_at"


@pytest.mark.django_db
def test_device_token_is_only_ever_a_sha256(alpha):
    base = {"model": Device, "gateway": alpha}
    assert not _violates(**base, device_id="a", token_hash="0" * 64)
    assert _violates(**base, device_id="b", token_hash="plaintext-token")
    assert _violates(**base, device_id="c", role="admin")
    assert not Device(token_hash="").is_active, "no token fails closed"


@pytest.mark.django_db
def test_gateway_is_never_green_without_fresh_data(alpha):
    assert _violates(model=Gateway, name="x", status="online")
    alpha.status, alpha.status_checked_at = "online", timezone.now()
    alpha.save()
    assert alpha.current_status == "online"
    alpha.status_checked_at = timezone.now() - timedelta(hours=1)
    assert alpha.current_status == "unknown"
