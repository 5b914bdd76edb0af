"""Review tokens: a config is saved only after its review, and only as reviewed.

Every path that saves a config (the pages and the API alike) first shows the review of one exact
text against one exact base (validation, what-if, diff) and hands out a signed token naming them:
the gateway (or the name of the gateway to create), the text's sha256, the base config hash, where
the change comes from and who asked. The save presents the token with the same text; anything else
is refused. The token holds no secret (a hash of the text, never the text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core import signing

from controlpanel.services.config_revisions import config_hash

SALT = "cp.config-review"
MAX_AGE = 2 * 3600  # seconds a review stays good for a save


class ReviewTokenInvalid(Exception):
    """The token is missing, too old, forged, or for another text, base, gateway or user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Reviewed:
    """What a review token says was reviewed."""

    text_hash: str
    base_hash: str
    source: str
    gateway_id: int | None = None  # None: a gateway to create, named ``name``
    name: str = ""
    user_id: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def review_token(reviewed: Reviewed) -> str:
    return signing.dumps(
        {
            "g": reviewed.gateway_id,
            "n": reviewed.name,
            "s": reviewed.text_hash,
            "b": reviewed.base_hash,
            "src": reviewed.source,
            "u": reviewed.user_id,
            "d": reviewed.detail,
        },
        salt=SALT,
    )


def review_token_for(
    *,
    text: str,
    base_hash: str,
    source: str,
    gateway=None,
    name: str = "",
    user=None,
    detail: dict | None = None,
) -> str:
    """The token of a review of ``text`` against ``base_hash`` (for ``gateway``, or a new one ``name``)."""
    return review_token(
        Reviewed(
            text_hash=config_hash(text),
            base_hash=base_hash,
            source=source,
            gateway_id=gateway.pk if gateway is not None else None,
            name=name,
            user_id=user.pk if user is not None else None,
            detail=detail or {},
        )
    )


def review_token_read(token: Any) -> Reviewed:
    """Return what ``token`` says was reviewed; raises ReviewTokenInvalid when it is not a good token."""
    if not isinstance(token, str) or not token:
        raise ReviewTokenInvalid("Review the change first: the save needs the token its review gave.")
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise ReviewTokenInvalid("This review is more than two hours old: review the change again.") from None
    except signing.BadSignature:
        raise ReviewTokenInvalid("Not a review token of this panel: review the change again.") from None
    return Reviewed(
        text_hash=data["s"],
        base_hash=data["b"],
        source=data["src"],
        gateway_id=data.get("g"),
        name=data.get("n") or "",
        user_id=data.get("u"),
        detail=data.get("d") or {},
    )


def review_token_check(
    token: Any, *, text: str, base_hash: str | None = None, gateway=None, name: str = "", user=None
) -> Reviewed:
    """Check that ``token`` is the review of exactly ``text`` (against ``base_hash`` when given) for
    this gateway (or this new gateway name) and this user. Returns what was reviewed."""
    reviewed = review_token_read(token)
    if reviewed.gateway_id != (gateway.pk if gateway is not None else None) or reviewed.name != name:
        raise ReviewTokenInvalid("This review is of another gateway: review the change again.")
    if reviewed.user_id is not None and (user is None or reviewed.user_id != user.pk):
        raise ReviewTokenInvalid("This review was made by someone else: review the change yourself.")
    if reviewed.text_hash != config_hash(text):
        raise ReviewTokenInvalid("The text changed after its review: review it again before saving.")
    if base_hash is not None and reviewed.base_hash != base_hash:
        raise ReviewTokenInvalid("This review was made against another revision: review the change again.")
    return reviewed
