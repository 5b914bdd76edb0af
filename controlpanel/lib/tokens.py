"""Panel-issued secrets (device tokens): generated once, stored as a prefix and a SHA-256 digest."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX_LEN = 8


def token_generate() -> tuple[str, str, str]:
    """Return ``(plaintext, prefix, sha256_hex)`` for a new token; store only prefix and hash.

    The plaintext is shown once. The prefix lets a user recognise the token in lists.
    """
    plaintext = "ocp_" + secrets.token_urlsafe(32)
    return plaintext, plaintext[: len("ocp_") + TOKEN_PREFIX_LEN], token_hash(plaintext)


def token_hash(plaintext: str) -> str:
    """Return the SHA-256 hex digest stored for ``plaintext`` (tokens have 256 bits: no salt needed)."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def token_verify(plaintext: str, sha256_hex: str) -> bool:
    """Return True when ``plaintext`` hashes to ``sha256_hex``, compared in constant time."""
    if not plaintext or not sha256_hex:
        return False  # an empty stored hash must never match (fail closed)
    return hmac.compare_digest(token_hash(plaintext), sha256_hex.lower())
