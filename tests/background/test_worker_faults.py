"""Fault test with real processes: a task worker SIGKILLed mid-audit -> the audit completes exactly
once (findings stored once, one activity event), on the other worker.

Two ``manage.py db_worker`` processes share the database (SQLite file, or PostgreSQL when
CP_TEST_DATABASE_URL is set: the scale-out shape). The first audit child hangs (the audit's command
prefix, CP_AUDIT_EXEC_PREFIX, is a script that sleeps on its first call); the worker running it is
killed with its process group, as a container or a machine dies. Heartbeats every second, a worker
counts as lost after 6 s.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.alerts import servers
from tests.alerts.servers import ROOT, manage, server_env

DB_URL = os.environ.get("CP_TEST_DATABASE_URL", "")

HANG_FIRST = """#!/bin/sh
# The first audit child announces itself and hangs; later ones run the audit.
marker="$1"; shift
if mkdir "$marker" 2>/dev/null; then sleep 300; fi
exec "$@"
"""

SETUP = """
import json
from controlpanel.models import AuditRun
from tests.conftest import make_gateway
# Importing a gateway queues the audit of its config: three gateways, three queued audits.
print("RUNS" + json.dumps([AuditRun.objects.get(gateway=make_gateway(f"gw{i}")).pk for i in range(3)]))
"""


class Db:
    """Reads the shared database directly (no Django in the test process for this world)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.url = env.get("DATABASE_URL", "")
        self.path = Path(env["CP_VAR_DIR"]) / "controlpanel.sqlite3"

    def rows(self, sql: str) -> list[tuple]:
        if self.url:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as conn:
                return conn.execute(sql).fetchall()
        with sqlite3.connect(self.path, timeout=20) as conn:
            return conn.execute(sql).fetchall()


def start_worker(env: dict[str, str], name: str, log_dir: Path) -> subprocess.Popen:
    log = open(log_dir / f"{name}.log", "ab")  # noqa: SIM115 - kept open for the process's life
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2",
         "--worker-id", name],
        cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True,
    )  # fmt: skip


def wait_for(what: str, predicate, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request, tmp_path):
    if request.param == "sqlite":
        yield {}
        return
    if not (DB_URL and os.environ.get("DATABASE_URL")):
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=$CP_TEST_DATABASE_URL pytest -m postgres)")
    with servers.scratch_database(DB_URL, "cp_tasks") as url:
        yield {"DATABASE_URL": url}


def test_a_worker_killed_mid_audit_leaves_the_audit_done_exactly_once(tmp_path, database):
    script = tmp_path / "hang_first.sh"
    script.write_text(HANG_FIRST)
    marker = tmp_path / "first-audit-started"
    env = server_env(
        tmp_path,
        CP_TASK_HEARTBEAT_SECONDS="1",
        CP_TASK_WORKER_LOST_SECONDS="6",
        CP_AUDIT_EXEC_PREFIX=f"/bin/sh {script} {marker}",
        **database,
    )
    manage(env, "migrate", "--noinput", "-v", "0")
    run_ids = json.loads(manage(env, "shell", "-c", SETUP).split("RUNS", 1)[1])
    db = Db(env)
    workers = {name: start_worker(env, name, tmp_path) for name in ("worker-a", "worker-b")}
    try:
        wait_for("the first audit's child to start", marker.exists)
        # The other worker finishes the other two audits; the hanging one's task stays RUNNING.
        running = (
            "SELECT worker_ids FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING' "
            "AND task_path = 'controlpanel.tasks.audits.audit_run'"
        )
        ids = ",".join(map(str, run_ids))
        done = f"SELECT COUNT(*) FROM controlpanel_auditrun WHERE id IN ({ids}) AND status = 'succeeded'"
        # Done means both the audit run (written inside the task) and its task's record (written by the
        # worker after the task returns): until then the finished task still reads RUNNING.
        wait_for("the two other audits", lambda: db.rows(done)[0][0] == 2 and len(db.rows(running)) == 1)
        [(worker_ids,)] = db.rows(running)
        victim = (json.loads(worker_ids) if isinstance(worker_ids, str) else worker_ids)[-1]
        os.killpg(workers[victim].pid, signal.SIGKILL)  # the worker and its audit child, at once
        workers[victim].wait(timeout=10)
        wait_for("every audit to finish", lambda: db.rows(done)[0][0] == 3)
        tasks = db.rows(
            "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult "
            "WHERE task_path = 'controlpanel.tasks.audits.audit_run'"
        )
        claims = sorted(len(json.loads(w) if isinstance(w, str) else w) for _, w in tasks)
        assert {s for s, _ in tasks} == {"SUCCESSFUL"}
        assert claims == [1, 1, 2], "only the killed worker's audit ran twice"
        for run_id in run_ids:
            [(report, code)] = db.rows(f"SELECT report, code FROM controlpanel_auditrun WHERE id = {run_id}")
            report = json.loads(report) if isinstance(report, str) else report
            expected = len(report["findings"]) + len(report.get("suppressedFindings", []))
            [(stored,)] = db.rows(f"SELECT COUNT(*) FROM controlpanel_auditfinding WHERE run_id = {run_id}")
            assert stored == expected > 0, "findings stored once"
            code = str(code).replace("-", "")
            [(events,)] = db.rows(
                "SELECT COUNT(*) FROM controlpanel_activityevent WHERE action = 'audit.succeeded' "
                f"AND REPLACE(target, '-', '') = 'audit:{code}'"
            )
            assert events == 1, "one activity event"
        assert "chain intact" in manage(env, "activity_verify")
    finally:
        for proc in workers.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
