"""Notice attempts (通知记录): every WeChat subscribe message tried, and what came of it (SPEC §9)."""

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.data.extensions import db
from backend.data.types import UTCDateTime
from backend.dates.timeutil import utcnow


class NoticeAttempt(db.Model):
    __tablename__ = "notice_attempts"
    __table_args__ = (
        # Finds the notices still to send without reading every attempt ever made.
        Index("ix_notice_attempts_queued", "id", postgresql_where=text("status = 'queued'"),
              sqlite_where=text("status = 'queued'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("wechat_accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    template_id: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(JSON)
    page: Mapped[str | None] = mapped_column(String(200))
    # queued (to send by ``flask notices send-queued``), sent, no_subscription, failed, not_configured
    status: Mapped[str] = mapped_column(String(20))
    errcode: Mapped[int | None] = mapped_column(Integer)
    errmsg: Mapped[str | None] = mapped_column(String(200))
