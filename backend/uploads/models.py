"""Uploaded files: who sent them until they are attached, what they are, and what they document."""

from sqlalchemy import Boolean, CheckConstraint, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.data.extensions import db
from backend.data.types import UTCDateTime
from backend.dates.timeutil import utcnow

MEDIA_TYPES = ("image/jpeg", "image/png", "application/pdf")


class Upload(db.Model):
    """One file. Its owner may attach it once; an anonymous report's attachment forgets its owner."""

    __tablename__ = "uploads"
    __table_args__ = (
        CheckConstraint("media_type IN ('image/jpeg', 'image/png', 'application/pdf')", name="media_type"),
        Index("ix_uploads_attached", "attached_to", "attached_id"),
        Index("ix_uploads_unattached", "created_at", postgresql_where=text("attached_to IS NULL"),
              sqlite_where=text("attached_to IS NULL")),
    )

    # A random public id: ids in sequence would tell how many files others sent.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_kind: Mapped[str | None] = mapped_column(String(16))
    owner_id: Mapped[int | None] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    # False only for a PDF whose document metadata could not be removed (encrypted or unreadable).
    metadata_removed: Mapped[bool] = mapped_column(Boolean)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    attached_to: Mapped[str | None] = mapped_column(String(40))
    attached_id: Mapped[int | None] = mapped_column(Integer)
    attached_at = mapped_column(UTCDateTime, nullable=True)
