"""Public credit information (信用信息全公示, SPEC §7): the rules of single records, removals, repairs and
exposures, and the public queries.

What the public sees of disclosures is decided by one rule, ``backend.credit.disclosure`` (its
``open_clause`` in SQL): a record is shown while it stands (not repaired, not voided) and until its window
ends. List entries are shown until removed; an exposure until unpublished or until its penalty leaves.
"""

import json
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Text, and_, bindparam, func, literal, or_, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased, contains_eager
from stdnum.cn import uscc as uscc_code

from backend.audit import service as audit
from backend.credit import disclosure as windows
from backend.credit.service import source_allowed
from backend.data import bulk
from backend.data.extensions import db
from backend.data.import_files import Row
from backend.data.types import MAX_DB_INTEGER
from backend.dates.timeutil import local_today, utcnow
from backend.i18n import _
from backend.privacy.masking import mask_id_number, mask_name
from backend.privacy.sealing import open_sealed, seal
from backend.public_credit import importing, records
from backend.public_credit.importing import RecordSourceNotAllowed
from backend.public_credit.models import (
    DISCLOSURE_TYPES,
    NAME_BIGRAMS,
    Disclosure,
    DisclosureStatusChange,
    Enterprise,
    Exposure,
    ListEntry,
)
from backend.web.access import Principal
from backend.web.errors import Conflict, InvalidInput, NotFound

# Each section of the enterprise page lists this many records, newest first; the rest page through
# /api/v1/public/disclosures.
SECTION_LIMIT = 100
# A search answers this many enterprises at most: a word that matches more asks to be refined.
SEARCH_LIMIT = 1000


class EnterpriseNotFound(NotFound):
    reason = "enterprise_not_found"
    message = _("No enterprise with this unified social credit code.")


class DisclosureNotFound(NotFound):
    reason = "disclosure_not_found"
    message = _("No such licence or penalty.")


class DisclosureNotActive(Conflict):
    reason = "disclosure_not_active"
    message = _("This record was already voided or repaired.")


class NotRepairable(InvalidInput):
    reason = "not_repairable"
    message = _("Only a penalty's disclosure can end early after repair.")


class RepairTooEarly(InvalidInput):
    reason = "repair_too_early"
    message = _("The minimum disclosure period has not passed yet.")


class ListEntryNotFound(NotFound):
    reason = "list_entry_not_found"
    message = _("No such list entry.")


class AlreadyRemoved(Conflict):
    reason = "already_removed"
    message = _("This entry was already removed from its list.")


class ExposureNotFound(NotFound):
    reason = "exposure_not_found"
    message = _("No such exposure.")


class AlreadyUnpublished(Conflict):
    reason = "already_unpublished"
    message = _("This exposure was already unpublished.")


class PenaltyNotDisclosed(InvalidInput):
    reason = "penalty_not_disclosed"
    message = _("This penalty is not disclosed now (repaired, voided or past its window).")


class DecisionNoAmbiguous(Conflict):
    reason = "decision_no_ambiguous"
    message = _("Several penalties carry this decision number; give the authority's USCC too.")


# --- what may be shown ----------------------------------------------------------------------------------


def shown_representative(category: str, sealed: bytes | None) -> str | None:
    """A legal representative in clear; an individual business's operator masked; a person has none."""
    if sealed is None or category == "natural_person":
        return None
    name = open_sealed("name", sealed)
    return mask_name(name) if category == "individual_business" else name


def opened(field: str, sealed: bytes | None) -> str | None:
    return open_sealed(field, sealed)


def shown_disclosures_clause(now: datetime | None = None):
    """The one rule (``backend.credit.disclosure``) as an SQL condition on disclosures."""
    return windows.open_clause(Disclosure.status, Disclosure.shown_until, now)


def live_entries_clause():
    return ListEntry.removed_on.is_(None)


def shown_exposures_clause(now: datetime | None = None):
    """Published, not unpublished, and its penalty still disclosed (join ``Exposure.disclosure``)."""
    return and_(Exposure.unpublished_at.is_(None), shown_disclosures_clause(now))


def black_listed(uscc: str) -> bool:
    """Whether a live black-list entry names this USCC (SPEC §7: such a verifier cannot verify)."""
    return bool(db.session.scalar(select(importing.black_list_clause(uscc))))


def _uscc_or_none(text: str) -> str | None:
    try:
        return uscc_code.validate(text)
    except Exception:  # noqa: BLE001 - any failed check means "not a USCC": search by name instead
        return None


def evidence_of(change: DisclosureStatusChange) -> list[str]:
    return json.loads(open_sealed("evidence", change.evidence_sealed)) if change.evidence_sealed else []


def _as_file_row(fields: dict) -> dict:
    """A JSON body's values as a file's row carries them (dates and amounts as text)."""
    return {name: value.isoformat() if isinstance(value, date) else str(value) if isinstance(value, Decimal)
            else value for name, value in fields.items()}


def _single(importer, actor: Principal | None, fields: dict, parse):
    """A single record: its form is checked as a file's row is (answering 422 naming the field), then it
    goes through the file import as a file of one row, so both obey the same rules."""
    fields = _as_file_row(fields)
    try:
        parse(fields)
    except records.InvalidField as exc:
        raise InvalidInput(exc.message, field=exc.field, reason=exc.reason) from None
    result = importer(actor, [Row(1, fields)], one=True)
    if result.errors:
        error = result.errors[0]
        refusal = importing.REFUSALS.get(error["reason"])
        if refusal is not None and refusal.status != InvalidInput.status:
            raise refusal()
        if refusal is not None:
            raise refusal(refusal.message, field=error["field"])
        raise InvalidInput(error["message"].split(": ", 1)[-1], field=error["field"], reason=error["reason"])
    return result.outcomes[1]


# --- enterprises ----------------------------------------------------------------------------------------


def record_enterprise(actor: Principal | None, fields: dict) -> tuple[Enterprise, str]:
    """Create or update one enterprise by USCC, as a row of the enterprise import would. Commits."""
    outcome, enterprise_id = _single(importing.import_enterprises, actor, fields, records.parse_enterprise)
    return db.session.get(Enterprise, enterprise_id), outcome


def get_enterprise(uscc: str) -> Enterprise:
    """An enterprise by its USCC; a malformed code is 422 naming the field, an unknown one 404."""
    try:
        code = records.checked_uscc(uscc, "uscc")
    except records.InvalidField as exc:
        raise InvalidInput(exc.message, field="uscc", reason=exc.reason,
                           errors={"path": {"uscc": [str(exc.message)]}}) from None
    enterprise = db.session.scalar(select(Enterprise).where(Enterprise.uscc == code))
    if enterprise is None:
        raise EnterpriseNotFound()
    return enterprise


def list_enterprises(*, q: str | None = None, kind: str | None = None, status: str | None = None):
    """Enterprises for the credit office, filtered."""
    statement = _matching_enterprises(q) if q else select(Enterprise).order_by(Enterprise.id)
    if kind:
        statement = statement.where(Enterprise.kind == kind)
    if status:
        statement = statement.where(Enterprise.status == status)
    return statement


def name_contains(q: str):
    """Enterprise names containing ``q`` (``%`` and ``_`` taken literally); two characters, which make no
    trigram, are found through the index of the names' character pairs on PostgreSQL.

    The pattern is written into the statement (quoted by SQLAlchemy when it is sent), not bound: a
    prepared statement's generic plan cannot know how common a bound pattern is, and would scan every
    name for a rare one, or run the pairs through every row for a common one."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    contains = Enterprise.name.like(bindparam("name_pattern", f"%{escaped}%", literal_execute=True), escape="\\")
    if len(q) == 2 and bulk.dialect() == "postgresql":
        pairs = getattr(func, NAME_BIGRAMS)(Enterprise.name, type_=ARRAY(Text))
        return and_(pairs.contains(bindparam("name_pair", [q], type_=ARRAY(Text), literal_execute=True)), contains)
    return contains


def _matching_enterprises(q: str):
    """Enterprises whose name contains ``q``, or whose USCC is ``q``: shorter names first, so the name that
    is ``q`` itself (the shortest that can contain it) leads. An index on (name length, id) gives that
    order without sorting every match of a common word."""
    q = q.strip()
    code = _uscc_or_none(q)
    if code:
        return select(Enterprise).where(Enterprise.uscc == code).order_by(Enterprise.id)
    return select(Enterprise).where(name_contains(q)).order_by(func.length(Enterprise.name), Enterprise.id)


def page_of(statement, pagination_parameters, *, at_most: int | None = None) -> list:
    """One page of a search's first ``at_most`` matches, filling in the X-Pagination total. A first page
    that is not full is the whole answer and needs no count (most searches name one enterprise); a common
    word is counted only up to ``at_most``, not through every name that holds it."""
    at_most = at_most or SEARCH_LIMIT
    size = pagination_parameters.page_size
    start = (min(pagination_parameters.page, MAX_DB_INTEGER // size) - 1) * size
    if start >= at_most:
        items = []
    else:
        items = db.session.scalars(statement.limit(min(size, at_most - start)).offset(start)).all()
    if start == 0 and len(items) < size:
        pagination_parameters.item_count = len(items)
    else:
        pagination_parameters.item_count = db.session.scalar(
            select(func.count()).select_from(statement.order_by(None).limit(at_most).subquery()))
    return items


def search_enterprises(q: str):
    """The public search (SPEC §7): name substring or exact USCC."""
    return _matching_enterprises(q)


def enterprise_summaries(enterprises: list[Enterprise], now: datetime | None = None) -> list[dict]:
    """Each enterprise with what is shown of it now: licences and penalties counted, the lists it is on
    (one statement for the page)."""
    if not enterprises:
        return []
    ids = [enterprise.id for enterprise in enterprises]
    counts = (select(Disclosure.enterprise_id.label("id"), Disclosure.type.label("what"), func.count().label("n"))
              .where(Disclosure.enterprise_id.in_(ids), shown_disclosures_clause(now))
              .group_by(Disclosure.enterprise_id, Disclosure.type))
    lists = (select(Enterprise.id, ListEntry.list_name, literal(1))
             .join(ListEntry, ListEntry.subject_uscc == Enterprise.uscc)
             .where(Enterprise.id.in_(ids), live_entries_clause()).distinct())
    found: dict[int, dict] = {id_: {"licence": 0, "penalty": 0, "lists": []} for id_ in ids}
    for enterprise_id, what, count in db.session.execute(union_all(counts, lists)):
        if what in DISCLOSURE_TYPES:
            found[enterprise_id][what] = count
        else:
            found[enterprise_id]["lists"].append(what)
    return [{"enterprise": enterprise, "licences": found[enterprise.id]["licence"],
             "penalties": found[enterprise.id]["penalty"], "lists": sorted(found[enterprise.id]["lists"])}
            for enterprise in enterprises]


def enterprise_page(uscc: str, now: datetime | None = None) -> dict:
    """Registration, licences, penalties, list entries and exposures shown now (SPEC §7)."""
    enterprise = get_enterprise(uscc)
    # Licences and penalties in one statement: each kind's newest, and how many are shown in all.
    order = (Disclosure.decided_on.desc(), Disclosure.id.desc())
    ranked = (select(Disclosure, func.row_number().over(partition_by=Disclosure.type, order_by=order).label("rank"),
                     func.count().over(partition_by=Disclosure.type).label("total"))
              .where(Disclosure.enterprise_id == enterprise.id, shown_disclosures_clause(now)).subquery())
    shown = aliased(Disclosure, ranked)
    sections = {"licence": [], "penalty": []}
    totals = {"licence": 0, "penalty": 0}
    for disclosure, total in db.session.execute(
            select(shown, ranked.c.total).where(ranked.c.rank <= SECTION_LIMIT).order_by(ranked.c.rank)):
        sections[disclosure.type].append(disclosure)
        totals[disclosure.type] = total
    entries = db.session.scalars(select(ListEntry).where(
        ListEntry.subject_uscc == enterprise.uscc, live_entries_clause())
        .order_by(ListEntry.listed_on.desc(), ListEntry.id.desc()).limit(SECTION_LIMIT)).all()
    exposures = db.session.scalars(
        select(Exposure).join(Exposure.disclosure).options(contains_eager(Exposure.disclosure))
        .where(Disclosure.enterprise_id == enterprise.id, shown_exposures_clause(now))
        .order_by(Exposure.published_at.desc(), Exposure.id.desc()).limit(SECTION_LIMIT)).all()
    return {"enterprise": enterprise, "licences": sections["licence"], "penalties": sections["penalty"],
            "list_entries": entries, "exposures": exposures,
            "totals": {"licences": totals["licence"], "penalties": totals["penalty"], "list_entries": len(entries),
                       "exposures": len(exposures)}}


# --- disclosures ----------------------------------------------------------------------------------------


def _parse_disclosure_as(actor: Principal | None):
    def parse(fields: dict):
        parsed = records.parse_disclosure(fields)
        importing.check_source(actor, parsed.values["data_source"])
        return parsed

    return parse


def record_disclosure(actor: Principal | None, fields: dict) -> tuple[Disclosure, str]:
    """One licence or penalty, as a row of the disclosure import would be recorded. Commits."""
    try:
        outcome, disclosure_id = _single(importing.import_disclosures, actor, fields, _parse_disclosure_as(actor))
    except InvalidInput as exc:
        if exc.reason == RecordSourceNotAllowed.reason:
            raise RecordSourceNotAllowed() from None
        raise
    return db.session.get(Disclosure, disclosure_id), outcome


def get_disclosure(disclosure_id: int, actor: Principal | None = None) -> Disclosure:
    disclosure = db.session.get(Disclosure, disclosure_id)
    if disclosure is None:
        raise DisclosureNotFound()
    if actor is not None and not source_allowed(actor, disclosure.data_source):
        raise RecordSourceNotAllowed()
    return disclosure


def list_disclosures(actor: Principal | None, *, type: str | None = None, status: str | None = None,
                     data_source: str | None = None, q: str | None = None, since: datetime | None = None):
    """Disclosures for staff, any status; a department sees its own source only."""
    statement = select(Disclosure).order_by(Disclosure.id.desc())
    if actor is not None and not source_allowed(actor, data_source or ""):
        data_source = actor.source
    if data_source:
        statement = statement.where(Disclosure.data_source == data_source)
    if type:
        statement = statement.where(Disclosure.type == type)
    if status:
        statement = statement.where(Disclosure.status == status)
    if since:
        statement = statement.where(Disclosure.updated_at > since)
    if q:
        statement = statement.where(_disclosure_text(q))
    return statement


def _disclosure_text(q: str):
    """A decision number, a subject's exact USCC, or a substring of an enterprise's name."""
    q = q.strip()
    code = _uscc_or_none(q)
    if code:
        return Disclosure.enterprise_id == select(Enterprise.id).where(Enterprise.uscc == code).scalar_subquery()
    named = select(Enterprise.id).where(name_contains(q))
    return or_(Disclosure.decision_no == q, Disclosure.enterprise_id.in_(named))


def public_disclosures(*, type: str | None = None, q: str | None = None, authority: str | None = None,
                       from_: date | None = None, to: date | None = None, now: datetime | None = None):
    """Licences and penalties shown now, newest decision first (SPEC §7)."""
    statement = (select(Disclosure).where(shown_disclosures_clause(now))
                 .order_by(Disclosure.decided_on.desc(), Disclosure.id.desc()))
    if type:
        statement = statement.where(Disclosure.type == type)
    if q:
        statement = statement.where(_disclosure_text(q))
    if authority:
        authority = authority.strip()
        statement = statement.where(or_(Disclosure.authority == authority, Disclosure.authority_uscc == authority))
    if from_:
        statement = statement.where(Disclosure.decided_on >= from_)
    if to:
        statement = statement.where(Disclosure.decided_on <= to)
    return statement


def _status_change(disclosure: Disclosure, actor: Principal, to_status: str, note: str,
                   evidence: list[str] | None = None) -> None:
    change = DisclosureStatusChange(
        disclosure_id=disclosure.id, from_status=disclosure.status, to_status=to_status, at=utcnow(),
        actor_kind=actor.kind, actor_id=actor.id, note_sealed=seal("note", note),
        evidence_sealed=seal("evidence", json.dumps(evidence, ensure_ascii=False)) if evidence else None)
    db.session.add(change)
    disclosure.status = to_status
    disclosure.updated_at = change.at


def void_disclosure(actor: Principal, disclosure_id: int, reason: str) -> Disclosure:
    """Withdraw a record (its sender's decision was revoked): it leaves every public answer at once and
    stays on record. A department withdraws its own source's records only. Commits."""
    disclosure = get_disclosure(disclosure_id, actor)
    if disclosure.status != "active":
        raise DisclosureNotActive()
    _status_change(disclosure, actor, "voided", reason)
    audit.record(actor, "disclosure.void", "disclosure", disclosure.id, before={"status": "active"},
                 after={"status": "voided"})
    db.session.commit()
    return disclosure


def repair_disclosure(actor: Principal, disclosure_id: int, note: str, evidence: list[str]) -> Disclosure:
    """Record an enterprise's early end after repair (信用修复): once the minimum disclosure period of its
    severity has passed (SPEC §6), the penalty leaves every public answer at once. Commits."""
    disclosure = get_disclosure(disclosure_id)
    if disclosure.type != "penalty":
        raise NotRepairable()
    if disclosure.status != "active":
        raise DisclosureNotActive()
    opens_on = windows.penalty_repair_opens_on(disclosure.decided_on, disclosure.severity,
                                               natural_person=disclosure.subject_category == "natural_person")
    if opens_on > local_today():
        raise RepairTooEarly(opens_on=opens_on.isoformat())
    _status_change(disclosure, actor, "repaired", note, evidence)
    audit.record(actor, "disclosure.repair", "disclosure", disclosure.id, before={"status": "active"},
                 after={"status": "repaired", "evidence": len(evidence)})
    db.session.commit()
    return disclosure


def is_shown(disclosure: Disclosure, now: datetime | None = None) -> bool:
    return windows.is_open(disclosure.status, disclosure.shown_until, now)


# --- list entries ---------------------------------------------------------------------------------------


def record_list_entry(actor: Principal | None, fields: dict) -> tuple[ListEntry, str]:
    """One list entry, as a row of the list import would be recorded. Commits."""
    def parse(values: dict):
        parsed = records.parse_list_entry(values)
        importing.check_source(actor, parsed.values["data_source"])
        return parsed

    try:
        outcome, entry_id = _single(importing.import_list_entries, actor, fields, parse)
    except InvalidInput as exc:
        if exc.reason == RecordSourceNotAllowed.reason:
            raise RecordSourceNotAllowed() from None
        raise
    return db.session.get(ListEntry, entry_id), outcome


def get_list_entry(entry_id: int, actor: Principal | None = None) -> ListEntry:
    entry = db.session.get(ListEntry, entry_id)
    if entry is None:
        raise ListEntryNotFound()
    if actor is not None and not source_allowed(actor, entry.data_source):
        raise RecordSourceNotAllowed()
    return entry


def list_entries(actor: Principal | None, *, list_name: str | None = None, removed: bool | None = None,
                 uscc: str | None = None):
    """List entries for staff, removed ones included; a department sees its own source only."""
    statement = select(ListEntry).order_by(ListEntry.id.desc())
    if actor is not None and not source_allowed(actor, ""):
        statement = statement.where(ListEntry.data_source == actor.source)
    if list_name:
        statement = statement.where(ListEntry.list_name == list_name)
    if removed is not None:
        statement = statement.where(ListEntry.removed_on.is_not(None) if removed else live_entries_clause())
    if uscc:
        statement = statement.where(ListEntry.subject_uscc == uscc.strip().upper())
    return statement


def remove_list_entry(actor: Principal, entry_id: int, fields: dict) -> ListEntry:
    """Take an entry off its list (who, when, why): it leaves the public list at once and stays on record;
    a verifier taken off the black list may verify again from its next request. Commits."""
    entry = get_list_entry(entry_id, actor)
    if entry.removed_on is not None:
        raise AlreadyRemoved()
    try:
        removal = records.parse_removal(fields, entry.listed_on, today=local_today())
    except records.InvalidField as exc:
        raise InvalidInput(exc.message, field=exc.field, reason=exc.reason) from None
    entry.removed_on = removal["removed_on"]
    entry.removal_reason_sealed = seal("reason", removal["removal_reason"])
    entry.removal_authority = removal["removal_authority"]
    entry.removed_at = entry.updated_at = utcnow()
    entry.removed_by_kind, entry.removed_by_id = actor.kind, actor.id
    db.session.flush()
    if entry.list_name == "black" and entry.subject_uscc:
        importing.sync_black_listed_verifiers([entry.subject_uscc])
    audit.record(actor, "list_entry.remove", "list_entry", entry.id,
                 after={"list": entry.list_name, "removed_on": entry.removed_on.isoformat(),
                        "removal_authority": entry.removal_authority})
    db.session.commit()
    return entry


def public_list(list_name: str):
    """A list's live entries, newest listing first (persons masked where shown)."""
    return (select(ListEntry).where(ListEntry.list_name == list_name, live_entries_clause())
            .order_by(ListEntry.listed_on.desc(), ListEntry.id.desc()))


def masked_subject_id(entry) -> str | None:
    return mask_id_number(open_sealed("id_number", entry.subject_id_sealed)) if entry.subject_id_sealed else None


# --- exposures (曝光台) -----------------------------------------------------------------------------------


def publish_exposure(actor: Principal | None, *, title: str, facts: str, decision_no: str,
                     authority_uscc: str | None = None) -> Exposure:
    """Publish a case on the 曝光台 for a penalty disclosed now. Commits."""
    statement = select(Disclosure).where(Disclosure.type == "penalty", Disclosure.decision_no == decision_no.strip())
    if authority_uscc:
        statement = statement.where(Disclosure.authority_uscc == authority_uscc.strip().upper())
    penalties = db.session.scalars(statement.limit(2)).all()
    if not penalties:
        raise DisclosureNotFound()
    if len(penalties) > 1:
        raise DecisionNoAmbiguous()
    penalty = penalties[0]
    if not is_shown(penalty):
        raise PenaltyNotDisclosed()
    exposure = Exposure(disclosure_id=penalty.id, title=title, facts_sealed=seal("facts", facts),
                        published_at=utcnow(), published_by=actor.id if actor else None)
    db.session.add(exposure)
    db.session.flush()
    audit.record(actor, "exposure.publish", "exposure", exposure.id,
                 after={"disclosure_id": penalty.id, "decision_no": penalty.decision_no})
    db.session.commit()
    return exposure


def get_exposure(exposure_id: int) -> Exposure:
    exposure = db.session.get(Exposure, exposure_id)
    if exposure is None:
        raise ExposureNotFound()
    return exposure


def unpublish_exposure(actor: Principal, exposure_id: int, reason: str) -> Exposure:
    """Take a case off the 曝光台 (it stays on record). Commits."""
    exposure = get_exposure(exposure_id)
    if exposure.unpublished_at is not None:
        raise AlreadyUnpublished()
    exposure.unpublished_at = utcnow()
    exposure.unpublished_by = actor.id
    exposure.unpublish_reason_sealed = seal("reason", reason)
    audit.record(actor, "exposure.unpublish", "exposure", exposure.id)
    db.session.commit()
    return exposure


def list_exposures(*, shown: bool | None = None):
    """Exposures for admins, newest first; ``shown`` keeps those the public sees now (or the others)."""
    statement = (select(Exposure).join(Exposure.disclosure).options(contains_eager(Exposure.disclosure))
                 .order_by(Exposure.published_at.desc(), Exposure.id.desc()))
    if shown is not None:
        statement = statement.where(shown_exposures_clause() if shown else ~shown_exposures_clause())
    return statement


def public_exposures():
    """The 曝光台: published cases whose penalty is still disclosed, newest first."""
    return list_exposures(shown=True)


def exposure_shown(exposure: Exposure) -> bool:
    return exposure.unpublished_at is None and is_shown(exposure.disclosure)
