"""agents_of / channels_of: what the Django side stores, the default agent as the CLI decides it."""

from __future__ import annotations

import pytest

from controlpanel.openclaw import agents_of, channels_of, load_config

from .fixtures import config_env, config_names, config_text, has_recording, recorded

AGENT_FIXTURES = [n for n in config_names() if n.startswith("agents_") and has_recording(n, "agents")]


def test_there_are_agent_recordings() -> None:
    assert len(AGENT_FIXTURES) >= 4


@pytest.mark.parametrize("name", AGENT_FIXTURES)
def test_agents_match_agents_list(name: str) -> None:
    result = load_config(config_text(name), env=config_env(name))
    assert result.valid
    real = recorded(name, "agents")
    ours = agents_of(result.resolved)
    assert [(a.id, a.is_default) for a in ours] == [(a["id"], a["isDefault"]) for a in real]


def test_implicit_main_agent() -> None:
    (agent,) = agents_of({})
    assert (agent.id, agent.is_default, agent.raw) == ("main", True, {})


def test_agents_of_reads_legacy_list_and_defaults() -> None:
    resolved = {
        "agents": {
            "defaults": {"model": "anthropic/claude-sonnet-4-6", "workspace": "~/w"},
            "list": [
                {"id": "a", "name": "A"},
                {"id": "b", "default": True, "model": {"primary": "openai/gpt-5"}},
            ],
        }
    }
    a, b = agents_of(resolved)
    assert (a.id, a.name, a.model, a.workspace, a.is_default) == (
        "a",
        "A",
        "anthropic/claude-sonnet-4-6",
        "~/w",
        False,
    )
    assert (b.id, b.model, b.is_default) == ("b", "openai/gpt-5", True)


def test_channels_of() -> None:
    resolved = {
        "channels": {
            "defaults": {"groupPolicy": "allowlist"},
            "whatsapp": {"dmPolicy": "pairing", "allowFrom": ["+1555"], "groupPolicy": "allowlist"},
            "telegram": {"allowFrom": [123]},
        }
    }
    whatsapp, telegram = channels_of(resolved)
    assert (whatsapp.name, whatsapp.dm_policy, whatsapp.allow_from, whatsapp.group_policy) == (
        "whatsapp",
        "pairing",
        ["+1555"],
        "allowlist",
    )
    assert (telegram.name, telegram.dm_policy, telegram.allow_from) == ("telegram", None, ["123"])
    assert channels_of({}) == []
