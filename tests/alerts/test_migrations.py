"""Migration 0009 moves each gateway's escalation entries from the rule-state JSON into rows, and back."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

BEFORE, AFTER = ("controlpanel", "0008_alert_state_silences_version"), ("controlpanel", "0009_denial_windows")
ENTRIES = {
    "exec.denied|main": {"hits": ["2026-01-01T00:00:00+00:00"], "state": "warning"},
    "clw-memory-denied|pid:7": {"hits": ["2026-01-01T00:00:01+00:00"] * 5, "state": "critical"},
}


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.fixture(autouse=True)
def back_to_the_latest():
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # the other tests need today's schema


def test_escalation_entries_move_to_rows_and_back():
    apps = migrate(BEFORE)
    gateway = apps.get_model("controlpanel", "Gateway").objects.create(name="old")
    state = apps.get_model("controlpanel", "GatewayAlertState").objects.create(
        gateway=gateway, evaluator={"sources": {}, "denials": ENTRIES}
    )
    apps = migrate(AFTER)
    rows = apps.get_model("controlpanel", "DenialWindow").objects.filter(gateway_id=gateway.pk)
    assert {row.key: row.entry for row in rows} == ENTRIES
    after = apps.get_model("controlpanel", "GatewayAlertState").objects.get(pk=state.pk)
    assert after.evaluator == {"sources": {}}
    apps = migrate(BEFORE)
    back = apps.get_model("controlpanel", "GatewayAlertState").objects.get(pk=state.pk)
    assert back.evaluator == {"sources": {}, "denials": ENTRIES}
