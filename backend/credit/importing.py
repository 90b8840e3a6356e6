"""Bulk import of credit events (批量导入, SPEC §3 at city scale): a department's file of hundreds of
thousands of records lands in one transaction, set-based, under exactly the rules of single events
(``backend.credit.ledger``).

The import behaves as if its rows were sent one at a time to ``service.grant_event`` in order of
``occurred_at``, then line. So within a file the earliest acts of a year take an item's annual cap first,
after what the ledger already holds; of rows sharing one (source, source_ref) the first that can be
recorded is, and the later ones are repeats (unchanged) or conflicts; a row refused for any reason
leaves the others alone.

How, in one transaction:

1. each row's form is checked in Python (``ledger.parse_event_fields``, the limits of the single-event
   schema); ID numbers are hashed (HMAC) and notes sealed here, so neither reaches the database in
   clear; items come from the rubric in memory;
2. the good rows go into a temporary staging table (COPY on PostgreSQL);
3. one INSERT … SELECT classifies every staged row: the resident, a repeat of or conflict with the ledger
   and with earlier rows of the file, the item's checks, the resident's status;
4. the accounts of the residents who get events are created where missing and locked in resident order,
   so single writers queue behind the import (and it behind them), and caps are computed on a ledger
   nobody else changes meanwhile;
5. one INSERT … SELECT writes the new events with the annual cap applied by a window over (resident,
   item, calendar year) on top of what the ledger holds; should a concurrent writer have taken one of
   the (source, source_ref) pairs since step 3, the insert is undone and step 3 runs again;
6. one UPDATE recomputes the touched accounts; penalty notices are queued for bound residents; one
   audit record holds the counts.
"""

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    LargeBinary,
    String,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    tuple_,
)
from sqlalchemy.exc import IntegrityError

from backend.audit import service as audit
from backend.credit import ledger
from backend.credit.models import CreditEvent, RubricItem, note_sealers
from backend.credit.service import PENALTY_PAGE, penalty_notice, source_allowed
from backend.data import bulk
from backend.data.extensions import db
from backend.data.import_files import Row
from backend.data.types import UTCDateTime
from backend.dates.timeutil import SHANGHAI, utcnow
from backend.i18n import _
from backend.residents.models import Resident
from backend.residents.service import id_number_hasher
from backend.web.access import Principal
from backend.web.errors import Conflict

log = logging.getLogger(__name__)

# Queued penalty notices of an import this small are sent before it answers, as a single event's is.
SEND_NOTICES_AT_ONCE = 20
# How often the import classifies again after concurrent writers took some of its (source, source_ref).
ATTEMPTS = 5

CREATED, UNCHANGED, CONFLICT = "created", "unchanged", "source_ref_conflict"


@dataclass
class EventImportResult:
    rows: int = 0
    created: int = 0
    unchanged: int = 0
    conflicts: int = 0
    errors: list[dict] = field(default_factory=list)
    notices_queued: int = 0


class ImportBusy(Conflict):
    reason = "import_busy"
    message = _("Other writers kept changing the same records; send the file again.")


def import_events(actor: Principal | None, rows: Iterable[Row]) -> EventImportResult:
    """Record the events of a file (SPEC §3): bad rows are reported by line, good rows land, accounts
    follow in the same transaction; idempotent by (source, source_ref). Commits."""
    now = utcnow()
    result = EventImportResult()
    bulk.one_at_a_time("credit_events.import")
    bulk.roomy_transaction()
    staged = _staging_table()
    reading = _Reading(result)
    bulk.load(staged, _checked_rows(rows, actor, now, reading))
    bulk.analyse(staged)
    outcomes = _outcomes_table()
    counts = _record(staged, outcomes, actor, now, reading.repeated_pairs)
    result.created, result.unchanged = counts.get(CREATED, 0), counts.get(UNCHANGED, 0)
    result.conflicts = counts.get(CONFLICT, 0)
    result.errors = sorted(result.errors + _refused_rows(outcomes), key=lambda error: error["line"])
    if result.created:
        result.notices_queued = _queue_penalty_notices(outcomes)
    audit.record(actor, "credit_events.import", "credit_events", None,
                 after={"rows": result.rows, "created": result.created, "unchanged": result.unchanged,
                        "conflicts": result.conflicts, "errors": len(result.errors)})
    bulk.drop(outcomes)
    bulk.drop(staged)
    db.session.commit()
    if 0 < result.notices_queued <= SEND_NOTICES_AT_ONCE:
        from backend.notices import service as notices

        notices.send_queued(limit=SEND_NOTICES_AT_ONCE)
    return result


# --- 1 and 2: the rows' form, then the staging table ----------------------------------------------------


def _staging_table():
    return bulk.temporary_table(
        "credit_import_rows",
        Column("line", Integer), Column("id_hash", String(64)), Column("rubric_code", String(40)),
        Column("rubric_item_id", Integer), Column("item_problem", String(32)),
        Column("occurred_at", UTCDateTime), Column("effective_until", UTCDateTime),
        Column("year_start", UTCDateTime), Column("year_end", UTCDateTime), Column("future", Boolean),
        Column("source", String(64)), Column("source_ref", String(128)), Column("note_sealed", LargeBinary),
        Column("note_hash", String(64)))


def _error(line: int, reason: str, message: str) -> dict:
    return {"line": line, "reason": reason, "message": message}


@dataclass
class _Reading:
    """What reading the file finds besides the rows to stage: refused rows (in ``result``), and whether
    any (source, source_ref) comes more than once (most files have none, and then need no window)."""

    result: EventImportResult
    repeated_pairs: bool = False


def _checked_rows(rows: Iterable[Row], actor: Principal | None, now: datetime, reading: _Reading) -> Iterator[tuple]:
    """The staging tuples of the rows whose form is right; the others become errors of the result.

    Reads the rubric first: once the rows flow into COPY, the connection takes no other statement."""
    items = {item.code: item for item in db.session.execute(
        select(RubricItem.code, RubricItem.id, RubricItem.active, RubricItem.validity_days))}
    return _staging_tuples(rows, actor, now, reading, items)


def _staging_tuples(rows, actor, now, reading: _Reading, items) -> Iterator[tuple]:
    result = reading.result
    hash_id_number = id_number_hasher()
    seal_note = note_sealers()
    not_allowed = ledger.SourceNotAllowed()
    reserved = ledger.SourceReserved()
    today = now.astimezone(SHANGHAI).date()
    # Hashes of the pairs seen: a collision only costs the window a file without repeats could skip.
    pairs = set()
    for row in rows:
        result.rows += 1
        if row.error:
            result.errors.append(_error(row.line, "invalid_input", row.error))
            continue
        try:
            sent = ledger.parse_event_fields(row.fields, today=today)
        except ledger.InvalidField as exc:
            result.errors.append(_error(row.line, "invalid_input", str(exc)))
            continue
        if ledger.is_reserved(sent.source):
            result.errors.append(_error(row.line, reserved.reason, str(reserved.message)))
            continue
        if not source_allowed(actor, sent.source):
            result.errors.append(_error(row.line, not_allowed.reason, not_allowed.message))
            continue
        item = items.get(sent.rubric_code)
        if item is None:
            item_id, problem, until = None, "rubric_item_not_found", None
        else:
            item_id, until = item.id, ledger.effective_until(sent.occurred_at, item.validity_days)
            problem = None if item.active else "rubric_item_retired"
        pair = hash((sent.source, sent.source_ref))
        if pair in pairs:
            reading.repeated_pairs = True
        pairs.add(pair)
        start, end = ledger.year_bounds(sent.occurred_at)
        yield (row.line, hash_id_number(sent.id_number), sent.rubric_code, item_id, problem, sent.occurred_at,
               until, start, end, ledger.is_future(sent.occurred_at, now), sent.source, sent.source_ref,
               *seal_note(sent.note))


# --- 3: what becomes of each row ------------------------------------------------------------------------


def _outcomes_table():
    return bulk.temporary_table(
        "credit_import_outcomes",
        Column("line", Integer), Column("resident_id", Integer), Column("rubric_item_id", Integer),
        Column("occurred_at", UTCDateTime), Column("effective_until", UTCDateTime),
        Column("year_start", UTCDateTime), Column("year_end", UTCDateTime),
        Column("source", String(64)), Column("source_ref", String(128)), Column("note_sealed", LargeBinary),
        Column("note_hash", String(64)), Column("outcome", String(32)))


def _classify(staged, outcomes, repeated_pairs: bool) -> None:
    """Fill ``outcomes`` with the fate of every staged row, checks in the order of ``ledger``."""
    s, residents, items = staged.c, Resident.__table__, RubricItem.__table__
    existing = CreditEvent.__table__.alias("existing")
    joined = (
        select(s.line, s.source, s.source_ref, s.occurred_at, s.note_sealed, s.note_hash, s.rubric_code,
               s.rubric_item_id,
               s.effective_until, s.year_start, s.year_end, s.item_problem, s.future,
               residents.c.id.label("resident_id"), residents.c.status.label("resident_status"),
               case((items.c.town_id.is_not(None) & (items.c.town_id != residents.c.town_id), 1),
                    else_=0).label("other_town"),
               existing.c.id.label("existing_id"),
               case((ledger.same_fingerprint(existing.c, residents.c.id, s.rubric_code, s.occurred_at, s.note_hash),
                     1),
                    else_=0).label("same_as_existing"))
        .select_from(staged.outerjoin(residents, residents.c.id_number_hash == s.id_hash)
                     .outerjoin(items, items.c.id == s.rubric_item_id)
                     .outerjoin(existing, and_(existing.c.source == s.source, existing.c.source_ref == s.source_ref)))
        .cte("joined"))
    j = joined.c
    # A row that would be recorded if it were the only one of its (source, source_ref).
    recordable = case((and_(j.resident_id.is_not(None), j.existing_id.is_(None), j.item_problem.is_(None),
                            j.other_town == 0, ~j.future, j.resident_status == "active"), 1), else_=0)
    ranked = select(joined, recordable.label("recordable")).cte("ranked")
    r = ranked.c
    # Of the rows of one (source, source_ref), the first recordable one in file order (occurred_at,
    # line) is recorded: the winner, whose content the later rows are compared with.
    pair = {"partition_by": (bulk.bytewise(r.source), bulk.bytewise(r.source_ref)),
            "order_by": (r.recordable.desc(), r.occurred_at, r.line)}
    of_winner = (r.recordable, r.line, r.occurred_at, r.resident_id, r.rubric_code, r.note_hash)
    if repeated_pairs:
        winner_columns = [func.first_value(column).over(**pair).label(f"w_{column.name}") for column in of_winner]
    else:  # every row is its pair's only one, hence its own winner
        winner_columns = [column.label(f"w_{column.name}") for column in of_winner]
    winners = select(ranked, *winner_columns).cte("winners")
    w = winners.c
    winner = SimpleNamespace(resident_id=w.w_resident_id, rubric_code=w.w_rubric_code, occurred_at=w.w_occurred_at,
                             note_hash=w.w_note_hash)
    after_winner = and_(w.w_recordable == 1, tuple_(w.occurred_at, w.line) > tuple_(w.w_occurred_at, w.w_line))
    outcome = case(
        (w.resident_id.is_(None), "resident_not_found"),
        (w.existing_id.is_not(None), case((w.same_as_existing == 1, UNCHANGED), else_=CONFLICT)),
        (after_winner, case((ledger.same_fingerprint(winner, w.resident_id, w.rubric_code, w.occurred_at,
                                                     w.note_hash),
                             UNCHANGED), else_=CONFLICT)),
        (w.item_problem.is_not(None), w.item_problem),
        (w.other_town == 1, "rubric_item_other_town"),
        (w.future, "occurred_in_future"),
        (w.resident_status != "active", "resident_not_active"),
        else_=CREATED)
    columns = ("line", "resident_id", "rubric_item_id", "occurred_at", "effective_until", "year_start", "year_end",
               "source", "source_ref", "note_sealed", "note_hash")
    db.session.execute(outcomes.insert().from_select(
        [*columns, "outcome"], select(*[w[name] for name in columns], outcome)))


def _counts(outcomes) -> dict[str, int]:
    o = outcomes.c
    return dict(db.session.execute(select(o.outcome, func.count()).group_by(o.outcome)).all())


def _refused_rows(outcomes) -> list[dict]:
    o = outcomes.c
    messages = {}
    errors = []
    for line, outcome in db.session.execute(select(o.line, o.outcome).where(o.outcome.not_in((CREATED, UNCHANGED)))
                                            .order_by(o.line)):
        if outcome not in messages:
            refusal = ledger.REFUSALS[outcome]()
            messages[outcome] = (refusal.reason, refusal.message)
        errors.append(_error(line, *messages[outcome]))
    return errors


# --- 4 to 6: locks, events, accounts --------------------------------------------------------------------


def _record(staged, outcomes, actor: Principal | None, now: datetime, repeated_pairs: bool) -> dict[str, int]:
    """Classify, lock, insert and recompute. Should a concurrent writer have recorded one of the file's
    (source, source_ref) since the rows were classified, the insert fails on the unique key, is undone,
    and the rows are classified again."""
    o = outcomes.c
    touched = select(o.resident_id).where(o.outcome == CREATED).distinct()
    for _attempt in range(ATTEMPTS):
        db.session.execute(delete(outcomes))
        _classify(staged, outcomes, repeated_pairs)
        bulk.analyse(outcomes)
        counts = _counts(outcomes)
        if not counts.get(CREATED):
            return counts
        ledger.open_accounts(touched, now)
        ledger.lock_accounts(touched)
        try:
            with db.session.begin_nested():
                _insert_events(outcomes, actor, now)
        except IntegrityError as exc:
            if "source_ref" not in str(exc.orig):
                raise
            continue
        ledger.recompute_accounts(touched, now)
        return counts
    raise ImportBusy()


def _insert_events(outcomes, actor: Principal | None, now: datetime) -> None:
    """Write the created rows as events, the annual cap applied across file and ledger."""
    o, items = outcomes.c, RubricItem.__table__
    capped = and_(items.c.annual_cap.is_not(None), items.c.points > 0)
    # What the ledger gave before the file, plus the full points of the item's earlier rows in the file
    # (each earlier row got full points until the cap was reached, and nothing after).
    earlier = func.row_number().over(partition_by=(o.resident_id, o.rubric_item_id, o.year_start),
                                     order_by=(o.occurred_at, o.line)) - 1
    rows = (select(o.line, o.resident_id, o.occurred_at, o.effective_until, o.source, o.source_ref, o.note_sealed,
                   o.note_hash,
                   items.c.id.label("rubric_item_id"), items.c.code.label("rubric_code"),
                   items.c.points.label("item_points"), items.c.annual_cap,
                   *[items.c[name] for name in ledger.COPIED_FROM_ITEM],
                   case((capped, ledger.gained_in_year(o.resident_id, o.rubric_item_id, o.year_start, o.year_end)
                         + earlier * items.c.points), else_=0).label("gained"))
            .select_from(outcomes.join(items, items.c.id == o.rubric_item_id))
            .where(o.outcome == CREATED)
            .subquery("created_rows"))
    c = rows.c
    values = {
        "resident_id": c.resident_id, "rubric_item_id": c.rubric_item_id, "rubric_code": c.rubric_code,
        **{name: c[name] for name in ledger.COPIED_FROM_ITEM},
        "points": ledger.capped_points(c.item_points, c.annual_cap, c.gained),
        "occurred_at": c.occurred_at, "effective_until": c.effective_until, "source": c.source,
        "source_ref": c.source_ref, "note_sealed": c.note_sealed, "note_hash": c.note_hash,
        "status": literal("active"),
        "created_at": literal(now, UTCDateTime()),
        "created_by_kind": literal(actor.kind if actor else "system"),
        "created_by_id": cast(literal(actor.id if actor else None, Integer()), Integer()),
    }
    # In resident order, the ledger's indexes and the residents' rows (which each new event's foreign key
    # locks) are written and read page by page rather than all over; a resident's events keep file order.
    db.session.execute(insert(CreditEvent.__table__).from_select(
        list(values), select(*values.values()).order_by(c.resident_id, c.occurred_at, c.line)))


def _queue_penalty_notices(outcomes) -> int:
    """Queue a notice for each new penalty of a bound resident (best effort: never undoes the import)."""
    from backend.accounts.models import WeChatAccount
    from backend.notices import service as notices

    o, events = outcomes.c, CreditEvent.__table__
    penalties = (select(events.c.id, events.c.rubric_code, events.c.title, events.c.points, events.c.occurred_at,
                        WeChatAccount.id.label("account_id"))
                 .select_from(outcomes.join(events, and_(events.c.source == o.source,
                                                         events.c.source_ref == o.source_ref))
                              .join(WeChatAccount, WeChatAccount.resident_id == events.c.resident_id))
                 .where(o.outcome == CREATED, events.c.kind == "penalty")
                 .order_by(events.c.id))
    try:
        with db.session.begin_nested():
            return notices.queue([{"account_id": event.account_id, "kind": "penalty_recorded",
                                   "data": penalty_notice(event), "page": PENALTY_PAGE,
                                   "object_type": "credit_event", "object_id": event.id}
                                  for event in db.session.execute(penalties)])
    except Exception:  # noqa: BLE001 - a notice must never undo the events behind it
        log.exception("penalty notices of an import could not be queued")
        return 0
