"""Public credit information (信用信息全公示, SPEC §7): enterprises, 双公示 licence and penalty disclosures,
red / watch / black list entries, and the 曝光台's exposures.

Names of natural persons, ID numbers, legal representatives and free text (facts, reasons, remarks,
notes) are sealed at rest (``backend.privacy.sealing``); what a public answer may show of them is decided
when it is shown. A disclosure's subject is never kept with an ID number: the public never sees one, and
the office needs none to show a penalty (the standard's XK_XDR_ZJHM / CF_XDR_ZJHM are not read). A
disclosure or list entry that a sender changes keeps its former content as a version.
"""

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.data.extensions import db
from backend.data.types import UTCDateTime, Yuan
from backend.dates.timeutil import utcnow

ENTERPRISE_KINDS = ("legal_person", "individual_business")  # 法人及非法人组织 | 个体工商户
ENTERPRISE_STATUSES = ("operating", "revoked", "deregistered", "moved_out")  # 存续 | 吊销 | 注销 | 迁出
SUBJECT_CATEGORIES = ("legal_person", "natural_person", "individual_business")
DISCLOSURE_TYPES = ("licence", "penalty")
DISCLOSURE_STATUSES = ("active", "repaired", "voided")
LICENCE_STATES = ("valid", "invalid")
LISTS = ("red", "watch", "black")  # 守信红名单 | 重点关注名单 | 失信黑名单

# Where a trigram index serves substring search (PostgreSQL's pg_trgm); the embedded database scans.
TRIGRAM_INDEX = {"postgresql_using": "gin", "info": {"only_on": "postgresql"}}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Enterprise(db.Model):
    """An enterprise or individual business (企业 / 个体工商户), keyed by its unified social credit code."""

    __tablename__ = "enterprises"
    __table_args__ = (
        CheckConstraint(_in("kind", ENTERPRISE_KINDS), name="kind"),
        CheckConstraint(_in("status", ENTERPRISE_STATUSES), name="status"),
        Index("ix_enterprises_name_trigrams", "name", postgresql_ops={"name": "gin_trgm_ops"},
              **TRIGRAM_INDEX).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(24))
    # The legal representative, or an individual business's operator (经营者), shown masked.
    representative_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    town: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str | None] = mapped_column(String(200))
    registered_on = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


# Searches list shorter names first (the exact name leads); the order read from an index.
Index("ix_enterprises_name_length", func.length(Enterprise.name), Enterprise.id)

# Trigrams need three characters, and a trade name (字号) is often searched by its two: the pairs of
# characters of each name, in a GIN index of their own (the function is made by migration 0009).
NAME_BIGRAMS = "public_credit_bigrams"
Index("ix_enterprises_name_bigrams", getattr(func, NAME_BIGRAMS)(Enterprise.name),
      **TRIGRAM_INDEX).ddl_if(dialect="postgresql")


class DisclosureContent:
    """What a sender says of a licence or penalty, under the national standard's fields (SPEC §7)."""

    document_name: Mapped[str | None] = mapped_column(String(200))  # XK_XKWS
    subject_category: Mapped[str] = mapped_column(String(24))  # XK_XDR_LB / CF_XDR_LB
    # As shown: a business's name, or a natural person's name masked (the full name is sealed).
    subject_name: Mapped[str] = mapped_column(String(200))  # XK_XDR_MC / CF_XDR_MC
    subject_name_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    subject_uscc: Mapped[str | None] = mapped_column(String(18))  # XK_XDR_SHXYM / CF_XDR_SHXYM
    legal_representative_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # XK_FRDB / CF_FRDB
    licence_category: Mapped[str | None] = mapped_column(String(100))  # XK_XKLB
    certificate_name: Mapped[str | None] = mapped_column(String(200))  # XK_XKZS
    licence_no: Mapped[str | None] = mapped_column(String(128))  # XK_XKBH
    content: Mapped[str | None] = mapped_column(Text)  # XK_NR / CF_NR
    decided_on = mapped_column(Date, nullable=False)  # XK_JDRQ / CF_JDRQ
    valid_from = mapped_column(Date, nullable=True)  # XK_YXQZ
    valid_to = mapped_column(Date, nullable=True)  # XK_YXQZI
    state: Mapped[str | None] = mapped_column(String(8))  # XK_ZT
    violation_type: Mapped[str | None] = mapped_column(String(500))  # CF_WFXW
    facts_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # CF_SY
    legal_basis: Mapped[str | None] = mapped_column(Text)  # CF_YJ
    penalty_category: Mapped[str | None] = mapped_column(String(200))  # CF_CFLB
    fine_amount = mapped_column(Yuan, nullable=True)  # CF_NR_FK, in yuan (the standard counts 万元)
    confiscated_amount = mapped_column(Yuan, nullable=True)  # CF_NR_WFFF, in yuan
    licence_suspended_or_revoked: Mapped[str | None] = mapped_column(String(500))  # CF_NR_ZKDX
    valid_until = mapped_column(Date, nullable=True)  # CF_YXQ
    disclosed_until = mapped_column(Date, nullable=True)  # CF_GSJZQ
    severity: Mapped[str | None] = mapped_column(String(8))
    authority: Mapped[str] = mapped_column(String(200))  # XK_XKJG / CF_CFJG
    data_source: Mapped[str] = mapped_column(String(64))  # XK_LYDW / CF_SJLY: the sender's source name
    data_source_uscc: Mapped[str | None] = mapped_column(String(18))  # XK_LYDWDM / CF_SJLYDM
    remarks_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # BZ
    content_hash: Mapped[str] = mapped_column(String(64))


class Disclosure(DisclosureContent, db.Model):
    """A 双公示 record: an administrative licence (行政许可) or penalty (行政处罚), keyed by type,
    authority and decision number. Never deleted: a void or an early end after repair moves its status."""

    __tablename__ = "disclosures"
    __table_args__ = (
        UniqueConstraint("type", "authority_uscc", "decision_no", name="uq_disclosures_key"),
        CheckConstraint(_in("type", DISCLOSURE_TYPES), name="type"),
        CheckConstraint(_in("status", DISCLOSURE_STATUSES), name="status"),
        CheckConstraint(_in("subject_category", SUBJECT_CATEGORIES), name="subject_category"),
        Index("ix_disclosures_enterprise", "enterprise_id", "type", "decided_on"),
        Index("ix_disclosures_public", "type", "decided_on"),
        Index("ix_disclosures_changes", "updated_at", "id"),
        Index("ix_disclosures_decision_no", "decision_no"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(8))
    authority_uscc: Mapped[str] = mapped_column(String(18))  # XK_XKJGDM / CF_CFJGDM
    decision_no: Mapped[str] = mapped_column(String(128))  # XK_WSH / CF_WSH
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    status: Mapped[str] = mapped_column(String(10), default="active")
    # When it leaves every public answer, by the one rule of backend.credit.disclosure (None: never shown).
    shown_until = mapped_column(UTCDateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by_kind: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(Integer)

    enterprise: Mapped[Enterprise | None] = relationship()
    versions: Mapped[list["DisclosureVersion"]] = relationship(order_by="DisclosureVersion.version")
    status_changes: Mapped[list["DisclosureStatusChange"]] = relationship(order_by="DisclosureStatusChange.id")


class DisclosureVersion(DisclosureContent, db.Model):
    """The content a disclosure had before its sender changed it."""

    __tablename__ = "disclosure_versions"
    __table_args__ = (UniqueConstraint("disclosure_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosures.id"))
    version: Mapped[int] = mapped_column(Integer)
    replaced_at = mapped_column(UTCDateTime, nullable=False)
    replaced_by_kind: Mapped[str] = mapped_column(String(16))
    replaced_by_id: Mapped[int | None] = mapped_column(Integer)


class DisclosureStatusChange(db.Model):
    """A void or an early end after repair (信用修复), with who, when, why and the evidence."""

    __tablename__ = "disclosure_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosures.id"), index=True)
    from_status: Mapped[str] = mapped_column(String(10))
    to_status: Mapped[str] = mapped_column(String(10))
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    note_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    evidence_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)


class ListEntryContent:
    """What a listing authority says of one listing."""

    subject_name: Mapped[str] = mapped_column(String(200))  # a business's name, or a person's masked
    subject_name_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    reason_sealed: Mapped[bytes] = mapped_column(LargeBinary)  # 列入原因
    listing_authority: Mapped[str] = mapped_column(String(200))
    data_source: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))


class ListEntry(ListEntryContent, db.Model):
    """An entry on the red (守信红名单), watch (重点关注名单) or black (失信黑名单) list, keyed by list,
    subject and listing date. A removed entry leaves the public lists and stays on record."""

    __tablename__ = "list_entries"
    __table_args__ = (
        UniqueConstraint("list", "subject_key", "listed_on", name="uq_list_entries_key"),
        CheckConstraint(_in("list", LISTS), name="list"),
        CheckConstraint(_in("subject_category", SUBJECT_CATEGORIES), name="subject_category"),
        Index("ix_list_entries_public", "list", "removed_on", "listed_on"),
        Index("ix_list_entries_subject_uscc", "subject_uscc", "removed_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_name: Mapped[str] = mapped_column("list", String(8))
    subject_category: Mapped[str] = mapped_column(String(24))
    # The subject: an enterprise's USCC, or the keyed hash of a person's ID number.
    subject_key: Mapped[str] = mapped_column(String(64))
    subject_uscc: Mapped[str | None] = mapped_column(String(18))
    subject_id_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    listed_on = mapped_column(Date, nullable=False)
    removed_on = mapped_column(Date, nullable=True)
    removal_reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    removal_authority: Mapped[str | None] = mapped_column(String(200))
    removed_at = mapped_column(UTCDateTime, nullable=True)
    removed_by_kind: Mapped[str | None] = mapped_column(String(16))
    removed_by_id: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by_kind: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(Integer)

    versions: Mapped[list["ListEntryVersion"]] = relationship(order_by="ListEntryVersion.version")


class ListEntryVersion(ListEntryContent, db.Model):
    """The content a list entry had before its sender changed it."""

    __tablename__ = "list_entry_versions"
    __table_args__ = (UniqueConstraint("list_entry_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_entry_id: Mapped[int] = mapped_column(ForeignKey("list_entries.id"))
    version: Mapped[int] = mapped_column(Integer)
    replaced_at = mapped_column(UTCDateTime, nullable=False)
    replaced_by_kind: Mapped[str] = mapped_column(String(16))
    replaced_by_id: Mapped[int | None] = mapped_column(Integer)


class Exposure(db.Model):
    """A case on the 曝光台, published by an admin: shown until unpublished or until the disclosure of the
    penalty it shows ends."""

    __tablename__ = "exposures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosures.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    facts_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    published_at = mapped_column(UTCDateTime, nullable=False)
    published_by: Mapped[int | None] = mapped_column(Integer)
    unpublished_at = mapped_column(UTCDateTime, nullable=True)
    unpublished_by: Mapped[int | None] = mapped_column(Integer)
    unpublish_reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)

    disclosure: Mapped[Disclosure] = relationship()
