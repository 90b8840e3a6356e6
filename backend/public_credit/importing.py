"""Writing enterprises, disclosures and list entries in bulk (SPEC §7): files of a million rows, and single
records, which are files of one row, so both obey exactly the same rules.

Each import runs in one transaction, set-based, as the credit events' import does:

1. every row is checked in Python (``records``); personal data and free text are sealed there, so none
   reaches the database in clear; a department's rows of another source are refused by line;
2. the good rows go into a temporary staging table (COPY on PostgreSQL);
3. one INSERT … SELECT classifies every staged row against what is recorded, by the record's key (a
   disclosure: type, authority and decision number; a list entry: list, subject and listing date): new,
   the same again (unchanged), changed, or refused (no such enterprise, another source's record, a
   repeat of the key within the file with other content);
4. changed records keep their former content as a version, then take the new one; new ones are inserted;
   statuses and removals sent with the rows are applied; the black list's verifiers are flagged;
5. one audit record holds the counts.

Imports run one at a time (an advisory lock), so two files never race for the same new key.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)

from backend.audit import service as audit
from backend.credit.service import source_allowed
from backend.data import bulk
from backend.data.extensions import db
from backend.data.import_files import Row
from backend.data.types import UTCDateTime
from backend.dates.timeutil import local_today, utcnow
from backend.i18n import _
from backend.privacy.sealing import seal, sealer
from backend.public_credit import records
from backend.public_credit.models import (
    Disclosure,
    DisclosureStatusChange,
    DisclosureVersion,
    Enterprise,
    ListEntry,
    ListEntryVersion,
)
from backend.residents.models import Resident
from backend.residents.service import id_number_hasher
from backend.verifiers.models import Verifier
from backend.web.access import ADMIN, DEPARTMENT, Principal
from backend.web.errors import Conflict, Forbidden, InvalidInput

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
LOCK = "public_credit.import"

class SubjectEnterpriseNotFound(InvalidInput):
    reason = "enterprise_not_found"
    message = _("No enterprise with this USCC; the credit office imports enterprises first.")


class RecordSourceNotAllowed(Forbidden):
    reason = "source_not_allowed"
    message = _("A department sends and changes records of its own source only.")


class DuplicateInFile(InvalidInput):
    reason = "duplicate_in_file"
    message = _("An earlier row of the file has the same key with other content.")


class StatusFinal(Conflict):
    reason = "status_final"
    message = _("This record was voided or repaired; its status cannot change again.")


# The columns a CSV header must name before any row is read (SPEC §7): a disclosure's under our name or
# either of the national standard's codes (a header naming the subject names the kind of file; a row
# lacking another field is refused by line).
ENTERPRISE_HEADER = ("uscc", "name")
DISCLOSURE_HEADER = (("subject_name", *(records.CODES[kind]["subject_name"].lower()
                                        for kind in ("licence", "penalty"))),)
LIST_HEADER = ("list", "subject_name", "listed_on")


# Why a row was refused after staging, by outcome: the error a single record would get, and its field.
REFUSALS = {error.reason: error for error in (SubjectEnterpriseNotFound, RecordSourceNotAllowed, DuplicateInFile,
                                               StatusFinal)}
REFUSAL_FIELDS = {"enterprise_not_found": "subject_uscc", "source_not_allowed": "data_source",
                  "duplicate_in_file": None, "status_final": "status"}


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)
    # The line's record id and outcome, for single records (files of one row).
    outcomes: dict[int, tuple[str, int | None]] = field(default_factory=dict)


def _error(line: int, reason: str, message, field_name: str | None) -> dict:
    return {"line": line, "reason": reason, "message": str(message), "field": field_name}


def _actor_columns(actor: Principal | None) -> dict:
    return {"kind": actor.kind if actor else "system", "id": actor.id if actor else None}


def _is_department(actor: Principal | None) -> bool:
    return actor is not None and ADMIN not in actor.roles and DEPARTMENT in actor.roles


def check_source(actor: Principal | None, source: str) -> None:
    if not source_allowed(actor, source):
        raise records.InvalidField("data_source", RecordSourceNotAllowed.message, reason=RecordSourceNotAllowed.reason)


def _finish(result: ImportResult, outcomes, kind: str, actor: Principal | None, one: bool) -> None:
    """Count the outcomes, list the refused lines, and write the audit record: a file's counts, or a
    single record's change (a record sent again unchanged writes nothing)."""
    o = outcomes.c
    for line, outcome, record_id in db.session.execute(select(o.line, o.outcome, o.record_id).order_by(o.line)):
        result.outcomes[line] = (outcome, record_id)
        if outcome in (CREATED, UPDATED, UNCHANGED):
            setattr(result, outcome, getattr(result, outcome) + 1)
        else:
            result.errors.append(_error(line, outcome, REFUSALS[outcome].message, REFUSAL_FIELDS[outcome]))
    result.errors.sort(key=lambda error: error["line"])
    if not one:
        plural = {"list_entry": "list_entries"}.get(kind, f"{kind}s")
        audit.record(actor, f"{plural}.import", plural, None,
                     after={"rows": result.rows, "created": result.created, "updated": result.updated,
                            "unchanged": result.unchanged, "errors": len(result.errors)})
        return
    for outcome, record_id in result.outcomes.values():
        if outcome in (CREATED, UPDATED):
            audit.record(actor, f"{kind}.record", kind, record_id, after={"outcome": outcome})


def _outcomes_table(name: str):
    return bulk.temporary_table(name, Column("line", Integer), Column("record_id", Integer),
                                Column("enterprise_id", Integer), Column("resident_id", Integer),
                                Column("outcome", String(32)), Column("content_changed", Boolean),
                                Column("new_status", String(10)))


def _checked(rows: Iterable[Row], result: ImportResult, parse) -> Iterator[tuple[int, object]]:
    """(line, parsed) of the rows whose form is right; the others become errors of the result."""
    for row in rows:
        result.rows += 1
        if row.error:
            result.errors.append(_error(row.line, "invalid_input", row.error, None))
            continue
        try:
            yield row.line, parse(row.fields)
        except records.InvalidField as exc:
            result.errors.append(_error(row.line, exc.reason, f"{exc.field}: {exc.message}", exc.field))


def _key_rank(staged, key: tuple[str, ...]):
    """Each staged row with its rank among the rows of its key (file order) and the first one's hash."""
    s = staged.c
    window = {"partition_by": [bulk.bytewise(s[name]) if isinstance(s[name].type, String) else s[name]
                               for name in key], "order_by": s.line}
    return select(s, func.row_number().over(**window).label("rank"),
                  func.first_value(s.content_hash).over(**window).label("first_hash"),
                  func.first_value(func.coalesce(s.wanted, "")).over(**window).label("first_wanted")).cte("ranked")


# --- enterprises ----------------------------------------------------------------------------------------

ENTERPRISE_COLUMNS = ("uscc", "name", "kind", "representative_sealed", "town", "address", "registered_on",
                      "status", "content_hash")


def import_enterprises(actor: Principal | None, rows: Iterable[Row], *, one: bool = False) -> ImportResult:
    """Create or update enterprises by USCC (the same row again changes nothing). Commits."""
    result = ImportResult()
    now = utcnow()
    bulk.one_at_a_time(LOCK)
    bulk.roomy_transaction()
    table = Enterprise.__table__
    staged = bulk.temporary_table("enterprise_import_rows", Column("line", Integer),
                                  *[Column(name, table.c[name].type) for name in ENTERPRISE_COLUMNS],
                                  Column("wanted", String(10)))
    seal_name = sealer("name")

    def tuples():
        hasher = records.content_hasher()
        for line, parsed in _checked(rows, result, lambda fields: records.parse_enterprise(fields, hasher=hasher)):
            values = parsed.values
            representative = values["legal_representative"]
            yield (line, values["uscc"], values["name"], values["kind"],
                   seal_name(representative) if representative else None, values["town"], values["address"],
                   values["registered_on"], values["status"], parsed.content_hash, None)

    bulk.load(staged, tuples())
    bulk.analyse(staged)
    outcomes = _outcomes_table("enterprise_import_outcomes")
    ranked = _key_rank(staged, ("uscc",))
    r = ranked.c
    outcome = case((and_(r.rank > 1, r.content_hash != r.first_hash), "duplicate_in_file"),
                   (r.rank > 1, UNCHANGED),
                   (table.c.id.is_(None), CREATED),
                   (table.c.content_hash == r.content_hash, UNCHANGED),
                   else_=UPDATED)
    db.session.execute(outcomes.insert().from_select(
        ["line", "record_id", "outcome"],
        select(r.line, table.c.id, outcome).select_from(ranked.outerjoin(table, table.c.uscc == r.uscc))))
    s, o = staged.c, outcomes.c
    changing = and_(s.line == o.line, o.outcome == UPDATED, table.c.id == o.record_id)
    db.session.execute(update(table).where(changing).values(
        {**{name: s[name] for name in ENTERPRISE_COLUMNS if name != "uscc"}, "updated_at": now}))
    db.session.execute(insert(table).from_select(
        [*ENTERPRISE_COLUMNS, "created_at", "updated_at"],
        select(*[s[name] for name in ENTERPRISE_COLUMNS], literal(now, UTCDateTime()), literal(now, UTCDateTime()))
        .select_from(staged.join(outcomes, o.line == s.line)).where(o.outcome == CREATED)))
    _fill_new_ids(outcomes, table, table.c.uscc == s.uscc, staged)
    _finish(result, outcomes, "enterprise", actor, one)
    bulk.drop(outcomes)
    bulk.drop(staged)
    db.session.commit()
    return result


def _fill_new_ids(outcomes, table, matches, staged) -> None:
    """Give the created rows of ``outcomes`` the ids they were inserted under."""
    o, s = outcomes.c, staged.c
    db.session.execute(update(outcomes).where(o.outcome == CREATED, s.line == o.line, matches)
                       .values(record_id=table.c.id))


# --- disclosures ----------------------------------------------------------------------------------------

KEY = ("type", "authority_uscc", "decision_no")
_VERSION_ONLY = {"id", "disclosure_id", "version", "replaced_at", "replaced_by_kind", "replaced_by_id"}
CONTENT = tuple(c.name for c in DisclosureVersion.__table__.columns if c.name not in _VERSION_ONLY)


def _disclosure_staging():
    table = Disclosure.__table__
    return bulk.temporary_table(
        "disclosure_import_rows", Column("line", Integer),
        *[Column(name, table.c[name].type) for name in (*KEY, *CONTENT, "shown_until")],
        Column("wanted", String(10)))


def _disclosure_tuples(pairs: Iterator[tuple[int, records.Parsed]]) -> Iterator[tuple]:
    seal_name, seal_facts, seal_remarks = sealer("name"), sealer("facts"), sealer("remarks")
    for line, parsed in pairs:
        values, extra = parsed.values, parsed.extra
        person = values["subject_category"] == "natural_person"
        name = values["subject_name"]
        representative, facts, remarks = (values["legal_representative"], values.get("facts"),
                                          values["remarks"])
        row = {
            **{name_: values.get(name_) for name_ in CONTENT},
            "subject_name": records.shown_subject_name(values["subject_category"], name),
            "subject_name_sealed": seal_name(name) if person else None,
            "legal_representative_sealed": seal_name(representative) if representative else None,
            "facts_sealed": seal_facts(facts) if facts else None,
            "remarks_sealed": seal_remarks(remarks) if remarks else None,
            "content_hash": parsed.content_hash,
        }
        yield (line, extra["type"], extra["authority_uscc"], extra["decision_no"], *[row[name_] for name_ in CONTENT],
               extra["shown_until"], extra["status"])


def import_disclosures(actor: Principal | None, rows: Iterable[Row], *, one: bool = False) -> ImportResult:
    """Record the licences and penalties of a file (departments: rows of their own source only): new ones
    are added, changed ones keep their former content as a version, the same again changes nothing; a
    ``status`` column may void or end early (repaired, admins only). Commits."""
    result = ImportResult()
    now, today = utcnow(), local_today()
    bulk.one_at_a_time(LOCK)
    bulk.roomy_transaction()
    staged = _disclosure_staging()

    hasher = records.content_hasher()

    def parse(fields: dict) -> records.Parsed:
        parsed = records.parse_disclosure(fields, today=today, hasher=hasher)
        check_source(actor, parsed.values["data_source"])
        if parsed.extra["status"] == "repaired" and _is_department(actor):
            raise records.InvalidField("status", _("Only the credit office records an early end after repair."),
                                       reason="role_not_allowed")
        return parsed

    bulk.load(staged, _disclosure_tuples(_checked(rows, result, parse)))
    bulk.analyse(staged)
    outcomes = _outcomes_table("disclosure_import_outcomes")
    _classify_disclosures(staged, outcomes, actor)
    bulk.analyse(outcomes)
    _write_disclosures(staged, outcomes, actor, now)
    _finish(result, outcomes, "disclosure", actor, one)
    bulk.drop(outcomes)
    bulk.drop(staged)
    db.session.commit()
    return result


def _classify_disclosures(staged, outcomes, actor: Principal | None) -> None:
    table, enterprises = Disclosure.__table__, Enterprise.__table__
    ranked = _key_rank(staged, KEY)
    r, d = ranked.c, table.c
    other_source = (d.data_source != actor.source) if _is_department(actor) else literal(False)
    wanted_differs = and_(r.wanted.is_not(None), r.wanted != d.status)
    outcome = case(
        (and_(r.subject_uscc.is_not(None), enterprises.c.id.is_(None)), "enterprise_not_found"),
        (and_(r.rank > 1, or_(r.content_hash != r.first_hash, func.coalesce(r.wanted, "") != r.first_wanted)),
         "duplicate_in_file"),
        (r.rank > 1, UNCHANGED),
        (d.id.is_(None), CREATED),
        (other_source, "source_not_allowed"),
        (and_(d.status != "active", wanted_differs), "status_final"),
        (and_(d.content_hash == r.content_hash, ~wanted_differs), UNCHANGED),
        else_=UPDATED)
    new_status = case((and_(d.id.is_(None), r.wanted.is_not(None), r.wanted != "active"), r.wanted),
                      (and_(d.id.is_not(None), wanted_differs), r.wanted), else_=null())
    db.session.execute(outcomes.insert().from_select(
        ["line", "record_id", "enterprise_id", "outcome", "content_changed", "new_status"],
        select(r.line, d.id, enterprises.c.id, outcome,
               case((and_(d.id.is_not(None), d.content_hash != r.content_hash), True), else_=False), new_status)
        .select_from(ranked.outerjoin(enterprises, enterprises.c.uscc == r.subject_uscc)
                     .outerjoin(table, and_(*[d[name] == r[name] for name in KEY])))))


def _write_disclosures(staged, outcomes, actor: Principal | None, now: datetime) -> None:
    table, versions = Disclosure.__table__, DisclosureVersion.__table__
    s, o, d = staged.c, outcomes.c, table.c
    who = _actor_columns(actor)
    changed = and_(o.outcome == UPDATED, o.content_changed)
    # Former content first, then the new content over it.
    db.session.execute(insert(versions).from_select(
        ["disclosure_id", "version", "replaced_at", "replaced_by_kind", "replaced_by_id", *CONTENT],
        select(d.id, d.version, literal(now, UTCDateTime()), literal(who["kind"]),
               cast(literal(who["id"], Integer()), Integer()), *[d[name] for name in CONTENT])
        .select_from(table.join(outcomes, o.record_id == d.id)).where(changed)))
    db.session.execute(update(table).where(d.id == o.record_id, s.line == o.line, changed).values(
        {**{name: s[name] for name in CONTENT}, "shown_until": s.shown_until, "enterprise_id": o.enterprise_id,
         "version": d.version + 1, "updated_at": now}))
    # Statuses moved by the file (a void, or an early end after repair), each with its record.
    db.session.execute(insert(DisclosureStatusChange.__table__).from_select(
        ["disclosure_id", "from_status", "to_status", "at", "actor_kind", "actor_id", "note_sealed"],
        select(d.id, d.status, o.new_status, literal(now, UTCDateTime()), literal(who["kind"]),
               cast(literal(who["id"], Integer()), Integer()), literal(_import_note()))
        .select_from(table.join(outcomes, o.record_id == d.id))
        .where(o.outcome == UPDATED, o.new_status.is_not(None))))
    # Only from active: a repair or void recorded by hand since the file was classified stands.
    db.session.execute(update(table).where(d.id == o.record_id, o.outcome == UPDATED, o.new_status.is_not(None),
                                           d.status == "active").values(status=o.new_status, updated_at=now))
    created = {**{name: s[name] for name in (*KEY, *CONTENT, "shown_until")},
               "enterprise_id": o.enterprise_id, "status": func.coalesce(s.wanted, "active"),
               "version": literal(1), "created_at": literal(now, UTCDateTime()),
               "updated_at": literal(now, UTCDateTime()), "created_by_kind": literal(who["kind"]),
               "created_by_id": cast(literal(who["id"], Integer()), Integer())}
    db.session.execute(insert(table).from_select(
        list(created), select(*created.values()).select_from(staged.join(outcomes, o.line == s.line))
        .where(o.outcome == CREATED).order_by(s.line)))
    _fill_new_ids(outcomes, table, and_(*[d[name] == s[name] for name in KEY]), staged)
    # A record that arrives already voided or repaired says so in its status history too.
    db.session.execute(insert(DisclosureStatusChange.__table__).from_select(
        ["disclosure_id", "from_status", "to_status", "at", "actor_kind", "actor_id", "note_sealed"],
        select(o.record_id, literal("active"), o.new_status, literal(now, UTCDateTime()), literal(who["kind"]),
               cast(literal(who["id"], Integer()), Integer()), literal(_import_note()))
        .where(o.outcome == CREATED, o.new_status.is_not(None))))


def _import_note() -> bytes:
    return seal("note", "set by the status column of an import")


# --- list entries ---------------------------------------------------------------------------------------

LIST_KEY = ("list", "subject_key", "listed_on")
LIST_CONTENT = tuple(c.name for c in ListEntryVersion.__table__.columns
                     if c.name not in {"id", "list_entry_id", "version", "replaced_at", "replaced_by_kind",
                                       "replaced_by_id"})
REMOVAL = ("removed_on", "removal_reason_sealed", "removal_authority")


def import_list_entries(actor: Principal | None, rows: Iterable[Row], *, one: bool = False) -> ImportResult:
    """Record red, watch and black list entries (departments: rows of their own source only), with any
    removal sent with them; the black list's verifiers follow in the same transaction. Commits."""
    result = ImportResult()
    now, today = utcnow(), local_today()
    bulk.one_at_a_time(LOCK)
    table = ListEntry.__table__
    staged = bulk.temporary_table(
        "list_entry_import_rows", Column("line", Integer),
        *[Column(name, table.c[name].type) for name in (*LIST_KEY, "subject_category", "subject_uscc",
                                                        "subject_id_sealed", *LIST_CONTENT, *REMOVAL)],
        Column("wanted", String(10)))

    hasher = records.content_hasher()

    def parse(fields: dict) -> records.Parsed:
        parsed = records.parse_list_entry(fields, today=today, hasher=hasher)
        check_source(actor, parsed.values["data_source"])
        return parsed

    hash_id, seal_name, seal_reason = id_number_hasher(), sealer("name"), sealer("reason")

    def tuples():
        for line, parsed in _checked(rows, result, parse):
            values, extra = parsed.values, parsed.extra
            person = values["subject_category"] == "natural_person"
            removal = extra["removal"] or {}
            row = {"list": extra["list"], "listed_on": extra["listed_on"],
                   "subject_key": hash_id(extra["subject_id_number"]) if person else extra["subject_uscc"],
                   "subject_category": values["subject_category"], "subject_uscc": extra["subject_uscc"],
                   "subject_id_sealed": seal("id_number", extra["subject_id_number"]) if person else None,
                   "subject_name": records.shown_subject_name(values["subject_category"], values["subject_name"]),
                   "subject_name_sealed": seal_name(values["subject_name"]) if person else None,
                   "reason_sealed": seal_reason(values["reason"]), "listing_authority": values["listing_authority"],
                   "data_source": values["data_source"], "content_hash": parsed.content_hash,
                   "removed_on": removal.get("removed_on"),
                   "removal_reason_sealed": seal("reason", removal["removal_reason"]) if removal else None,
                   "removal_authority": removal.get("removal_authority")}
            yield (line, *[row[name] for name in staged.c.keys()[1:-1]], None)

    bulk.load(staged, tuples())
    bulk.analyse(staged)
    outcomes = _outcomes_table("list_entry_import_outcomes")
    _classify_list_entries(staged, outcomes, actor)
    _write_list_entries(staged, outcomes, actor, now)
    s = staged.c
    sync_black_listed_verifiers(select(s.subject_uscc).where(s["list"] == "black", s.subject_uscc.is_not(None)))
    _finish(result, outcomes, "list_entry", actor, one)
    bulk.drop(outcomes)
    bulk.drop(staged)
    db.session.commit()
    return result


def _classify_list_entries(staged, outcomes, actor: Principal | None) -> None:
    table, enterprises, residents = ListEntry.__table__, Enterprise.__table__, Resident.__table__
    ranked = _key_rank(staged, LIST_KEY)
    r, e = ranked.c, table.c
    other_source = (e.data_source != actor.source) if _is_department(actor) else literal(False)
    # A removal sent with the row applies to an entry not yet removed; a removal stands for good.
    removes = and_(r.removed_on.is_not(None), e.removed_on.is_(None))
    outcome = case(
        (and_(r.subject_uscc.is_not(None), enterprises.c.id.is_(None)), "enterprise_not_found"),
        (and_(r.rank > 1, r.content_hash != r.first_hash), "duplicate_in_file"),
        (r.rank > 1, UNCHANGED),
        (e.id.is_(None), CREATED),
        (other_source, "source_not_allowed"),
        (and_(e.content_hash == r.content_hash, ~removes), UNCHANGED),
        else_=UPDATED)
    db.session.execute(outcomes.insert().from_select(
        ["line", "record_id", "resident_id", "outcome", "content_changed", "new_status"],
        select(r.line, e.id, residents.c.id, outcome,
               case((and_(e.id.is_not(None), e.content_hash != r.content_hash), True), else_=False),
               case((removes, "removed"), else_=null()))
        .select_from(ranked.outerjoin(enterprises, enterprises.c.uscc == r.subject_uscc)
                     .outerjoin(residents, and_(r.subject_category == "natural_person",
                                                residents.c.id_number_hash == r.subject_key))
                     .outerjoin(table, and_(*[e[name] == r[name] for name in LIST_KEY])))))


def _write_list_entries(staged, outcomes, actor: Principal | None, now: datetime) -> None:
    table, versions = ListEntry.__table__, ListEntryVersion.__table__
    s, o, e = staged.c, outcomes.c, table.c
    who = _actor_columns(actor)
    who_id = cast(literal(who["id"], Integer()), Integer())
    changed = and_(o.outcome == UPDATED, o.content_changed)
    db.session.execute(insert(versions).from_select(
        ["list_entry_id", "version", "replaced_at", "replaced_by_kind", "replaced_by_id", *LIST_CONTENT],
        select(e.id, e.version, literal(now, UTCDateTime()), literal(who["kind"]), who_id,
               *[e[name] for name in LIST_CONTENT])
        .select_from(table.join(outcomes, o.record_id == e.id)).where(changed)))
    db.session.execute(update(table).where(e.id == o.record_id, s.line == o.line, changed).values(
        {**{name: s[name] for name in LIST_CONTENT}, "version": e.version + 1, "updated_at": now}))
    removal = {**{name: s[name] for name in REMOVAL}, "removed_at": now, "removed_by_kind": who["kind"],
               "removed_by_id": who["id"], "updated_at": now}
    db.session.execute(update(table).where(e.id == o.record_id, s.line == o.line, o.outcome == UPDATED,
                                           o.new_status == "removed").values(removal))
    removed = s.removed_on.is_not(None)
    created = {**{name: s[name] for name in (*LIST_KEY, "subject_category", "subject_uscc", "subject_id_sealed",
                                             *LIST_CONTENT, *REMOVAL)},
               "resident_id": o.resident_id,
               "removed_at": case((removed, literal(now, UTCDateTime())), else_=null()),
               "removed_by_kind": case((removed, literal(who["kind"])), else_=null()),
               "removed_by_id": case((removed, who_id), else_=null()),
               "version": literal(1), "created_at": literal(now, UTCDateTime()),
               "updated_at": literal(now, UTCDateTime()), "created_by_kind": literal(who["kind"]),
               "created_by_id": who_id}
    db.session.execute(insert(table).from_select(
        list(created), select(*created.values()).select_from(staged.join(outcomes, o.line == s.line))
        .where(o.outcome == CREATED).order_by(s.line)))
    _fill_new_ids(outcomes, table, and_(*[e[name] == s[name] for name in LIST_KEY]), staged)


def black_list_clause(uscc_column):
    """Whether a live (not removed) black-list entry names this USCC."""
    entries = ListEntry.__table__.c
    return exists().where(entries["list"] == "black", entries.subject_uscc == uscc_column, entries.removed_on.is_(None))


def sync_black_listed_verifiers(usccs) -> None:
    """Set the black-list flag of the verifiers with these USCCs (a select of them) from the live list
    entries, in the caller's transaction: their next request is refused, or allowed again."""
    verifiers = Verifier.__table__.c
    db.session.execute(update(Verifier.__table__).where(verifiers.uscc.in_(usccs))
                       .values(black_listed=black_list_clause(verifiers.uscc)))
