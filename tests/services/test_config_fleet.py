"""Fleet changes: previewed and applied by task workers, gateway by gateway, each all or nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from controlpanel.background.testing import run_queued_tasks
from controlpanel.configedit.fleet import Change
from controlpanel.models import ActivityEvent, ConfigRevision, FleetChange, GatewayConfigPush, Role
from controlpanel.services import config_fleet
from controlpanel.services.config_fleet import fleet_apply_run, fleet_change_apply, fleet_change_preview
from controlpanel.services.config_revisions import ConfigEditError, config_revision_create
from controlpanel.services.gateway_links import link_for
from tests.conftest import MINIMAL_CONFIG, client_for, make_gateway

pytestmark = pytest.mark.django_db

ASK = Change(kind="snippet", path="tools.exec", snippet='{ ask: "always", security: "allowlist" }')


@pytest.fixture
def fleet_of_three(alice):
    gateways = [make_gateway(f"gw{i}", members={alice: Role.OWNER}) for i in range(3)]
    run_queued_tasks()  # the audits their imports queued: the tests count the fleet's own tasks
    return gateways


def _previewed(alice, gateways, change=ASK, **kw) -> FleetChange:
    fleet = fleet_change_preview(user=alice, change=change, gateways=gateways, reason="ask always", **kw)
    run_queued_tasks()
    return fleet


def _status(fleet) -> dict[str, str]:
    return {t.name: t.status for t in fleet.targets.all()}


def test_the_preview_is_a_task_that_writes_no_revision_and_says_what_each_gateway_would_do(
    alice, fleet_of_three
):
    fleet = fleet_change_preview(user=alice, change=ASK, gateways=fleet_of_three, reason="ask always")
    assert set(_status(fleet).values()) == {"previewing"}, "nothing is computed in the request"
    ran = run_queued_tasks()
    assert [r.status for r in ran] == [TaskResultStatus.SUCCESSFUL]
    target = fleet.targets.get(gateway=fleet_of_three[0])
    assert target.status == "previewed" and target.base_hash == fleet_of_three[0].config_hash
    assert target.preview["valid"] and target.preview["changed"]
    assert any(k["path"].startswith("tools") for k in target.preview["keys"])
    assert ConfigRevision.objects.filter(source="fleet").count() == 0


def test_apply_makes_one_revision_per_gateway_keeping_comments(alice, fleet_of_three):
    fleet = _previewed(alice, fleet_of_three)
    fleet_change_apply(fleet=fleet, actor=alice)
    assert set(_status(fleet).values()) == {"applying"}
    run_queued_tasks()
    assert set(_status(fleet).values()) == {"saved"}
    for gateway in fleet_of_three:
        rev = gateway.revisions.first()
        assert rev.source == "fleet" and rev.reason == "ask always"
        assert rev.detail["fleet_change"] == str(fleet.code)
        assert fleet.targets.get(gateway=gateway).revision == rev
        assert rev.text.startswith("// two agents, current format")
        assert (
            'tools: {\n    exec: {\n      ask: "always",\n      security: "allowlist"\n    }\n  },'
            in rev.text
        )
    with pytest.raises(ConfigEditError, match="already applied"):
        fleet_change_apply(fleet=fleet, actor=alice)


def test_a_gateway_changed_since_the_preview_is_left_alone_and_the_others_are_saved(alice, fleet_of_three):
    fleet = _previewed(alice, fleet_of_three)
    moved = fleet_of_three[1]
    config_revision_create(
        gateway=moved, text=MINIMAL_CONFIG.replace("Coder", "C"), source="editor", reason="x"
    )
    fleet_change_apply(fleet=fleet, actor=alice)
    run_queued_tasks()
    assert _status(fleet) == {"gw0": "saved", "gw1": "not_saved", "gw2": "saved"}
    assert "changed since the preview" in fleet.targets.get(gateway=moved).outcome
    assert moved.revisions.first().source == "editor", "nothing of the change reached gw1"
    why = ActivityEvent.objects.get(action="config.fleet_not_saved")
    assert why.gateway == moved and "changed since the preview" in why.detail["why"]


def test_a_change_invalid_on_one_gateway_cannot_be_applied_at_all(alice, fleet_of_three):
    bad = Change(kind="snippet", path="gateway", snippet="{ port: 'x' }")
    fleet = _previewed(alice, fleet_of_three, change=bad)
    with pytest.raises(ConfigEditError, match="invalid: gw0, gw1, gw2"):
        fleet_change_apply(fleet=fleet, actor=alice)
    assert FleetChange.objects.get(pk=fleet.pk).status == "previewed"
    assert ConfigRevision.objects.filter(source="fleet").count() == 0


def test_apply_waits_for_the_whole_preview(alice, fleet_of_three):
    fleet = fleet_change_preview(user=alice, change=ASK, gateways=fleet_of_three, reason="r")
    with pytest.raises(ConfigEditError, match="not finished"):
        fleet_change_apply(fleet=fleet, actor=alice)


def test_each_gateway_is_all_or_nothing_when_its_save_fails_midway(alice, fleet_of_three, monkeypatch):
    """The push is queued in the gateway's transaction: when it fails, that gateway's revision goes
    too, the task is retried for what is left, and on giving up the gateway says why."""
    for gateway in fleet_of_three:
        link = link_for(gateway)
        link.remote_config_hash = "h:running"
        link.save()
    fleet = _previewed(alice, fleet_of_three, push=True)
    from controlpanel.services import config_live

    real_push = config_live.config_push_revision

    def flaky_push(*, gateway, revision, actor):
        if gateway.name == "gw1":
            raise RuntimeError("push queue unavailable")
        return real_push(gateway=gateway, revision=revision, actor=actor)

    monkeypatch.setattr(config_live, "config_push_revision", flaky_push)
    fleet_change_apply(fleet=fleet, actor=alice)
    for _ in range(3):  # the first attempt and both retries (made due at once)
        DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())
        run_queued_tasks()
    assert _status(fleet) == {"gw0": "saved", "gw1": "not_saved", "gw2": "saved"}
    gw1 = fleet_of_three[1]
    assert gw1.revisions.count() == 1 and gw1.revisions.first().source == "import", "no half-saved gateway"
    assert "push queue unavailable" in fleet.targets.get(gateway=gw1).outcome
    pushed = fleet.targets.exclude(push=None)
    assert {t.name for t in pushed} == {"gw0", "gw2"}
    assert all(t.push.revision == t.revision for t in pushed)
    assert GatewayConfigPush.objects.count() == 2


def test_push_is_queued_for_linked_gateways_only(alice, fleet_of_three):
    link = link_for(fleet_of_three[0])
    link.remote_config_hash = "h:running"
    link.save()
    fleet = _previewed(alice, fleet_of_three[:2], push=True)
    fleet_change_apply(fleet=fleet, actor=alice)
    run_queued_tasks()
    linked, unlinked = fleet.targets.get(name="gw0"), fleet.targets.get(name="gw1")
    assert (
        linked.push.status == "pending"
        and linked.push.mode == "apply"
        and linked.push.base_hash == "h:running"
    )
    assert DBTaskResult.objects.filter(queue_name="gateways", id=linked.push.task_id).exists()
    assert unlinked.push is None and unlinked.status == "saved" and "not pushed" in unlinked.outcome


def test_a_task_run_twice_saves_once(alice, fleet_of_three):
    fleet = _previewed(alice, fleet_of_three)
    fleet_change_apply(fleet=fleet, actor=alice)
    ids = list(fleet.targets.values_list("pk", flat=True))
    assert fleet_apply_run(fleet_id=fleet.pk, target_ids=ids) == 3
    assert fleet_apply_run(fleet_id=fleet.pk, target_ids=ids) == 0, "a retried task finds them done"
    assert ConfigRevision.objects.filter(source="fleet").count() == 3


def test_the_page_shows_each_gateway_as_its_batch_completes(alice, monkeypatch):
    monkeypatch.setattr(config_fleet, "BATCH", 2)
    gateways = [make_gateway(f"gw{i}", members={alice: Role.OWNER}) for i in range(5)]
    run_queued_tasks()  # the audits their imports queued
    fleet = fleet_change_preview(user=alice, change=ASK, gateways=gateways, reason="r")
    assert DBTaskResult.objects.filter(task_path__endswith="fleet_preview").count() == 3
    run_queued_tasks(limit=1)
    client = client_for(alice)
    url = reverse("fleet-change", kwargs={"code": fleet.code})
    poll = client.get(url + "?poll=1", headers={"HX-Request": "true"})
    body = poll.content.decode()
    assert body.lstrip().startswith('<div id="fleet-body"') and 'hx-trigger="every 1s"' in body
    assert "Previewing…</strong> 2 of 5" in body and body.count("previewing…") == 3
    assert 'id="apply-button"' not in body
    run_queued_tasks()
    body = client.get(url + "?poll=1", headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in body and 'id="apply-button"' in body, "the finished page stops polling"
    client.post(reverse("fleet-change-apply", kwargs={"code": fleet.code}))
    run_queued_tasks(limit=1)
    body = client.get(url).content.decode()
    assert "Applying…</strong> 2 of 5" in body and "2 saved, 0 already as asked, 0 not saved" in body


def test_the_security_baseline_is_valid_on_a_gateway_and_tightens_it(alice, fleet_of_three):
    fleet = _previewed(alice, fleet_of_three[:1], change=Change(kind="baseline"))
    preview = fleet.targets.get().preview
    assert preview["valid"] and preview["changed"], preview
    assert not preview["whatIf"]["loosens"]


def test_only_owned_gateways_are_changed_and_only_the_author_sees_the_change(
    alice, bob, alpha, fleet_of_three
):
    # bob is admin (not owner) of alpha: alpha is left out of his change.
    fleet = fleet_change_preview(user=bob, change=ASK, gateways=[alpha], reason="r")
    assert fleet.targets.count() == 0
    mine = fleet_change_preview(user=alice, change=ASK, gateways=fleet_of_three, reason="r")
    url = reverse("fleet-change", kwargs={"code": mine.code})
    assert client_for(bob).get(url).status_code == 404
    assert client_for(bob).post(reverse("fleet-change-apply", kwargs={"code": mine.code})).status_code == 404
    assert client_for(alice).get(url).status_code == 200
    assert FleetChange.objects.get(pk=mine.pk).status == "previewed"


def test_an_owner_demoted_before_the_apply_changes_nothing_there(alice, fleet_of_three):
    fleet = _previewed(alice, fleet_of_three)
    fleet_of_three[2].memberships.filter(user=alice).update(role=Role.VIEWER)
    fleet_change_apply(fleet=fleet, actor=alice)
    run_queued_tasks()
    assert _status(fleet)["gw2"] == "not_saved" and fleet_of_three[2].revisions.count() == 1
