"""Run one audit in a child process: JSON in on stdin, the CLI-shaped report out on stdout.

The panel runs audits in a separate process so that a hard timeout can stop one that hangs
(``services.audits``). Input: ``{"config": {...}, "env": {...}, "suppressions": [{"checkId", "reason"}]}``.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    from controlpanel.audit import Suppression, run_audit

    payload = json.load(sys.stdin)
    suppressions = [
        Suppression(check_id=s["checkId"], reason=s["reason"]) for s in payload.get("suppressions", [])
    ]
    report = run_audit(payload["config"], env=payload.get("env") or {}, suppressions=suppressions)
    json.dump(report.to_json(), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
