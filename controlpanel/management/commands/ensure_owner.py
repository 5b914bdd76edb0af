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

    def handle(self, *args, **opts) -> None:
        User = get_user_model()
        if User.objects.exists():
            self.stdout.write(
                "Accounts exist already: log in with yours "
                "(forgotten password: .venv/bin/python manage.py changepassword USERNAME)."
            )
            return
        password = secrets.token_urlsafe(12)
        user = User.objects.create_superuser(username=opts["username"], email="", password=password)
        for gateway in Gateway.objects.all():
            GatewayMembership.objects.get_or_create(user=user, gateway=gateway, defaults={"role": Role.OWNER})
        self.stdout.write(
            self.style.SUCCESS(
                f"\nCreated the first account.\n  username: {user.username}\n  password: {password}\n"
                "This password is shown once; change it with: .venv/bin/python manage.py changepassword "
                f"{user.username}\n"
            )
        )
