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
