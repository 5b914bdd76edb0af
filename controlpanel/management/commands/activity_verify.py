"""``manage.py activity_verify``: walk the hash chain of the activity log and report the first break."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from controlpanel.services.activity import activity_verify


class Command(BaseCommand):
    help = "Verify the activity log's hash chain. Exits 1 at the first edited, missing or reordered event."

    def handle(self, *args, **opts) -> None:
        checked, broken = activity_verify()
        if broken is None:
            self.stdout.write(f"ok: {checked} event(s), chain intact")
            return
        self.stderr.write(
            f"BROKEN at event #{broken.seq}: {broken.reason} ({checked} event(s) verified before it)"
        )
        sys.exit(1)
