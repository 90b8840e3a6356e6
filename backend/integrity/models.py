"""Government integrity (政务诚信, SPEC §7b): the government bodies that answer for it, their commitments and
dishonesty records, and the integrity files of individual civil servants."""

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.data.extensions import db
from backend.data.types import UTCDateTime
from backend.dates.timeutil import utcnow
from backend.privacy.sealing import open_sealed
from backend.residents.models import Resident, Town

BODY_KINDS = ("department", "town")
COMMITMENT_KINDS = ("service_quality", "deadline", "guarantee", "contract", "investment")
COMMITMENT_STATUSES = ("pending", "fulfilled", "broken")
RECORD_KINDS = ("broken_contract", "unpaid_debt", "ignored_judgment")
CIVIL_SERVANT_RECORD_KINDS = ("integrity_pledge", "commendation", "annual_assessment", "disciplinary_action",
                              "dishonest_conduct")

# Field names the sealed columns are bound to (backend.privacy.sealing's associated data).
COMMITMENT_NOTE = "commitment_note"
CIVIL_SERVANT_FACTS = "civil_servant_facts"
CIVIL_SERVANT_DOCUMENT = "civil_servant_document"


class GovernmentBody(db.Model):
    """A body that answers for government integrity (政务主体): a department, known by the ``source`` its staff
    accounts carry, or a town's government (镇人民政府、街道办事处), one per town of the registry."""

    __tablename__ = "government_bodies"
    __table_args__ = (
        CheckConstraint("kind IN ('department', 'town')", name="kind"),
        CheckConstraint("kind <> 'department' OR source IS NOT NULL", name="department_source"),
        CheckConstraint("kind <> 'town' OR (town_id IS NOT NULL AND source IS NULL)", name="town_government"),
        Index("uq_government_bodies_town_government", "town_id", unique=True,
              postgresql_where=text("kind = 'town'"), sqlite_where=text("kind = 'town'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100), unique=True)
    source: Mapped[str | None] = mapped_column(String(64), unique=True)
    # A town government's town; for a department, the town it serves when it is a town's branch.
    town_id: Mapped[int | None] = mapped_column(ForeignKey("towns.id"), index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    town: Mapped[Town | None] = relationship()


class Commitment(db.Model):
    """A public commitment (守信践诺) of a government body.

    It moves once, from ``pending`` to ``fulfilled`` or ``broken``, and never back, and its dates do not
    change: ``created_at`` (when it was published) and ``resolved_at``/``resolved_on`` (when its outcome was
    recorded, and that day in Asia/Shanghai) are its whole status history, so its state at any past moment
    can be rebuilt. ``overdue`` is never stored: it is a pending commitment whose due day is over.
    """

    __tablename__ = "commitments"
    __table_args__ = (
        CheckConstraint("kind IN ('service_quality', 'deadline', 'guarantee', 'contract', 'investment')",
                        name="kind"),
        CheckConstraint("status IN ('pending', 'fulfilled', 'broken')", name="status"),
        CheckConstraint("due_on >= made_on", name="period"),
        CheckConstraint("(status = 'pending' AND resolved_at IS NULL AND resolved_on IS NULL) OR "
                        "(status <> 'pending' AND resolved_at IS NOT NULL AND resolved_on IS NOT NULL)",
                        name="resolution"),
        Index("ix_commitments_owner_due", "owner_id", "due_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("government_bodies.id"))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    made_on = mapped_column(Date, nullable=False)
    due_on = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    # What shows the outcome (a document, a link, a short account): published with the commitment.
    evidence: Mapped[str | None] = mapped_column(Text)
    # The recorder's own remark on the outcome: staff only, sealed (it may name people).
    note_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    resolved_at = mapped_column(UTCDateTime, nullable=True)
    resolved_on = mapped_column(Date, nullable=True)
    resolved_by_kind: Mapped[str | None] = mapped_column(String(16))
    resolved_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by_kind: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    owner: Mapped[GovernmentBody] = relationship()

    @property
    def fulfilled_late(self) -> bool:
        """Fulfilled, but recorded after the due day (Asia/Shanghai dates)."""
        return self.status == "fulfilled" and self.resolved_on > self.due_on

    @property
    def note(self) -> str | None:
        return open_sealed(COMMITMENT_NOTE, self.note_sealed)


class GovernmentRecord(db.Model):
    """A government dishonesty record (政务失信记录): a body's broken contract, unpaid debt to an enterprise or
    ignored court judgment, open until it is rectified. Facts about a body, published in full."""

    __tablename__ = "government_records"
    __table_args__ = (
        CheckConstraint("kind IN ('broken_contract', 'unpaid_debt', 'ignored_judgment')", name="kind"),
        CheckConstraint("rectified_on IS NULL OR rectified_on >= decided_on", name="rectified_after_decision"),
        CheckConstraint("(rectified_on IS NULL AND rectified_at IS NULL AND rectification IS NULL) OR "
                        "(rectified_on IS NOT NULL AND rectified_at IS NOT NULL AND rectification IS NOT NULL)",
                        name="rectification"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("government_bodies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    facts: Mapped[str] = mapped_column(Text)
    decided_on = mapped_column(Date, nullable=False)
    source_document: Mapped[str] = mapped_column(String(200))
    rectified_on = mapped_column(Date, nullable=True)
    rectification: Mapped[str | None] = mapped_column(Text)
    # When the rectification was recorded: what a past month's figures are rebuilt from.
    rectified_at = mapped_column(UTCDateTime, nullable=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    owner: Mapped[GovernmentBody] = relationship()

    @property
    def status(self) -> str:
        return "open" if self.rectified_on is None else "rectified"


class CivilServantRecord(db.Model):
    """One entry of a civil servant's integrity file (公务员诚信档案). Internal: only admins holding
    ``integrity:civil-servants`` create and read it, every read leaves an audit record and a query record
    the person sees, and no public answer ever reaches it. Its facts and source document are sealed."""

    __tablename__ = "civil_servant_records"
    __table_args__ = (
        CheckConstraint("kind IN ('integrity_pledge', 'commendation', 'annual_assessment', "
                        "'disciplinary_action', 'dishonest_conduct')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    facts_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    decided_on = mapped_column(Date, nullable=False)
    # A decision's title may name the person too: sealed like the facts.
    source_document_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(Integer)

    resident: Mapped[Resident] = relationship()

    @property
    def facts(self) -> str:
        return open_sealed(CIVIL_SERVANT_FACTS, self.facts_sealed)

    @property
    def source_document(self) -> str:
        return open_sealed(CIVIL_SERVANT_DOCUMENT, self.source_document_sealed)
