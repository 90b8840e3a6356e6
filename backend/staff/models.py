"""Staff accounts of the credit office and departments (工作人员)."""

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.data.extensions import db
from backend.data.types import UTCDateTime
from backend.dates.timeutil import utcnow


class StaffMember(db.Model):
    __tablename__ = "staff_members"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'reviewer', 'department')", name="role"),
        CheckConstraint("role <> 'department' OR source IS NOT NULL", name="department_source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    disabled_at = mapped_column(UTCDateTime, nullable=True)

    permissions: Mapped[list["StaffPermission"]] = relationship(
        back_populates="staff", cascade="all, delete-orphan", order_by="StaffPermission.permission",
        foreign_keys="StaffPermission.staff_id")

    @property
    def permission_names(self) -> list[str]:
        return [grant.permission for grant in self.permissions]


class StaffPermission(db.Model):
    __tablename__ = "staff_permissions"
    __table_args__ = (UniqueConstraint("staff_id", "permission"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id", ondelete="CASCADE"), index=True)
    permission: Mapped[str] = mapped_column(String(64))
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    granted_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    staff: Mapped[StaffMember] = relationship(back_populates="permissions", foreign_keys=[staff_id])
