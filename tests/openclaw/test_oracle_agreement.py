"""Our verdict equals the real validator's on every recorded config."""

from __future__ import annotations

import pytest

from controlpanel.openclaw import load_config
from controlpanel.openclaw.loader import UNSTORABLE

from .fixtures import config_env, config_names, config_text, recorded

# Warnings about what is installed on the CLI's host, not about the config text.
INSTALL_DEPENDENT = ("plugin not installed:", "plugin not found:")


def _refused_as_unstorable(result) -> bool:
    """Deliberately stricter (issue 19, finding 2): text no database can store (NUL, a lone surrogate)
    is refused naming its path; OpenClaw's file can hold it, the panel's rows cannot."""
    return bool(result.issues) and all(i.message.startswith(UNSTORABLE) for i in result.issues)


NAMES = config_names()
CHECKED = NAMES
VALID = [name for name in CHECKED if recorded(name)["valid"]]
INVALID = [name for name in CHECKED if not recorded(name)["valid"]]


def test_it_has_enough_configs() -> None:
    assert len(NAMES) >= 60
    assert len({recorded(name)["issues"][0]["path"] for name in INVALID}) >= 25


@pytest.mark.parametrize("name", CHECKED)
def test_it_agrees_with_the_real_validator(name: str) -> None:
    real = recorded(name)
    ours = load_config(config_text(name), env=config_env(name))
    if real["valid"] and _refused_as_unstorable(ours):
        return
    assert ours.valid == real["valid"], ours.to_validate_json()
    if not real["valid"]:
        our_paths = [issue.path for issue in ours.issues]
        assert real["issues"][0]["path"] in our_paths


@pytest.mark.parametrize("name", INVALID)
def test_it_words_the_first_issue_like_the_real_validator(name: str) -> None:
    real = recorded(name)
    ours = load_config(config_text(name), env=config_env(name)).to_validate_json()
    first = real["issues"][0]
    assert {"path": first["path"], "message": first["message"]} in ours["issues"]


@pytest.mark.parametrize("name", VALID)
def test_it_gives_the_same_warnings_on_valid_configs(name: str) -> None:
    real = recorded(name)
    loaded = load_config(config_text(name), env=config_env(name))
    if _refused_as_unstorable(loaded):
        return
    ours = loaded.to_validate_json()
    from_config = [w for w in real["warnings"] if not w["message"].startswith(INSTALL_DEPENDENT)]
    assert ours["warnings"] == from_config


def test_a_repeated_key_is_accepted_like_the_cli_with_a_warning_naming_it() -> None:
    """OpenClaw keeps the last value; the panel does too, and says which key is repeated (issue 24)."""
    name = "invalid_duplicate_key"
    assert recorded(name) == {"valid": True, "warnings": []}
    result = load_config(config_text(name), env=config_env(name))
    assert config_text(name) == "{ gateway: { port: 1, port: 2 } }\n"
    assert result.valid and result.resolved["gateway"]["port"] == 2
    assert [(w.path, w.panel_only) for w in result.warnings] == [("gateway.port", True)]
    assert "Duplicate key" in result.warnings[0].message
    # The CLI's own output (what `openclaw config validate --json` prints) stays equal.
    assert result.to_validate_json() == recorded(name)


@pytest.mark.parametrize("name", INVALID)
def test_invalid_output_has_the_cli_shape(name: str) -> None:
    ours = load_config(config_text(name), env=config_env(name)).to_validate_json()
    real = recorded(name)
    assert set(ours) == {"valid", "issues"} == set(real) - {"ok", "error"}


@pytest.mark.parametrize("name", INVALID)
def test_invalid_configs_get_exactly_the_cli_issues(name: str) -> None:
    """Not only the first issue: the whole set of (path, message) pairs, in the CLI's words."""
    real = {(i["path"], i["message"]) for i in recorded(name)["issues"]}
    ours = {(i.path, i.message) for i in load_config(config_text(name), env=config_env(name)).issues}
    assert ours == real
