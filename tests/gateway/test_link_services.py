"""Credentials at rest, the Connection page, mirroring and deliveries: no gateway process needed."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from controlpanel import fieldcrypto
from controlpanel.events.models import ExecDenied
from controlpanel.gatewayclient import PairingRequired
from controlpanel.gatewayclient.frames import error_from
from controlpanel.gatewayworker import describe_error
from controlpanel.models import ExecApprovalRequest, GatewayLink, PairingRequest, Role
from controlpanel.services.approvals import exec_request_decide, pairing_request_approve
from controlpanel.services.gateway_links import (
    config_push_create,
    config_push_record,
    connect_options_for,
    gateway_credentials_set,
    health_verdict,
    link_for,
    link_record_connected,
    link_record_problem,
)
from controlpanel.services.gateway_mirror import (
    alert_events_from_frame,
    deliveries_pending,
    delivery_record,
    exec_mirror,
    exec_reconcile,
    pairing_mirror,
)
from tests.conftest import client_for, make_exec, make_pairing

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gateway"  # tools/oracle/record_gateway.py
# One exec.approval.requested frame as the real gateway sent it (captures/events.sample.jsonl).
EXEC_REQUESTED = {
    "approvalKind": "exec",
    "id": "663780db-2418-46be-abd8-7a69dc204f4c",
    "request": {
        "command": "echo approved-via-python-panel && date -u +%Y",
        "cwd": "/scratch/state/workspace",
        "host": "gateway",
        "unavailableDecisions": ["allow-always"],
        "allowedDecisions": ["allow-once", "deny"],
        "agentId": "main",
        "sessionKey": "agent:main:main",
    },
    "createdAtMs": 1795237106549,
    "expiresAtMs": 1795238906549,
}

pytestmark = pytest.mark.django_db


def test_secrets_are_encrypted_and_keys_rotate(settings, alpha, alice):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CP_FIELD_KEYS = [old]
    gateway_credentials_set(
        gateway=alpha, ws_url="ws://127.0.0.1:18789", kind="token", secret="tok-1", actor=alice
    )
    link = link_for(alpha)
    assert "tok-1" not in link.secret_enc and fieldcrypto.decrypt(link.secret_enc) == "tok-1"

    settings.CP_FIELD_KEYS = [new, old]  # the new key first: encrypts; the old one still decrypts
    call_command("rotate_field_key", stdout=io.StringIO())
    settings.CP_FIELD_KEYS = [new]  # the old key is gone: everything must open with the new one
    link.refresh_from_db()
    assert fieldcrypto.decrypt(link.secret_enc) == "tok-1"


def test_connect_options_need_a_url_and_a_secret(alpha, alice):
    assert connect_options_for(alpha.pk) is None
    gateway_credentials_set(
        gateway=alpha, ws_url="ws://127.0.0.1:1", kind="password", secret="pw", actor=alice
    )
    options = connect_options_for(alpha.pk)
    assert options.password == "pw" and options.token == ""
    # The device identity is created once and kept (encrypted), so pairing happens once.
    assert connect_options_for(alpha.pk).identity.device_id == options.identity.device_id
    assert link_for(alpha).device_id == options.identity.device_id


def test_the_connection_page_never_renders_the_secret(alpha, alice, vera):
    gateway_credentials_set(
        gateway=alpha, ws_url="ws://127.0.0.1:18789", kind="token", secret="s3cr3t-tok", actor=alice
    )
    url = reverse("gateway-connection", kwargs={"code": alpha.code})
    owner_page = client_for(alice).get(url).content.decode()
    assert "s3cr3t-tok" not in owner_page and "set on" in owner_page
    assert 'name="secret"' in owner_page
    viewer_page = client_for(vera).get(url).content.decode()
    assert 'name="secret"' not in viewer_page


def test_setting_credentials_keeps_the_secret_when_left_blank(alpha, alice):
    client = client_for(alice)
    url = reverse("gateway-credentials", kwargs={"code": alpha.code})
    client.post(url, {"ws_url": "ws://127.0.0.1:18789", "kind": "token", "secret": "first"})
    client.post(url, {"ws_url": "ws://10.0.0.5:18789", "kind": "token", "secret": ""})
    alpha.refresh_from_db()
    assert alpha.ws_url == "ws://10.0.0.5:18789"
    assert fieldcrypto.decrypt(link_for(alpha).secret_enc) == "first"
    bad = client.post(url, {"ws_url": "http://x", "kind": "token", "secret": ""})
    assert bad.status_code == 400


def test_credentials_need_a_recent_password(alpha, alice):
    client = client_for(alice)
    session = client.session
    session["cp_auth_at"] = 0
    session.save()
    url = reverse("gateway-credentials", kwargs={"code": alpha.code})
    response = client.post(url, {"ws_url": "ws://127.0.0.1:18789", "kind": "token", "secret": "x"})
    assert response.status_code == 302 and response["Location"].startswith("/reauth/")
    assert not GatewayLink.objects.filter(gateway=alpha, secret_enc__gt="").exists()


def test_pairing_needed_shows_the_request_and_the_command(alpha, alice):
    link_for(alpha)
    link_record_problem(
        gateway_id=alpha.pk, state="pairing_required", error="waiting", pairing_request_id="4d54adfd-1"
    )
    page = client_for(alice).get(reverse("gateway-connection", kwargs={"code": alpha.code})).content.decode()
    assert "openclaw devices approve 4d54adfd-1" in page
    alpha.refresh_from_db()
    assert alpha.status == "degraded"  # reachable, not admitting us: not "offline", never "online"


def _fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def test_a_hello_records_scopes_protocol_and_status(alpha):
    link_for(alpha)
    hello = _fixture("hello-ok.json")
    link_record_connected(gateway_id=alpha.pk, hello=hello)
    link = link_for(alpha)
    alpha.refresh_from_db()
    assert link.state == "connected" and link.protocol == 4
    assert link.scopes == hello["auth"]["scopes"] and "operator.pairing" in link.scopes
    assert alpha.current_status == health_verdict(hello["snapshot"]["health"])[0]
    assert alpha.version == "2026.9.6"
    link_record_problem(gateway_id=alpha.pk, state="unreachable", error="Cannot reach it.")
    alpha.refresh_from_db()
    assert alpha.status == "offline" and alpha.last_error == "Cannot reach it."


def test_a_degraded_event_loop_is_shown_with_its_reason():
    # From a real health snapshot (research captures): a busy host made the gateway report "cpu".
    status, reason = health_verdict({"ok": True, "eventLoop": {"degraded": True, "reasons": ["cpu"]}})
    assert status == "degraded" and "event loop is degraded (cpu)" in reason


def test_the_recorded_pairing_error_carries_the_request_id():
    recorded = _fixture("pairing-required.json")
    exc = error_from(recorded)
    assert isinstance(exc, PairingRequired) and exc.request_id == recorded["details"]["requestId"]
    state, words = describe_error(exc, "ws://gw")
    assert state == "pairing_required" and f"openclaw devices approve {exc.request_id}" in words


def test_an_exec_request_is_mirrored_once_with_only_the_offered_decisions(alpha):
    assert exec_mirror(gateway_id=alpha.pk, payload=EXEC_REQUESTED)
    assert not exec_mirror(gateway_id=alpha.pk, payload=EXEC_REQUESTED)
    row = ExecApprovalRequest.objects.get(gateway=alpha)
    assert row.allowed_decisions == ["allow-once", "deny"]
    assert row.agent_ref == "main" and row.requested_by == "agent:main"
    assert row.expires_at - row.requested_at == timedelta(minutes=30)


def test_a_panel_decision_on_a_mirrored_request_is_queued_for_the_gateway(alpha, alice):
    exec_mirror(gateway_id=alpha.pk, payload={**EXEC_REQUESTED, "createdAtMs": None, "expiresAtMs": None})
    row = ExecApprovalRequest.objects.get(gateway=alpha)
    assert exec_request_decide(request=row, actor=alice, decision="allow-always").http_status == 403
    assert exec_request_decide(request=row, actor=alice, decision="allow-once").won
    row.refresh_from_db()
    assert row.delivery == "pending"
    [item] = deliveries_pending(alpha.pk)
    assert item.method == "exec.approval.resolve"
    assert item.params == {"id": EXEC_REQUESTED["id"], "decision": "allow-once"}
    delivery_record(model="exec", pk=row.pk, ok=False, error="unknown approval id")
    row.refresh_from_db()
    assert row.delivery == "refused" and row.status == "allowed"
    page = client_for(alice).get(reverse("exec-detail", kwargs={"code": row.code})).content.decode()
    assert "The gateway refused this decision: unknown approval id" in page
    assert deliveries_pending(alpha.pk) == []


def test_a_local_request_stays_local(alpha, alice):
    row = make_exec(alpha)
    exec_request_decide(request=row, actor=alice, decision="deny")
    row.refresh_from_db()
    assert row.delivery == "local" and deliveries_pending(alpha.pk) == []


def test_device_and_node_decisions_use_their_own_methods(alpha, alice):
    pairing_mirror(
        gateway_id=alpha.pk,
        kind="device",
        record={"requestId": "r-dev", "deviceId": "d" * 64, "role": "operator", "scopes": ["operator.read"]},
    )
    node = make_pairing(
        alpha, kind="node", external_id="r-node", pairing_code="", role="node", device_id="n1"
    )
    device = PairingRequest.objects.get(external_id="r-dev")
    assert pairing_request_approve(request=device, actor=alice, role=Role.OWNER).won
    from controlpanel.services.approvals import pairing_request_reject

    assert pairing_request_reject(request=node, actor=alice).won
    methods = sorted((d.method, d.params["requestId"]) for d in deliveries_pending(alpha.pk))
    assert methods == [("device.pair.approve", "r-dev"), ("node.pair.reject", "r-node")]


def test_the_panels_own_device_request_is_not_mirrored(alpha):
    link = link_for(alpha)
    link.device_id = "p" * 64
    link.save()
    assert not pairing_mirror(
        gateway_id=alpha.pk, kind="device", record={"requestId": "r1", "deviceId": "p" * 64}
    )


def test_requests_gone_from_the_gateway_are_closed_on_backfill(alpha):
    exec_mirror(gateway_id=alpha.pk, payload={**EXEC_REQUESTED, "createdAtMs": None, "expiresAtMs": None})
    local = make_exec(alpha)  # a panel-only request is not the gateway's to close
    exec_reconcile(gateway_id=alpha.pk, pending=[])
    assert ExecApprovalRequest.objects.get(external_id=EXEC_REQUESTED["id"]).status == "cancelled"
    local.refresh_from_db()
    assert local.status == "pending"


def test_a_deny_becomes_an_exec_denied_event_for_the_alerts():
    frame = {
        "type": "event",
        "event": "exec.approval.resolved",
        "payload": {
            "id": "a1",
            "decision": "deny",
            "ts": 1795237106549,
            "request": EXEC_REQUESTED["request"],
        },
    }
    [event] = alert_events_from_frame(frame)
    assert isinstance(event, ExecDenied) and event.reason == "user-denied" and event.agent == "main"
    allowed = {**frame, "payload": {**frame["payload"], "decision": "allow-once"}}
    assert alert_events_from_frame(allowed) == []
    assert alert_events_from_frame({"type": "event", "event": "tick", "payload": {}}) == []


def test_a_mirrored_denial_with_a_nul_or_a_lone_surrogate_keeps_its_text_escaped():
    frame = {
        "type": "event",
        "event": "exec.denied",
        "payload": {"agentId": "ma\x00in", "command": "rm \ud800", "ts": 1795237106549},
    }
    [event] = alert_events_from_frame(frame)
    assert (event.agent, event.command) == ("ma\\u0000in", "rm \\ud800")


@pytest.mark.parametrize("name", ["config-patch-invalid.json", "config-patch-stale.json"])
def test_a_refused_config_push_keeps_the_gateways_words_per_path(alpha, alice, name):
    recorded = _fixture(name)
    push = config_push_create(
        gateway=alpha, patch='{tools: {exec: {ask: "sometimes"}}}', base_hash="h1", actor=alice
    )
    config_push_record(
        push_id=push.pk, ok=False, error=recorded["message"], issues=recorded["details"].get("issues") or []
    )
    push.refresh_from_db()
    assert push.status == "refused" and push.error == recorded["message"]
    page = client_for(alice).get(reverse("gateway-connection", kwargs={"code": alpha.code})).content.decode()
    assert "Refused by the gateway" in page
    if name == "config-patch-invalid.json":
        assert push.issues == [
            {"path": "tools.exec.ask", "message": recorded["details"]["issues"][0]["message"]}
        ]
        assert "<code>tools.exec.ask</code>" in page


@pytest.mark.parametrize(
    ("health", "status"),
    [
        ({"ok": True, "eventLoop": {"degraded": False}}, "online"),
        ({"ok": False}, "degraded"),
        ({"ok": True, "plugins": {"errors": [{"id": "x"}]}}, "degraded"),
    ],
)
def test_health_verdicts(health, status):
    assert health_verdict(health)[0] == status


def test_a_retrying_device_is_mirrored_again_after_our_copy_expired(alpha):
    record = {"requestId": "r-same", "deviceId": "e" * 64, "role": "operator", "scopes": ["operator.read"]}
    assert pairing_mirror(gateway_id=alpha.pk, kind="device", record=record)
    assert not pairing_mirror(gateway_id=alpha.pk, kind="device", record=record)
    PairingRequest.objects.filter(external_id="r-same").update(status="expired", decided_at=timezone.now())
    assert pairing_mirror(gateway_id=alpha.pk, kind="device", record=record)
    assert PairingRequest.objects.filter(external_id="r-same", status="pending").count() == 1
