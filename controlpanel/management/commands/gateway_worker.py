"""``manage.py gateway_worker``: keep a connection to every gateway that has a URL and credentials."""

from __future__ import annotations

import asyncio
import signal

from django.core.management.base import BaseCommand

from controlpanel.gatewayworker import GatewayWorker
from controlpanel.models import Gateway


class Command(BaseCommand):
    help = "Connect to the linked OpenClaw gateways: mirror requests, send decisions, record health."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--gateway", action="append", help="only this gateway (name); repeatable")

    def handle(self, *args, **options) -> None:
        only = None
        if options["gateway"]:
            only = set(Gateway.objects.filter(name__in=options["gateway"]).values_list("pk", flat=True))
        if options["verbosity"]:
            self.stdout.write("gateway worker running (Ctrl-C stops)")
        asyncio.run(self._run(only))
        if options["verbosity"]:
            self.stdout.write("gateway worker stopped")

    async def _run(self, only: set[int] | None) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await GatewayWorker(only=only).run(stop)
