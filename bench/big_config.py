"""Server time of the pages and checks of a big config: 100, 1,000 and 3,000 agents (issue 19, finding 9).

A config of N agents, ~75 bytes each (3,000 agents: ~225 KB, under the import size limit): names,
workspaces, per-agent tool lists, sandbox modes and exec settings in a few shapes, as a big fleet's
generated config looks. Per size, the server time of:

- the config tab as a viewer sees it (``GET /gateways/<code>/config/``),
- one agent's page (``GET /gateways/<code>/agents/<id>/``, the last agent),
- re-import validation + what-if (an owner posts the file with one agent changed to *Import a new
  version*: validation, what-if per agent and per finding, key and line diffs, the review page),
- one audit (``audit_run_start`` and the task that runs it in its child process).

Builds a throw-away test database (SQLite, or PostgreSQL with DATABASE_URL).

    .venv/bin/python bench/big_config.py [SIZES...]          # default 100 1000 3000
    .venv/bin/python bench/big_config.py --profile 3000      # cProfile of each step, top 25 by own time

Last line: ``big config: 3000 agents re-import N s, growth X`` where X is the re-import's time per
agent at the largest size divided by its time per agent at the smallest (1 = linear). Targets: at
most linear growth, the 3,000-agent re-import validation + what-if under 5 s.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

SHAPES = [
    'name: "Agent {i}", tools: {{ deny: ["browser"] }}',
    'workspace: "/srv/a{i}", sandbox: {{ mode: "all" }}',
    'name: "Ops {i}", tools: {{ profile: "coding", allow: ["exec"] }}',
    'tools: {{ exec: {{ security: "allowlist", ask: "on-miss" }} }}',
]


def big_config(agents: int) -> str:
    """A generated config with ``agents`` agents (the first is the system agent)."""
    head = [
        "// generated: one entry per agent",
        "{",
        '  gateway: { bind: "loopback", port: 18789, auth: { mode: "token", token: "${GW_TOKEN}" } },',
        '  tools: { profile: "messaging", deny: ["gateway"] },',
        '  channels: { telegram: { dmPolicy: "pairing", allowFrom: ["1001"] } },',
        "  agents: {",
        '    ownership: "explicit",',
        '    defaults: { sandbox: { mode: "non-main" } },',
        "    entries: {",
    ]
    body = [f"      a{i}: {{ {SHAPES[i % len(SHAPES)].format(i=i)} }}," for i in range(agents)]
    return "\n".join([*head, *body, "    },", "  },", "}", ""])


WALL: dict[str, float] = {}


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed(fn, profile: bool, label: str):
    """Run fn once; return (CPU seconds, result). With ``profile``, print its top functions.

    CPU time of this process and its finished children (the audit's): on a shared machine the wall
    clock mostly measures the other processes; it is printed beside it in the profile header.
    """
    profiler = cProfile.Profile() if profile else None
    start, wall = _cpu(), time.perf_counter()
    if profiler:
        profiler.enable()
    result = fn()
    if profiler:
        profiler.disable()
    seconds = _cpu() - start
    WALL[label] = time.perf_counter() - wall
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print(f"--- profile: {label} ({seconds:.2f} s)\n{out.getvalue()}")
    return seconds, result


def measure(agents: int, owner, viewer, profile: bool) -> dict[str, float]:
    from controlpanel.background.testing import run_queued_tasks
    from controlpanel.configedit import review as review_module
    from controlpanel.models import AuditRun, GatewayMembership, Role
    from controlpanel.services.audits import audit_run_start
    from controlpanel.services.gateways import gateway_import_config
    from tests.conftest import client_for

    text = big_config(agents)
    env = {"GW_TOKEN": "t" * 48}
    gateway = gateway_import_config(text=text, env=env, name=f"big{agents}", actor=owner).gateway
    GatewayMembership.objects.create(user=viewer, gateway=gateway, role=Role.VIEWER)
    review_module._CACHE.clear()  # a fresh server process: nothing parsed yet
    owner_client, viewer_client = client_for(owner), client_for(viewer)
    code = gateway.code
    times: dict[str, float] = {}

    def get(client, url):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    times["config tab"], _ = timed(
        lambda: get(viewer_client, reverse("gateway-config", kwargs={"code": code})), profile, "config tab"
    )
    last = f"a{agents - 1}"
    times["agent page"], _ = timed(
        lambda: get(viewer_client, reverse("agent-detail", kwargs={"code": code, "agent_id": last})),
        profile,
        "agent page",
    )
    # A change that concerns every agent (the global deny list) and one agent's model: the what-if
    # resolves every agent on both sides.
    changed = text.replace('deny: ["gateway"]', 'deny: ["gateway", "canvas"]', 1)
    changed = changed.replace(f"a{agents // 2}: {{ ", f'a{agents // 2}: {{ model: "openai/gpt-5", ', 1)
    url = reverse("gateway-reimport", kwargs={"code": code})

    def reimport():
        response = owner_client.post(url, {"config_text": changed, "validate": "1"})
        assert response.status_code == 200 and b"What this change would do" in response.content, (
            response.content[:2000]
        )
        return response

    review_module._CACHE.clear()
    times["re-import"], _ = timed(reimport, profile, "re-import validation + what-if")

    def audit():
        run = audit_run_start(gateway=gateway, actor=owner)
        run_queued_tasks()
        run = AuditRun.objects.get(pk=run.pk)
        assert run.status == "succeeded", (run.status, run.error)
        return run

    times["audit"], _ = timed(audit, profile, "one audit")
    return times


def main() -> None:
    args = sys.argv[1:]
    profile = "--profile" in args
    sizes = [int(a) for a in args if a.isdigit()] or [100, 1000, 3000]
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        from tests.conftest import make_user

        owner, viewer = make_user("bench-owner"), make_user("bench-viewer")
        load = os.getloadavg()[0]
        print(
            f"database: {connection.vendor}; load average {load:.1f} on {os.cpu_count()} cores; CPU seconds"
        )
        results = {}
        for agents in sizes:
            size_kb = len(big_config(agents).encode()) / 1024
            results[agents] = times = measure(agents, owner, viewer, profile)
            cells = ", ".join(f"{k} {v:.2f} s" for k, v in times.items())
            cells += f" (CPU; wall, re-import: {WALL['re-import validation + what-if']:.1f} s)"
            print(f"{agents:>5} agents ({size_kb:.0f} KB): {cells}")
        small, large = min(sizes), max(sizes)
        for step in results[small]:
            per_small = results[small][step] / small
            per_large = results[large][step] / large
            print(f"  {step}: time per agent at {large} / at {small} = {per_large / per_small:.2f}")
        growth = (results[large]["re-import"] / large) / (results[small]["re-import"] / small)
        seconds = results[large]["re-import"]
        print(f"big config: {large} agents re-import {seconds:.1f} s, growth {growth:.2f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
