"""Settings changed by admins; a key absent here has its default (``backend.settings.defaults``)."""

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.data.extensions import db
from backend.data.types import UTCDateTime
from backend.dates.timeutil import utcnow


class SettingValue(db.Model):
    __tablename__ = "setting_values"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value = mapped_column(JSON, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
