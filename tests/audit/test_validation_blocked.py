"""Checks the real CLI cannot reach: its validator refuses the config first, and so does the panel.

OpenClaw's schema blocks relative bind mounts, host or container network modes and unconfined seccomp
or AppArmor profiles (the sandbox security rules), so `openclaw security audit` never reports these
findings: it refuses to audit. The panel's validator has the same rules (issue 24), so it refuses these
configs too instead of auditing them; the checks stay in the catalogue for a config dict audited directly.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest

from controlpanel.audit import run_audit
from controlpanel.lib.audit_cli import audit_file
from controlpanel.openclaw import load_config


def docker(**settings) -> dict:
    return {"agents": {"defaults": {"sandbox": {"mode": "all", "docker": settings}}}}


SECCOMP, APPARMOR = "sandbox.dangerous_seccomp_profile", "sandbox.dangerous_apparmor_profile"
CASES = [
    ("sandbox.bind_mount_non_absolute", docker(binds=["data:/data"]), docker(binds=["/srv/d:/d"]), "binds.0"),
    (SECCOMP, docker(seccompProfile="Unconfined"), docker(seccompProfile="x"), "seccompProfile"),
    (APPARMOR, docker(apparmorProfile="unconfined"), docker(apparmorProfile="x"), "apparmorProfile"),
    ("sandbox.dangerous_network_mode", docker(network="host"), docker(network="bridge"), "network"),
]  # fmt: skip
VALIDATION_BLOCKED = {c[0] for c in CASES}


@pytest.mark.parametrize(("check_id", "refused", "accepted", "key"), CASES, ids=[c[0] for c in CASES])
def test_the_validator_refuses_what_the_cli_refuses(check_id, refused, accepted, key) -> None:
    result = load_config(json.dumps(refused), env={})
    assert not result.valid
    assert [i.path for i in result.issues] == [f"agents.defaults.sandbox.docker.{key}"]
    assert result.issues[0].message.startswith("Sandbox security:")
    assert load_config(json.dumps(accepted), env={}).valid


@pytest.mark.parametrize(("check_id", "refused", "accepted", "key"), CASES, ids=[c[0] for c in CASES])
def test_a_refused_config_is_not_audited(tmp_path, check_id, refused, accepted, key) -> None:
    path = tmp_path / "openclaw.json"
    path.write_text(json.dumps(refused))
    out, err = StringIO(), StringIO()
    assert audit_file(str(path), None, True, out, err) == 1
    report = json.loads(out.getvalue())
    assert report["ok"] is False and "findings" not in report
    assert report["error"]["message"] == "OpenClaw config is invalid: openclaw.json"


@pytest.mark.parametrize(("check_id", "refused", "accepted", "key"), CASES, ids=[c[0] for c in CASES])
def test_the_checks_still_fire_on_a_config_audited_directly(check_id, refused, accepted, key) -> None:
    assert check_id in [f.check_id for f in run_audit(refused).findings]
    assert check_id not in [f.check_id for f in run_audit(accepted).findings]


def test_home_relative_bind_sources_use_the_audit_env() -> None:
    cfg = docker(binds=["/home/op/.ssh:/ssh:ro"])
    assert "sandbox.dangerous_bind_mount" in [
        f.check_id for f in run_audit(cfg, env={"HOME": "/home/op"}).findings
    ]
    assert "sandbox.dangerous_bind_mount" not in [f.check_id for f in run_audit(cfg).findings]
