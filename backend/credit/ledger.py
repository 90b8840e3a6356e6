"""The rules every credit event obeys, whichever way it arrives (SPEC §3): one at a time
(``service.grant_event``) or by the hundred thousand (``importing.import_events``).

Both paths call these, so they cannot drift apart: the form of an event's fields, the refusals and their
order, what makes a repeat the same content, the item fields an event copies, the annual cap, and the
accounts that follow the ledger. The SQL pieces are expressions over columns, so the single path passes
one resident's values and the import passes a whole staging table.
"""

import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import and_, case, func, literal, select, true, update

from backend.credit.levels import current_levels, stars_expression, stars_for
from backend.credit.models import COUNTING_STATUSES, CreditAccount, CreditEvent
from backend.credit.rubric import RubricItemNotFound
from backend.data.extensions import db
from backend.data.types import UTCDateTime
from backend.dates.timeutil import SHANGHAI, as_utc
from backend.i18n import _
from backend.privacy.id_numbers import InvalidIdNumber, validate_id_number
from backend.residents.models import Resident
from backend.residents.service import ResidentNotActive
from backend.settings import service as settings
from backend.web.errors import Conflict, Forbidden, InvalidInput, NotFound

# --- the fields of an event -----------------------------------------------------------------------------

SOURCE_PATTERN = r"^[a-z0-9][a-z0-9-]{1,63}$"
RUBRIC_CODE_MAX = 40
SOURCE_REF_MAX = 128
NOTE_MAX = 2000
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
# A sender's clock may run a little ahead of ours.
FUTURE_TOLERANCE = timedelta(minutes=5)

_SOURCE = re.compile(SOURCE_PATTERN)


class EventFields(NamedTuple):
    id_number: str
    rubric_code: str
    occurred_at: datetime
    source: str
    source_ref: str
    note: str | None


class InvalidField(ValueError):
    """One field of a sent event fails its check; the message never repeats an ID number."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _text(fields: dict, name: str, limit: int, *, required: bool = True) -> str | None:
    value = fields.get(name)
    # Files of a million rows: the common case (plain ASCII text of the right length) is checked first.
    if value.__class__ is str and value and len(value) <= limit and value.isascii() and "\x00" not in value:
        return value
    if value is None or value == "":
        if required:
            raise InvalidField(name, _("is missing"))
        return None
    if not isinstance(value, str):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidField(name, _("must be text"))
        value = str(value)
    if len(value) > limit:
        raise InvalidField(name, _("is longer than %(limit)s characters", limit=limit))
    if "\x00" in value:
        raise InvalidField(name, _("must not contain NUL characters"))
    try:
        value.encode()
    except UnicodeEncodeError:
        raise InvalidField(name, _("is not valid text")) from None
    return value


def parse_occurred_at(text: str) -> datetime:
    """An ISO 8601 time with its offset, at or after 1970, as the single-event schema accepts it."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidField("occurred_at", _("is not an ISO 8601 time")) from None
    if moment.tzinfo is None:
        raise InvalidField("occurred_at", _("needs its offset, e.g. +08:00"))
    try:
        moment = as_utc(moment)
    except OverflowError:
        raise InvalidField("occurred_at", _("is not an ISO 8601 time")) from None
    if moment < EARLIEST:
        raise InvalidField("occurred_at", _("must be after 1970"))
    return moment


def parse_event_fields(fields: dict, *, today: date | None = None) -> EventFields:
    """Check the fields of one event as sent in a file, with the limits of the single-event schema."""
    id_number = _text(fields, "id_number", 30)
    try:
        id_number = validate_id_number(id_number, today=today)
    except InvalidIdNumber as exc:
        raise InvalidField("id_number", _("not a valid ID number: %(problem)s", problem=str(exc))) from None
    rubric_code = _text(fields, "rubric_code", RUBRIC_CODE_MAX)
    occurred_at = parse_occurred_at(_text(fields, "occurred_at", 64))
    source = _text(fields, "source", 64)
    if not _SOURCE.match(source):
        raise InvalidField("source", _("must be lower-case letters, digits and '-' (2–64)"))
    source_ref = _text(fields, "source_ref", SOURCE_REF_MAX)
    note = _text(fields, "note", NOTE_MAX, required=False)
    return EventFields(id_number, rubric_code, occurred_at, source, source_ref, note)


def is_future(occurred_at: datetime, now: datetime) -> bool:
    return occurred_at > now + FUTURE_TOLERANCE


# --- refusals, in the order they are checked ------------------------------------------------------------
#
# 1. the sender's source (reserved ones refused; departments: their own), 2. the resident exists, 3. a
# known (source, source_ref) is a repeat (same content) or a conflict, 4. the item exists, 5. is not
# retired, 6. is city-wide or of the resident's town, 7. occurred_at is not in the future, 8. the resident
# is active. A repeat therefore still answers after its item was retired or its resident moved.


class SourceNotAllowed(Forbidden):
    reason = "source_not_allowed"
    message = _("A department sends events under its own source only.")


# Sources beginning with this belong to the report feature alone (SPEC §5): nobody sends events under
# them, so a reporter's bonus or a report's penalty can never be forged or collided with.
RESERVED_SOURCE_PREFIX = "report"


def is_reserved(source: str) -> bool:
    return source.startswith(RESERVED_SOURCE_PREFIX)


class SourceReserved(InvalidInput):
    reason = "source_reserved"

    def __init__(self, message=None, **kwargs):
        super().__init__(message or _("sources beginning with 'report' are reserved for reports"),
                         field="source", **kwargs)


class ResidentNotFound(NotFound):
    reason = "resident_not_found"
    message = _("No resident has this ID number.")


class SourceRefConflict(Conflict):
    reason = "source_ref_conflict"
    message = _("This source_ref was already used for a different event.")


class RubricItemRetired(InvalidInput):
    reason = "rubric_item_retired"

    def __init__(self):
        super().__init__(_("this rubric item is retired"), field="rubric_code")


class RubricItemOfOtherTown(InvalidInput):
    reason = "rubric_item_other_town"

    def __init__(self):
        super().__init__(_("this local item belongs to another town"), field="rubric_code")


class OccurredInFuture(InvalidInput):
    def __init__(self):
        super().__init__(_("must not be in the future"), field="occurred_at")


class ResidentNotActiveForEvents(ResidentNotActive):
    message = _("Only active residents receive new events.")


# Outcome words of the bulk import, each with the refusal the single path raises for the same case.
REFUSALS = {
    "source_reserved": SourceReserved,
    "source_not_allowed": SourceNotAllowed,
    "resident_not_found": ResidentNotFound,
    "source_ref_conflict": SourceRefConflict,
    "rubric_item_not_found": RubricItemNotFound,
    "rubric_item_retired": RubricItemRetired,
    "rubric_item_other_town": RubricItemOfOtherTown,
    "occurred_in_future": OccurredInFuture,
    "resident_not_active": ResidentNotActiveForEvents,
}


def refusal(item, resident: Resident, occurred_at: datetime, now: datetime):
    """Checks 5 to 8 for one event: the refusal to raise, or None."""
    if not item.active:
        return RubricItemRetired()
    if item.town_id is not None and item.town_id != resident.town_id:
        return RubricItemOfOtherTown()
    if is_future(occurred_at, now):
        return OccurredInFuture()
    if resident.status != "active":
        return ResidentNotActiveForEvents()
    return None


# --- the same content -----------------------------------------------------------------------------------


def fingerprint(resident_id: int, rubric_code: str, occurred_at: datetime, note: str | None) -> tuple:
    """What makes two sendings of one (source, source_ref) the same event: the resident, the item, the
    instant it occurred (whatever offset it was written in) and the note (none and empty alike)."""
    return (resident_id, rubric_code, as_utc(occurred_at), note or "")


def same_fingerprint(event, resident_id, rubric_code, occurred_at, note_hash):
    """``fingerprint`` equality as SQL: ``event`` has the ledger's columns, the rest are expressions. Notes
    are sealed, so they are compared by their keyed hashes (none for no note and an empty one alike)."""
    return and_(event.resident_id == resident_id, event.rubric_code == rubric_code,
                event.occurred_at == occurred_at,
                func.coalesce(event.note_hash, "") == func.coalesce(note_hash, ""))


# --- what an event copies from its item -----------------------------------------------------------------

# Granted events keep these as they were at grant time, whatever later becomes of the item.
COPIED_FROM_ITEM = ("category", "title", "kind", "severity", "caps_stars_at", "repairable",
                    "min_disclosure_days", "max_disclosure_days")


def effective_until(occurred_at: datetime, validity_days: int) -> datetime:
    return occurred_at + timedelta(days=validity_days)


# --- the annual cap -------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _year(year: int) -> tuple[datetime, datetime]:
    return (as_utc(datetime(year, 1, 1, tzinfo=SHANGHAI)), as_utc(datetime(year + 1, 1, 1, tzinfo=SHANGHAI)))


def year_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """The calendar year (China time) of ``moment``, as UTC instants [start, end)."""
    return _year(as_utc(moment).astimezone(SHANGHAI).year)


def gained_in_year(resident_id, rubric_item_id, year_start, year_end):
    """What the ledger already gave a resident from an item in one calendar year (voided events aside)."""
    events = CreditEvent.__table__
    return (select(func.coalesce(func.sum(events.c.points), 0))
            .where(events.c.resident_id == resident_id, events.c.rubric_item_id == rubric_item_id,
                   events.c.status != "voided", events.c.occurred_at >= year_start,
                   events.c.occurred_at < year_end)
            .scalar_subquery())


def capped_points(points, annual_cap, gained):
    """An item's points reduced by its annual cap after ``gained`` (penalties have no cap): SQL."""
    room = annual_cap - gained
    return case((annual_cap.is_(None) | (points < 0), points),
                (room >= points, points),
                (room <= 0, literal(0)),
                else_=room)


# --- accounts -------------------------------------------------------------------------------------------


def open_accounts(resident_ids, now: datetime) -> None:
    """Create the missing accounts of ``resident_ids`` (a list or a select; None: every resident) at the
    base (SPEC §3: every resident has an account)."""
    from backend.data import bulk

    base = settings.get("credit.base_points")
    # The WHERE clause also keeps SQLite from reading ON CONFLICT as the ON of a join.
    missing = ~select(CreditAccount.resident_id).where(CreditAccount.resident_id == Resident.id).exists()
    rows = select(Resident.id, literal(base), literal(stars_for(base, None)), literal(now, UTCDateTime())).where(
        missing, true() if resident_ids is None else Resident.id.in_(resident_ids))
    table = CreditAccount.__table__
    db.session.execute(bulk.insert_skipping_duplicates(table).from_select(
        ["resident_id", "points", "stars", "updated_at"], rows))


def lock_accounts(resident_ids) -> None:
    """Lock accounts for this transaction, in resident order so that writers never deadlock."""
    table = CreditAccount.__table__
    locked = (select(table.c.resident_id).where(table.c.resident_id.in_(resident_ids))
              .order_by(table.c.resident_id).with_for_update())
    db.session.execute(select(func.count()).select_from(locked.subquery()))


def recompute_accounts(resident_ids, now: datetime) -> int:
    """Set accounts from the ledger in one statement: points (base + counting events), the ceiling of
    direct grading and the item that sets it, stars, and the next expiry. Lock them first."""
    db.session.flush()
    accounts, events = CreditAccount.__table__, CreditEvent.__table__
    owner = accounts.alias("owner")
    counting = and_(events.c.status.in_(COUNTING_STATUSES), events.c.effective_until > now)
    totals = (select(owner.c.resident_id, func.coalesce(func.sum(events.c.points), 0).label("total"),
                     func.min(events.c.caps_stars_at).label("ceiling"),
                     func.min(events.c.effective_until).label("next_expiry"))
              .select_from(owner.outerjoin(events, and_(events.c.resident_id == owner.c.resident_id, counting)))
              .where(owner.c.resident_id.in_(resident_ids))
              .group_by(owner.c.resident_id)
              .subquery("totals"))
    # Of several ceilings at the same level, the one that holds longest is named.
    ceiling_item = (select(events.c.rubric_code)
                    .where(events.c.resident_id == accounts.c.resident_id, counting,
                           events.c.caps_stars_at == totals.c.ceiling)
                    .order_by(events.c.effective_until.desc(), events.c.rubric_code)
                    .limit(1).correlate(accounts, totals).scalar_subquery())
    points = settings.get("credit.base_points") + totals.c.total
    statement = (update(accounts).where(accounts.c.resident_id == totals.c.resident_id)
                 .values(points=points, ceiling_stars=totals.c.ceiling,
                         capped_by=case((totals.c.ceiling.is_not(None), ceiling_item), else_=None),
                         stars=stars_expression(points, totals.c.ceiling, current_levels()),
                         next_expiry_at=totals.c.next_expiry, updated_at=now))
    return db.session.execute(statement).rowcount
