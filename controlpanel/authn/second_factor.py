"""The second factor (django-otp): TOTP devices and static recovery codes, for local accounts and any
account that enrols. A session is *verified* once a code was accepted in it (django_otp.login)."""

from __future__ import annotations

import django_otp
from django.conf import settings
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODES = 10
TOTP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def has_second_factor(user) -> bool:
    """Whether the user has a confirmed TOTP device or a passkey (recovery codes alone do not count)."""
    return has_totp(user) or passkeys(user).exists()


def has_totp(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def passkeys_enabled() -> bool:
    return bool(settings.CP_WEBAUTHN_ORIGIN)


def passkeys(user):
    from django_otp_webauthn.models import WebAuthnCredential

    return WebAuthnCredential.objects.filter(user=user, confirmed=True)


def verify_code(request, user, code: str) -> bool:
    """Check a TOTP or recovery code (throttled by django-otp after failures); on success the session
    is verified and recently authenticated. A recovery code works once."""
    code = "".join((code or "").split())
    if not code or not user.is_authenticated:
        return False
    device = django_otp.match_token(user, code)
    if device is None:
        return False
    second_factor_accepted(request, device)
    return True


def second_factor_accepted(request, device) -> None:
    """The session is verified (django-otp) and counts as recently authenticated (sudo mode)."""
    from controlpanel.permissions import mark_second_factor

    django_otp.login(request, device)
    mark_second_factor(request)


def is_verified(user) -> bool:
    """django-otp's OTPMiddleware gives session users ``is_verified()``; API-token users carry their
    token's flag (controlpanel.services.api_tokens)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes with fresh ones; the plaintext is returned once."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
