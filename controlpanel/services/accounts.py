"""Accounts: owners create users; people change their password and set up a second factor."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from controlpanel.authn.second_factor import TOTP_NAME, new_recovery_codes
from controlpanel.live.groups import sockets_rescope
from controlpanel.models import ApiToken, Gateway, GatewayMembership, Role

from .activity import activity_record


class UsernameTaken(Exception):
    pass


def user_create(*, username: str, email: str, gateway: Gateway, role: Role, actor) -> tuple[object, str]:
    """A new local account with a generated password (returned once) and a role on ``gateway``.

    The person changes the password on their account page after the first sign-in.
    """
    User = get_user_model()
    password = secrets.token_urlsafe(15)
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise UsernameTaken(username)
        user = User.objects.create_user(username, email=email, password=password)
        GatewayMembership.objects.create(user=user, gateway=gateway, role=role)
        activity_record(
            action="user.created",
            actor=actor,
            gateway=gateway,
            target=f"user:{user.get_username()}",
            after={"role": str(role), "email": email},
            detail={"via": "account page"},
        )
        sockets_rescope(user.pk)
    return user, password


def password_changed(*, user) -> None:
    activity_record(action="user.password_changed", actor=user, target=f"user:{user.get_username()}")


def totp_device_pending(*, user) -> TOTPDevice:
    """The user's unconfirmed TOTP device (made once; the QR code stays the same until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def two_factor_enable(*, user, device: TOTPDevice) -> list[str]:
    """Confirm the device (its code was checked by the caller) and issue recovery codes (returned once)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = new_recovery_codes(user)
        activity_record(action="two_factor.enabled", actor=user, target=f"user:{user.get_username()}")
    return codes


def two_factor_recovery_codes(*, user) -> list[str]:
    with transaction.atomic():
        codes = new_recovery_codes(user)
        activity_record(
            action="two_factor.recovery_codes_replaced", actor=user, target=f"user:{user.get_username()}"
        )
    return codes


def passkey_remove(*, user, passkey) -> None:
    with transaction.atomic():
        passkey.delete()
        activity_record(
            action="two_factor.passkey_removed",
            actor=user,
            target=f"user:{user.get_username()}",
            detail={"passkey": passkey.name},
        )


def two_factor_disable(*, user) -> None:
    """Remove the devices and recovery codes; tokens made with a second factor lose that standing."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        ApiToken.objects.filter(user=user, second_factor=True).update(second_factor=False)
        activity_record(action="two_factor.disabled", actor=user, target=f"user:{user.get_username()}")
