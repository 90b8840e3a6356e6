"""The registry: towns (镇街), villages and communities (村居), households (户) and residents (居民)."""

from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.data.extensions import db
from backend.data.types import UTCDateTime
from backend.dates.timeutil import utcnow

RESIDENT_STATUSES = ("active", "moved", "deceased")


class Town(db.Model):
    __tablename__ = "towns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)


class Village(db.Model):
    __tablename__ = "villages"
    __table_args__ = (UniqueConstraint("town_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("towns.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))

    town: Mapped[Town] = relationship()


class Household(db.Model):
    __tablename__ = "households"
    __table_args__ = (UniqueConstraint("village_id", "household_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    household_no: Mapped[str] = mapped_column(String(32))

    village: Mapped[Village] = relationship()


class Resident(db.Model):
    """One person of the population registry. Name, ID number and phone are sealed (backend.privacy.sealing)."""

    __tablename__ = "residents"
    __table_args__ = (CheckConstraint("status IN ('active', 'moved', 'deceased')", name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    name_hash: Mapped[str] = mapped_column(String(64), index=True)
    name_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("towns.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    household: Mapped[Household] = relationship()
    village: Mapped[Village] = relationship()
    town: Mapped[Town] = relationship()
