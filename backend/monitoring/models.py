"""Published months of the monthly monitoring (按月度发布监测结果和预警报告, SPEC §8): frozen figures."""

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.data.extensions import db
from backend.data.types import UTCDateTime
from backend.dates.timeutil import utcnow


class PublishedMonth(db.Model):
    """One month's figures and warnings as they stood when it was published; never changed afterwards.

    ``document`` is the whole answer of the monthly figures (city, towns, warnings as data), so reading a
    published month is one primary-key read, whatever the size of the city.
    """

    __tablename__ = "published_months"
    __table_args__ = (CheckConstraint("month LIKE '____-__'", name="month"),)

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    as_of = mapped_column(UTCDateTime, nullable=False)
    published_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    document: Mapped[dict] = mapped_column(JSON)
