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
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
