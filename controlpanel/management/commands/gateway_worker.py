"""``manage.py gateway_worker``: keep a connection to this worker's share of the linked gateways.

Run one or several (on any machines): they divide the gateways by leases in the database.
"""

from __future__ import annotations

import asyncio
import signal

from django.core.management.base import BaseCommand

from controlpanel.gatewayworker import GatewayWorker
from controlpanel.models import Gateway


class Command(BaseCommand):
    help = (
        "Connect to the linked OpenClaw gateways (this worker's fair share, by leases shared with the other "
        "gateway workers): mirror requests, send decisions, record health."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--gateway",
            action="append",
            help="only this gateway (name; repeatable), outside the fair share; it still needs its lease",
        )

    def handle(self, *args, **options) -> None:
        only = None
        if options["gateway"]:
            only = set(Gateway.objects.filter(name__in=options["gateway"]).values_list("pk", flat=True))
        asyncio.run(self._run(only, verbose=bool(options["verbosity"])))
        if options["verbosity"]:
            self.stdout.write("gateway worker stopped")

    async def _run(self, only: set[int] | None, *, verbose: bool = True) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        worker = GatewayWorker(only=only)
        if verbose:  # make run starts it at -v 0: its banner stays short
            self.stdout.write(f"gateway worker {worker.worker_id} running (Ctrl-C stops)")
            self.stdout.flush()
        await worker.run(stop)
