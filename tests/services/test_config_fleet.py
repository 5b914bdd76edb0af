"""Fleet changes: previewed per gateway, applied to all or none, each file edited in place."""

from __future__ import annotations

import pytest
from django.urls import reverse

from controlpanel.configedit.fleet import Change
from controlpanel.models import ConfigRevision, FleetChange, Role
from controlpanel.services.config_fleet import fleet_change_apply, fleet_change_preview
from controlpanel.services.config_revisions import config_revision_create
from tests.conftest import MINIMAL_CONFIG, client_for, make_gateway

pytestmark = pytest.mark.django_db

ASK = Change(kind="snippet", path="tools.exec", snippet='{ ask: "always", security: "allowlist" }')


@pytest.fixture
def fleet_of_three(alice):
    return [make_gateway(f"gw{i}", members={alice: Role.OWNER}) for i in range(3)]


def test_a_preview_writes_no_revision_and_says_what_each_gateway_would_do(alice, fleet_of_three):
    fleet = fleet_change_preview(user=alice, change=ASK, gateways=fleet_of_three, reason="ask always")
    assert fleet.status == "previewed" and len(fleet.results) == 3
    row = fleet.results[str(fleet_of_three[0].code)]
    assert row["valid"] and row["changed"]
    assert {k["path"] for k in row["keys"]} == {"tools"} or any(
        k["path"].startswith("tools") for k in row["keys"]
    )
    assert ConfigRevision.objects.filter(source="fleet").count() == 0


def test_apply_makes_one_revision_per_gateway_keeping_comments(alice, fleet_of_three):
    fleet = fleet_change_preview(user=alice, change=ASK, gateways=fleet_of_three, reason="ask always")
    fleet = fleet_change_apply(fleet=fleet, actor=alice)
    assert fleet.status == "applied"
    for gateway in fleet_of_three:
        rev = gateway.revisions.first()
        assert (
            rev.source == "fleet"
            and rev.reason == "ask always"
            and rev.detail["fleet_change"] == str(fleet.code)
        )
        assert rev.text.startswith("// two agents, current format")
        assert (
            'tools: {\n    exec: {\n      ask: "always",\n      security: "allowlist"\n    }\n  },'
            in rev.text
        )


def test_one_gateway_changed_since_the_preview_stops_the_whole_change(alice, fleet_of_three):
    fleet = fleet_change_preview(user=alice, change=ASK, gateways=fleet_of_three, reason="ask always")
    moved = fleet_of_three[1]
    config_revision_create(
        gateway=moved, text=MINIMAL_CONFIG.replace("Coder", "C"), source="editor", reason="x"
    )
    fleet = fleet_change_apply(fleet=fleet, actor=alice)
    assert fleet.status == "refused" and "gw1" in fleet.results["_error"]["message"]
    assert ConfigRevision.objects.filter(source="fleet").count() == 0, "all or nothing"


def test_an_invalid_result_on_one_gateway_blocks_all(alice, fleet_of_three):
    bad = Change(kind="snippet", path="gateway", snippet="{ port: 'x' }")
    fleet = fleet_change_apply(
        fleet=fleet_change_preview(user=alice, change=bad, gateways=fleet_of_three), actor=alice
    )
    assert fleet.status == "refused" and ConfigRevision.objects.filter(source="fleet").count() == 0


def test_the_security_baseline_is_valid_on_a_gateway_and_tightens_it(alice, fleet_of_three):
    fleet = fleet_change_preview(
        user=alice, change=Change(kind="baseline"), gateways=fleet_of_three[:1], reason="b"
    )
    row = next(iter(fleet.results.values()))
    assert row["valid"] and row["changed"], row
    assert not row["whatIf"]["loosens"]


def test_only_owned_gateways_are_changed_and_only_the_author_sees_the_change(
    alice, bob, alpha, fleet_of_three
):
    # bob is admin (not owner) of alpha: alpha is left out of his change.
    fleet = fleet_change_preview(user=bob, change=ASK, gateways=[alpha], reason="r")
    assert fleet.results == {}
    mine = fleet_change_preview(user=alice, change=ASK, gateways=fleet_of_three, reason="r")
    url = reverse("fleet-change", kwargs={"code": mine.code})
    assert client_for(bob).get(url).status_code == 404
    assert client_for(bob).post(reverse("fleet-change-apply", kwargs={"code": mine.code})).status_code == 404
    assert client_for(alice).get(url).status_code == 200
    assert FleetChange.objects.get(pk=mine.pk).status == "previewed"
