#!/usr/bin/env python
"""Django's command-line utility for the OpenClaw control panel."""

import os
import sys


def main() -> None:
    if sys.argv[1:2] == ["audit"] and any(a == "--config" or a.startswith("--config=") for a in sys.argv[2:]):
        # Auditing a file needs no database: skip Django's start-up (see controlpanel/lib/audit_cli.py).
        from controlpanel.lib.audit_cli import main as audit_file_main

        sys.exit(audit_file_main(sys.argv[2:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "controlpanel.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError

    try:
        settings.INSTALLED_APPS  # noqa: B018 - reads the settings: a missing key or bad value is one line
    except ImproperlyConfigured as exc:
        sys.exit(f"manage.py: {exc}")
    try:
        execute_from_command_line(sys.argv)
    except OperationalError as exc:
        if settings.DEBUG:
            raise
        sys.exit(f"manage.py: {database_problem(exc, settings.DATABASES['default'])}")


def database_problem(exc: Exception, database: dict) -> str:
    """One line saying what to do when the database is missing, not set up or unreachable."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if database["ENGINE"].endswith("sqlite3") and (
        "unable to open database file" in message or "no such table" in message
    ):
        return f"the database {database['NAME']} is not set up: run `make run` once ({message})."
    return f"cannot use the database ({message}); check DATABASE_URL and that the server is up."


if __name__ == "__main__":
    main()
