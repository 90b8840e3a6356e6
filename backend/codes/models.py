"""Credit codes (信用码, SPEC §4): the signing keys every host shares, and the verifications that consume
codes."""

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.data.extensions import db
from backend.data.types import UTCDateTime
from backend.dates.timeutil import utcnow


class SigningKey(db.Model):
    """An Ed25519 key pair; the private part is sealed under DATA_ENCRYPTION_KEY. One key is active
    (signs new codes); a rotated key stays published until the last code it signed has expired."""

    __tablename__ = "signing_keys"
    __table_args__ = (Index("uq_signing_keys_one_active", "active", unique=True,
                            postgresql_where=text("active"), sqlite_where=text("active")),)

    kid: Mapped[str] = mapped_column(String(32), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16), default="EdDSA")
    public_key: Mapped[str] = mapped_column(Text)  # raw 32 bytes, urlsafe base64 (the JWK "x")
    private_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    retired_at = mapped_column(UTCDateTime, nullable=True)
    published_until = mapped_column(UTCDateTime, nullable=True)


class Verification(db.Model):
    """One online verification of a credit code. ``jti`` is unique: a code is consumed exactly once,
    whichever host answers.

    A claim (扫码享优惠: the resident scanned the shop's poster, SPEC §4) is a verification too, a
    redemption of purpose ``discount`` that no operator scanned: it carries its ``claim_no`` and poster, a
    random ``jti`` of its own, and no operator. Every count of redemptions (``redeemed``) counts claims;
    reversing a claim clears ``redeemed`` and sets ``reversed_at``, so the quota comes back."""

    __tablename__ = "verifications"
    __table_args__ = (Index("ix_verifications_redemptions", "offer_id", "resident_id", "at"),
                      Index("ix_verifications_verifier_at", "verifier_id", "at"),
                      Index("uq_verifications_verifier_claim_no", "verifier_id", "claim_no", unique=True))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jti: Mapped[str] = mapped_column(String(64), unique=True)
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    verifier_id: Mapped[int] = mapped_column(ForeignKey("verifiers.id"))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    scope: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[str] = mapped_column(String(16))
    stars: Mapped[int] = mapped_column(Integer)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))
    redeemed: Mapped[bool] = mapped_column(Boolean, default=False)
    min_stars: Mapped[int | None] = mapped_column(Integer)
    admitted: Mapped[bool | None] = mapped_column(Boolean)
    claim_no: Mapped[str | None] = mapped_column(String(16))
    poster_id: Mapped[int | None] = mapped_column(ForeignKey("offer_posters.id"))
    reversed_at = mapped_column(UTCDateTime, nullable=True)
    reversed_by: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
