"""Signing keys of credit codes: kept in the database so every host signs and verifies with the same set,
private parts sealed under DATA_ENCRYPTION_KEY (SPEC §4).

Each process caches keys it has read (they never change once written); a kid it does not know yet is
looked up again, so a rotation done on one host is seen by all.
"""

import base64
import re
import secrets
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from backend.codes.models import SigningKey
from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from backend.privacy.sealing import open_sealed, seal
from backend.settings.defaults import CREDIT_CODE_MAX_TTL_SECONDS

ALGORITHM = "EdDSA"
SEALED_FIELD = "signing_key.private"
# How long a process keeps signing with the key it believes active; a rotated key stays published for
# at least this long past the longest code lifetime, so no code a slow host signed outlives its key.
ACTIVE_CACHE_SECONDS = 30
PUBLISH_MARGIN = timedelta(seconds=ACTIVE_CACHE_SECONDS + 30)

_lock = threading.Lock()
_public: dict[str, Ed25519PublicKey] = {}
_private: dict[str, Ed25519PrivateKey] = {}
_active: tuple[str, float] | None = None


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


def reset_caches() -> None:
    """Forget every cached key (for tests that empty the tables)."""
    global _active
    with _lock:
        _active = None
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
    forget_active()
    return key


def forget_active() -> None:
    global _active
    with _lock:
        _active = None


def active_signer() -> tuple[str, Ed25519PrivateKey]:
    """The kid and private key new codes are signed with (created on first use)."""
    global _active
    with _lock:
        cached = _active
    if cached is None or cached[1] < time.monotonic():
        kid = db.session.scalar(select(SigningKey.kid).where(SigningKey.active.is_(True)))
        if kid is None:
            kid = _create_first()
        with _lock:
            _active = (kid, time.monotonic() + ACTIVE_CACHE_SECONDS)
        cached = _active
    kid = cached[0]
    if kid not in _private:
        row = db.session.get(SigningKey, kid)
        raw = _unb64(open_sealed(SEALED_FIELD, row.private_sealed))
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


def public_key(kid: str) -> Ed25519PublicKey | None:
    """The public key of ``kid`` while it may still verify codes; None for an unknown or withdrawn kid."""
    key = _public.get(kid)
    if key is None:
        row = db.session.get(SigningKey, kid)
        if row is None:
            return None
        key = Ed25519PublicKey.from_public_bytes(_unb64(row.public_key))
        _public[kid] = key
    return key


def published() -> list[SigningKey]:
    """Every key whose tokens may still be alive: the active one, those retired recently, and those that
    signed a credit report that has not yet expired."""
    now = utcnow()
    in_use = [condition(SigningKey.kid, now) for condition in _still_signing]
    return list(db.session.scalars(select(SigningKey).where(
        or_(SigningKey.active.is_(True), SigningKey.published_until > now, *in_use))
        .order_by(SigningKey.created_at)))


def jwk(key: SigningKey) -> dict:
    return {"kty": "OKP", "crv": "Ed25519", "x": key.public_key, "kid": key.kid, "alg": ALGORITHM, "use": "sig"}
