"""Signing keys of credit codes: kept in the database so every host signs and verifies with the same set,
private parts sealed under DATA_ENCRYPTION_KEY (SPEC §4).

Which key signs, and whether a key may still verify, is read from the database on every use (one indexed
row), so a rotation or a retirement done on one host counts on all of them from the next request. Only
the key material, which never changes once written, is cached per process.

A key verifies exactly while it is published in the JWKS: while it is active, and after a rotation until
the last code it signed has expired (``published_until``). Retiring a key (a compromised one) ends that
at once: it verifies nothing from then on, whatever codes it signed that are still in flight.
"""

import base64
import re
import secrets
import threading
from collections.abc import Callable
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import and_, false, or_, select, update
from sqlalchemy.exc import IntegrityError

from backend.codes.models import SigningKey
from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from backend.privacy.sealing import open_sealed, seal
from backend.settings.defaults import CREDIT_CODE_MAX_TTL_SECONDS

ALGORITHM = "EdDSA"
SEALED_FIELD = "signing_key.private"
# A rotated key stays published this long past the longest code lifetime: a code signed the moment
# before the rotation may reach a verifier a little later, on a host whose clock runs a little ahead.
PUBLISH_MARGIN = timedelta(seconds=60)

_lock = threading.Lock()
_public: dict[str, Ed25519PublicKey] = {}
_private: dict[str, Ed25519PrivateKey] = {}


# kids are 16 hex digits; anything else in a code's header is refused before it reaches the database.
KID = re.compile(r"[0-9a-f]{16}")

# Every token these keys sign names its kind in the JWS header ``typ`` (SPEC §4), and each check refuses
# the other kinds: a credit report is never taken for a credit code, nor a code for a report.
CODE_TYP = "chengxin-code+jwt"
REPORT_TYP = "chengxin-report+jwt"

# Domains whose signed tokens outlive codes (credit reports live for weeks) register a function of
# (kid column, now) giving an SQL condition: the key signed something still valid, so it stays published.
_still_signing: list[Callable] = []


def keep_published_while(signed_something_valid: Callable) -> None:
    """Keep publishing, after its rotation too, every key for which ``signed_something_valid(kid, now)``
    holds."""
    if signed_something_valid not in _still_signing:
        _still_signing.append(signed_something_valid)


class KeyNotFound(LookupError):
    """No signing key has this kid."""


def reset_caches() -> None:
    """Forget every cached key (for tests that empty the tables)."""
    with _lock:
        _public.clear()
        _private.clear()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _new_key() -> SigningKey:
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                        serialization.NoEncryption())
    raw_public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return SigningKey(kid=secrets.token_hex(8), algorithm=ALGORITHM, public_key=_b64(raw_public),
                      private_sealed=seal(SEALED_FIELD, _b64(raw_private)), active=True, created_at=utcnow())


def rotate() -> SigningKey:
    """Add a new active key; the old one keeps being published until its last code (and, through
    ``keep_published_while``, its last credit report) has expired."""
    now = utcnow()
    longest = timedelta(seconds=CREDIT_CODE_MAX_TTL_SECONDS)
    db.session.execute(update(SigningKey).where(SigningKey.active.is_(True)).values(
        active=False, retired_at=now, published_until=now + longest + PUBLISH_MARGIN))
    key = _new_key()
    db.session.add(key)
    db.session.commit()
    return key


def retire(kid: str) -> tuple[SigningKey, SigningKey | None]:
    """Withdraw a key at once (it was compromised): from now on it verifies nothing and leaves the JWKS,
    so the codes it signed that are still alive are refused. When it was the active key, a new active
    key takes over in the same transaction. Returns the retired key and the new one, if any."""
    key = db.session.get(SigningKey, kid, with_for_update=True)
    if key is None:
        raise KeyNotFound(kid)
    now = utcnow()
    was_active = key.active
    key.active = False
    # A withdrawn key's publication ends the moment it is retired; nothing it signed keeps it published.
    key.retired_at = now
    key.published_until = now
    db.session.flush()
    successor = _new_key() if was_active else None
    if successor is not None:
        db.session.add(successor)
    db.session.commit()
    return key, successor


def active_signer() -> tuple[str, Ed25519PrivateKey]:
    """The kid and private key new codes are signed with (created on first use)."""
    kid = db.session.scalar(select(SigningKey.kid).where(SigningKey.active.is_(True)))
    if kid is None:
        kid = _create_first()
    if kid not in _private:
        row = db.session.get(SigningKey, kid)
        raw = _unb64(open_sealed(SEALED_FIELD, row.private_sealed))
        with _lock:
            _private[kid] = Ed25519PrivateKey.from_private_bytes(raw)
    return kid, _private[kid]


def _create_first() -> str:
    key = _new_key()
    db.session.add(key)
    try:
        db.session.commit()
        return key.kid
    except IntegrityError:  # another host created it a moment ago
        db.session.rollback()
        return db.session.scalar(select(SigningKey.kid).where(SigningKey.active.is_(True)))


def _is_published(now):
    # A rotated key's publication outlives its retirement; a withdrawn one's ended with it (``retire``).
    rotated = SigningKey.published_until > SigningKey.retired_at
    in_use = [condition(SigningKey.kid, now) for condition in _still_signing]
    return or_(SigningKey.active.is_(True), SigningKey.published_until > now,
               and_(rotated, or_(*in_use)) if in_use else false())


def verifying_key(kid: str) -> Ed25519PublicKey | None:
    """The public key of ``kid`` while it is published; None for an unknown, expired or retired kid."""
    return public_key(db.session.scalar(published_public_key(kid, utcnow())))


def published_public_key(kid: str, now):
    """The statement of ``verifying_key``, for a caller that reads it with other things in one query."""
    return select(SigningKey.public_key).where(SigningKey.kid == kid, _is_published(now))


def public_key(public: str | None) -> Ed25519PublicKey | None:
    """The key of a published ``public_key`` column (parsed once per process)."""
    if public is None:
        return None
    key = _public.get(public)
    if key is None:
        key = Ed25519PublicKey.from_public_bytes(_unb64(public))
        with _lock:
            _public[public] = key
    return key


def published() -> list[SigningKey]:
    """Every key whose tokens may still be alive: the active one, those rotated out recently, and those that
    signed a credit report that has not yet expired."""
    return list(db.session.scalars(select(SigningKey).where(_is_published(utcnow()))
                                   .order_by(SigningKey.created_at)))


def every_key() -> list[SigningKey]:
    """All keys, newest first (for operators choosing one to retire)."""
    return list(db.session.scalars(select(SigningKey).order_by(SigningKey.created_at.desc())))


def jwk(key: SigningKey) -> dict:
    return {"kty": "OKP", "crv": "Ed25519", "x": key.public_key, "kid": key.kid, "alg": ALGORITHM, "use": "sig"}
