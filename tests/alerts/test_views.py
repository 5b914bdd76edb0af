"""Alert pages: lists, ack/resolve over htmx, silences, ingest tokens shown once, the memory chart."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from controlpanel.models import Alert, IngestToken, Silence
from controlpanel.services.alerts import ingest_events
from tests.conftest import client_for

from .conftest import MI, at, ev, make_alert

pytestmark = pytest.mark.django_db


def test_the_alert_list_shows_only_visible_gateways_and_escapes_gateway_text(alpha, bravo, vera):
    make_alert(alpha, subject="<b>agent</b>", message="<script>x()</script>")
    make_alert(bravo, subject="bravo-only")
    html = client_for(vera).get(reverse("alert-list")).content.decode()
    assert "&lt;b&gt;agent&lt;/b&gt;" in html and "<script>x()" not in html
    assert "bravo-only" not in html
    assert 'id="alert-tray"' in html and "js/alerts.js" in html


def test_the_tab_lists_alerts_with_a_replay_id_and_actions_only_for_admins(alpha, vera, bob):
    last_id = ingest_events(gateway=alpha, events=[ev(type="exec.denied", agent="main")]).event_ids[-1]
    url = reverse("gateway-alerts", kwargs={"code": alpha.code})
    viewer = client_for(vera).get(url).content.decode()
    admin = client_for(bob).get(url).content.decode()
    assert f'data-alerts-since="{last_id}"' in viewer
    assert "can-decide" not in viewer and 'id="silences"' not in viewer
    assert "can-decide" in admin and 'id="silences"' in admin


def test_ack_over_htmx_returns_the_updated_fragment(alpha, bob):
    alert = make_alert(alpha)
    url = reverse("alert-ack", kwargs={"code": alpha.code, "pk": alert.pk})
    response = client_for(bob).post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="alert-{alert.pk}"' in body and "acknowledged by bob" in body and "<html" not in body
    assert Alert.objects.get().state == "acknowledged"


def test_an_alert_of_another_gateway_is_404(alpha, bravo, bob):
    alert = make_alert(bravo)
    url = reverse("alert-resolve", kwargs={"code": alpha.code, "pk": alert.pk})
    assert client_for(bob).post(url).status_code == 404


@pytest.mark.parametrize("data", [{"hours": "2"}, {"hours": "0", "comment": "x"}, {"comment": "x"}])
def test_a_silence_without_comment_or_valid_expiry_is_refused(alpha, bob, data):
    client_for(bob).post(reverse("alert-silence", kwargs={"code": alpha.code}), data=data)
    assert not Silence.objects.exists()


def test_a_silence_is_created_with_expiry(alpha, bob):
    data = {"type_pattern": "exec.*", "subject_pattern": "*", "hours": "3", "comment": "deploy"}
    client_for(bob).post(reverse("alert-silence", kwargs={"code": alpha.code}), data=data)
    silence = Silence.objects.get()
    assert silence.created_by == bob and timedelta(hours=2.9) < silence.expires_at - silence.created_at


def test_a_new_ingest_token_is_shown_once_on_a_no_store_page(alpha, alice):
    url = reverse("ingest-tokens", kwargs={"code": alpha.code})
    client = client_for(alice)
    created = client.post(url, data={"name": "shipper"})
    assert created.status_code == 302 and created["Location"] == reverse("secret-once")
    response = client.get(created["Location"])
    assert "no-store" in response["Cache-Control"]
    token = IngestToken.objects.get()
    body = response.content.decode()
    assert token.prefix in body and "cpi_" in body
    listing = client.get(url).content.decode()
    assert token.prefix in listing
    start = body.index('id="once-value"')
    start = body.index(">", start) + 1
    plaintext = body[start : body.index("<", start)]
    assert plaintext.startswith("cpi_") and plaintext not in listing
    # A reload shows it no more and makes no second token.
    again = client.get(created["Location"]).content.decode()
    assert plaintext not in again and "Already shown" in again
    assert IngestToken.objects.count() == 1


def test_the_memory_chart_draws_usage_limit_and_threshold_lines(alpha, vera):
    samples = [
        ev(
            type="memory.sample",
            workload="api",
            usage_bytes=p * 10 * MI,
            limit_bytes=1000 * MI,
            ts=at(i).isoformat(),
        )
        for i, p in enumerate([50, 70, 85, 95])
    ]
    ingest_events(gateway=alpha, events=samples, now=at(10))
    url = reverse("alert-memory", kwargs={"code": alpha.code}) + "?subject=workload:api"
    html = client_for(vera).get(url).content.decode()
    # uPlot draws usage, limit, 80 % and 90 % from the page's JSON block; the table is the no-JS view.
    assert "vendor/uplot/uPlot.iife.min.js" in html and 'id="memory-chart-data"' in html
    block = html.split('id="memory-chart-data" type="application/json">', 1)[1]
    data = json.loads(block.split("</script>")[0])
    assert data["usage"] == [500.0, 700.0, 850.0, 950.0] and data["limit"] == [1000.0] * 4
    assert data["p80"] == [800.0] * 4 and data["p90"] == [900.0] * 4 and len(data["t"]) == 4
    assert "4 readings" in html and html.count('<td data-label="Usage"') == 4
    tab = client_for(vera).get(reverse("gateway-alerts", kwargs={"code": alpha.code})).content.decode()
    assert tab.count("Memory chart: workload:api") == 1  # one link per subject, however many readings
    empty = client_for(vera).get(reverse("alert-memory", kwargs={"code": alpha.code}) + "?subject=nope")
    assert "No memory readings" in empty.content.decode()


def test_alerts_tick_once_marks_silent_gateways_stale(alpha):
    ingest_events(gateway=alpha, events=[ev(type="exec.denied", agent="main")], now=at(0))
    call_command("alerts_tick", "--once")  # now is long after at(0)
    assert Alert.objects.get(type="gateway.stale").state == "firing"
