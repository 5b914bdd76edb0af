"""The panel's VAPID key pair for Web Push: generated once, shared by every process (one row),
the private key encrypted at rest."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from django.db import IntegrityError, transaction

from controlpanel import fieldcrypto
from controlpanel.models import PushKeys


def _generate() -> tuple[str, str]:
    from py_vapid import Vapid

    vapid = Vapid()
    vapid.generate_keys()
    pem = vapid.private_pem().decode()
    point = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return pem, base64.urlsafe_b64encode(point).decode().rstrip("=")


def vapid_keys() -> PushKeys:
    """The key pair, created on first use (two processes racing create it once)."""
    keys = PushKeys.objects.filter(pk=1).first()
    if keys is not None:
        return keys
    pem, public = _generate()
    try:
        with transaction.atomic():
            return PushKeys.objects.create(pk=1, private_key_enc=fieldcrypto.encrypt(pem), public_key=public)
    except IntegrityError:
        return PushKeys.objects.get(pk=1)


def vapid_public_key() -> str:
    """The applicationServerKey browsers subscribe with (base64url, uncompressed P-256 point)."""
    return vapid_keys().public_key


def vapid_private_pem() -> str:
    return fieldcrypto.decrypt(vapid_keys().private_key_enc)
