"""``manage.py import_config PATH``: validate an openclaw.json and create or update a gateway from it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from controlpanel.lib.envfile import EnvFileError, parse_env_text
from controlpanel.models import Gateway
from controlpanel.services.gateways import GatewayNameInvalid, gateway_import_config, gateway_name_clean


class Command(BaseCommand):
    help = (
        "Validate an openclaw.json (JSON5) and import it as a gateway: created if NAME is new, "
        "its config replaced if it exists. Exits 1 when the config is invalid; nothing is saved then."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="the openclaw.json file ('-' reads standard input)")
        parser.add_argument("--env-file", help="KEY=VALUE lines used to resolve ${VAR} references")
        parser.add_argument(
            "--name", help="gateway name in the panel (default: the file name without suffixes)"
        )
        parser.add_argument("--owner", help="username who becomes owner of a new gateway")
        parser.add_argument("--dry-run", action="store_true", help="validate only, save nothing")
        parser.add_argument(
            "--json",
            action="store_true",
            help='print {"valid", "issues"} like `openclaw config validate --json`',
        )

    def handle(self, *args, **opts) -> None:
        text = sys.stdin.read() if opts["path"] == "-" else _read(Path(opts["path"]))
        env = {}
        if opts["env_file"]:
            try:
                env = parse_env_text(_read(Path(opts["env_file"])))
            except EnvFileError as exc:
                raise CommandError(f"{opts['env_file']}: {exc}") from exc
        name = opts["name"] or Path(opts["path"]).name.split(".")[0] or "gateway"
        try:
            name = gateway_name_clean(name)
        except GatewayNameInvalid as exc:
            hint = "" if opts["name"] else " (the name comes from the file name: pass --name NAME)"
            raise CommandError(f"--name {name!r}: {exc}{hint}") from None
        owner = None
        if opts["owner"]:
            try:
                owner = get_user_model().objects.get(username=opts["owner"])
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"--owner: no user {opts['owner']!r}") from exc

        # A dry run only validates: it needs no database (nor a name that exists).
        existing = None if opts["dry_run"] else Gateway.objects.filter(name=name).first()
        outcome = gateway_import_config(
            text=text, env=env, name=name, gateway=existing, actor=owner, dry_run=opts["dry_run"]
        )
        result = outcome.result
        if opts["json"]:
            self.stdout.write(json.dumps(result.to_validate_json()))
        elif not result.valid:
            for issue in result.issues:
                self.stderr.write(f"{issue.path or '(root)'}: {issue.message}")
                if issue.hint:
                    self.stderr.write(f"  hint: {issue.hint}")
        else:
            for warning in result.warnings:
                self.stdout.write(f"note: {warning.path}: {warning.message}")
            if outcome.gateway is None:
                self.stdout.write("valid (dry run: nothing saved)")
            else:
                verb = "created" if outcome.created else "updated"
                count = outcome.gateway.agents.count()
                self.stdout.write(f"{verb} gateway {outcome.gateway.name} with {count} agent(s)")
        if not result.valid:
            sys.exit(1)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CommandError(f"{path}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path}: not UTF-8 text") from exc
