"""The runtime view of a config: what the audit and the policy read where it differs from the file."""

from __future__ import annotations

import pytest

from controlpanel.openclaw.runtime import bundled_channels, runtime_channels, unresolved_reference


def test_only_channels_of_bundled_plugins_get_their_schema_defaults() -> None:
    """OpenClaw fills Telegram's groupPolicy ("allowlist"); WhatsApp, Slack, Discord keep none (issue 24)."""
    config = {
        "channels": {name: {"dmPolicy": "open"} for name in ("telegram", "whatsapp", "slack", "discord")}
    }
    channels = runtime_channels(config)
    assert channels["telegram"]["groupPolicy"] == "allowlist"
    assert all("groupPolicy" not in channels[name] for name in ("whatsapp", "slack", "discord"))
    assert "telegram" in bundled_channels() and "whatsapp" not in bundled_channels()
    assert config["channels"]["telegram"] == {"dmPolicy": "open"}  # the input is left alone


def test_a_written_group_policy_wins_over_the_default() -> None:
    assert (
        runtime_channels({"channels": {"telegram": {"groupPolicy": "open"}}})["telegram"]["groupPolicy"]
        == "open"
    )


@pytest.mark.parametrize(
    ("value", "env", "unresolved"),
    [
        ("${OPENCLAW_GATEWAY_TOKEN}", {}, True),
        ("${OPENCLAW_GATEWAY_TOKEN}", {"OPENCLAW_GATEWAY_TOKEN": ""}, True),
        ("${OPENCLAW_GATEWAY_TOKEN}", {"OPENCLAW_GATEWAY_TOKEN": "x" * 32}, False),
        ("Bearer ${T}", {}, True),
        ("plain-secret", {}, False),
        ("$${LITERAL}", {}, False),
        (42, {}, False),
    ],
)
def test_a_reference_to_an_unset_variable_is_no_value(value, env, unresolved) -> None:
    assert unresolved_reference(value, env) is unresolved
