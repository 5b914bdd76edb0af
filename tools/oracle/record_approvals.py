"""Record exec-policy fixtures for tests/approvals from the real OpenClaw CLI.

Each case is a config we wrote (``tests/fixtures/approvals/exec_policy/<name>.json5``) plus optional
``exec-policy set`` flags. The script first checks the config with ``openclaw config validate --json`` and
refuses to record an invalid one, then stores the CLI's JSON next to it as ``<name>.out.json``:

* no flags  -> ``openclaw exec-policy show --json``
* flags     -> ``openclaw exec-policy set FLAGS --json``; the configs are written so that the flags do not
  change the top-level ``tools.exec`` they already hold, so the only effect is the host approvals document
  ``{"version": 1, "defaults": {...flags}}`` (recorded in ``cases.json``), and per-agent overrides meet a
  host policy that differs from what they request.

Run from the repository root, sequentially (~10 s per call):
    .venv/bin/python tools/oracle/record_approvals.py [CASE ...]
CI never runs this; the tests read the committed fixtures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PEER = Path("/work/shared/tools/openclaw-peer")
FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "approvals" / "exec_policy"

# name -> (config text, exec-policy set flags as {cli_flag: value})
CASES: dict[str, tuple[str, dict[str, str]]] = {
    "01-empty": ("{}", {}),
    "02-mode-deny": ('{ tools: { exec: { mode: "deny" } } }', {}),
    "03-mode-allowlist": ('{ tools: { exec: { mode: "allowlist" } } }', {}),
    "04-mode-ask": ('{ tools: { exec: { mode: "ask" } } }', {}),
    "05-mode-auto": ('{ tools: { exec: { mode: "auto" } } }', {}),
    "06-mode-full": ('{ tools: { exec: { mode: "full" } } }', {}),
    "07-legacy-full-on-miss": ('{ tools: { exec: { security: "full", ask: "on-miss" } } }', {}),
    "08-legacy-allowlist-always": ('{ tools: { exec: { security: "allowlist", ask: "always" } } }', {}),
    "09-agents-overrides": (
        """{
  tools: { exec: { mode: "ask" } },
  agents: { ownership: "explicit", defaults: { systemAgent: { agentId: "main" } }, entries: {
    main: {},
    ops: { tools: { exec: { mode: "full" } } },
    dev: { tools: { exec: { security: "deny" } } },
    qa: { tools: { exec: { ask: "always" } } },
  } },
}""",
        {},
    ),
    "10-host-deny-beats-agent-full": (
        """{
  tools: { exec: { mode: "deny" } },
  agents: { ownership: "explicit", entries: { main: {}, ops: { tools: { exec: { mode: "full" } } } } },
}""",
        {"--security": "deny", "--ask": "off"},
    ),
    "11-host-ask-always": (
        """{
  tools: { exec: { security: "allowlist", ask: "always" } },
  agents: {
    ownership: "explicit",
    defaults: { systemAgent: { agentId: "lab" } },
    entries: {
      main: {},
      ops: { tools: { exec: { mode: "full" } } },
      lab: { tools: { exec: { mode: "allowlist" } } },
    },
  },
}""",
        {"--security": "allowlist", "--ask": "always"},
    ),
    "12-host-fallback-full": ('{ tools: { exec: { mode: "ask" } } }', {"--ask-fallback": "full"}),
    "13-host-fallback-allowlist-under-full": (
        '{ tools: { exec: { mode: "full" } } }',
        {"--ask-fallback": "allowlist"},
    ),
    "14-agent-host-node": (
        """{
  tools: { exec: { mode: "allowlist" } },
  agents: {
    ownership: "explicit",
    defaults: { systemAgent: { agentId: "main" } },
    entries: { main: {}, edge: { tools: { exec: { host: "node", mode: "full" } } } },
  },
}""",
        {},
    ),
    "15-yolo-host-with-cautious-agent": (
        """{
  tools: { exec: { mode: "full", strictInlineEval: true } },
  agents: {
    ownership: "explicit",
    defaults: { systemAgent: { agentId: "main" } },
    entries: { main: {}, careful: { tools: { exec: { mode: "ask" } } } },
  },
}""",
        {"--security": "full", "--ask": "off", "--ask-fallback": "full"},
    ),
    "16-host-allowlist-on-miss-vs-legacy-agent": (
        """{
  tools: { exec: { mode: "ask", host: "gateway" } },
  agents: {
    ownership: "explicit",
    entries: {
      main: {},
      ops: { tools: { exec: { security: "full" } } },
      ro: { tools: { exec: { mode: "deny" } } },
    },
  },
}""",
        {"--security": "allowlist", "--ask": "on-miss", "--ask-fallback": "deny"},
    ),
}


def peer(*args: str) -> dict:
    """Run openclaw-peer and return its parsed JSON stdout (raises on a non-zero exit)."""
    # The argv is ours (fixed tool path + our fixture paths), never user input.
    cmd = [str(PEER), *args]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main() -> int:
    """Record every case; returns the process exit code."""
    FIXTURES.mkdir(parents=True, exist_ok=True)
    only = set(sys.argv[1:])  # optional: re-record just these case names
    for name, (text, flags) in CASES.items():
        if only and name not in only:
            continue
        cfg = FIXTURES / f"{name}.json5"
        cfg.write_text(text + "\n")
        verdict = peer("validate", str(cfg))
        if not verdict.get("valid"):
            print(f"{name}: INVALID {verdict}", file=sys.stderr)
            return 1
        argv = ["exec-policy", "show", "--json"]
        if flags:
            argv = ["exec-policy", "set", *[x for kv in flags.items() for x in kv], "--json"]
        result = peer("with", str(cfg), *argv)
        (FIXTURES / f"{name}.out.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
        print(f"recorded {name}")
    (FIXTURES / "cases.json").write_text(json.dumps(manifest(), indent=2, sort_keys=True) + "\n")
    return 0


def manifest() -> dict:
    """Return, per case, its config file, the host approvals document the CLI held, and the command."""
    flag_field = {"--security": "security", "--ask": "ask", "--ask-fallback": "askFallback"}
    out = {}
    for name, (_text, flags) in CASES.items():
        argv = ["exec-policy", "set", *[x for kv in flags.items() for x in kv], "--json"]
        out[name] = {
            "config": f"{name}.json5",
            "approvals": {"version": 1, "defaults": {flag_field[k]: v for k, v in flags.items()}}
            if flags
            else None,
            "cli": ["openclaw", *(argv if flags else ["exec-policy", "show", "--json"])],
        }
    return out


if __name__ == "__main__":
    sys.exit(main())
