from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from controlpanel.policy import TOOL_CATALOGUE

CONFIG = '{ tools: { deny: ["exec"] }, agents: { ownership: "explicit", entries: { main: {}, coder: {} } } }'


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "openclaw.json"
    path.write_text(CONFIG)
    return path


def test_json_partitions_the_catalogue(config):
    out = StringIO()
    call_command("explain", "--config", str(config), "--agent", "coder", "--json", stdout=out)
    doc = json.loads(out.getvalue())
    assert doc["agentId"] == "coder"
    allowed, denied = doc["tools"]["allowed"], doc["tools"]["denied"]
    assert sorted(allowed + denied) == sorted(TOOL_CATALOGUE) and not set(allowed) & set(denied)
    assert allowed == sorted(allowed) and denied == sorted(denied)
    assert "exec" in denied and doc["tools"]["sources"]["exec"]["key"] == "tools.deny"
    assert {"mode", "sessionIsSandboxed"} <= set(doc["sandbox"]) and "exec" in doc and "elevated" in doc


def test_invalid_config_exits_1(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{ tools: { profile: 'nope' } }")
    err = StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("explain", "--config", str(bad), stderr=err)
    assert exc.value.code == 1 and err.getvalue().startswith("tools.profile")


def test_agent_ids_are_case_insensitive_like_the_cli(tmp_path):
    """`openclaw sandbox explain --agent Research` resolves the entry "Research" as agent "research"."""
    path = tmp_path / "openclaw.json"
    entries = '{ Research: { tools: { deny: ["exec"] } }, main: {} }'
    path.write_text("{ agents: { ownership: 'explicit', entries: " + entries + " } }")
    out = StringIO()
    call_command("explain", "--config", str(path), "--agent", "RESEARCH", "--json", stdout=out)
    doc = json.loads(out.getvalue())
    assert doc["agentId"] == "research" and doc["sessionKey"] == "agent:research:main"
    assert "exec" in doc["tools"]["denied"]


def test_json_gives_the_tool_classes(config):
    out = StringIO()
    call_command("explain", "--config", str(config), "--agent", "main", "--json", stdout=out)
    classes = json.loads(out.getvalue())["tools"]["classes"]
    assert classes == {
        "plugin": {"allowed": True, "source": "default", "key": "tools"},
        "bundleMcp": {"allowed": True, "source": "default", "key": "tools"},
    }


def test_without_agent_a_roster_with_no_default_is_refused_like_the_cli(config):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=r"Multiple agents are configured.*main, coder"):
        call_command("explain", "--config", str(config), "--json", stdout=StringIO())


def _class_cases():
    from tests.policy.oracle_data import oracle, recorded_names

    return [
        (name, agent["agentId"], agent["mainSession"])
        for name in recorded_names()
        for agent in oracle(name, "tool-classes.json")["agents"]
    ]


@pytest.mark.parametrize(("name", "agent", "real"), _class_cases())
def test_json_tool_classes_equal_the_real_resolver_on_the_recorded_configs(name, agent, real):
    # The command itself, on the file as recorded (tool_classes.mjs drove OpenClaw's runtime pipeline
    # with a registered plugin tool and a bundled MCP tool on the same config).
    from tests.policy.oracle_data import CONFIGS

    out = StringIO()
    call_command(
        "explain", "--config", str(CONFIGS / f"{name}.json5"), "--agent", agent, "--json", stdout=out
    )
    classes = json.loads(out.getvalue())["tools"]["classes"]
    assert {c: v["allowed"] for c, v in classes.items()} == real
