"""``manage.py alerts_tick [--once] [--interval N]``: the time-based alert rules, in a loop.

Ingest evaluates rules when events arrive; nothing arrives when a gateway goes silent, so this loop
marks silent gateways and workloads stale and closes quiet denial windows. Run one per deployment
(several are harmless: each gateway's rule state is locked while it is evaluated).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from controlpanel.models import Gateway
from controlpanel.services.alerts import alerts_tick


class Command(BaseCommand):
    help = "Apply time-based alert rules (staleness, pending periods) to every gateway; loop unless --once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument(
            "--interval", type=float, default=15.0, help="seconds between passes (default 15)"
        )

    def handle(self, *args, once: bool = False, interval: float = 15.0, **options) -> None:
        while True:
            changed = self.tick_all()
            if once:
                self.stdout.write(f"alerts_tick: {changed} alert change(s)")
                return
            time.sleep(max(interval, 1.0))

    def tick_all(self) -> int:
        """Return the number of alert changes made across all gateways that have rule state."""
        changed = 0
        for gateway in Gateway.objects.filter(alert_state__isnull=False):
            changed += len(alerts_tick(gateway=gateway).event_ids)
        return changed
