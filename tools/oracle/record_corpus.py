"""Record the real OpenClaw CLI on the generated corpus (tests/fixtures/corpus; never run by CI).

    .venv/bin/python tools/oracle/corpus.py            # the configs (deterministic)
    .venv/bin/python tools/oracle/record_corpus.py     # what the CLI says about each (about an hour)
    ONLY='operator_*' .venv/bin/python tools/oracle/record_corpus.py   # a subset; FORCE=1 re-records
    STAGES=validate .venv/bin/python tools/oracle/record_corpus.py     # verdicts only (seconds a config)
    ONLINE=1 FORCE=1 ONLY=rule_slack_legacy_dm_policy STAGES=audit \
        .venv/bin/python tools/oracle/record_corpus.py                 # see ONLINE below

For every configs/<name>.json5 (with its optional .env sidecar as the CLI's environment) this writes,
through ../shared/tools/openclaw-peer, one call at a time (the machine is shared):

- <name>.validate.json   `openclaw config validate --json` (the throw-away path dropped)
- <name>.audit.json      `openclaw security audit --json`: every valid config, and the CLI's refusal for
  the invalid operator and rule configs (a refusal is the validator's verdict, recorded above)
- <name>.tools.json      the package's own effective tool resolver, per agent
- <name>.explain.<agent>.json        `openclaw sandbox explain --json --agent <agent as written>`
  (tools and explain: the valid operator, rule, agents and tools configs, whose agents differ)
- <name>.explain.<agent>.group.json  the same for the session agent:<agent>:telegram:group:123
  (operator configs with a Telegram channel and elevated settings)

The CLI takes seconds to minutes per call on a busy machine, so calls are limited to these. Each file
is written whole and only when missing (FORCE=1 re-records), so an interrupted run resumes where it
stopped; STAGES (validate,audit,explain by default) picks which of the outputs to record.

Outputs go to tests/fixtures/corpus/oracle/ as compact JSON with sorted keys; the per-call state
directory is replaced by <state> and `ts` is dropped, so re-recording gives the same files.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import json5

ROOT = Path(__file__).resolve().parents[2]
PEER = ROOT.parent / "shared" / "tools" / "openclaw-peer"
CORPUS = ROOT / "tests" / "fixtures" / "corpus"
CONFIGS = CORPUS / "configs"
ORACLE = CORPUS / "oracle"
GROUP_SESSION = "agent:{agent}:telegram:group:123"
STATE_DIR = re.compile(r"/tmp/tmp\.[A-Za-z0-9]+")
# Only these variables of the recording shell reach the CLI, so outputs do not depend on who records.
KEEP = ("PATH", "HOME", "LANG", "OPENCLAW_PEER_CACHE", "TMPDIR")
# For a configured channel whose plugin is not bundled (discord, whatsapp, slack, signal...), audit and
# explain try to fetch the plugin package first; offline, that attempt fails at once instead of after
# minutes, with the same output (checked on operator_02). Not always the same: when the channel plugin's
# settings upgrade cannot finish, the CLI skips checking that channel's settings (a warning) and audits
# a config it would refuse online. ONLINE=1 lets it fetch (rule_slack_legacy_dm_policy was recorded so);
# only for such verdicts: online, the CLI installs the plugin into its throw-away state and its audit adds
# plugins.installs_unpinned_npm_specs, a fact of that state, not of the config (checked on 7 configs).
TLS = ("NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR")  # ONLINE=1: this machine's CAs for npm
OFFLINE = {
    "npm_config_offline": "true",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
}


def env_for(config: Path) -> dict[str, str]:
    """The CLI's environment: the recording shell's basics plus the config's .env sidecar."""
    online = os.environ.get("ONLINE") == "1"
    env = {k: v for k, v in os.environ.items() if k in KEEP or (online and k in TLS)}
    if not online:
        env |= OFFLINE
    sidecar = config.with_suffix(".env")
    if sidecar.exists():
        for line in sidecar.read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                env[key.strip()] = value
    return env


def peer(config: Path, *args: str) -> Any:
    """Run one openclaw-peer command on config; return its JSON output (the CLI exits 1 on refusals)."""
    done = subprocess.run(
        [str(PEER), *args], capture_output=True, text=True, env=env_for(config), timeout=300, check=False
    )
    text = STATE_DIR.sub("<state>", done.stdout)
    start = text.find("{")
    if start < 0:
        raise SystemExit(f"openclaw-peer {' '.join(args)} gave no JSON:\n{done.stdout}\n{done.stderr}")
    data = json.loads(text[start:])
    if isinstance(data, dict):
        data.pop("ts", None)
        data.pop("path", None)
    return data


def write(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n")


def agents_as_written(config: Path, tools: dict[str, Any]) -> list[str]:
    """The agent ids to ask `sandbox explain` about, spelled as the config spells them."""
    raw = json5.loads(config.read_text())
    entries = (raw.get("agents") or {}).get("entries") if isinstance(raw.get("agents"), dict) else None
    written = list(entries) if isinstance(entries, dict) and entries else []
    return written or list(tools.get("agentIds") or ["main"])


EXPLAINED = ("operator_", "rule_", "section_agents", "section_tools")


def record(config: Path, force: bool, stages: set[str]) -> None:
    name = config.name.removesuffix(".json5")
    cfg = str(config)

    def missing(path: Path) -> bool:
        return force or not path.exists()

    target = ORACLE / f"{name}.validate.json"
    if missing(target):
        write(target, peer(config, "validate", cfg))
    validation = json.loads(target.read_text())
    valid = bool(validation.get("valid"))
    audit = ORACLE / f"{name}.audit.json"
    if "audit" in stages and (valid or name.startswith(("operator_", "rule_"))) and missing(audit):
        write(audit, peer(config, "audit", cfg))
    if "explain" in stages and valid and name.startswith(EXPLAINED):
        tools_file = ORACLE / f"{name}.tools.json"
        if missing(tools_file):
            write(tools_file, peer(config, "tools", cfg))
        agents = agents_as_written(config, json.loads(tools_file.read_text()))
        content = config.read_text()
        telegram = name.startswith("operator_") and '"telegram"' in content and '"elevated"' in content
        for agent in agents:
            explain = ORACLE / f"{name}.explain.{agent}.json"
            if missing(explain):
                write(explain, peer(config, "explain", cfg, agent))
            group = ORACLE / f"{name}.explain.{agent}.group.json"
            if telegram and missing(group):
                session = GROUP_SESSION.format(agent=agent.lower())
                args = ("sandbox", "explain", "--json", "--agent", agent, "--session", session)
                write(group, peer(config, "with", cfg, *args))
    print(name, "valid" if valid else "invalid", flush=True)


def main() -> int:
    ORACLE.mkdir(parents=True, exist_ok=True)
    only = os.environ.get("ONLY", "*")
    force = os.environ.get("FORCE") == "1"
    stages = set(os.environ.get("STAGES", "validate,audit,explain").split(","))
    pattern = only if only.endswith(".json5") else only + ".json5"
    # The realistic configs first: an interrupted run still leaves the most useful recordings.
    order = ("operator_", "rule_", "section_", "channel_", "mutated_")
    configs = sorted(
        (p for p in CONFIGS.glob("*.json5") if p.match(pattern)),
        key=lambda p: (next((i for i, o in enumerate(order) if p.name.startswith(o)), len(order)), p.name),
    )
    for config in configs:
        record(config, force, stages)
    names = {p.name.removesuffix(".json5") for p in CONFIGS.glob("*.json5")}
    for stale in ORACLE.glob("*.json"):
        if stale.name.split(".", 1)[0] not in names:
            stale.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
