"""Scan to claim (扫码享优惠, SPEC §4): the posters a shop prints for its offers. The claims themselves are
verifications (``backend.codes.models.Verification`` with a ``claim_no``), so every count of redemptions
counts them."""

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.data.extensions import db
from backend.data.types import UTCDateTime
from backend.dates.timeutil import utcnow
from backend.verifiers.models import Offer


class OfferPoster(db.Model):
    """A poster's QR token (海报码) for one offer: sealed like personal data, so it can be shown and printed
    again, with a keyed look-up hash to find it by the scanned text. ``withdrawn_at`` ends it at once; an
    offer has at most one live poster."""

    __tablename__ = "offer_posters"
    __table_args__ = (Index("uq_offer_posters_one_live", "offer_id", unique=True,
                            postgresql_where=text("withdrawn_at IS NULL"), sqlite_where=text("withdrawn_at IS NULL")),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    token_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    withdrawn_at = mapped_column(UTCDateTime, nullable=True)
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))

    offer: Mapped[Offer] = relationship()
