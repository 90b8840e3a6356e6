"""Query records (查询记录): every read of a resident's credit by someone other than the resident (SPEC §2)."""

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.data.extensions import db
from backend.data.types import UTCDateTime
from backend.dates.timeutil import utcnow


class QueryRecord(db.Model):
    __tablename__ = "query_records"
    __table_args__ = (db.Index("ix_query_records_resident_at", "resident_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_role: Mapped[str] = mapped_column(String(20))
    actor_label: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(50))
    # Set while the read must stay hidden from the resident (a report on them being handled, SPEC §5);
    # cleared when the case is decided, and the record then shows.
    held_for: Mapped[str | None] = mapped_column(String(64), index=True)
