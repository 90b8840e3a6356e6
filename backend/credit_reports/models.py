"""Personal credit reports (个人信用积分评价报告, SPEC §7a)."""

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.data.extensions import db
from backend.data.types import UTCDateTime


class CreditReport(db.Model):
    """One issued report. Its content is the signed snapshot (a compact JWS), sealed at rest because it
    carries the purpose the resident typed; the verification code is kept only as its keyed digest, so it
    can be looked up but never shown again."""

    __tablename__ = "credit_reports"
    __table_args__ = (
        Index("ix_credit_reports_resident_issued", "resident_id", "issued_at"),
        # Which signing keys must stay published: those that signed a report still valid.
        Index("ix_credit_reports_kid_valid_until", "kid", "valid_until"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_no: Mapped[str] = mapped_column(String(24), unique=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    kid: Mapped[str] = mapped_column(ForeignKey("signing_keys.kid"))
    issued_at = mapped_column(UTCDateTime, nullable=False)
    valid_until = mapped_column(UTCDateTime, nullable=False)
    stars: Mapped[int] = mapped_column(Integer)
    snapshot_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    revoked_at = mapped_column(UTCDateTime, nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(16))  # "resident" or "office"
    revoked_by_id: Mapped[int | None] = mapped_column(Integer)  # the WeChat account or staff member
    revocation_reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
