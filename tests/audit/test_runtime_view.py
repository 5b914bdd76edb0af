"""The audit reads the config as the gateway runs it (issue 24): what the CLI audits, not the file."""

from __future__ import annotations

import json

import pytest

from controlpanel.audit import run_audit
from controlpanel.openclaw import load_config


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


def _finding(config: dict, check_id: str, env: dict | None = None):
    """The finding check_id of config as the panel audits a file: loaded (references substituted)."""
    resolved = load_config(json.dumps(config), env=env or {}).resolved
    found = [f for f in run_audit(resolved, env=env or {}).findings if f.check_id == check_id]
    return found[0] if found else None


def test_an_unset_gateway_token_reference_is_no_token() -> None:
    """`${OPENCLAW_GATEWAY_TOKEN}` unset: no credential, so no-auth findings and no "21 chars" (corpus
    operator_09, issue 20's token_too_short); set, the token's own length counts."""
    config = {"gateway": {"bind": "lan", "auth": {"mode": "token", "token": "${OPENCLAW_GATEWAY_TOKEN}"}}}
    assert _finding(config, "gateway.bind_no_auth") is not None
    assert _finding(config, "gateway.http.no_auth") is not None
    assert _finding(config, "gateway.token_too_short") is None
    short = _finding(config, "gateway.token_too_short", env={"OPENCLAW_GATEWAY_TOKEN": "tooshort"})
    assert short.detail == "gateway auth token is 8 chars; prefer a long random token."
    assert _finding(config, "gateway.bind_no_auth", env={"OPENCLAW_GATEWAY_TOKEN": "x" * 40}) is None


def test_only_bundled_channels_count_as_allowlist_groups_without_group_policy() -> None:
    """Slack/WhatsApp/Discord without groupPolicy have none; Telegram's defaults to allowlist."""
    config = {
        "channels": {
            "telegram": {"groups": {"-100": {}}},
            "slack": {"channels": {"C1": {}}},
            "whatsapp": {"dmPolicy": "pairing"},
            "discord": {"dmPolicy": "pairing"},
        }
    }
    assert _finding(config, "summary.attack_surface").detail.startswith("groups: open=0, allowlist=1\n")
    signals = _finding(config, "security.trust_model.multi_user_heuristic").detail
    assert 'channels.telegram.groupPolicy="allowlist" with configured group targets' in signals
    assert "channels.slack" not in signals


@pytest.mark.parametrize(
    ("agents", "scopes"),
    [
        ({"ownership": "explicit", "entries": {"ops": {}, "support": {}}}, "global, ops, support"),
        ({"entries": {"Research": {}}}, "research, Research"),
    ],
)
def test_the_global_exec_scope_is_named_like_the_cli(agents, scopes) -> None:
    """The top-level tools.exec scope is its owner's normalised id, or "global" (corpus operator_15/36)."""
    config = {"tools": {"exec": {"security": "full"}}, "agents": agents}
    detail = _finding(config, "tools.exec.security_full_configured").detail
    assert detail == f"Full exec trust is enabled for: {scopes}."


def test_cross_agent_session_access_names_agents_normalised() -> None:
    """The CLI lists agent ids lower-cased ("Research" is "research"), each once (corpus operator_05)."""
    config = {"agents": {"ownership": "explicit", "entries": {"Research": {}, "support": {}}}}
    detail = _finding(config, "security.trust_model.cross_agent_session_access_default").detail
    assert detail.startswith("Agents: research, support\n")
    assert "- research: unsandboxed sessions;" in detail


def test_model_ids_are_named_with_the_provider_lower_cased() -> None:
    """The CLI names "OpenAI/GPT-4o-mini" as "openai/GPT-4o-mini" (corpus rule_models_weak_mixed_case)."""
    config = {"agents": {"entries": {"main": {"model": "OpenAI/GPT-4o-mini"}}}}
    detail = _finding(config, "models.weak_tier").detail
    assert "- openai/GPT-4o-mini (Below GPT-5 family) @ agents.entries.main.model" in detail


def test_a_windows_drive_bind_source_is_absolute() -> None:
    """OpenClaw accepts "C:\\\\data:/data" as absolute (corpus rule_sandbox_bind_windows)."""
    config = {
        "agents": {"entries": {"ops": {"sandbox": {"mode": "all", "docker": {"binds": ["C:\\data:/data"]}}}}}
    }
    assert _finding(config, "sandbox.bind_mount_non_absolute") is None
