"""The README's commands work as written (issue 17, item 8), run as a user runs them.

A copy of the project stands for a fresh clone. The user runs ``make run``'s setup (``make setup``,
here without its pip step: the test's own interpreter is the virtualenv), then every command of the
README's "Command line" block, verbatim, from the project root, in a shell without any ``CP_*`` or
``DJANGO_*`` variable. Before the setup, the same commands must say what to do in one line, never a
traceback.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COPIED = ["manage.py", "Makefile", "README.md", "pyproject.toml", "controlpanel", "templates", "static"]


def readme_commands() -> list[str]:
    """The lines of the README's code blocks that run ``manage.py``."""
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if " manage.py " in line]


def user_env(tmp: Path) -> dict[str, str]:
    """A user's shell: none of the panel's or Django's variables (the test run sets several)."""
    drop = ("CP_", "DJANGO_", "DATABASE_URL", "REDIS_URL", "PYTEST", "COV_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["HOME"] = str(tmp)
    return env


def run(clone: Path, command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    argv = shlex.split(command)
    if argv[0] == ".venv/bin/python":
        argv[0] = sys.executable  # the copy has no .venv of its own; this interpreter is the one
    return subprocess.run(argv, cwd=clone, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture
def clone(tmp_path) -> Path:
    root = tmp_path / "clone"
    root.mkdir()
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, root / name)
    return root


def test_the_readme_lists_the_commands():
    commands = readme_commands()
    named = {shlex.split(c)[2] for c in commands}
    assert {"import_config", "explain", "audit", "activity_verify"} <= named, commands


def test_before_setup_each_command_says_what_to_do_in_one_line(clone, tmp_path):
    env = user_env(tmp_path)

    def says_run_make_run(command: str) -> None:
        result = run(clone, command, env)
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr, (command, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "make run" in lines[0], (command, result.stderr)

    commands = [c for c in readme_commands() if "audit --config" not in c]  # needs no settings
    for command in commands:  # a fresh clone: no secret key, no database
        says_run_make_run(command)
    key = subprocess.run(["make", "var/secret_key", f"PY={sys.executable}"], cwd=clone, env=env, check=False)
    assert key.returncode == 0
    for command in commands:  # a key but no database: what needs none works (a dry run, explain)
        if "--dry-run" in command or " explain " in command:
            assert run(clone, command, env).returncode == 0, command
        else:
            says_run_make_run(command)


def test_after_make_run_every_readme_command_works(clone, tmp_path):
    env = user_env(tmp_path)
    make = ["make", "-o", "install", "setup", f"PY={sys.executable}"]
    setup = subprocess.run(make, cwd=clone, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert "password:" in setup.stdout  # ensure_owner created the first account
    for command in readme_commands():
        result = run(clone, command, env)
        assert result.returncode == 0, (command, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr, (command, result.stderr)
    # And a mistake is one line too.
    missing = run(clone, ".venv/bin/python manage.py audit --gateway no-such-gateway", env)
    assert missing.returncode == 1 and missing.stderr.strip().count("\n") == 0, missing.stderr
