"""``manage.py alerts_tick``: one pass of the time-based alert rules, now.

The task workers run the same pass every 15 s (``controlpanel.tasks.alerts.alerts_tick``); this
command is for a manual pass or cron. Several at once are harmless: each gateway's rule state is
locked while it is evaluated.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from controlpanel.services.alerts import alerts_tick_all


class Command(BaseCommand):
    help = "Apply time-based alert rules (staleness, pending periods) to every gateway once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="accepted for older scripts: always once")

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"alerts_tick: {alerts_tick_all()} alert change(s)")
