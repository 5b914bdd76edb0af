"""The audit reads the config as the gateway runs it (issue 24): what the CLI audits, not the file."""

from __future__ import annotations

import pytest

from controlpanel.audit import run_audit


@pytest.mark.parametrize(
    ("config", "check_id"),
    [
        ({"hooks": {"enabled": True, "token": "${HOOKS_TOKEN}"}}, "config.secrets.hooks_token_in_config"),
        (
            {"gateway": {"auth": {"mode": "password", "password": "${GW_PASSWORD}"}}},
            "config.secrets.gateway_password_in_config",
        ),
    ],
)
def test_a_reference_to_an_unset_variable_is_no_secret_in_the_config(config, check_id) -> None:
    """The CLI skips a path whose ${VAR} stayed unresolved (corpus operator_06)."""
    assert check_id not in [f.check_id for f in run_audit(config, env={}).findings]
    resolved = {"HOOKS_TOKEN": "h" * 32, "GW_PASSWORD": "p" * 32}
    assert check_id in [f.check_id for f in run_audit(config, env=resolved).findings]
