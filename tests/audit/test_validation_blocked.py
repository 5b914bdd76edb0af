"""Checks the real CLI cannot reach (its validator rejects the config first).

The panel still evaluates them: configs written for older OpenClaw releases carry these
settings, and the panel shows them before they are migrated.
"""

from __future__ import annotations

import pytest

from controlpanel.audit import run_audit


def docker(**settings) -> dict:
    return {"agents": {"defaults": {"sandbox": {"mode": "all", "docker": settings}}}}


CASES = [
    ("sandbox.bind_mount_non_absolute", docker(binds=["data:/data"]), docker(binds=["/srv/data:/data"])),
    ("sandbox.dangerous_seccomp_profile", docker(seccompProfile="Unconfined"), docker(seccompProfile="x")),
    ("sandbox.dangerous_apparmor_profile", docker(apparmorProfile="unconfined"), docker(apparmorProfile="x")),
    ("sandbox.dangerous_network_mode", docker(network="host"), docker(network="bridge")),
]  # fmt: skip
VALIDATION_BLOCKED = {c[0] for c in CASES}


@pytest.mark.parametrize(("check_id", "fires", "silent"), CASES, ids=[c[0] for c in CASES])
def test_it_fires_and_stays_silent(check_id: str, fires: dict, silent: dict) -> None:
    assert check_id in [f.check_id for f in run_audit(fires).findings]
    assert check_id not in [f.check_id for f in run_audit(silent).findings]


def test_home_relative_bind_sources_use_the_audit_env() -> None:
    cfg = docker(binds=["/home/op/.ssh:/ssh:ro"])
    assert "sandbox.dangerous_bind_mount" in [
        f.check_id for f in run_audit(cfg, env={"HOME": "/home/op"}).findings
    ]
    assert "sandbox.dangerous_bind_mount" not in [f.check_id for f in run_audit(cfg).findings]
