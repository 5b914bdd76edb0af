"""``manage.py audit``: the security audit, like ``openclaw security audit --json``.

``--config PATH`` audits a file (exit 0 when the audit ran, whatever it found; exit 1 with
path-precise errors when the config is invalid). ``--gateway NAME`` / ``--all`` audit stored gateways
and store the runs, as the panel's "Run an audit" button does.
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from controlpanel.lib.audit_cli import audit_file
from controlpanel.models import Gateway


class Command(BaseCommand):
    help = "Run the security audit on a config file (--config) or on stored gateways (--gateway / --all)."

    def add_arguments(self, parser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--config", help="an openclaw.json (JSON5) to audit")
        which.add_argument("--gateway", help="audit the stored gateway with this name")
        which.add_argument("--all", action="store_true", help="audit every stored gateway")
        parser.add_argument("--env-file", help="KEY=VALUE lines: ${VAR} values and the audit's environment")
        parser.add_argument("--json", action="store_true", help="print the CLI's JSON shape")

    def handle(self, *args, **opts) -> None:
        if opts["config"]:
            self._audit_file(opts)
        else:
            self._audit_stored(opts)

    def _audit_file(self, opts) -> None:
        code = audit_file(opts["config"], opts["env_file"], opts["json"], self.stdout, self.stderr)
        if code == 2:
            raise CommandError("the config or env file could not be read")
        if code:
            sys.exit(code)

    def _audit_stored(self, opts) -> None:
        from controlpanel.services.audits import audit_run_execute, audit_run_start

        gateways = Gateway.objects.all() if opts["all"] else Gateway.objects.filter(name=opts["gateway"])
        if not gateways:
            raise CommandError(f"no gateway named {opts['gateway']!r}" if opts["gateway"] else "no gateways")
        out = []
        for gateway in gateways:
            run = audit_run_start(gateway=gateway)
            audit_run_execute(run_id=run.pk)  # here and now (its queued task then finds it finished)
            run.refresh_from_db()
            out.append(
                {"gateway": gateway.name, "status": run.status, "summary": run.summary, "run": str(run.code)}
            )
            if not opts["json"]:
                counts = ", ".join(f"{run.summary.get(k, 0)} {k}" for k in ("critical", "warn", "info"))
                self.stdout.write(f"{gateway.name}: {run.status} ({counts})")
        if opts["json"]:
            self.stdout.write(json.dumps(out, indent=2))
