"""Exec policy: compared field by field with `openclaw exec-policy show/set --json` (2026.9.6)."""

import json
from pathlib import Path

import json5
import pytest

from controlpanel.approvals.exec_policy import (
    allowed_decisions,
    approval_flow_state,
    default_agent_id,
    exact_mode_from_policy,
    exec_policy_scopes,
    exec_policy_show,
    max_ask,
    min_security,
    mode_from_policy,
    validate_decision,
)
from controlpanel.approvals.legacy import LEGACY_POLICY_TABLE, migrate_legacy_approvals

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "approvals" / "exec_policy"
CASES = json.loads((FIXTURES / "cases.json").read_text())


def _load(name):
    case = CASES[name]
    config = json5.loads((FIXTURES / case["config"]).read_text())
    cli = json.loads((FIXTURES / f"{name}.out.json").read_text())
    return config, case["approvals"], cli


def test_it_has_at_least_twelve_recorded_configs():
    assert len(CASES) >= 12
    assert all((FIXTURES / f"{name}.out.json").exists() for name in CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_it_matches_the_real_cli_field_by_field(name):
    config, approvals, cli = _load(name)
    ours = exec_policy_show(config, approvals, host_path=cli["approvalsPath"])
    theirs = cli["effectivePolicy"]
    assert len(ours["scopes"]) == len(theirs["scopes"])
    for mine, real in zip(ours["scopes"], theirs["scopes"], strict=True):
        for key in sorted(set(mine) | set(real)):
            assert mine.get(key) == real.get(key), f"{name} {real.get('scopeLabel')} {key}"
    assert ours["note"] == theirs["note"]


@pytest.mark.parametrize(
    ("name", "label", "security", "ask", "fallback", "mode"),
    [
        ("01-empty", "tools.exec", "full", "off", "deny", "full"),  # 2026 default: YOLO, fallback deny
        ("04-mode-ask", "tools.exec", "allowlist", "on-miss", "deny", "ask"),
        ("10-host-deny-beats-agent-full", "agent:ops", "deny", "off", "deny", "deny"),
        ("11-host-ask-always", "agent:ops", "allowlist", "always", "deny", "ask"),
        ("12-host-fallback-full", "tools.exec", "allowlist", "on-miss", "allowlist", "ask"),
        ("15-yolo-host-with-cautious-agent", "agent:careful", "allowlist", "on-miss", "allowlist", "ask"),
    ],
)
def test_it_intersects_host_and_requested_policy(name, label, security, ask, fallback, mode):
    config, approvals, _ = _load(name)
    scope = next(s for s in exec_policy_scopes(config, approvals) if s["scopeLabel"] == label)
    assert (scope["security"]["effective"], scope["ask"]["effective"]) == (security, ask)
    assert scope["askFallback"]["effective"] == fallback
    assert scope["mode"]["effective"] == mode


def test_it_reports_node_hosts_as_unknown():
    config, approvals, _ = _load("14-agent-host-node")
    edge = next(s for s in exec_policy_scopes(config, approvals) if s["scopeLabel"] == "agent:edge")
    assert edge["runtimeApprovalsSource"] == "node-runtime"
    assert edge["security"]["effective"] == "unknown"


@pytest.mark.parametrize(
    ("a", "b", "stricter"),
    [("deny", "full", "deny"), ("full", "allowlist", "allowlist"), ("full", "full", "full")],
)
def test_it_takes_the_stricter_security(a, b, stricter):
    assert min_security(a, b) == min_security(b, a) == stricter


@pytest.mark.parametrize(
    ("a", "b", "louder"),
    [("off", "always", "always"), ("on-miss", "off", "on-miss"), ("off", "off", "off")],
)
def test_it_takes_the_more_aggressive_ask(a, b, louder):
    assert max_ask(a, b) == max_ask(b, a) == louder


@pytest.mark.parametrize(
    ("security", "ask", "mode", "exact"),
    [
        ("deny", "always", "deny", None),
        ("allowlist", "off", "allowlist", "allowlist"),
        ("allowlist", "on-miss", "ask", "ask"),
        ("allowlist", "always", "ask", None),
        ("full", "off", "full", "full"),
        ("full", "on-miss", "full", None),
        ("full", "always", "ask", None),
    ],
)
def test_it_maps_security_and_ask_to_modes(security, ask, mode, exact):
    assert mode_from_policy(security, ask) == mode
    assert exact_mode_from_policy(security, ask) == exact


@pytest.mark.parametrize(
    ("ask", "durable", "expected"),
    [
        ("off", True, ("allow-once", "allow-always", "deny")),
        ("on-miss", True, ("allow-once", "allow-always", "deny")),
        ("always", True, ("allow-once", "deny")),
        ("on-miss", False, ("allow-once", "deny")),
    ],
)
def test_it_limits_decisions_to_what_the_request_allows(ask, durable, expected):
    assert allowed_decisions(ask, durable_allowed=durable) == expected


@pytest.mark.parametrize(
    ("decision", "allowed", "ok"),
    [
        ("allow-once", ("allow-once", "deny"), True),
        ("deny", ("allow-once", "deny"), True),
        ("allow-always", ("allow-once", "deny"), False),
        ("allow-always", ("allow-once", "allow-always", "deny"), True),
        ("approve", ("allow-once", "allow-always", "deny"), False),
        ("", ("allow-once",), False),
    ],
)
def test_it_validates_decisions(decision, allowed, ok):
    result = validate_decision(decision, allowed)
    assert result.ok is ok
    assert bool(result.reason) is not ok


@pytest.mark.parametrize(
    ("approvers", "enabled", "state"),
    [
        (["123456789"], True, "enabled"),
        ([], True, "fails_closed"),
        (None, True, "fails_closed"),
        (["  "], True, "fails_closed"),
        ([], False, "disabled"),
    ],
)
def test_it_fails_closed_with_an_empty_approver_list(approvers, enabled, state):
    assert approval_flow_state(approvers, enabled=enabled) == state


@pytest.mark.parametrize("policy", sorted(LEGACY_POLICY_TABLE))
def test_it_maps_every_legacy_policy_onto_a_current_mode(policy):
    migration = migrate_legacy_approvals({"enabled": True, "policy": policy, "allowlist": ["git status"]})
    exec_cfg = migration.exec_config
    assert ("mode" in exec_cfg) != ("security" in exec_cfg)  # never the mixed form the CLI refuses
    assert migration.notes


def test_it_maps_the_seed_example_to_ask_with_a_host_allowlist_hint():
    seed = {"enabled": True, "policy": "allowlist", "allowlist": ["git status", "git diff", "npm test"]}
    migration = migrate_legacy_approvals(seed)
    assert migration.exec_config == {"mode": "ask"}
    assert [e["pattern"] for e in migration.host_allowlist] == ["git", "npm"]


@pytest.mark.parametrize(
    ("policy", "exec_config"),
    [
        ("always", {"security": "allowlist", "ask": "always"}),
        ("never", {"mode": "full"}),
    ],
)
def test_it_maps_always_and_never(policy, exec_config):
    assert migrate_legacy_approvals({"enabled": True, "policy": policy}).exec_config == exec_config


def test_a_disabled_legacy_block_requests_nothing():
    assert migrate_legacy_approvals({"enabled": False, "policy": "always"}).exec_config == {}


def _only(scopes, label):
    return next(s for s in scopes if s["scopeLabel"] == label)


@pytest.mark.parametrize(
    ("agents", "security", "source"),
    [
        ({"main": {"security": "deny"}, "*": {"security": "allowlist"}}, "deny", "agents.main.security"),
        ({"*": {"security": "allowlist"}}, "allowlist", "agents.*.security"),
        ({}, "full", "defaults.security"),
        ({"main": {"security": "bogus"}, "*": {"security": "deny"}}, "full", "defaults.security"),
    ],
)
def test_host_fields_resolve_agent_then_wildcard_then_defaults(agents, security, source):
    # The CLI oracle cannot hold per-agent host entries (fresh state per call): precedence per the docs.
    approvals = {"version": 1, "defaults": {"security": "full"}, "agents": agents}
    scope = _only(exec_policy_scopes({}, approvals, host_path="H"), "tools.exec")
    assert scope["security"]["host"] == security
    assert scope["security"]["hostSource"] == f"H {source}"


def test_host_agents_without_config_get_their_own_scope():
    approvals = {"version": 1, "agents": {"builder": {"ask": "always"}, "*": {}, "default": {}}}
    scopes = exec_policy_scopes({}, approvals)
    assert [s["scopeLabel"] for s in scopes] == ["tools.exec", "agent:builder"]
    assert scopes[1]["ask"]["effective"] == "always"
    assert scopes[1]["mode"]["note"] == "host policy changes effective mode"


def test_host_askfallback_never_exceeds_effective_security():
    approvals = {"version": 1, "defaults": {"security": "deny", "askFallback": "full"}}
    scope = _only(exec_policy_scopes({"tools": {"exec": {"mode": "full"}}}, approvals), "tools.exec")
    assert scope["askFallback"]["effective"] == "deny"


@pytest.mark.parametrize(
    ("config", "agent"),
    [
        ({}, "main"),
        ({"agents": {"entries": {"solo": {}}}}, "solo"),
        ({"agents": {"entries": {"a": {}, "b": {"default": True}}}}, "b"),  # legacy marker
        ({"agents": {"list": [{"id": "x"}]}}, "x"),  # legacy array form
        ({"agents": {"ownership": "explicit", "entries": {"a": {}, "b": {}}}}, None),
        (
            {
                "agents": {
                    "ownership": "explicit",
                    "defaults": {"systemAgent": {"agentId": "b"}},
                    "entries": {"b": {}},
                }
            },
            "b",
        ),
    ],
)
def test_it_finds_the_default_agent(config, agent):
    assert default_agent_id(config) == agent


def test_every_legacy_mapping_is_a_config_the_real_validator_accepted():
    # Each target form is one of the recorded fixtures, which the record script validated first.
    recorded = [json5.loads((FIXTURES / c["config"]).read_text()) for c in CASES.values()]
    recorded_exec = [((cfg.get("tools") or {}).get("exec")) for cfg in recorded]
    for target in LEGACY_POLICY_TABLE.values():
        assert target in recorded_exec, target
