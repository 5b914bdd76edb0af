"""Record the real OpenClaw CLI's answers for a sample of the property test's generated configs.

Usage: .venv/bin/python tools/oracle/record_generated_policy.py [COUNT] [FIRST_SEED]

The property test (tests/policy/test_property.py) shows that the audit and the agent page agree on
configs from tests/policy/generated.py; this sample shows that their single answer is OpenClaw's.
For seeds FIRST_SEED, FIRST_SEED+1, ... it builds `random_config(Random(seed))`, keeps the first
COUNT (default 30) that the real validator accepts, and writes tests/fixtures/policy/generated/
seed-<seed>/: config.json, validate.json, tools.json (`openclaw-peer tools`), tool-classes.json
(tools/oracle/tool_classes.mjs) and audit.json (`openclaw security audit --json`). One call at a
time (the machine is shared). CI does not run this script; tests read the committed output.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from record_policy import CLASSES_SCRIPT, peer, peer_node, write  # noqa: E402

from tests.policy.generated import random_config  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "policy" / "generated"


def config_text(seed: int) -> str:
    """Return the config of a seed as the text the CLI reads (keys in generated order)."""
    return json.dumps(random_config(random.Random(seed)), indent=2) + "\n"


def record(seed: int) -> bool:
    """Record one seed; returns False (and keeps nothing) when the real validator refuses it."""
    text = config_text(seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "openclaw.json"
        path.write_text(text)
        validation = peer("validate", str(path))
        if not (isinstance(validation, dict) and validation.get("valid")):
            return False
        target = OUT / f"seed-{seed}"
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        (target / "config.json").write_text(text)  # as the CLI read it: key order matters
        write(target / "validate.json", validation)
        write(target / "tools.json", peer("tools", str(path)))
        write(target / "tool-classes.json", peer_node(path, CLASSES_SCRIPT))
        report = peer("audit", str(path))
        if isinstance(report, dict):
            report.pop("ts", None)
        write(target / "audit.json", report)
    return True


def main(count: int = 30, first: int = 0) -> int:
    """Record `count` valid configs starting at seed `first`; returns the process exit code."""
    kept, seed = 0, first
    while kept < count and seed < first + count * 4:
        print(f"seed {seed}", flush=True)
        kept += record(seed)
        seed += 1
    print(f"recorded {kept} configs (seeds {first}..{seed - 1})")
    return 0 if kept == count else 1


if __name__ == "__main__":
    sys.exit(main(*[int(a) for a in sys.argv[1:3]]))
