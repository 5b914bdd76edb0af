"""Whole-process wall time: `manage.py audit --config F --json` against `openclaw security audit --json`.

Both run on the same configs, alternately, in one run of this script; the real CLI through
../shared/tools/openclaw-peer (installed into ~/.cache/openclaw-peer on first use). Prints the median
wall time of each and the ratio (target: the panel at most 1/8 of the CLI).

    .venv/bin/python bench/audit_vs_cli.py [ROUNDS]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEER = ROOT.parent / "shared" / "tools" / "openclaw-peer"
CONFIGS = [
    ROOT / "controlpanel" / "demo" / "home-lab.json5",
    ROOT / "controlpanel" / "demo" / "team-prod.json5",
]
ENV = {"OPENCLAW_GATEWAY_TOKEN": "a" * 40, "TEAM_GATEWAY_TOKEN": "b" * 40}


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed: {proc.stderr[-500:]}")
    return elapsed


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    env_file = ROOT / "var" / "bench.env"
    env_file.parent.mkdir(exist_ok=True)
    env_file.write_text("".join(f"{k}={v}\n" for k, v in ENV.items()))
    base_env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), **ENV}
    subprocess.run([str(PEER), "install"], check=True, capture_output=True)
    ours, theirs = [], []
    for _ in range(rounds):
        for config in CONFIGS:
            ours.append(
                timed(
                    [
                        sys.executable,
                        "manage.py",
                        "audit",
                        "--config",
                        str(config),
                        "--env-file",
                        str(env_file),
                        "--json",
                    ],
                    base_env,
                )
            )
            theirs.append(timed([str(PEER), "audit", str(config)], base_env))
    o, t = statistics.median(ours), statistics.median(theirs)
    print(f"runs: {len(ours)} each, configs: {', '.join(c.name for c in CONFIGS)}")
    for label, xs in (("manage.py audit --json ", ours), ("openclaw security audit", theirs)):
        lo, hi = min(xs) * 1000, max(xs) * 1000
        print(f"{label}  median {statistics.median(xs) * 1000:7.0f} ms  (min {lo:.0f}, max {hi:.0f})")
    print(f"ratio panel/CLI: 1/{t / o:.1f}  (target <= 1/8)")


if __name__ == "__main__":
    main()
