"""``manage.py audit --config FILE``: audit a config file without starting Django.

A file audit needs no database, so ``manage.py`` hands this case straight here (see manage.py):
start-up is then the engine's import time, not Django's. The management command ``audit`` calls the
same function, so both paths print the same thing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO


def audit_file(config: str, env_file: str | None, as_json: bool, out: TextIO, err: TextIO) -> int:
    """Audit ``config`` and print the report. Returns the exit code: 0 audited, 1 invalid, 2 unreadable.

    A config OpenClaw's validator refuses is not audited, as `openclaw security audit` refuses it: the
    output says so and lists the issues (in the CLI's JSON shape with --json).
    """
    from controlpanel.audit import refusal_json, run_audit
    from controlpanel.lib.envfile import EnvFileError, parse_env_text
    from controlpanel.openclaw import load_config

    try:
        text = Path(config).read_text(encoding="utf-8")
        env = parse_env_text(Path(env_file).read_text()) if env_file else {}
    except (OSError, UnicodeDecodeError, EnvFileError) as exc:
        err.write(f"{exc}\n")
        return 2
    result = load_config(text, env=env)
    if not result.valid:
        refusal = refusal_json(result.issues, Path(config).name)
        if as_json:
            out.write(json.dumps(refusal, indent=2) + "\n")
        err.write(refusal["error"]["message"] + " (not audited, as `openclaw security audit` refuses it)\n")
        for issue in result.issues:
            err.write(f"{issue.path or '(root)'}: {issue.message}\n")
        return 1
    report = run_audit(result.resolved, env=env).to_json()
    if as_json:
        out.write(json.dumps(report, indent=2) + "\n")
        return 0
    s = report["summary"]
    out.write(f"Summary: {s['critical']} critical · {s['warn']} warn · {s['info']} info\n")
    for f in report["findings"]:
        out.write(f"{f['severity'].upper():8} {f['checkId']}  {f['title']}\n")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="manage.py audit", description="Audit an openclaw.json file.")
    parser.add_argument("--config", required=True)
    parser.add_argument("--env-file")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    return audit_file(args.config, args.env_file, args.json, sys.stdout, sys.stderr)
