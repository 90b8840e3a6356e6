"""Repair applications (信用修复申请), objections (异议), the commitment letter (信用承诺书) they rest on,
and the history of each case.

Statements, reasons and decision notes are free text that may name people: sealed like ID numbers.
"""

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.data.extensions import db
from backend.data.types import UTCDateTime
from backend.dates.timeutil import utcnow

REPAIR_STATUSES = ("pending", "approved", "rejected")
REPAIR_DECISIONS = {"approve": "approved", "reject": "rejected"}
OBJECTION_STATUSES = ("pending", "upheld", "rejected")
OBJECTION_DECISIONS = {"upheld": "upheld", "rejected": "rejected"}
CASE_KINDS = ("repair", "objection")


class CommitmentLetter(db.Model):
    """One published version of the credit commitment letter (信用承诺书). Versions are never edited: an
    application keeps the version its applicant accepted."""

    __tablename__ = "commitment_letters"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    published_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    published_by: Mapped[int | None] = mapped_column(Integer)


class _ReviewedCase:
    """What a repair application and an objection share: the resident's case under review, its deadline,
    its reviewer and its final decision (``backend.review``)."""

    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    filed_at = mapped_column(UTCDateTime, nullable=False)
    due_on = mapped_column(Date, nullable=False)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"), index=True)
    decision: Mapped[str | None] = mapped_column(String(10))
    note_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    decided_at = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[int | None] = mapped_column(Integer)


class RepairApplication(_ReviewedCase, db.Model):
    """A resident's application to repair one penalty (信用修复申请)."""

    __tablename__ = "repair_applications"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
        # One pending application per event, held by the database against parallel filings.
        Index("ix_repair_applications_pending", "event_id", unique=True,
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
        Index("ix_repair_applications_queue", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("credit_events.id"), index=True)
    statement_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    commitment_version: Mapped[int] = mapped_column(ForeignKey("commitment_letters.version"))

    steps: Mapped[list["CaseStep"]] = relationship(
        primaryjoin="and_(CaseStep.case_kind == 'repair', foreign(CaseStep.case_id) == RepairApplication.id)",
        order_by="CaseStep.id", viewonly=True)


class Objection(_ReviewedCase, db.Model):
    """A resident's objection to one of their events (异议): one per event, ever."""

    __tablename__ = "objections"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'upheld', 'rejected')", name="status"),
        Index("ix_objections_queue", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("credit_events.id"), unique=True)
    reason_sealed: Mapped[bytes] = mapped_column(LargeBinary)

    steps: Mapped[list["CaseStep"]] = relationship(
        primaryjoin="and_(CaseStep.case_kind == 'objection', foreign(CaseStep.case_id) == Objection.id)",
        order_by="CaseStep.id", viewonly=True)


class CaseStep(db.Model):
    """One step in a repair's or an objection's history (filed, assigned, decided)."""

    __tablename__ = "review_case_steps"
    __table_args__ = (
        CheckConstraint("case_kind IN ('repair', 'objection')", name="case_kind"),
        Index("ix_review_case_steps_case", "case_kind", "case_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_kind: Mapped[str] = mapped_column(String(10))
    case_id: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(20))
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    staff_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(String(20))
