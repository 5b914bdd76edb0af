"""``manage.py import_config``: the CLI shape of ``openclaw config validate --json`` and exit codes."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from controlpanel.models import Gateway
from tests.conftest import MINIMAL_CONFIG


def run(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("import_config", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def files(tmp_path):
    good = tmp_path / "home.openclaw.json"
    good.write_text(MINIMAL_CONFIG)
    bad = tmp_path / "bad.json"
    bad.write_text("{ gateway: { controlUi: { allowInsecureAuth: true } } }")
    env = tmp_path / "gw.env"
    env.write_text("# token\nGW_TOKEN=" + "b" * 40 + "\n")
    return good, bad, env


@pytest.mark.django_db
def test_json_output_for_a_valid_config_and_import(files, alice):
    good, _, env = files
    code, out, _ = run(str(good), "--env-file", str(env), "--json", "--owner", "alice")
    assert code == 0
    body = json.loads(out)
    assert body["valid"] is True and body.get("issues", []) == []
    gateway = Gateway.objects.get(name="home")
    assert gateway.agents.count() == 2
    assert gateway.memberships.get().user == alice


@pytest.mark.django_db
def test_invalid_config_exits_1_with_the_path_and_saves_nothing(files):
    _, bad, _ = files
    code, out, _ = run(str(bad), "--json")
    assert code == 1
    body = json.loads(out)
    assert body["valid"] is False
    assert body["issues"][0]["path"] == "gateway.controlUi"
    assert "allowInsecureAuth" in body["issues"][0]["message"]
    assert not Gateway.objects.exists()


@pytest.mark.django_db
def test_plain_output_names_the_path_on_stderr(files):
    _, bad, _ = files
    code, _, err = run(str(bad))
    assert code == 1
    assert err.startswith("gateway.controlUi: ")


@pytest.mark.django_db
def test_dry_run_and_update(files):
    good, _, env = files
    code, out, _ = run(str(good), "--env-file", str(env), "--dry-run", "--name", "gw")
    assert code == 0 and "dry run" in out and not Gateway.objects.exists()
    assert run(str(good), "--env-file", str(env), "--name", "gw")[0] == 0
    code, out, _ = run(str(good), "--env-file", str(env), "--name", "gw")
    assert code == 0 and "updated gateway gw" in out
    assert Gateway.objects.count() == 1


@pytest.mark.django_db
def test_bad_env_file_names_the_line(files, tmp_path):
    good, _, _ = files
    env = tmp_path / "bad.env"
    env.write_text("OK=1\nthis is not an assignment\n")
    with pytest.raises(CommandError, match="line 2"):
        call_command("import_config", str(good), "--env-file", str(env))
