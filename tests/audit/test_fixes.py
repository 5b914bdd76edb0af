"""Fix proposals: safe tightenings that remove their findings and add none."""

from __future__ import annotations

import json

import pytest

from controlpanel.audit import apply_fixes, propose_fixes, run_audit

from .fixtures import CONFIG_DIR, comparable, fixture_names, load_dict, load_fixture

NAMES = fixture_names()
SECRET_WORDS = ("token", "password", "secret", "apikey", "api_key")


@pytest.mark.parametrize("name", NAMES)
def test_applying_fixes_removes_their_findings_and_adds_none(name: str) -> None:
    config, raw, env = load_fixture(name)
    before = run_audit(config, env=env).findings
    fixes = propose_fixes(raw, before, env=env)
    if not fixes:
        pytest.skip("no safe fix applies")
    fixed_raw = apply_fixes(raw, fixes)
    after = run_audit(load_dict(fixed_raw, env), env=env).findings
    assert {f.check_id for f in after} <= {f.check_id for f in before}
    remaining = {(f.check_id, f.detail) for f in after}
    for finding in before:
        if propose_fixes(raw, [finding], env=env):
            assert (finding.check_id, finding.detail) not in remaining


@pytest.mark.parametrize("name", NAMES)
def test_fixes_never_touch_secrets(name: str) -> None:
    config, raw, env = load_fixture(name)
    for fix in propose_fixes(raw, run_audit(config, env=env).findings, env=env):
        assert not any(w in str(seg).lower() for seg in fix.path for w in SECRET_WORDS)


def test_it_proposes_concrete_tightenings() -> None:
    raw = {
        "gateway": {"bind": "loopback", "allowRealIpFallback": True, "controlUi": {"allowedOrigins": ["*"]}},
        "discovery": {"mdns": {"mode": "full"}},
        "hooks": {"enabled": True, "token": "t" * 30, "path": "/", "allowRequestSessionKey": True},
    }
    fixes = {f.dotted: (f.before, f.after) for f in propose_fixes(raw, run_audit(raw).findings)}
    assert fixes == {
        "gateway.controlUi.allowedOrigins": (["*"], []),
        "gateway.allowRealIpFallback": (True, False),
        "discovery.mdns.mode": ("full", "minimal"),
        "hooks.path": ("/", "/hooks"),
        "hooks.defaultSessionKey": (None, "hook:ingress"),
        "hooks.allowedAgentIds": (None, []),
        "hooks.allowRequestSessionKey": (True, False),
    }


def test_it_does_not_offer_a_fix_that_would_trigger_another_check() -> None:
    # Removing the only origin on an exposed gateway would fire allowed_origins_required.
    raw = {"gateway": {"bind": "lan", "auth": {"token": "x" * 30}, "controlUi": {"allowedOrigins": ["*"]}}}
    fixes = propose_fixes(raw, run_audit(raw).findings)
    assert "gateway.controlUi.allowedOrigins" not in [f.dotted for f in fixes]


def test_apply_keeps_env_references_and_the_input_untouched() -> None:
    raw = {"gateway": {"auth": {"token": "${GW_TOKEN}"}, "allowRealIpFallback": True}}
    fixes = propose_fixes(
        raw, run_audit({**raw, "gateway": {**raw["gateway"], "auth": {"token": "x" * 30}}}).findings
    )
    out = apply_fixes(raw, fixes)
    assert out["gateway"]["auth"]["token"] == "${GW_TOKEN}"
    assert out["gateway"]["allowRealIpFallback"] is False
    assert raw["gateway"]["allowRealIpFallback"] is True


FIXED_DIR = CONFIG_DIR.parent / "fixed"
FIXED = sorted(p.name.removesuffix(".json5") for p in FIXED_DIR.glob("*.json5")) if FIXED_DIR.exists() else []


@pytest.mark.parametrize("name", FIXED)
def test_the_real_cli_agrees_that_the_fixes_work(name: str) -> None:
    # fixed/<name>.json5 is our fix proposal applied to configs/<name>.json5; the real CLI
    # audited it (tools/oracle/record_audit.py --fixes).
    config, raw, env = load_fixture(name)
    before = run_audit(config, env=env).findings
    fixed_raw = apply_fixes(raw, propose_fixes(raw, before, env=env))
    assert fixed_raw == json.loads((FIXED_DIR / f"{name}.json5").read_text()), "re-record fixes"
    cli_after = json.loads((FIXED_DIR / f"{name}.audit.json").read_text())["findings"]
    assert {f["checkId"] for f in cli_after} <= {f.check_id for f in before}
    assert comparable(cli_after) == comparable(
        run_audit(load_dict(fixed_raw, env), env=env).to_json()["findings"]
    )
