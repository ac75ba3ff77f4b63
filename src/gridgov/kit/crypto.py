"""Field encryption for personal data: AES-256-GCM at rest, HMAC-SHA256 for exact search.

The stored text is ``v1:<base64(nonce | ciphertext+tag)>``; the version prefix lets a later key
rotation tell old values from new. Search hashes use a key derived from the data key, so the
database alone reveals neither the values nor a way to test guesses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_PREFIX = "v1:"


class FieldCipher:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the data key must be 32 bytes")
        self._aead = AESGCM(key)
        self._hash_key = hmac.new(key, b"gridgov search hash v1", hashlib.sha256).digest()

    def encrypt(self, plain: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plain.encode(), None)
        return _PREFIX + base64.b64encode(nonce + sealed).decode()

    def decrypt(self, stored: str) -> str:
        if not stored.startswith(_PREFIX):
            raise ValueError("unknown ciphertext version")
        raw = base64.b64decode(stored[len(_PREFIX) :])
        return self._aead.decrypt(raw[:12], raw[12:], None).decode()

    def search_hash(self, plain: str) -> str:
        """Deterministic keyed hash of a normalised value, for exact-match search."""
        normalised = plain.strip().upper()
        return hmac.new(self._hash_key, normalised.encode(), hashlib.sha256).hexdigest()


def mask_id_number(value: str) -> str:
    """``370811199001011234`` → ``370811********1234``: region and check digits only."""
    value = value.strip()
    if len(value) <= 10:
        return value[:2] + "*" * max(len(value) - 4, 0) + value[-2:]
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    value = value.strip()
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
