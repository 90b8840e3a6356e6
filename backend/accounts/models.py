"""WeChat accounts (微信账号) and their binding to a registry resident."""

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.data.extensions import db
from backend.data.types import UTCDateTime
from backend.dates.timeutil import utcnow
from backend.residents.models import Resident


class WeChatAccount(db.Model):
    """One mini-program user, known by openid. ``resident_id`` is unique: one account per resident."""

    __tablename__ = "wechat_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(String(64))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), unique=True)
    bound_at = mapped_column(UTCDateTime, nullable=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_login_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    resident: Mapped[Resident | None] = relationship()
