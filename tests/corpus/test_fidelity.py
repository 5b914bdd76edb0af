"""The panel against the real CLI on the generated corpus (issue 24), from recordings: no CLI needed.

The figures are printed at the end of the run (tests/corpus/conftest.py) and with
``.venv/bin/python -m tests.corpus.fidelity``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS_FIGURES

from . import fidelity
from .fidelity import CONFIGS, HOST_WARNINGS, env, loaded, names, recorded, text

ROOT = Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location("corpus_generator", ROOT / "tools" / "oracle" / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("corpus_generator", module)
    spec.loader.exec_module(module)
    return module


def test_the_corpus_is_what_the_generator_draws_from_the_schema() -> None:
    generator = _generator()
    items = generator.corpus()
    assert len(items) >= 200
    assert {p.name.removesuffix(".json5") for p in CONFIGS.glob("*.json5")} == {n for n, _, _ in items}
    for name, config, env_vars in items:
        assert text(name) == generator.render(config), name
        assert env(name) == env_vars, name


def test_every_config_is_recorded_and_the_corpus_covers_every_channel_and_section() -> None:
    recorded_names = set(names())
    assert {p.name.removesuffix(".json5") for p in CONFIGS.glob("*.json5")} == recorded_names
    from controlpanel.openclaw.schema import channel_ids, root_schema

    for channel in channel_ids():
        assert any(n.startswith(f"channel_{channel}_") for n in recorded_names), channel
    for section in root_schema()["properties"]:
        if section not in ("$schema", "channels", "meta"):
            assert f"section_{section}_0" in recorded_names, section
    invalid = [n for n in recorded_names if not recorded(n, "validate")["valid"]]
    assert len(invalid) >= 100 and len(recorded_names) - len(invalid) >= 100
    # The realistic multi-channel operator configs are audited too (the CLI's refusal for invalid ones).
    assert all(
        (fidelity.ORACLE / f"{n}.audit.json").exists() for n in recorded_names if n.startswith("operator_")
    )


def test_the_acceptance_figures_hold() -> None:
    result = fidelity.figures()
    CORPUS_FIGURES.parent.mkdir(exist_ok=True)
    CORPUS_FIGURES.write_text("; ".join(result.lines()))
    detail = "\n".join([*result.lines(), *result.differences[:40]])
    assert result.ratio(result.verdict_agree, result.configs) >= 0.98, detail
    assert result.ratio(result.path_right, result.invalid) >= 0.95, detail
    assert result.ratio(result.audit_agree, result.audit_units) >= 0.99, detail
    assert result.ratio(result.texts_equal, result.findings_matched) >= 0.95, detail
    assert result.ratio(result.explains_equal, result.explains) >= 0.95, detail


# Each class of difference issue 24 found, with corpus configs that show it: the panel must say
# exactly what `openclaw config validate --json` said (issues, or warnings of a valid config).
CLASSES = {
    "channel accounts": ["channel_telegram_1", "channel_discord_1", "channel_slack_1", "channel_whatsapp_1"],
    "channel topics": ["operator_*"],
    "slack legacy dm": ["rule_slack_legacy_dm_policy"],
    "hooks.mappings": [
        "rule_hooks_action_bogus",
        "rule_hooks_match_path_number",
        "rule_hooks_persistent_no_key",
    ],
    "bindings": ["rule_binding_peer_dm", "rule_binding_no_agent", "rule_binding_unknown_agent"],
    "heartbeat": [
        "rule_heartbeat_every_number",
        "rule_heartbeat_target_pager",
        "rule_heartbeat_unknown_agent",
    ],
    "trusted proxy users": ["rule_trusted_proxy_users_string", "rule_trusted_proxy_users_number"],
    "sandbox security": [
        "rule_sandbox_bind_relative",
        "rule_sandbox_network_host",
        "rule_sandbox_network_container",
        "rule_sandbox_seccomp_unconfined",
        "rule_sandbox_apparmor_unconfined",
        "rule_sandbox_browser_container",
    ],
    "web-search provider": [
        "rule_websearch_brave",
        "rule_websearch_brave_allowed",
        "rule_websearch_nonsense",
    ],
    "disabled plugin with config": ["rule_plugin_disabled_browser", "rule_plugin_allow_excludes"],
}


def _cases() -> list[tuple[str, str]]:
    recorded_names = names()
    cases = []
    for label, patterns in CLASSES.items():
        for pattern in patterns:
            matching = [n for n in recorded_names if Path(n).match(pattern)]
            if pattern == "operator_*":  # topics: the operator configs that have some
                matching = [n for n in matching if '"topics"' in text(n)]
            cases += [(label, name) for name in matching]
    return cases


def _cli_output(name: str) -> dict:
    real = recorded(name, "validate")
    if real["valid"]:
        said = [w for w in real["warnings"] if not w["message"].startswith(HOST_WARNINGS)]
        return {"valid": True, "warnings": [{"path": w["path"], "message": w["message"]} for w in said]}
    return {"valid": False, "issues": sorted((i["path"], i["message"]) for i in real["issues"])}


def _panel_output(name: str) -> dict:
    ours = loaded(name).to_validate_json()
    if ours["valid"]:
        said = [w for w in ours["warnings"] if not w["message"].startswith(HOST_WARNINGS)]
        return {"valid": True, "warnings": said}
    return {"valid": False, "issues": sorted((i["path"], i["message"]) for i in ours["issues"])}


@pytest.mark.parametrize(("label", "name"), _cases(), ids=[f"{c[0]}:{c[1]}" for c in _cases()])
def test_each_class_of_difference_says_what_the_cli_says(label: str, name: str) -> None:
    assert _panel_output(name) == _cli_output(name), json.dumps(recorded(name, "validate"))[:400]


def test_every_class_has_recorded_cases() -> None:
    labels = {label for label, _ in _cases()}
    assert labels == set(CLASSES)
