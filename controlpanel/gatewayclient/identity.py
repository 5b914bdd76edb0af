"""The panel's device identity: an Ed25519 key pair, and the v3 payload it signs at connect."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b64url(data: bytes) -> str:
    """Return base64url without padding (the gateway's encoding for keys and signatures)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class DeviceIdentity:
    """An Ed25519 identity held as its 32-byte seed (the only thing worth storing, encrypted)."""

    seed: bytes

    @classmethod
    def generate(cls) -> DeviceIdentity:
        """Return a fresh random identity."""
        key = Ed25519PrivateKey.generate()
        from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

        return cls(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))

    @property
    def _key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def public_key_raw(self) -> bytes:
        return self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def public_key(self) -> str:
        """Return the raw public key, base64url: what ``device.publicKey`` carries."""
        return b64url(self.public_key_raw)

    @property
    def device_id(self) -> str:
        """Return the lowercase hex SHA-256 of the raw public key (the gateway checks it matches)."""
        return hashlib.sha256(self.public_key_raw).hexdigest()

    def sign(self, message: str) -> str:
        """Return the base64url Ed25519 signature of ``message`` (UTF-8)."""
        return b64url(self._key.sign(message.encode("utf-8")))


def signature_payload_v3(
    *,
    device_id: str,
    client_id: str,
    client_mode: str,
    role: str,
    scopes: list[str],
    signed_at_ms: int,
    token: str,
    nonce: str,
    platform: str = "",
    device_family: str = "",
) -> str:
    """Return the v3 string the gateway verifies: fields joined by ``|``, scopes in the order sent.

    ``token`` is whichever secret the connect carries (shared token, else device token, else
    empty); platform and device family are trimmed and ASCII-lowercased.
    """
    parts = [
        "v3",
        device_id,
        client_id,
        client_mode,
        role,
        ",".join(scopes),
        str(signed_at_ms),
        token,
        nonce,
        platform.strip().lower(),
        device_family.strip().lower(),
    ]
    return "|".join(parts)
