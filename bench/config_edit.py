"""Server time of one config edit on a 2,000-line config with 50 agents, and of a fleet preview.

One edit = what the server does when an owner changes one agent's deny list in the settings form and
presses "Review the change": the form is read, the file edited in place, the new text validated,
the what-if computed (per agent tools/sandbox/exec, audit findings before and after) and the review
page rendered. Each round edits another agent with another tool, so nothing is served from a cache
but the current revision's own parse (as on a live server). Then a fleet change (the security
baseline) is previewed over 200 gateways through the service.

Builds a throw-away test database (SQLite, or PostgreSQL with DATABASE_URL).

    .venv/bin/python bench/config_edit.py [ROUNDS]

Last line: ``config edit: p95 N ms, fleet preview of 200 gateways: M s`` (targets: 150 ms, 10 s).
"""

from __future__ import annotations

import logging
import os
import statistics
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

AGENTS = 50
TOOLS = ["exec", "browser", "canvas", "nodes", "gateway", "web_fetch", "process", "cron"]


def big_config(agents: int = AGENTS) -> str:
    """A hand-written-looking config: comments, bare keys, one agent block of ~37 lines per agent."""
    lines = [
        "// Production gateway of the support team.",
        "// Edited by hand and by the control panel: keep the comments.",
        "{",
        "  gateway: {",
        '    mode: "local",',
        "    port: 18789,",
        '    bind: "loopback", // never on the LAN',
        '    auth: { mode: "token", token: "${OPENCLAW_GATEWAY_TOKEN}" },',
        '    controlUi: { enabled: true, allowedOrigins: ["https://panel.example.org"] },',
        "  },",
        "  tools: {",
        '    profile: "coding",',
        '    deny: ["gateway"],',
        '    exec: { security: "allowlist", ask: "on-miss" },',
        "    elevated: { enabled: false },",
        "  },",
        '  session: { dmScope: "per-channel-peer" },',
        '  discovery: { mdns: { mode: "minimal" } },',
        "  channels: {",
        "    telegram: {",
        '      dmPolicy: "pairing",',
        '      allowFrom: ["1001", "1002", "1003"],',
        '      groupPolicy: "allowlist",',
        '      groups: { "*": { requireMention: true } },',
        "    },",
        "  },",
        "  agents: {",
        '    ownership: "explicit",',
        '    defaults: { sandbox: { mode: "non-main", scope: "agent" } },',
        "    entries: {",
    ]
    for i in range(agents):
        lines += [
            f"      // agent {i}: answers the queue of team {i % 7}",
            f"      agent{i}: {{",
            f'        name: "Agent {i}",',
            f'        workspace: "/srv/agents/agent{i}",',
            '        model: "anthropic/claude-sonnet-4",',
            "        tools: {",
            '          profile: "coding",',
            "          allow: [",
            '            "read",',
            '            "write",',
            '            "edit",',
            '            "exec",',
            '            "web_search",',
            "          ],",
            "          deny: [",
            '            "browser", // no logged-in sessions',
            '            "canvas",',
            "          ],",
            "          exec: {",
            '            security: "allowlist",',
            '            ask: "on-miss",',
            "          },",
            "        },",
            "        sandbox: {",
            '          mode: "all",',
            '          workspaceAccess: "rw",',
            '          scope: "agent",',
            "        },",
            "        heartbeat: {",
            '          every: "30m",',
            '          target: "last",',
            "        },",
            "        subagents: {",
            '          allowAgents: ["agent0"], // the coordinator',
            "        },",
            "        identity: {",
            f'          name: "Helper {i}",',
            '          emoji: "🦞",',
            "        },",
            "      },",
        ]
    lines += ["    },", "  },", "}", ""]
    return "\n".join(lines)


def small_config(i: int) -> str:
    return big_config(agents=2 + i % 5).replace("Production gateway", f"Gateway {i}")


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        from controlpanel.background.testing import run_queued_tasks

        logging.getLogger("django_tasks").setLevel(logging.WARNING)  # no line per task
        from controlpanel.configedit.fleet import Change
        from controlpanel.services.config_fleet import fleet_change_preview
        from controlpanel.services.gateways import gateway_import_config
        from tests.conftest import client_for, make_user

        text = big_config()
        env = {"OPENCLAW_GATEWAY_TOKEN": "t" * 48}
        owner = make_user("bench-owner")
        gateway = gateway_import_config(text=text, env=env, name="big", actor=owner).gateway
        client = client_for(owner)
        url = reverse("config-form", kwargs={"code": gateway.code})
        print(f"config: {text.count(chr(10))} lines, {AGENTS} agents; {rounds} edits ({connection.vendor})")
        client.post(url, {"base_hash": gateway.config_hash, "f:agents.entries.agent0.tools.deny": "exec"})
        times, cpu = [], []
        for n in range(rounds):
            agent, tool = n % AGENTS, TOOLS[n % len(TOOLS)]
            field = f"f:agents.entries.agent{agent}.tools.deny"
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.post(url, {"base_hash": gateway.config_hash, field: f"browser\ncanvas\n{tool}"})
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
            assert response.status_code == 200 and b"What this change would do" in response.content
        p50, p95 = statistics.median(times), percentile(times, 0.95)
        load = os.getloadavg()[0]
        print(f"one edit (form POST -> review page): median {p50:.0f} ms, p95 {p95:.0f} ms wall")
        print(
            f"  CPU time of this process: median {statistics.median(cpu):.0f} ms,"
            f" p95 {percentile(cpu, 0.95):.0f} ms (load average {load:.1f} on {os.cpu_count()} cores:"
            " wall time includes waiting for a core)"
        )

        fleet = [
            gateway_import_config(text=small_config(i), env=env, name=f"gw{i}", actor=owner).gateway
            for i in range(200)
        ]
        lines = sum(g.config_text.count("\n") for g in fleet)
        # The preview is queued as tasks (a few gateways each) and run by the task worker: timed here
        # from the request to the last gateway's result, with the tasks run in this process.
        start, start_cpu = time.perf_counter(), time.process_time()
        change = fleet_change_preview(
            user=owner, change=Change(kind="baseline"), gateways=fleet, reason="bench"
        )
        tasks = len(run_queued_tasks())
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
        previews = [t.preview for t in change.targets.all()]
        assert len(previews) == 200 and all(p for p in previews), "every gateway previewed"
        valid = sum(1 for p in previews if p.get("valid"))
        print(
            f"fleet preview: 200 gateways ({lines} lines in all) in {tasks} tasks, {valid} valid,"
            f" {seconds:.1f} s ({cpu_seconds:.1f} s CPU)"
        )
        print(f"config edit: p95 {p95:.0f} ms, fleet preview of 200 gateways: {seconds:.1f} s")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
