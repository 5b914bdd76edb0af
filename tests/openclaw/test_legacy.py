"""Legacy forms: refused with the real path, a hint, and a migration to the current form."""

from __future__ import annotations

import json

import pytest

from controlpanel.openclaw import load_config, parse_json5
from controlpanel.openclaw.legacy import EXEC_APPROVAL_POLICY, find_legacy

from .fixtures import CONFIGS, config_text


@pytest.mark.parametrize(
    ("policy", "security", "ask"),
    [("allowlist", "allowlist", "on-miss"), ("always", "allowlist", "always"), ("never", "full", "off")],
)
def test_it_maps_exec_approval_policies(policy: str, security: str, ask: str) -> None:
    text = json.dumps({"tools": {"exec": {"approvals": {"enabled": True, "policy": policy}}}})
    result = load_config(text, env={})
    assert [(i.path, i.message) for i in result.issues] == [("tools.exec", 'Unrecognized key: "approvals"')]
    assert "tools.exec.security/ask" in (result.issues[0].hint or "")
    assert result.migration is not None
    migrated = parse_json5(result.migration.text)
    assert migrated["tools"]["exec"] == {"security": security, "ask": ask}
    assert EXEC_APPROVAL_POLICY[policy] == (security, ask)


def test_it_drops_disabled_approvals() -> None:
    text = "{ tools: { exec: { approvals: { enabled: false } } } }"
    result = load_config(text, env={})
    assert result.migration is not None
    assert parse_json5(result.migration.text) == {"tools": {"exec": {}}}


def test_it_migrates_per_agent_sandbox_keys() -> None:
    sandbox = '{ enabled: true, workspaceAccess: "rw", network: "none", tools: { deny: ["exec"] } }'
    text = '{ agents: { list: [ { id: "untrusted", sandbox: ' + sandbox + " } ] } }"
    result = load_config(text, env={})
    assert not result.valid
    assert result.issues[0].path == "agents.entries.untrusted.sandbox"
    assert result.issues[0].message == 'Unrecognized keys: "enabled", "network", "tools"'
    assert "sandbox.mode" in (result.issues[0].hint or "")
    assert result.migration is not None
    migrated = load_config(result.migration.text, env={})
    assert migrated.valid
    agent = migrated.resolved["agents"]["entries"]["untrusted"]
    assert agent["sandbox"] == {"workspaceAccess": "rw", "mode": "all", "docker": {"network": "none"}}
    assert agent["tools"] == {"sandbox": {"tools": {"deny": ["exec"]}}}


def test_it_keeps_env_references_in_the_migration() -> None:
    text = '{ gateway: { auth: { token: "${GW_TOKEN}" }, controlUi: { allowInsecureAuth: true } } }'
    result = load_config(text, env={"GW_TOKEN": "s3cret"})
    assert result.migration is not None
    assert "${GW_TOKEN}" in result.migration.text
    assert "s3cret" not in result.migration.text


def test_it_offers_no_migration_when_other_errors_remain() -> None:
    text = '{ logging: { redactSensitive: "tools" }, gateway: { port: "x" } }'
    result = load_config(text, env={})
    assert not result.valid and result.migration is None


def test_it_migrates_agents_list_in_memory_with_the_cli_warnings() -> None:
    text = '{ agents: { list: [ { id: "a" }, { id: "b", default: true } ] } }'
    result = load_config(text, env={})
    assert result.valid
    assert list(result.resolved["agents"]["entries"]) == ["a", "b"]
    assert "list" in result.raw["agents"]  # the text as written is untouched
    assert [w.message for w in result.warnings] == [
        "Moved agents.list to keyed agents.entries.",
        "Materialized legacy per-surface agent ownership.",
        "Removed retired agents.entries.*.default markers.",
    ]


LEGACY_FIXTURES = ["legacy_controlui_insecure", "legacy_exec_approvals", "legacy_exec_approvals_always"]
LEGACY_FIXTURES += ["legacy_logging_redact", "legacy_sandbox_enabled"]


@pytest.mark.parametrize("name", LEGACY_FIXTURES)
def test_migration_removes_what_openclaw_doctor_removes(name: str) -> None:
    """doctor --fix deletes the refused keys (and loses their intent); we rewrite them instead."""
    text = config_text(name)
    findings = find_legacy(parse_json5(text))
    assert findings
    doctor = parse_json5((CONFIGS / f"{name}.doctor.json5").read_text())
    for finding in findings:
        parent = _at(doctor, finding.parent) or {}
        assert finding.key not in parent  # doctor considers it legacy too
    result = load_config(text, env={})
    assert result.migration is not None
    assert find_legacy(parse_json5(result.migration.text)) == []
    assert load_config(result.migration.text, env={}).valid


def _at(data: object, path: tuple[str, ...]) -> object:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def test_the_migration_edits_the_file_in_place_keeping_its_comments() -> None:
    text = """// lab gateway
{
  tools: {
    // exec needs a human
    exec: { approvals: { policy: "always" } }, // legacy form
  },
  gateway: { port: 18789 /* fixed */ },
}
"""
    result = load_config(text, env={})
    assert result.migration is not None
    out = result.migration.text
    assert parse_json5(out) == {
        "tools": {"exec": {"security": "allowlist", "ask": "always"}},
        "gateway": {"port": 18789},
    }
    for comment in ("// lab gateway", "// exec needs a human", "// legacy form", "/* fixed */"):
        assert comment in out
    assert out.splitlines()[-2:] == ["  gateway: { port: 18789 /* fixed */ },", "}"]
