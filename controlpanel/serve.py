"""``python -m controlpanel.serve``: daphne, with its access log going through the panel's logging.

Takes daphne's own arguments (``-b 127.0.0.1 -p 8000 controlpanel.asgi:application``); `make run`
serves with it. Daphne writes its access log straight onto stdout, past Python's logging, so the
filter that removes secrets from every log record (``lib/logredact.py``) never saw those lines: a
token in a query string was logged verbatim. Here each access-log line is a record of the
``controlpanel.access`` logger (INFO), redacted and handled like every other record.
"""

from __future__ import annotations

import logging

from daphne.access import AccessLogGenerator
from daphne.cli import CommandLineInterface
from daphne.server import Server

logger = logging.getLogger("controlpanel.access")


class AccessLog(AccessLogGenerator):
    """Daphne's access-log lines (NCSA-like, as daphne writes them) as logging records."""

    def __init__(self) -> None:
        super().__init__(stream=None)

    def write_entry(self, host, date, request, status=None, length=None, ident=None, user=None) -> None:
        logger.info(
            '%s %s %s [%s] "%s" %s %s',
            host,
            ident or "-",
            user or "-",
            date.strftime("%d/%b/%Y:%H:%M:%S"),
            request,
            status or "-",
            length or "-",
        )


class PanelServer(Server):
    """Daphne's server with ``AccessLog`` wherever daphne would have written its access log."""

    def __init__(self, *args, action_logger=None, **kwargs) -> None:
        super().__init__(*args, action_logger=AccessLog() if action_logger is not None else None, **kwargs)


class PanelCommandLine(CommandLineInterface):
    server_class = PanelServer


if __name__ == "__main__":
    PanelCommandLine.entrypoint()
