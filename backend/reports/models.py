"""Reports and everything that happens to them: categories, the reports themselves, their steps, the
office's questions and the reporter's answers, forwardings to departments with their findings, the
decision, and the reward.

An anonymous report has no column that could lead back to the account that filed it: no account, no
resident, no owner of its attachments (a check constraint holds the first two to that). Free text
(descriptions, notes, questions, answers, the subject's name) is sealed like ID numbers.
"""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.data.extensions import db
from backend.data.types import UTCDateTime
from backend.dates.timeutil import utcnow

STATUSES = ("submitted", "acknowledged", "decided")
OUTCOMES = ("substantiated", "unsubstantiated", "malicious")
SUBJECT_TYPES = ("person", "enterprise")
SCREENINGS = ("pass", "review", "unavailable")
FINDINGS = ("confirmed", "not_confirmed")
REWARD_STATUSES = ("approved", "paid", "cancelled")


class ReportCategory(db.Model):
    """A kind of report (举报类别): the rubric item a substantiated report applies to a resident subject,
    and the department (by source) that verifies it."""

    __tablename__ = "report_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(String(200))
    rubric_code: Mapped[str] = mapped_column(String(40))
    department_source: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class ReportNumber(db.Model):
    """The last report number given on each Asia/Shanghai day (``JB-20261203-0042``)."""

    __tablename__ = "report_numbers"

    day = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class Report(db.Model):
    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint("status IN ('submitted', 'acknowledged', 'decided')", name="status"),
        CheckConstraint("subject_type IN ('person', 'enterprise')", name="subject_type"),
        CheckConstraint("screening IN ('pass', 'review', 'unavailable')", name="screening"),
        CheckConstraint("outcome IS NULL OR outcome IN ('substantiated', 'unsubstantiated', 'malicious')",
                        name="outcome"),
        # The one rule that keeps an anonymous reporter safe, held by the database itself.
        CheckConstraint("(anonymous AND reporter_account_id IS NULL AND reporter_resident_id IS NULL) OR "
                        "(NOT anonymous AND receipt_hash IS NULL AND reporter_account_id IS NOT NULL)",
                        name="reporter_link"),
        Index("ix_reports_queue", "status", "decide_due_on"),
        Index("ix_reports_duplicates", "category_id", "filed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_no: Mapped[str] = mapped_column(String(20), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("report_categories.id"))
    subject_type: Mapped[str] = mapped_column(String(12))
    subject_name_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    subject_name_hash: Mapped[str] = mapped_column(String(64))
    subject_id_number_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    subject_id_number_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    subject_uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    subject_resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    town_id: Mapped[int | None] = mapped_column(ForeignKey("towns.id"), index=True)
    location_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    description_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    occurred_at = mapped_column(UTCDateTime, nullable=False)
    filed_at = mapped_column(UTCDateTime, nullable=False)
    anonymous: Mapped[bool] = mapped_column(Boolean)
    reporter_account_id: Mapped[int | None] = mapped_column(ForeignKey("wechat_accounts.id"), index=True)
    reporter_resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    receipt_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    screening: Mapped[str] = mapped_column(String(12))
    # The first report of the duplicate group this one joined (None: it is the first, or alone).
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="submitted")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"), index=True)
    acknowledge_due_on = mapped_column(Date, nullable=False)
    decide_due_on = mapped_column(Date, nullable=False)
    acknowledged_at = mapped_column(UTCDateTime, nullable=True)
    extended_at = mapped_column(UTCDateTime, nullable=True)
    extension_reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    outcome: Mapped[str | None] = mapped_column(String(16))
    decided_at = mapped_column(UTCDateTime, nullable=True)

    category: Mapped[ReportCategory] = relationship()
    steps: Mapped[list["ReportStep"]] = relationship(order_by="ReportStep.id", viewonly=True)
    messages: Mapped[list["ReportMessage"]] = relationship(order_by="ReportMessage.id", viewonly=True)
    forwards: Mapped[list["ReportForward"]] = relationship(order_by="ReportForward.id", viewonly=True)
    decision: Mapped["ReportDecision | None"] = relationship(viewonly=True, uselist=False)
    reward: Mapped["ReportReward | None"] = relationship(viewonly=True, uselist=False)


class ReportStep(db.Model):
    """One step in a report's history. Office steps name the staff member; the reporter is never named."""

    __tablename__ = "report_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    step: Mapped[str] = mapped_column(String(20))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    detail: Mapped[str | None] = mapped_column(String(64))


class ReportMessage(db.Model):
    """The office's question to the reporter, or the reporter's answer (SPEC §5 "Questions")."""

    __tablename__ = "report_messages"
    __table_args__ = (CheckConstraint("kind IN ('question', 'answer')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    text_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    screening: Mapped[str | None] = mapped_column(String(12))


class ReportForward(db.Model):
    """The report sent to a department for verification, and the department's finding."""

    __tablename__ = "report_forwards"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'answered', 'withdrawn')", name="status"),
        CheckConstraint("finding IS NULL OR finding IN ('confirmed', 'not_confirmed')", name="finding"),
        Index("ix_report_forwards_source", "source", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    source: Mapped[str] = mapped_column(String(64))
    forwarded_at = mapped_column(UTCDateTime, nullable=False)
    forwarded_by: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    due_on = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    finding: Mapped[str | None] = mapped_column(String(16))
    finding_note_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    finding_at = mapped_column(UTCDateTime, nullable=True)
    finding_by: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    finding_fingerprint: Mapped[str | None] = mapped_column(String(64))


class ReportDecision(db.Model):
    """The final decision on a report and what it applied, all written in one transaction."""

    __tablename__ = "report_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), unique=True)
    outcome: Mapped[str] = mapped_column(String(16))
    fingerprint: Mapped[str] = mapped_column(String(64))
    note_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    decided_at = mapped_column(UTCDateTime, nullable=False)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    forward_id: Mapped[int | None] = mapped_column(ForeignKey("report_forwards.id"))
    override_reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    rubric_code: Mapped[str | None] = mapped_column(String(40))
    subject_resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    penalty_event_id: Mapped[int | None] = mapped_column(ForeignKey("credit_events.id"), index=True)
    # The reporter's bonus or malicious-report penalty: an event whose source_ref is opaque, tied to the
    # report only here, which only staff with reports:identity are shown.
    reporter_event_id: Mapped[int | None] = mapped_column(ForeignKey("credit_events.id"), index=True)
    reporter_source_ref: Mapped[str | None] = mapped_column(String(64))

    forward: Mapped["ReportForward | None"] = relationship()


class ReportReward(db.Model):
    """The reward of a substantiated report (奖励): approved, then paid once, or cancelled."""

    __tablename__ = "report_rewards"
    __table_args__ = (CheckConstraint("status IN ('approved', 'paid', 'cancelled')", name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), unique=True)
    amount: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="approved")
    approved_at = mapped_column(UTCDateTime, nullable=False)
    paid_at = mapped_column(UTCDateTime, nullable=True)
    method: Mapped[str | None] = mapped_column(String(20))
    reference_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    paid_recorded_at = mapped_column(UTCDateTime, nullable=True)
    paid_by: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    paid_fingerprint: Mapped[str | None] = mapped_column(String(64))
    cancelled_at = mapped_column(UTCDateTime, nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))

    report: Mapped[Report] = relationship()
