"""Run one audit in a child process: JSON in on stdin, the CLI-shaped report out on stdout.

The panel runs audits in a separate process so that a hard timeout can stop one that hangs
(``services.audits``). Input: ``{"config", "env", "suppressions": [{"checkId", "reason"}], "memory"}``,
``memory`` being manifests, memory_sandbox, production, workloads (services.memory.audit_memory_inputs).
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    from controlpanel.audit import AuditContext, Suppression, run_audit

    payload = json.load(sys.stdin)
    config, env = payload["config"], payload.get("env") or {}
    suppressions = [
        Suppression(check_id=s["checkId"], reason=s["reason"]) for s in payload.get("suppressions", [])
    ]
    extras = payload.get("memory") or {}
    context = None
    if extras.get("manifests") or extras.get("memory_sandbox") or extras.get("workloads"):
        # The panel's own inputs: plugin manifests, the sandbox memory policy, workload sizes and usage.
        context = AuditContext(config=config, env=env, **extras)
    report = run_audit(config, env=env, suppressions=suppressions, context=context)
    json.dump(report.to_json(), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
