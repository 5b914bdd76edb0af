"""Every config example of the seed documents imports, or is refused with the real path and a hint."""

from __future__ import annotations

import pytest

from controlpanel.openclaw import load_config

from .fixtures import config_env, config_names, config_text, recorded

SEEDS = [name for name in config_names() if name.startswith("seed")]
REFUSED = [name for name in SEEDS if not recorded(name)["valid"]]


def test_it_has_the_seed_examples() -> None:
    assert {name[:7] for name in SEEDS} == {"seed001", "seed002", "seed004"}
    assert len(SEEDS) >= 25


@pytest.mark.parametrize("name", SEEDS)
def test_seed_example_imports_or_is_refused_with_a_hint(name: str) -> None:
    real = recorded(name)
    result = load_config(config_text(name), env=config_env(name))
    if real["valid"]:
        assert result.valid and result.resolved is not None
        return
    assert not result.valid and result.resolved is None
    assert real["issues"][0]["path"] in [issue.path for issue in result.issues]
    assert all(issue.hint for issue in result.issues), result.issues


@pytest.mark.parametrize("name", REFUSED)
def test_refused_seed_example_gets_a_valid_migration_when_one_exists(name: str) -> None:
    result = load_config(config_text(name), env=config_env(name))
    assert not result.valid
    if result.migration is None:
        # Only fragments (settings of one channel shown without their channels.<name> parent) lack one.
        assert all(issue.path == "<root>" for issue in result.issues)
        return
    migrated = load_config(result.migration.text, env=config_env(name))
    assert migrated.valid, migrated.issues
    assert result.migration.changes


def test_seed_002_exec_approvals_maps_to_security_and_ask() -> None:
    result = load_config(config_text("seed002_11_tools_exec"), env={})
    assert result.migration is not None
    migrated = load_config(result.migration.text, env={})
    exec_cfg = migrated.resolved["tools"]["exec"]
    assert (exec_cfg["security"], exec_cfg["ask"]) == ("allowlist", "on-miss")
    assert "approvals" not in exec_cfg
    # The channel's approver settings are current config and stay untouched.
    assert migrated.resolved["channels"]["telegram"]["execApprovals"]["approvers"] == ["123456789"]
