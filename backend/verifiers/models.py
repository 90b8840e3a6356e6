"""Verifiers (核验方): merchants, banks and organisations that scan credit codes, their operators, API keys
and preferential offers (SPEC §1, §4)."""

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.data.extensions import db
from backend.data.types import UTCDateTime
from backend.dates.timeutil import utcnow
from backend.residents.models import Town

VERIFIER_KINDS = ("merchant", "bank", "organisation")


class Verifier(db.Model):
    __tablename__ = "verifiers"
    __table_args__ = (
        CheckConstraint("kind IN ('merchant', 'bank', 'organisation')", name="kind"),
        CheckConstraint("status IN ('active', 'suspended')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), index=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("towns.id"), index=True)
    address: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    # On the black list (失信黑名单) by its USCC: kept in step by the list entries' writers in their own
    # transaction, so the check on every request costs no query of its own (SPEC §4, §7).
    black_listed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    town: Mapped[Town] = relationship()

    @property
    def may_verify(self) -> bool:
        """Active and not black-listed: what its operators and keys need to act for it."""
        return self.verifies(self.status, self.black_listed)

    @staticmethod
    def verifies(status: str, black_listed: bool) -> bool:
        """``may_verify`` of a verifier read as columns."""
        return status == "active" and not black_listed


class OperatorInvite(db.Model):
    """A one-time, expiring invite an admin hands to a verifier's staff; stored only as a hash."""

    __tablename__ = "operator_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    verifier_id: Mapped[int] = mapped_column(ForeignKey("verifiers.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at = mapped_column(UTCDateTime, nullable=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    used_at = mapped_column(UTCDateTime, nullable=True)
    used_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("wechat_accounts.id"))


class Operator(db.Model):
    """A WeChat account acting for a verifier; ``removed_at`` ends it at once."""

    __tablename__ = "operators"
    # An account acts for one verifier at a time; removed memberships stay as history.
    __table_args__ = (Index("uq_operators_live_account", "account_id", unique=True,
                            postgresql_where=text("removed_at IS NULL"), sqlite_where=text("removed_at IS NULL")),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    verifier_id: Mapped[int] = mapped_column(ForeignKey("verifiers.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("wechat_accounts.id"))
    added_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    removed_at = mapped_column(UTCDateTime, nullable=True)

    verifier: Mapped[Verifier] = relationship()


class ApiKey(db.Model):
    """A bank system's key: shown once, kept as a SHA-256 hash (it is 256 random bits, no slow hash needed)."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    verifier_id: Mapped[int] = mapped_column(ForeignKey("verifiers.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(100))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    last_used_at = mapped_column(UTCDateTime, nullable=True)
    revoked_at = mapped_column(UTCDateTime, nullable=True)

    verifier: Mapped[Verifier] = relationship()


class Offer(db.Model):
    """A preferential offer (优惠) for residents with enough stars."""

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint("min_stars BETWEEN 1 AND 5", name="min_stars"),
        CheckConstraint("valid_to > valid_from", name="period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    verifier_id: Mapped[int] = mapped_column(ForeignKey("verifiers.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    min_stars: Mapped[int] = mapped_column(Integer)
    valid_from = mapped_column(UTCDateTime, nullable=False)
    valid_to = mapped_column(UTCDateTime, nullable=False)
    quota_per_resident: Mapped[int | None] = mapped_column(Integer)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    verifier: Mapped[Verifier] = relationship()
