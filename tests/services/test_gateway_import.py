"""Importing configs into the database: all or nothing, path-precise, audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from controlpanel.lib.envfile import parse_env_text
from controlpanel.models import ActivityEvent, Agent, ChannelAccount, Gateway, GatewayMembership, Role
from controlpanel.openclaw import load_config
from controlpanel.services.activity import activity_verify
from controlpanel.services.gateways import GatewayNameTaken, gateway_export_config, gateway_import_config
from tests.conftest import MINIMAL_CONFIG, TEST_ENV, make_gateway

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "openclaw" / "configs"


def _recorded(valid: bool) -> list[Path]:
    """Fixture configs whose recorded real-CLI verdict is ``valid``."""
    out = []
    for verdict in sorted(FIXTURES.glob("*.validate.json")):
        if json.loads(verdict.read_text())["valid"] is valid:
            out.append(verdict)
    return out


def _config_and_env(verdict: Path) -> tuple[str, dict[str, str]]:
    stem = verdict.name.removesuffix(".validate.json")
    text = (FIXTURES / f"{stem}.json5").read_text()
    env_file = FIXTURES / f"{stem}.env"
    return text, parse_env_text(env_file.read_text()) if env_file.exists() else {}


def _counts() -> dict[str, int]:
    return {
        m.__name__: m.objects.count()
        for m in (Gateway, Agent, ChannelAccount, GatewayMembership, ActivityEvent)
    }


INVALID = _recorded(False)


def test_there_are_enough_invalid_configs():
    assert len(INVALID) >= 20


@pytest.mark.django_db
@pytest.mark.parametrize("verdict", INVALID, ids=lambda p: p.name.removesuffix(".validate.json"))
def test_invalid_config_names_the_real_path_and_saves_nothing(verdict: Path, alice, alpha):
    text, env = _config_and_env(verdict)
    real_paths = [issue["path"] for issue in json.loads(verdict.read_text())["issues"]]
    before = _counts()
    hash_before = alpha.config_hash

    created = gateway_import_config(text=text, env=env, name="newcomer", actor=alice)
    updated = gateway_import_config(text=text, env=env, name="alpha", gateway=alpha, actor=alice)

    for outcome in (created, updated):
        assert outcome.gateway is None
        assert not outcome.result.valid
        our_paths = [issue.path for issue in outcome.result.issues]
        assert real_paths[0] in our_paths, (real_paths, our_paths)
    assert _counts() == before
    alpha.refresh_from_db()
    assert alpha.config_hash == hash_before


@pytest.mark.django_db
def test_import_creates_gateway_agents_channels_owner_and_one_event(alice):
    outcome = gateway_import_config(text=MINIMAL_CONFIG, env=TEST_ENV, name="gw", actor=alice)
    gw = outcome.gateway
    assert outcome.created and gw is not None
    assert sorted(gw.agents.values_list("agent_id", flat=True)) == ["coder", "main"]
    assert gw.channels.get(name="telegram").allow_from == ["111"]
    assert GatewayMembership.objects.get(gateway=gw, user=alice).role == Role.OWNER
    event, audit = ActivityEvent.objects.order_by("seq")
    assert event.action == "gateway.created" and event.actor == alice
    assert audit.action == "audit.started" and audit.detail == {"trigger": "config"}, "audited after import"
    assert "0123456789abcdef" not in json.dumps([event.before, event.after, event.detail]), "no secret values"


@pytest.mark.django_db
def test_reimport_replaces_agents_and_records_before_after(alice, alpha):
    new = MINIMAL_CONFIG.replace(
        'coder: { name: "Coder", tools: { profile: "coding" } },', 'ops: { name: "Ops" },'
    )
    outcome = gateway_import_config(text=new, env=TEST_ENV, name="alpha", gateway=alpha, actor=alice)
    assert outcome.agents_added == ["ops"] and outcome.agents_removed == ["coder"]
    assert sorted(alpha.agents.values_list("agent_id", flat=True)) == ["main", "ops"]
    event = ActivityEvent.objects.order_by("-seq").first()
    assert event.action == "gateway.config_imported"
    assert event.before["agents"] == ["coder", "main"] and event.after["agents"] == ["main", "ops"]
    assert activity_verify()[1] is None


@pytest.mark.django_db
def test_dry_run_saves_nothing(alice):
    outcome = gateway_import_config(text=MINIMAL_CONFIG, env=TEST_ENV, name="gw", actor=alice, dry_run=True)
    assert outcome.valid and outcome.gateway is None
    assert not Gateway.objects.exists() and not ActivityEvent.objects.exists()


@pytest.mark.django_db
def test_name_clash_is_refused(alpha):
    with pytest.raises(GatewayNameTaken):
        gateway_import_config(text=MINIMAL_CONFIG, env=TEST_ENV, name="alpha")


@pytest.mark.django_db
def test_legacy_agents_list_is_migrated_to_entries(db):
    legacy = """{ agents: { list: [ { id: "support", default: true }, { id: "ops" } ] } }"""
    gw = make_gateway("legacy", text=legacy)
    assert sorted(gw.agents.values_list("agent_id", flat=True)) == ["ops", "support"]
    assert gw.config_raw["agents"]["list"][0]["id"] == "support", "the stored form is what was written"


@pytest.mark.django_db
def test_export_is_semantically_equal_to_the_import(alpha):
    exported = gateway_export_config(gateway=alpha)
    assert load_config(exported, env=TEST_ENV).resolved == load_config(MINIMAL_CONFIG, env=TEST_ENV).resolved
    assert "${GW_TOKEN}" in exported, "references are exported, never their values"
