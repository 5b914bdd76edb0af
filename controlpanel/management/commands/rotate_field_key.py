"""Re-encrypt every secret at rest under the first key of CP_FIELD_KEYS."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from controlpanel import fieldcrypto
from controlpanel.models import GatewayLink

ENCRYPTED_FIELDS = ("secret_enc", "device_seed_enc", "device_token_enc")


class Command(BaseCommand):
    help = "Re-encrypt gateway credentials with the first key of CP_FIELD_KEYS (then drop old keys)."

    def handle(self, *args, **options) -> None:
        count = 0
        with transaction.atomic():
            for link in GatewayLink.objects.select_for_update():
                try:
                    for name in ENCRYPTED_FIELDS:
                        setattr(link, name, fieldcrypto.reencrypt(getattr(link, name)))
                except fieldcrypto.InvalidToken:
                    raise CommandError(
                        f"no key in CP_FIELD_KEYS opens the credentials of gateway {link.gateway_id}; "
                        "nothing was changed"
                    ) from None
                link.save(update_fields=[*ENCRYPTED_FIELDS, "updated_at"])
                count += 1
        self.stdout.write(f"re-encrypted the credentials of {count} gateway(s)")
