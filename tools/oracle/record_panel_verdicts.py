"""Record the real validator's verdict for every config the test suite used (see tests/oracle_parity.py).

Reads test-artifacts/seen_configs.json (written by a test run), runs
`../shared/tools/openclaw-peer validate` on each config not yet in tests/fixtures/panel_verdicts.json,
with the config's env as the process environment, and adds the verdict. Not run by CI.

    .venv/bin/python tools/oracle/record_panel_verdicts.py [--all]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PEER = ROOT.parent / "shared" / "tools" / "openclaw-peer"
SEEN = ROOT / "test-artifacts" / "seen_configs.json"
REGISTRY = ROOT / "tests" / "fixtures" / "panel_verdicts.json"


def real_verdict(text: str, env: dict[str, str]) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json5", delete=False) as handle:
        handle.write(text)
    try:
        proc = subprocess.run(
            [str(PEER), "validate", handle.name],
            env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), **env},
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    finally:
        os.unlink(handle.name)
    out = proc.stdout[proc.stdout.index("{") :] if "{" in proc.stdout else "{}"
    data = json.loads(out)
    return {
        "valid": bool(data.get("valid")),
        "issues": [
            {"path": i.get("path", ""), "message": i.get("message", "")} for i in data.get("issues", [])
        ],
    }


def passable(entry: dict) -> bool:
    """A process environment cannot carry NUL bytes: such configs cannot be given to the real CLI."""
    return not any("\x00" in k or "\x00" in v for k, v in entry["env"].items())


def main() -> None:
    seen = json.loads(SEEN.read_text())
    registry = json.loads(REGISTRY.read_text()) if REGISTRY.exists() else {}
    todo = [k for k in seen if ("--all" in sys.argv or k not in registry) and passable(seen[k])]
    workers = int(os.environ.get("ORACLE_WORKERS", "3"))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(real_verdict, seen[k]["text"], seen[k]["env"]): k for k in todo}
        for i, future in enumerate(as_completed(futures), 1):
            key, entry = futures[future], seen[futures[future]]
            verdict = future.result()
            registry[key] = {"text": entry["text"], "env": entry["env"], **verdict}
            print(f"[{i}/{len(todo)}] {key} valid={verdict['valid']} (panel {entry['valid']})", flush=True)
            REGISTRY.write_text(json.dumps(registry, indent=1, sort_keys=True) + "\n")
    print(f"{len(registry)} verdicts in {REGISTRY.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
