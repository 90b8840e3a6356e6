"""Encryption of personal data at rest (SPEC §2).

Threat model: someone who obtains a copy of the database (a dump, a backup, a stolen disk) or of the
logs must not learn any resident's ID number, phone or name. Each value is sealed with AES-256-GCM under
``DATA_ENCRYPTION_KEY`` with a fresh nonce and the field name as associated data (so a sealed value
cannot be moved to another column unnoticed). Equality look-ups use a keyed hash (HMAC-SHA256 under a
separate ``LOOKUP_HASH_KEY``), so the table holds no unkeyed hash that a dictionary of all ~10^9
plausible ID numbers could reverse. What stays visible: row counts, towns and villages, statuses, and
which rows share a value within one column.
"""

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

VERSION = b"\x01"
NONCE_BYTES = 12


class DecryptionError(RuntimeError):
    """A sealed value does not open under the configured key (wrong key, or tampered data)."""


def _key() -> bytes:
    return current_app.config["DATA_ENCRYPTION_KEY_BYTES"]


def seal(field: str, value: str | None) -> bytes | None:
    """Encrypt ``value`` for the column ``field``."""
    if value is None:
        return None
    return sealer(field)(value)


def sealer(field: str):
    """``seal`` for one field as a function, the key read once: for sealing a million values."""
    cipher, associated = AESGCM(_key()), field.encode()

    def seal_value(value: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return VERSION + nonce + cipher.encrypt(nonce, value.encode(), associated)

    return seal_value


def open_sealed(field: str, sealed: bytes | None) -> str | None:
    """Decrypt a value sealed for ``field``."""
    if sealed is None:
        return None
    sealed = bytes(sealed)
    if sealed[:1] != VERSION:
        raise DecryptionError("unknown format")
    nonce, ciphertext = sealed[1:1 + NONCE_BYTES], sealed[1 + NONCE_BYTES:]
    try:
        return AESGCM(_key()).decrypt(nonce, ciphertext, field.encode()).decode()
    except InvalidTag as exc:
        raise DecryptionError("the value does not open under the configured key") from exc


def lookup_hash(field: str, value: str | None) -> str | None:
    """A keyed hash of a normalised value, for equality look-ups without decrypting."""
    if value is None:
        return None
    return lookup_hasher(field)(value)


def lookup_hasher(field: str):
    """``lookup_hash`` for one field as a function, the key read once: for hashing a million values."""
    key = current_app.config["LOOKUP_HASH_KEY_BYTES"]
    prefix = f"{field}:".encode()
    sha256 = hashlib.sha256
    digest = hmac.digest  # the one-shot form of HMAC-SHA256: the same digest, several times faster

    def hash_value(value: str) -> str:
        return digest(key, prefix + value.encode(), sha256).hex()

    return hash_value


def digest_secret(secret: str) -> str:
    """The SHA-256 of a random secret we hand out once (refresh tokens, API keys, invite codes), as it is
    stored: enough to recognise the secret, useless for recovering it. No key is needed: such a secret has
    too many bits to guess in its lifetime; personal data, which can be guessed, takes ``lookup_hash``."""
    return hashlib.sha256(secret.encode()).hexdigest()
