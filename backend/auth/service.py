"""Access and refresh tokens (SPEC §10): rotation, family revocation and the grace window.

The database is the record of every family and refresh token; Redis caches only whether a family is
revoked. Refresh tokens are stored as SHA-256 hashes. A rotated token is derived from its parent with
the server key, so inside the grace window a repeated refresh can hand back the very same new pair
without any token ever being stored in clear.
"""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import jwt
from flask import current_app
from sqlalchemy import select, update

from backend.auth.models import RefreshToken, TokenFamily
from backend.data.cache import store
from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from backend.i18n import _
from backend.privacy.sealing import digest_secret
from backend.settings import service as settings
from backend.web.errors import Unauthenticated

ACCESS_TOKEN_TTL = timedelta(hours=2)
REFRESH_TOKEN_TTL = {"staff": timedelta(hours=12), "wechat": timedelta(days=30)}
ALGORITHM = "HS256"
ISSUER = "chengxin"
# How long a "this family is alive" answer may be served from the shared cache.
ALIVE_CACHE_SECONDS = 60

# kind -> function(principal_id) returning the account's roles at sign-in.
_role_providers: dict[str, Callable[[int], list[str]]] = {}


def register_role_provider(kind: str, provider: Callable[[int], list[str]]) -> None:
    _role_providers[kind] = provider


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    access_expires_at: object
    refresh_expires_at: object
    roles: list[str]


def _derive_child(parent_token: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    mac = hmac.new(key, b"refresh-rotation:" + parent_token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _access_token(family: TokenFamily, row: RefreshToken) -> tuple[str, list[str]]:
    roles = sorted(_role_providers[family.principal_kind](family.principal_id))
    issued = row.issued_at
    claims = {
        "iss": ISSUER,
        "typ": "access",
        "sub": f"{family.principal_kind}:{family.principal_id}",
        "knd": family.principal_kind,
        "uid": family.principal_id,
        "roles": roles,
        "fam": family.id,
        "jti": row.access_jti,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ACCESS_TOKEN_TTL).timestamp()),
    }
    return jwt.encode(claims, current_app.config["SECRET_KEY"], algorithm=ALGORITHM), roles


def _pair(family: TokenFamily, row: RefreshToken, refresh_token: str) -> TokenPair:
    access, roles = _access_token(family, row)
    return TokenPair(access, refresh_token, row.issued_at + ACCESS_TOKEN_TTL, row.expires_at, roles)


def _new_row(family: TokenFamily, token: str, now) -> RefreshToken:
    row = RefreshToken(
        family_id=family.id,
        token_hash=digest_secret(token),
        access_jti=secrets.token_hex(16),
        issued_at=now.replace(microsecond=0),
        expires_at=min(family.expires_at, now + REFRESH_TOKEN_TTL[family.principal_kind]),
    )
    db.session.add(row)
    db.session.flush()
    return row


def sign_in(kind: str, principal_id: int) -> TokenPair:
    """Open a new token family for a principal whose credentials were just checked; commits."""
    now = utcnow()
    family = TokenFamily(id=secrets.token_hex(16), principal_kind=kind, principal_id=principal_id,
                         created_at=now, expires_at=now + REFRESH_TOKEN_TTL[kind])
    db.session.add(family)
    db.session.flush()
    token = secrets.token_urlsafe(32)
    row = _new_row(family, token, now)
    pair = _pair(family, row, token)
    db.session.commit()
    return pair


def refresh(token: str) -> TokenPair:
    """Rotate a refresh token (commits). A spent token revokes its family unless inside the grace window."""
    row = db.session.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest_secret(token)))
    if row is None:
        raise Unauthenticated(_("This refresh token is not valid."), reason="token_invalid")
    family = db.session.get(TokenFamily, row.family_id)
    now = utcnow()
    if family.revoked_at is not None:
        raise Unauthenticated(_("This sign-in has ended; sign in again."), reason="token_revoked")
    if row.expires_at <= now:
        raise Unauthenticated(_("This refresh token has expired; sign in again."), reason="token_expired")

    claimed = db.session.execute(
        update(RefreshToken).where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)).rowcount
    if claimed == 1:
        child_token = _derive_child(token)
        child = _new_row(family, child_token, now)
        db.session.execute(update(RefreshToken).where(RefreshToken.id == row.id)
                           .values(replaced_by_id=child.id))
        pair = _pair(family, child, child_token)
        db.session.commit()
        return pair

    # Spent already: either a parallel refresh inside the grace window, or a replay.
    db.session.rollback()
    row = db.session.get(RefreshToken, row.id, populate_existing=True)
    child = db.session.get(RefreshToken, row.replaced_by_id) if row.replaced_by_id else None
    grace = timedelta(seconds=settings.get("auth.refresh_grace_seconds"))
    if child is not None and child.used_at is None and now - row.used_at <= grace:
        pair = _pair(family, child, _derive_child(token))
        db.session.rollback()
        return pair
    revoke_family(family.id, "reuse")
    db.session.commit()
    raise Unauthenticated(_("This refresh token was already used; sign in again."), reason="token_reused")


def revoke_family(family_id: str, reason: str) -> None:
    """Mark a family revoked in the current transaction and tell the shared cache at once."""
    db.session.execute(update(TokenFamily).where(TokenFamily.id == family_id, TokenFamily.revoked_at.is_(None))
                       .values(revoked_at=utcnow(), revoked_reason=reason))
    store().set(store().key("fam", family_id), b"revoked", int(ACCESS_TOKEN_TTL.total_seconds()))


def revoke_all(kind: str, principal_id: int, reason: str) -> int:
    """Revoke every live family of a principal (disabled staff, unbound accounts); caller commits."""
    families = db.session.scalars(select(TokenFamily.id).where(
        TokenFamily.principal_kind == kind, TokenFamily.principal_id == principal_id,
        TokenFamily.revoked_at.is_(None))).all()
    for family_id in families:
        revoke_family(family_id, reason)
    return len(families)


def logout(family_id: str) -> None:
    """End the sign-in the access token belongs to; commits."""
    revoke_family(family_id, "logout")
    db.session.commit()


def family_revoked(family_id: str) -> bool:
    cache = store()
    key = cache.key("fam", family_id)
    cached = cache.get(key)
    if cached is not None:
        return cached == b"revoked"
    revoked_at = db.session.scalar(select(TokenFamily.revoked_at).where(TokenFamily.id == family_id))
    revoked = revoked_at is not None
    cache.set(key, b"revoked" if revoked else b"alive",
              int(ACCESS_TOKEN_TTL.total_seconds()) if revoked else ALIVE_CACHE_SECONDS)
    return revoked


def verify_access_token(token: str) -> dict:
    """Check signature, expiry and revocation of an access token; return its claims."""
    try:
        claims = jwt.decode(token, current_app.config["SECRET_KEY"], algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"require": ["exp", "iat", "sub", "jti", "fam"]})
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated(_("The access token has expired; refresh it."), reason="token_expired") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthenticated(_("The access token is not valid."), reason="token_invalid") from exc
    if claims.get("typ") != "access":
        raise Unauthenticated(_("The access token is not valid."), reason="token_invalid")
    if family_revoked(claims["fam"]):
        raise Unauthenticated(_("This sign-in has ended; sign in again."), reason="token_revoked")
    return claims
