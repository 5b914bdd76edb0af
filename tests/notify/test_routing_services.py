"""Routing, grouping, inhibition, silences and repeat through the services and the database, with a
controllable clock: each step passes ``now``; due flushes are run as the flush tasks would."""

from __future__ import annotations

from datetime import timedelta

import pytest

from controlpanel.models import Alert, Notification, NotificationGroup, Silence
from controlpanel.notify.labels import alert_labels
from controlpanel.services.notify.routing import Source, groups_sweep, route_sources
from tests.alerts.conftest import T0, at, make_alert
from tests.notify.conftest import route, webhook

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def source(alert, *, firing=True):
    return Source(
        fingerprint=f"alert:{alert.pk}",
        gateway=alert.gateway,
        labels=alert_labels(
            gateway=alert.gateway.name, type_=alert.type, subject=alert.subject, severity=alert.severity
        ),
        annotations={"title": alert.type, "message": alert.message, "url": ""},
        starts_at=alert.first_seen_at,
        firing=firing,
        alert_id=alert.pk,
    )


def tick(now):
    """Run the flushes due at ``now`` (what the queued flush tasks do when their time comes)."""
    groups_sweep(now=now)


def sent(receiver=None):
    """[(firing fingerprints, resolved fingerprints)] of the notifications so far, oldest first."""
    rows = Notification.objects.order_by("id")
    if receiver is not None:
        rows = rows.filter(receiver=receiver)
    out = []
    for n in rows:
        alerts = n.payload["alerts"]
        out.append(
            (
                sorted(a["labels"]["subject"] for a in alerts if a["status"] == "firing"),
                sorted(a["labels"]["subject"] for a in alerts if a["status"] == "resolved"),
            )
        )
    return out


@pytest.fixture
def hook(alpha):
    receiver, _ = webhook(alpha, "http://127.0.0.1:9/hook")
    return receiver


def test_group_wait_then_interval_then_repeat_then_resolved(alpha, hook):
    route(alpha, hook, wait="30s", interval="5m", repeat="1h")
    a = make_alert(alpha, subject="main", first_seen_at=T0, last_seen_at=T0)
    b = make_alert(alpha, subject="coder", first_seen_at=T0, last_seen_at=T0)
    route_sources([source(a)], now=at(0))
    route_sources([source(b)], now=at(10))
    tick(at(29))
    assert sent() == []
    tick(at(30))
    assert sent() == [(["coder", "main"], [])]  # one notification for both (group_by gateway, type)
    c = make_alert(alpha, subject="ops", first_seen_at=at(60), last_seen_at=at(60))
    route_sources([source(c)], now=at(60))
    tick(at(329))
    assert len(sent()) == 1
    tick(at(330))
    assert sent()[-1] == (["coder", "main", "ops"], [])
    tick(at(330 + 3599))
    assert len(sent()) == 2
    tick(at(330 + 3600))
    assert sent()[-1] == (["coder", "main", "ops"], [])  # repeat
    route_sources([source(a, firing=False), source(b, firing=False), source(c, firing=False)], now=at(4000))
    tick(at(4000 + 300))
    assert sent()[-1] == ([], ["coder", "main", "ops"])
    assert not NotificationGroup.objects.exists(), "a group resolved and told is finished"


def test_gateway_down_inhibits_the_gateways_other_alerts(alpha, hook):
    route(alpha, hook, group_by="...")
    make_alert(alpha, type="gateway.down", subject="gateway", severity="critical")
    denial = make_alert(alpha, subject="main")
    route_sources([source(denial)], now=at(0))
    assert sent() == []


def test_an_oom_inhibits_pressure_of_the_same_workload_only(alpha, hook):
    route(alpha, hook, group_by="...")
    make_alert(alpha, type="clw-memory-oom", subject="etl", severity="critical")
    etl = make_alert(alpha, type="clw-memory-pressure", subject="etl")
    api = make_alert(alpha, type="clw-memory-pressure", subject="api")
    route_sources([source(etl), source(api)], now=at(0))
    assert sent() == [(["api"], [])]


def test_silences_apply(alpha, hook, bob):
    route(alpha, hook, group_by="...")
    Silence.objects.create(
        gateway=alpha,
        type_pattern="exec.*",
        subject_pattern="main",
        comment="deploy",
        expires_at=at(3600) + timedelta(days=3650),
    )
    route_sources(
        [source(make_alert(alpha, subject="main")), source(make_alert(alpha, subject="coder"))], now=at(0)
    )
    assert sent() == [(["coder"], [])]


def test_continue_sends_to_both_and_a_gateways_tree_sees_only_its_gateway(alpha, bravo, hook):
    other, _ = webhook(None, "http://127.0.0.1:9/global", name="global")
    route(None, other, matchers="severity=critical", group_by="...")
    route(alpha, hook, group_by="...")
    route_sources([source(make_alert(alpha, subject="main", severity="critical"))], now=at(0))
    route_sources([source(make_alert(bravo, subject="main", severity="critical"))], now=at(0))
    assert len(sent(other)) == 2  # the global tree hears of both gateways
    assert len(sent(hook)) == 1  # alpha's own tree only of alpha


def test_routing_again_sends_nothing_twice(alpha, hook):
    route(alpha, hook, group_by="...")
    alert = make_alert(alpha, subject="main")
    route_sources([source(alert)], now=at(0))
    route_sources([source(alert)], now=at(1))  # a retried routing task
    assert len(sent()) == 1


def test_an_escalation_is_news(alpha, hook):
    route(alpha, hook, group_by="gateway", wait="0s", interval="1m")
    alert = make_alert(alpha, subject="main")
    route_sources([source(alert)], now=at(0))
    Alert.objects.filter(pk=alert.pk).update(severity="critical")
    alert.refresh_from_db()
    route_sources([source(alert)], now=at(10))
    tick(at(60))
    assert len(sent()) == 2
