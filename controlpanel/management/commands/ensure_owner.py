"""``manage.py ensure_owner``: create the first account if there is none, and say how to log in."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from controlpanel.models import Gateway, GatewayMembership, Role


class Command(BaseCommand):
    help = (
        "If no user exists, create one (random password, printed once) and make it owner of every "
        "gateway. There are no default accounts: the password is generated here."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default="owner")
        parser.add_argument(
            "--banner",
            metavar="URL",
            help="Print the `make run` banner for the panel at URL (the password only when just created).",
        )

    def handle(self, *args, **opts) -> None:
        User = get_user_model()
        password = None
        if User.objects.exists():
            user = (
                User.objects.filter(is_superuser=True).order_by("pk").first()
                or User.objects.order_by("pk").first()
            )
        else:
            password = secrets.token_urlsafe(12)
            user = User.objects.create_superuser(username=opts["username"], email="", password=password)
            for gateway in Gateway.objects.all():
                GatewayMembership.objects.get_or_create(
                    user=user, gateway=gateway, defaults={"role": Role.OWNER}
                )
        if opts["banner"]:
            self.stdout.write(self._banner(opts["banner"], user.get_username(), password))
        elif password:
            self.stdout.write(
                self.style.SUCCESS(
                    f"\nCreated the first account.\n  username: {user.get_username()}\n"
                    f"  password: {password}\n"
                    "This password is shown once; change it with: .venv/bin/python manage.py changepassword "
                    f"{user.get_username()}\n"
                )
            )
        else:
            self.stdout.write(
                "Accounts exist already: log in with yours "
                "(forgotten password: .venv/bin/python manage.py changepassword USERNAME)."
            )

    def _banner(self, url: str, username: str, password: str | None) -> str:
        if password:
            login = f"  User      {username}\n  Password  {password}   (shown only this once)"
        else:
            login = (
                f"  User      {username}   (password shown on the first run; reset it with\n"
                f"            .venv/bin/python manage.py changepassword {username})"
            )
        lines = [
            "",
            self.style.SUCCESS("  OpenClaw control panel"),
            f"  URL       {url}",
            login,
            "  Demo      two gateways; their pending requests stay fresh for an hour",
            "  Stop      Ctrl-C",
            "",
        ]
        return "\n".join(lines)
