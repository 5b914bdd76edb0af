"""In-process audit throughput: run_audit over a few thousand generated configs.

Usage: .venv/bin/python bench/audit_throughput.py [N_CONFIGS] [ROUNDS]

Configs are generated deterministically by combining realistic fragments (bind/auth,
Control UI, channels, agents, tools, hooks, sandbox, models), so most checks have work to
do. Prints audits per second on one core (target: >= 5,000/s).
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from controlpanel.audit import run_audit

TOKEN = "t" * 40
GATEWAYS = [
    {},
    {"bind": "loopback", "auth": {"mode": "token", "token": TOKEN}, "trustedProxies": ["127.0.0.1"]},
    {"bind": "lan", "auth": {"mode": "none"}},
    {"bind": "lan", "auth": {"token": TOKEN, "rateLimit": {}}, "controlUi": {"allowedOrigins": ["*"]}},
    {"bind": "loopback", "auth": {"mode": "password", "password": "short"}, "tailscale": {"mode": "serve"}},
    {
        "bind": "lan",
        "auth": {"mode": "trusted-proxy", "trustedProxy": {"userHeader": "x-user"}},
        "trustedProxies": ["10.0.0.1"],
    },
    {
        "tools": {"allow": ["exec", "gateway"]},
        "nodes": {"commands": {"allow": ["camera.snap"], "deny": ["system.*"]}},
    },
]
CHANNELS = [
    {},
    {"telegram": {"botToken": "1:a", "dmPolicy": "open", "allowFrom": ["*"], "groupPolicy": "open"}},
    {"telegram": {"botToken": "1:a", "groupPolicy": "allowlist", "groups": {"-1": {}}}},
    {"discord": {"dmPolicy": "pairing", "accounts": {"a": {"dmPolicy": "open"}}}},
]
AGENTS = [
    {},
    {"entries": {"main": {"default": True}, "ops": {"tools": {"exec": {"security": "full"}}}}},
    {"defaults": {"model": "ollama/llama3.1:8b", "sandbox": {"mode": "all"}}},
    {
        "defaults": {
            "model": {"primary": "openai/gpt-3.5-turbo", "fallbacks": ["anthropic/claude-3-haiku"]},
            "skills": ["gh"],
        }
    },
    {
        "entries": {
            "main": {"default": True},
            "coder": {"tools": {"profile": "coding"}, "sandbox": {"mode": "non-main"}},
        }
    },
]
TOOLS = [
    {},
    {"profile": "minimal", "elevated": {"enabled": False}},
    {"exec": {"security": "allowlist", "safeBins": ["jq", "python3"], "safeBinTrustedDirs": ["/tmp/x"]}},
    {"deny": ["write", "edit", "apply_patch"], "elevated": {"allowFrom": {"whatsapp": ["*"]}}},
]
EXTRAS = [
    {},
    {"hooks": {"enabled": True, "token": "short", "path": "/", "allowRequestSessionKey": True}},
    {
        "discovery": {"mdns": {"mode": "full"}},
        "mcp": {"apps": {"enabled": True}, "servers": {"f": {"command": "x"}}},
    },
    {
        "session": {"groupScope": "main"},
        "security": {"audit": {"suppressions": [{"checkId": "models.legacy"}]}},
    },
]


def generate(n: int, seed: int = 4) -> list[dict[str, Any]]:
    """Return n deterministic pseudo-random configs."""
    rng = random.Random(seed)
    configs = []
    for _ in range(n):
        cfg: dict[str, Any] = {"gateway": rng.choice(GATEWAYS), **rng.choice(EXTRAS)}
        for key, pool in (("channels", CHANNELS), ("agents", AGENTS), ("tools", TOOLS)):
            value = rng.choice(pool)
            if value:
                cfg[key] = value
        configs.append(cfg)
    return configs


def fixture_configs() -> list[dict[str, Any]]:
    """Return the oracle fixture configs (hand-written, typical sizes), JSON5-parsed."""
    import json5

    folder = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "audit" / "configs"
    return [json5.loads(p.read_text()) for p in sorted(folder.glob("*.json5"))]


def main(n: int = 3000, rounds: int = 3) -> None:
    """Print audits/s (best of `rounds`) for generated configs and for the oracle fixtures."""
    env = {"HOME": "/home/op"}
    fixtures = fixture_configs()
    measure("oracle fixture configs", fixtures * max(1, n // len(fixtures)), env, rounds)
    measure("generated dense configs", generate(n), env, rounds)
    print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"reference dict op:    {_reference_ns():.0f} ns (about 40-60 ns on an idle modern core)")


def measure(label: str, configs: list[dict[str, Any]], env: dict[str, str], rounds: int) -> None:
    """Run run_audit over `configs` `rounds` times and print the best throughput."""
    n = len(configs)
    findings = sum(len(run_audit(c, env=env).findings) for c in configs)  # warm caches
    best_wall = best_cpu = float("inf")
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        for cfg in configs:
            run_audit(cfg, env=env)
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    print(f"{label}: {n} audits, {findings / n:.1f} findings/config, best of {rounds} rounds")
    # CPU time is what one core spends; wall time also counts waiting for a shared CPU.
    print(f"  per CPU second: {n / best_cpu:,.0f} audits/s ({best_cpu / n * 1e6:.0f} us/audit)")
    print(f"  wall clock:     {n / best_wall:,.0f} audits/s")


def _reference_ns() -> float:
    """Return the CPU ns of a tiny dict build+lookup, to compare runs on shared machines."""
    loops = 200_000
    start = time.process_time_ns()
    for _ in range(loops):
        d = {"a": 1}
        d.get("a")
    return (time.process_time_ns() - start) / loops


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
