"""Personal API tokens: create (plaintext returned once), revoke, authenticate."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from controlpanel.models import ApiToken

from .activity import activity_record

PREFIX = "cpu_"


def api_token_create(*, user, name: str, second_factor: bool = False) -> tuple[ApiToken, str]:
    """``second_factor``: created in a session verified with a second factor, so the token may act
    where owners need one (CP_REQUIRE_OWNER_2FA)."""
    plaintext = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name[:100],
            prefix=plaintext[:12],
            token_hash=hashlib.sha256(plaintext.encode()).hexdigest(),
            second_factor=second_factor,
        )
        activity_record(
            action="api_token.created",
            actor=user,
            target=f"api_token:{token.prefix}",
            after={"name": token.name, "second_factor": second_factor},
        )
    return token, plaintext


def api_token_revoke(*, token: ApiToken, actor) -> None:
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        activity_record(action="api_token.revoked", actor=actor, target=f"api_token:{token.prefix}")


def api_token_authenticate(plaintext: str):
    """The active user behind a bearer token, or None. The hash is compared in constant time."""
    if not plaintext.startswith(PREFIX):
        return None
    digest = hashlib.sha256(plaintext.encode()).hexdigest()
    for token in ApiToken.objects.filter(prefix=plaintext[:12], revoked_at__isnull=True).select_related(
        "user"
    ):
        if hmac.compare_digest(token.token_hash, digest) and token.user.is_active:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
            user = token.user
            # As django-otp's middleware gives session users: the token's own standing.
            user.is_verified = functools.partial(bool, token.second_factor)
            return user
    return None
