"""Encryption of secrets at rest (gateway tokens, the panel's device key): Fernet, rotatable.

Keys come from ``settings.CP_FIELD_KEYS`` (the environment ``CP_FIELD_KEYS``); the first key
encrypts, every key decrypts, so a new key can be put in front and old rows re-encrypted with
``manage.py rotate_field_key``. Without configured keys a key file is generated once under var/.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

__all__ = ["InvalidToken", "decrypt", "encrypt", "reencrypt"]


def _key_file(path: Path) -> bytes:
    """Return the key in ``path``, creating it (mode 600, in a 700 directory) if it is missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # O_EXCL: two processes starting at once must not each write a different key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(Fernet.generate_key())
    return path.read_bytes().strip()


@cache
def _fernet(keys: tuple[str, ...], key_file: str) -> MultiFernet:
    raw = [k.encode() for k in keys] or [_key_file(Path(key_file))]
    return MultiFernet([Fernet(k) for k in raw])


def fernet() -> MultiFernet:
    """Return the MultiFernet for the configured keys (cached per key set)."""
    return _fernet(tuple(settings.CP_FIELD_KEYS), str(settings.CP_FIELD_KEY_FILE))


def encrypt(plaintext: str) -> str:
    """Return the Fernet token of ``plaintext`` under the first key ('' stays '')."""
    return fernet().encrypt(plaintext.encode()).decode() if plaintext else ""


def decrypt(token: str) -> str:
    """Return the plaintext of ``token`` ('' stays ''). Raises InvalidToken if no key opens it."""
    return fernet().decrypt(token.encode()).decode() if token else ""


def reencrypt(token: str) -> str:
    """Return ``token`` re-encrypted under the first key (for key rotation)."""
    return fernet().rotate(token.encode()).decode() if token else ""
