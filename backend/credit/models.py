"""Credit points (信用积分, SPEC §3): the rubric, the immutable event ledger, accounts and star levels."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.data.extensions import db
from backend.data.types import UTCDateTime
from backend.dates.timeutil import utcnow
from backend.privacy.sealing import lookup_hash, lookup_hasher, open_sealed, seal, sealer
from backend.residents.models import Town

EVENT_STATUSES = ("active", "disputed", "repaired", "voided")
COUNTING_STATUSES = ("active", "disputed")


class RubricItem(db.Model):
    """One item of the 100+N standard (评定标准): city-wide, or local to a town (the "+N")."""

    __tablename__ = "rubric_items"
    __table_args__ = (
        CheckConstraint("kind IN ('bonus', 'penalty')", name="kind"),
        CheckConstraint("(kind = 'bonus' AND points > 0) OR (kind = 'penalty' AND points < 0)", name="sign"),
        CheckConstraint("severity IS NULL OR severity IN ('minor', 'general', 'serious')", name="severity"),
        CheckConstraint("caps_stars_at IS NULL OR caps_stars_at BETWEEN 1 AND 4", name="ceiling"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    category: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(200))
    points: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    severity: Mapped[str | None] = mapped_column(String(10))
    validity_days: Mapped[int] = mapped_column(Integer)
    min_disclosure_days: Mapped[int] = mapped_column(Integer)
    max_disclosure_days: Mapped[int] = mapped_column(Integer)
    repairable: Mapped[bool] = mapped_column(Boolean)
    annual_cap: Mapped[int | None] = mapped_column(Integer)
    caps_stars_at: Mapped[int | None] = mapped_column(Integer)
    town_id: Mapped[int | None] = mapped_column(ForeignKey("towns.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    town: Mapped[Town | None] = relationship()


class CreditEvent(db.Model):
    """One rubric item applied to one resident. Never deleted or edited: only its status moves.

    The item's fields are copied at grant time, so changing the rubric never changes a granted event.
    """

    __tablename__ = "credit_events"
    __table_args__ = (
        UniqueConstraint("source", "source_ref"),
        CheckConstraint("status IN ('active', 'disputed', 'repaired', 'voided')", name="status"),
        Index("ix_credit_events_resident_status", "resident_id", "status", "effective_until"),
        Index("ix_credit_events_cap", "resident_id", "rubric_item_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    rubric_item_id: Mapped[int] = mapped_column(ForeignKey("rubric_items.id"))
    rubric_code: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    severity: Mapped[str | None] = mapped_column(String(10))
    points: Mapped[int] = mapped_column(Integer)
    caps_stars_at: Mapped[int | None] = mapped_column(Integer)
    repairable: Mapped[bool] = mapped_column(Boolean)
    min_disclosure_days: Mapped[int] = mapped_column(Integer)
    max_disclosure_days: Mapped[int] = mapped_column(Integer)
    occurred_at = mapped_column(UTCDateTime, nullable=False)
    effective_until = mapped_column(UTCDateTime, nullable=False)
    source: Mapped[str] = mapped_column(String(64))
    source_ref: Mapped[str] = mapped_column(String(128))
    # The free-text note may name people (SPEC §2): sealed like an ID number, with a keyed hash so a
    # repeat of the same event can be recognised without opening it.
    note_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    note_hash: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by_kind: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(Integer)

    changes: Mapped[list["EventStatusChange"]] = relationship(order_by="EventStatusChange.id")

    @property
    def note(self) -> str | None:
        return open_sealed(NOTE_FIELD, self.note_sealed)

    @note.setter
    def note(self, text: str | None) -> None:
        self.note_sealed, self.note_hash = seal_note(text)


NOTE_FIELD = "credit_event.note"


def seal_note(text: str | None) -> tuple[bytes | None, str | None]:
    """The sealed note and its look-up hash; no note and an empty one alike are none."""
    if not text:
        return None, None
    return seal(NOTE_FIELD, text), lookup_hash(NOTE_FIELD, text)


def note_sealers():
    """``seal_note`` with the keys read once: for the notes of a million imported events."""
    seal_text, hash_text = sealer(NOTE_FIELD), lookup_hasher(NOTE_FIELD)
    return lambda text: (seal_text(text), hash_text(text)) if text else (None, None)


class EventStatusChange(db.Model):
    """One status move of an event, with who, when and why."""

    __tablename__ = "event_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("credit_events.id"), index=True)
    from_status: Mapped[str] = mapped_column(String(10))
    to_status: Mapped[str] = mapped_column(String(10))
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)


class CreditAccount(db.Model):
    """The materialised score of one resident: base + counting events, kept in step with the ledger."""

    __tablename__ = "credit_accounts"

    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), primary_key=True)
    points: Mapped[int] = mapped_column(Integer)
    stars: Mapped[int] = mapped_column(Integer, index=True)
    ceiling_stars: Mapped[int | None] = mapped_column(Integer)
    capped_by: Mapped[str | None] = mapped_column(String(40))
    next_expiry_at = mapped_column(UTCDateTime, nullable=True, index=True)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class StarLevel(db.Model):
    """A star level (星级) and the points it starts at; 1★ starts at no minimum."""

    __tablename__ = "star_levels"
    __table_args__ = (CheckConstraint("stars BETWEEN 1 AND 5", name="stars"),)

    stars: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(20))
    min_points: Mapped[int | None] = mapped_column(Integer)
