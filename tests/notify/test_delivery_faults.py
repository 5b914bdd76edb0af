"""Fault test with real processes: the delivery worker is SIGKILLed mid-batch, while a webhook
request it sent is still unanswered, and another worker is started: every notification is delivered
exactly once per receiver, counted by idempotency key at the receiving server.

The receiving server holds the answer to one request until the worker that sent it is dead, so the
kill lands after the send and before the worker could record it: the retry carries the same key.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections import Counter, defaultdict

import pytest

from tests.alerts.servers import manage, server_env
from tests.background.test_worker_faults import Db, start_worker, wait_for
from tests.notify.servers import HttpReceiver

ALERTS = 12
SETUP = """
import json
from controlpanel.services.notify.config import receiver_create, route_create
from controlpanel.services.alerts import ingest_events
from controlpanel.events.parse import parse_json_event
from tests.conftest import make_gateway

def hook(gateway, name, url):
    receiver, _ = receiver_create(gateway=gateway, name=name, kind="webhook", url=url, actor=None)
    route_create(gateway=gateway, actor=None, name=name, matchers="", receiver=receiver, parent=None,
                 continue_matching=True, group_by="...", group_wait="0s", group_interval="",
                 repeat_interval="")

gateways = [make_gateway(f"gw{i}") for i in range(3)]
# The audits the imports queued (and their posture alerts) run before any route exists: the test
# counts the notifications of its own alerts.
from controlpanel.background.testing import run_queued_tasks
run_queued_tasks()
hook(None, "global", "URL/global")
for gateway in gateways:
    hook(gateway, "own", f"URL/{gateway.name}")
for n in range(ALERTS):
    gateway = gateways[n % 3]
    ingest_events(gateway=gateway, events=[parse_json_event({"type": "exec.denied", "agent": f"agent{n}"})])
print("OK")
"""


@pytest.fixture
def database():
    """SQLite in the main pass; a scratch PostgreSQL database in the PostgreSQL pass."""
    if not os.environ.get("DATABASE_URL"):
        yield {}
        return
    from tests.alerts.servers import scratch_database

    with scratch_database(os.environ["CP_TEST_DATABASE_URL"], "cp_notify_fault") as url:
        yield {"DATABASE_URL": url}


@pytest.mark.postgres
def test_a_delivery_worker_killed_mid_batch_loses_and_doubles_nothing(tmp_path, database):
    env = server_env(
        tmp_path,
        CP_TASK_HEARTBEAT_SECONDS="1",
        CP_TASK_WORKER_LOST_SECONDS="6",
        CP_NOTIFY_ALLOWED_NETWORKS="127.0.0.0/8",
        CP_NOTIFY_TIMEOUT_SECONDS="30",
        **database,
    )
    with HttpReceiver() as server:
        server.recorder.hold_at = 7  # the 7th request waits: its worker dies before the answer
        manage(env, "migrate", "--noinput", "-v", "0")
        setup = SETUP.replace("URL", server.url).replace("ALERTS", str(ALERTS))
        assert "OK" in manage(env, "shell", "-c", setup)
        db = Db(env)
        expected = ALERTS * 2  # each alert: the global receiver and its gateway's own
        first = start_worker(env, "worker-a", tmp_path)
        second = None
        try:
            server.recorder.wait_for(7, timeout=90)
            assert len(server.recorder.received) == 7, "the worker is blocked on the held request"
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
            server.recorder.release.set()
            second = start_worker(env, "worker-b", tmp_path)
            delivered = "SELECT COUNT(*) FROM controlpanel_notification WHERE status = 'delivered'"
            done = lambda: db.rows(delivered)[0][0] == expected  # noqa: E731
            wait_for("every notification delivered", done, timeout=120)
        finally:
            for proc in (first, second):
                if proc is not None and proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
                    try:
                        proc.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        os.killpg(proc.pid, signal.SIGKILL)
        received = list(server.recorder.received)
    keys = Counter(r.headers["webhook-id"] for r in received)
    stored = {str(k).replace("-", "") for (k,) in db.rows("SELECT key FROM controlpanel_notification")}
    assert {k.replace("-", "") for k in keys} == stored, "every notification arrived, none unknown"
    assert len(keys) == expected
    # Per receiver and alert: one idempotency key (a resend after the kill repeats the same key).
    per_alert = defaultdict(set)
    for r in received:
        body = json.loads(r.body)
        [alert] = body["alerts"]
        per_alert[(r.path, alert["fingerprint"])].add(r.headers["webhook-id"])
    assert len(per_alert) == expected
    assert all(len(ids) == 1 for ids in per_alert.values())
    resent = [k for k, n in keys.items() if n > 1]
    assert len(resent) <= 1, "only the request in flight at the kill was sent again"
