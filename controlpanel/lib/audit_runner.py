"""Audits in a child process: JSON in, the CLI-shaped report out.

The panel runs audits in a separate process so that a hard timeout can stop one that hangs
(``services.audits``). Input: ``{"config", "env", "suppressions": [{"checkId", "reason"}], "memory"}``,
``memory`` being manifests, memory_sandbox, production, workloads (services.memory.audit_memory_inputs).

Two ways to run it:

* ``python -m controlpanel.lib.audit_runner``: one audit, the payload on stdin, the report on stdout.
* ``python -m controlpanel.lib.audit_runner --serve``: one audit per line, for as long as stdin stays
  open (``{"report": ...}`` or ``{"error": ...}`` per line). ``AuditChild`` keeps one such child per
  process: starting Python and importing the engine costs about a second on a busy machine, an audit
  a millisecond, so a fleet-wide audit would otherwise spend nearly all its time starting children.
  A child that does not answer in time is killed (and the next audit starts a new one).
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any


def audit_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Run the audit a payload describes; returns the CLI-shaped report."""
    from controlpanel.audit import AuditContext, Suppression, run_audit

    config, env = payload["config"], payload.get("env") or {}
    suppressions = [
        Suppression(check_id=s["checkId"], reason=s["reason"]) for s in payload.get("suppressions", [])
    ]
    extras = payload.get("memory") or {}
    context = None
    if extras.get("manifests") or extras.get("memory_sandbox") or extras.get("workloads"):
        # The panel's own inputs: plugin manifests, the sandbox memory policy, workload sizes and usage.
        context = AuditContext(config=config, env=env, **extras)
    return run_audit(config, env=env, suppressions=suppressions, context=context).to_json()


def serve() -> int:
    """Answer one audit per input line until stdin closes (the parent exited or let it go)."""
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = {"report": audit_payload(json.loads(line))}
        except Exception as exc:  # one bad payload must not end the child
            answer = {"error": f"{type(exc).__name__}: {exc}"[:2000]}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    return 0


def main() -> int:
    if "--serve" in sys.argv[1:]:
        return serve()
    json.dump(audit_payload(json.load(sys.stdin)), sys.stdout)
    return 0


class AuditTimeout(Exception):
    """The child did not answer within the timeout; it was killed."""


class AuditChildError(Exception):
    """The child failed: it exited, or the audit raised (the message says what)."""


class AuditChild:
    """A long-lived ``--serve`` child, started on first use and again after it died or timed out.

    Thread-safe (one audit at a time per child). ``max_uses`` audits, then a fresh child: whatever
    an audit leaves behind in the child's memory does not pile up.
    """

    def __init__(self, command: list[str], *, max_uses: int = 500) -> None:
        self.command = command
        self.max_uses = max_uses
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._stderr = None
        self._uses = 0
        self._buffer = b""

    def run(self, payload: dict[str, Any], *, timeout: float) -> dict[str, Any]:
        """Audit ``payload``; the report. Raises AuditTimeout or AuditChildError."""
        deadline = time.monotonic() + timeout
        with self._lock:
            proc = self._ensure()
            try:
                assert proc.stdin is not None
                proc.stdin.write(json.dumps(payload).encode() + b"\n")
                proc.stdin.flush()
            except OSError:
                raise AuditChildError(self._died()) from None
            line = self._read_line(proc, deadline)
            self._uses += 1
            if self._uses >= self.max_uses:
                self.close()
        answer = json.loads(line)
        if "error" in answer:
            raise AuditChildError(answer["error"])
        return answer["report"]

    def close(self) -> None:
        """Let the child go (it exits when its stdin closes); kill it if it does not."""
        proc, self._proc = self._proc, None
        self._buffer, self._uses = b"", 0
        if proc is None:
            return
        try:
            if proc.stdin:
                proc.stdin.close()
            proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        finally:
            if self._stderr is not None:
                self._stderr.close()
                self._stderr = None

    def _ensure(self) -> subprocess.Popen:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        self.close()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - open for the child's lifetime
        self._proc = subprocess.Popen(  # noqa: S603 - our module, after the operator's own prefix
            self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr
        )
        return self._proc

    def _read_line(self, proc: subprocess.Popen, deadline: float) -> bytes:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(timeout=left):
                    self._kill()
                    raise AuditTimeout
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    raise AuditChildError(self._died())
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
        self.close()

    def _died(self) -> str:
        """The child's last words (stderr), after making sure it is gone."""
        stderr = self._stderr
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
        text = ""
        if stderr is not None:
            stderr.seek(0)
            text = stderr.read().decode(errors="replace")[-2000:]
        self.close()
        return text.strip() or "the audit process exited"


if __name__ == "__main__":
    sys.exit(main())
