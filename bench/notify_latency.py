"""Alert stored -> webhook received, through routing, grouping and delivery, with one task worker.

Usage: .venv/bin/python bench/notify_latency.py [SECONDS] [ALERTS_PER_MINUTE] [WORKER_INTERVAL]
       (CP_TEST_DATABASE_URL=postgresql://... to run on a scratch PostgreSQL database instead of SQLite)

Sets up 20 gateways and 50 webhook receivers: each gateway has two of its own (two routes with
``continue``), and 10 global receivers each take two gateways' alerts (a global route matching
``gateway=~gwA|gwB``), so every alert reaches 3 receivers. Every route groups by ``...`` with
``group_wait`` 0: each alert is its own group and is sent at once, so the figure is the pipeline's
latency, not a configured wait. A loader process stores ALERTS_PER_MINUTE (default 1,000) new alerts
per minute for SECONDS (default 60), round robin over the gateways, each through
``services.alerts.ingest_events`` (one transaction, the outbox row inside it), and notes the time of
each commit. One ``manage.py db_worker`` (``--interval`` WORKER_INTERVAL, default 0.1 s) routes and
delivers; the webhook servers (in this process) note the arrival time and the idempotency key of
each request. Latency: commit -> request received. Lost: expected (alert, receiver) pairs never
received; duplicated: pairs received under two keys, or a key received twice.

The last line: ``notify: p99 N ms over M notifications, K lost, D duplicated``.

Lost counts what never arrived (the bench waits while the backlog drains, until 30 s pass without a
request). The webhook servers speak HTTP/1.1 (keep-alive). The line before the last gives the
worker's CPU time per notification delivered (startup included, ~1 s): the figure that does not
depend on what else the machine runs. CP_BENCH_PROFILE=FILE runs the worker under cProfile.

Figures on the shared 2-core development machine (SQLite; other developers' work around it):
- before (one routing task and one delivery task per alert, a new HTTP connection per request, the
  worker's SQLite connection closed after every task): 60 s at 1,000/minute, load 13-22: 939 of
  3,000 received within 60 s of the end, p50 44 s, p99 103 s; 20 s at 1,000/minute, load 11-15:
  p99 80 s, 24 ms of worker CPU per notification.
- after (a routing run takes up to 50 queued routing tasks in one transaction and delivers what it
  wrote itself, one connection pool per worker, the worker's SQLite connection kept, each gateway's
  people, silences and groups read once per run): 60 s at 1,000/minute, load 7-13: p50 398 ms,
  p99 1,378 ms, 3,000 of 3,000, 0 lost, 0 duplicated, 4.3 ms of worker CPU per notification
  (another run, load 17 falling to 9: p99 401 ms, 6.2 ms; smaller batches when it keeps up).
Under heavier load the worker gets less than the ~25% of a core it needs and the p99 grows.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GATEWAYS = 20
GLOBAL_RECEIVERS = 10
PER_ALERT = 3

SETUP = """
from controlpanel.services.notify.config import receiver_create, route_create
from tests.conftest import make_gateway

def hook(gateway, name, url, matchers=""):
    receiver, _ = receiver_create(gateway=gateway, name=name, kind="webhook", url=url, actor=None)
    route_create(gateway=gateway, actor=None, name=name, matchers=matchers, receiver=receiver, parent=None,
                 continue_matching=True, group_by="...", group_wait="0s", group_interval="",
                 repeat_interval="")

gateways = [make_gateway(f"gw{i:02d}") for i in range(GATEWAYS)]
for gateway in gateways:
    hook(gateway, "own-a", f"URL/{gateway.name}/a")
    hook(gateway, "own-b", f"URL/{gateway.name}/b")
for n in range(GLOBAL_RECEIVERS):
    pair = [gateways[2 * n].name, gateways[2 * n + 1].name]
    hook(None, f"global-{n}", f"URL/global-{n}", matchers="gateway=~" + "|".join(pair))
print("SETUP-OK")
"""


class Arrivals:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: list[tuple[float, str, str, str]] = []  # (time, path, key, agent)


def serve(arrivals: Arrivals) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the chat services and most webhook servers

        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            now = time.time()
            agent = json.loads(body)["alerts"][0]["labels"].get("agent", "")
            with arrivals.lock:
                arrivals.rows.append((now, self.path, self.headers.get("webhook-id", ""), agent))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def load(seconds: float, per_minute: int) -> None:
    """The loader (a child process): store alerts at the rate, print "agent commit_time" per alert."""
    import django

    django.setup()
    from controlpanel.events.parse import parse_json_event
    from controlpanel.models import Gateway
    from controlpanel.services.alerts import ingest_events

    gateways = list(Gateway.objects.order_by("name"))
    period = 60.0 / per_minute
    start = time.perf_counter()
    n = 0
    while (due := start + n * period) < start + seconds:
        if (wait := due - time.perf_counter()) > 0:
            time.sleep(wait)
        agent = f"agent{n}"
        event = parse_json_event({"type": "exec.denied", "agent": agent, "command": "rm -rf /"})
        ingest_events(gateway=gateways[n % len(gateways)], events=[event])
        print(agent, repr(time.time()), flush=True)
        n += 1


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a (live) process has used, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1]
        if len(values) > 1
        else values[0]
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        load(float(sys.argv[2]), int(sys.argv[3]))
        return
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    per_minute = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    interval = sys.argv[3] if len(sys.argv) > 3 else "0.1"
    var = Path(tempfile.mkdtemp(prefix="cp-notify-bench-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="controlpanel.settings",
        CP_SECRET_KEY="notify-bench-" + "k" * 40,
        CP_VAR_DIR=str(var),
        CP_LOG_LEVEL="WARNING",
        CP_NOTIFY_ALLOWED_NETWORKS="127.0.0.0/8",
    )
    scratch = None
    if base := os.environ.get("CP_TEST_DATABASE_URL"):
        from tests.alerts.servers import scratch_database

        scratch = scratch_database(base, "cp_notify_bench")
        env["DATABASE_URL"] = scratch.__enter__()

    def manage(*args: str) -> str:
        out = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if out.returncode:
            raise SystemExit(out.stderr[-2000:])
        return out.stdout

    arrivals = Arrivals()
    server = serve(arrivals)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    worker, worker_cpu = None, float("nan")
    try:
        manage("migrate", "--noinput", "-v", "0")
        setup = SETUP.replace("URL", url).replace("GLOBAL_RECEIVERS", str(GLOBAL_RECEIVERS))
        assert "SETUP-OK" in manage("shell", "-c", setup.replace("GATEWAYS", str(GATEWAYS)))
        profile = (
            ["-m", "cProfile", "-o", os.environ["CP_BENCH_PROFILE"]]
            if os.environ.get("CP_BENCH_PROFILE")
            else []
        )
        worker = subprocess.Popen(
            [sys.executable, *profile, "manage.py", "db_worker", "--no-reload", "--no-startup-delay",
             "--interval", interval, "--worker-id", "bench"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(var / "worker.log", "wb"),  # noqa: SIM115
            start_new_session=True,
        )  # fmt: skip
        receivers = GATEWAYS * 2 + GLOBAL_RECEIVERS
        print(f"storing {per_minute} alerts/minute for {seconds:.0f} s over {GATEWAYS} gateways, "
              f"{receivers} receivers ({PER_ALERT} per alert), one worker", flush=True)  # fmt: skip
        loader = subprocess.run(
            [sys.executable, __file__, "--load", str(seconds), str(per_minute)],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        stored = {agent: float(ts) for agent, ts in (line.split() for line in loader.stdout.splitlines())}
        expected = len(stored) * PER_ALERT
        # Wait for the backlog while it drains; stop after 30 s without progress.
        seen, idle_since = -1, time.monotonic()
        while len({r[2] for r in arrivals.rows}) < expected and time.monotonic() - idle_since < 30:
            if (now_seen := len(arrivals.rows)) != seen:
                seen, idle_since = now_seen, time.monotonic()
            time.sleep(0.5)
        time.sleep(1.0)  # late duplicates, if any
    finally:
        if worker is not None:
            worker_cpu = cpu_seconds(worker.pid)
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
        server.shutdown()
        if scratch is not None:
            scratch.__exit__(None, None, None)
    with arrivals.lock:
        rows = list(arrivals.rows)
    keys = Counter(key for _, _, key, _ in rows)
    pairs: dict[tuple[str, str], set[str]] = defaultdict(set)
    first: dict[tuple[str, str], float] = {}
    for at, path, key, agent in rows:
        receiver = path.rsplit("/", 2)[-2] + "/" + path.rsplit("/", 1)[-1] if path.count("/") > 1 else path
        pairs[(receiver, agent)].add(key)
        first[(receiver, agent)] = min(first.get((receiver, agent), at), at)
    latencies = [(at - stored[agent]) * 1000 for (_, agent), at in first.items() if agent in stored]
    lost = expected - len(pairs)
    duplicated = sum(len(k) - 1 for k in pairs.values()) + sum(n - 1 for n in keys.values() if n > 1)
    latencies.sort()
    print(f"alerts stored: {len(stored)}; notifications expected {expected}, received {len(rows)} requests")
    if latencies:
        print(f"latency ms: p50 {percentile(latencies, 0.5):.0f}, p90 {percentile(latencies, 0.9):.0f}, "
              f"p99 {percentile(latencies, 0.99):.0f}, max {latencies[-1]:.0f}")  # fmt: skip
    load1 = os.getloadavg()[0]
    per = worker_cpu * 1000 / len(pairs) if pairs else float("nan")
    print(
        f"worker CPU: {worker_cpu:.1f} s (startup included), {per:.1f} ms per notification; "
        f"load average now {load1:.1f}"
    )
    p99 = percentile(latencies, 0.99) if latencies else float("nan")
    print(f"notify: p99 {p99:.0f} ms over {len(pairs)} notifications, {lost} lost, {duplicated} duplicated")


if __name__ == "__main__":
    main()
