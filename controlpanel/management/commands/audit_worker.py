"""``manage.py audit_worker``: run audits left queued (for example by a restart), in a loop or once."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from controlpanel.services.audits import audit_runs_queued_execute


class Command(BaseCommand):
    help = "Run queued audits. Each run is claimed with a conditional update, so several workers are safe."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="run what is queued now, then exit")
        parser.add_argument("--interval", type=float, default=2.0)

    def handle(self, *args, **opts) -> None:
        while True:
            done = audit_runs_queued_execute()
            if done:
                self.stdout.write(f"ran {done} audit(s)")
            if opts["once"]:
                return
            time.sleep(opts["interval"])
