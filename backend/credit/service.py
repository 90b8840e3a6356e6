"""The ledger (SPEC §3): granting events, moving their status, and the account each resident reads.

Score = base + the points of counting events (status active or disputed, not yet expired). Every write
locks the resident's account row first, so concurrent writers to one resident queue up and each sees
the others' events when it recomputes; the account changes in the same transaction as the event.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, insert, select
from sqlalchemy.exc import IntegrityError

from backend.audit import service as audit
from backend.credit import ledger
from backend.credit.ledger import ResidentNotFound, SourceRefConflict
from backend.credit.levels import current_levels, level_name, stars_for
from backend.credit.models import COUNTING_STATUSES, CreditAccount, CreditEvent, EventStatusChange, RubricItem
from backend.credit.rubric import get_item
from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from backend.i18n import _
from backend.notices import layouts
from backend.query_records import service as query_records
from backend.residents import service as residents
from backend.web.access import ADMIN, DEPARTMENT, Principal
from backend.web.errors import Conflict, InvalidInput, NotFound

# Allowed status moves and the name of each (SPEC §3).
MOVES = {
    ("active", "disputed"): "dispute",
    ("disputed", "active"): "objection_rejected",
    ("disputed", "voided"): "objection_upheld",
    ("active", "repaired"): "repair",
    ("disputed", "repaired"): "repair",
}
# Only as the consequence of another decision (``void_as_consequence``): a reporter's bonus when the
# report's penalty is voided.
CONSEQUENCE_MOVES = {("active", "voided"): "consequence"}

# Functions(event, actor) run in the same transaction whenever an event is voided (registered by the
# features whose records follow an event, such as a report's reward following its penalty).
_on_voided: list = []


def on_voided(function):
    """Register ``function(event, actor)`` to run, in the voiding transaction, after an event is voided."""
    _on_voided.append(function)
    return function


class EventNotFound(NotFound):
    reason = "event_not_found"
    message = _("No such credit event.")


class StatusMoveNotAllowed(Conflict):
    reason = "status_move_not_allowed"


@dataclass(frozen=True)
class Grant:
    event: CreditEvent
    created: bool


# --- accounts -------------------------------------------------------------------------------------------


def lock_account(resident_id: int) -> CreditAccount:
    """The resident's account row, locked for this transaction (created at the base when missing)."""
    ledger.open_accounts([resident_id], utcnow())
    return db.session.scalar(select(CreditAccount).where(CreditAccount.resident_id == resident_id)
                             .with_for_update().execution_options(populate_existing=True))


def _recompute(account: CreditAccount, now: datetime) -> CreditAccount:
    """Set the locked account from the ledger: points, ceiling, stars and the next expiry."""
    ledger.recompute_accounts([account.resident_id], now)
    db.session.refresh(account)
    return account


def recompute_account(resident_id: int) -> CreditAccount:
    """Lock and recompute one account; the caller commits."""
    return _recompute(lock_account(resident_id), utcnow())


def get_account(resident_id: int) -> CreditAccount:
    """The resident's account: one row read, recomputed first only when an event has since expired."""
    account = db.session.get(CreditAccount, resident_id)
    if account is None or (account.next_expiry_at is not None and account.next_expiry_at <= utcnow()):
        account = recompute_account(resident_id)
        db.session.commit()
    return account


def refresh_due_accounts(batch: int = 10000) -> int:
    """Recompute every account whose next expiry has passed (nightly, ``flask credit refresh``), a batch
    at a time, each batch in one statement."""
    count = 0
    while True:
        now = utcnow()
        due = db.session.scalars(select(CreditAccount.resident_id).where(CreditAccount.next_expiry_at <= now)
                                 .order_by(CreditAccount.resident_id).limit(batch)).all()
        if not due:
            return count
        ledger.lock_accounts(due)
        ledger.recompute_accounts(due, now)
        db.session.commit()
        count += len(due)


def describe_account(account: CreditAccount) -> dict:
    """What the resident sees of their score (SPEC §3). A ceiling is named only while it holds the stars
    down; then no next level is in reach."""
    levels = current_levels()
    earned = stars_for(account.points, None, levels)
    held = account.ceiling_stars is not None and earned >= account.ceiling_stars
    next_level = None
    if account.stars < 5 and not held:
        target = next(level for level in levels if level.stars == account.stars + 1)
        next_level = {"stars": target.stars, "points_needed": max(0, target.min_points - account.points)}
    return {"points": account.points, "stars": account.stars, "level_name": level_name(account.stars, levels),
            "capped_by": account.capped_by if held else None, "next_level": next_level,
            "updated_at": account.updated_at}


# --- granting events ------------------------------------------------------------------------------------


def check_source(actor: Principal | None, source: str, *, reserved: bool = False) -> None:
    """Departments send under their own source only; admins (and the system) under any but the reserved
    ones (``report…``), which only the report feature uses, saying so with ``reserved``."""
    if ledger.is_reserved(source) != reserved:
        raise ledger.SourceReserved()
    if reserved or source_allowed(actor, source):
        return
    raise ledger.SourceNotAllowed()


def source_allowed(actor: Principal | None, source: str) -> bool:
    if actor is None or ADMIN in actor.roles:
        return True
    return DEPARTMENT in actor.roles and actor.source == source


def _by_reference(source: str, source_ref: str) -> CreditEvent | None:
    return db.session.scalar(select(CreditEvent).where(CreditEvent.source == source,
                                                       CreditEvent.source_ref == source_ref))


def _repeat(existing: CreditEvent, resident_id: int, rubric_code: str, occurred_at: datetime,
            note: str | None) -> Grant:
    """The answer to a (source, source_ref) sent again: the recorded event, or a conflict."""
    if (ledger.fingerprint(existing.resident_id, existing.rubric_code, existing.occurred_at, existing.note)
            == ledger.fingerprint(resident_id, rubric_code, occurred_at, note)):
        return Grant(existing, False)
    raise SourceRefConflict()


def capped_points(item: RubricItem, resident_id: int, occurred_at: datetime) -> int:
    """The item's points, reduced by what the resident already gained from it that calendar year."""
    start, end = ledger.year_bounds(occurred_at)
    items = RubricItem.__table__
    return db.session.scalar(select(ledger.capped_points(
        items.c.points, items.c.annual_cap, ledger.gained_in_year(resident_id, items.c.id, start, end)))
        .where(items.c.id == item.id))


def grant_event(actor: Principal | None, *, id_number: str, rubric_code: str, occurred_at: datetime,
                source: str, source_ref: str, note: str | None = None, commit: bool = True,
                reserved: bool = False) -> Grant:
    """Apply a rubric item to a resident (SPEC §3); idempotent by (source, source_ref). The refusals come
    in the order ``backend.credit.ledger`` gives. ``reserved`` is the report feature granting under its
    own sources (a report's penalty, a reporter's bonus)."""
    check_source(actor, source, reserved=reserved)
    resident = residents.find_by_id_number(id_number)
    if resident is None:
        raise ResidentNotFound()
    existing = _by_reference(source, source_ref)
    if existing is not None:
        return _repeat(existing, resident.id, rubric_code, occurred_at, note)
    item = get_item(rubric_code)
    now = utcnow()
    refused = ledger.refusal(item, resident, occurred_at, now)
    if refused is not None:
        raise refused

    account = lock_account(resident.id)
    event = CreditEvent(
        resident_id=resident.id, rubric_item_id=item.id, rubric_code=item.code,
        **{name: getattr(item, name) for name in ledger.COPIED_FROM_ITEM},
        points=capped_points(item, resident.id, occurred_at), occurred_at=occurred_at,
        effective_until=ledger.effective_until(occurred_at, item.validity_days), source=source,
        source_ref=source_ref, note=note, status="active", created_at=now,
        created_by_kind=actor.kind if actor else "system", created_by_id=actor.id if actor else None)
    try:
        with db.session.begin_nested():
            db.session.add(event)
    except IntegrityError:
        # The same (source, source_ref) landed concurrently: answer as if it had been there first.
        existing = _by_reference(source, source_ref)
        if existing is None:
            raise SourceRefConflict() from None
        return _repeat(existing, resident.id, rubric_code, occurred_at, note)
    _recompute(account, now)
    audit.record(actor, "credit_event.create", "credit_event", event.id,
                 after={"resident_id": resident.id, "rubric_code": item.code, "points": event.points,
                        "source": source, "source_ref": source_ref})
    if commit:
        db.session.commit()
        if event.kind == "penalty":
            _notify_penalty(event)
    return Grant(event, True)


def notify_penalty(event: CreditEvent) -> None:
    """Tell the resident of a penalty recorded by an action that committed it (SPEC §3); best effort."""
    _notify_penalty(event)


def _notify_penalty(event: CreditEvent) -> None:
    from backend.notices import service as notices

    notices.notify_resident(event.resident_id, "penalty_recorded", penalty_notice(event),
                            page=PENALTY_PAGE, object_type="credit_event", object_id=event.id)


PENALTY_PAGE = "pages/credit/events"


PENALTY_NOTICE_HINT = "如有异议，可在小程序内提出"


def penalty_notice(event) -> dict:
    """The data of a penalty notice (SPEC §3: the resident is told, so they can object in time): what,
    how many points, when, and that they may object."""
    return layouts.build("penalty_recorded", thing1=event.title, number2=event.points, time3=event.occurred_at,
                          thing4=PENALTY_NOTICE_HINT)


# --- status moves ---------------------------------------------------------------------------------------


def get_event(event_id: int) -> CreditEvent:
    event = db.session.get(CreditEvent, event_id)
    if event is None:
        raise EventNotFound()
    return event


def move_status(event_id: int, to_status: str, actor: Principal | None, reason: str, *,
                as_consequence: bool = False) -> CreditEvent:
    """Move an event's status (SPEC §3) and recompute the account in the same transaction; the caller
    commits. Used by objections and repairs."""
    event = get_event(event_id)
    account = lock_account(event.resident_id)
    db.session.refresh(event)
    move = (event.status, to_status)
    if move not in MOVES and not (as_consequence and move in CONSEQUENCE_MOVES):
        raise StatusMoveNotAllowed(_("An event cannot move from %(from_status)s to %(to_status)s.",
                                     from_status=event.status, to_status=to_status))
    if not reason or not reason.strip():
        raise InvalidInput(_("say why the status moves"), field="reason")
    db.session.execute(insert(EventStatusChange).values(
        event_id=event.id, from_status=event.status, to_status=to_status, at=utcnow(),
        actor_kind=actor.kind if actor else "system", actor_id=actor.id if actor else None, reason=reason))
    event.status = to_status
    _recompute(account, utcnow())
    if to_status == "voided":
        for listener in _on_voided:
            listener(event, actor)
    return event


def dispute(event_id, actor, reason):
    return move_status(event_id, "disputed", actor, reason)


def reject_objection(event_id, actor, reason):
    return move_status(event_id, "active", actor, reason)


def uphold_objection(event_id, actor, reason):
    return move_status(event_id, "voided", actor, reason)


def repair(event_id, actor, reason):
    return move_status(event_id, "repaired", actor, reason)


def void_as_consequence(event_id, actor, reason):
    """Void an event because a decision about another one took its ground away (SPEC §3)."""
    event = get_event(event_id)
    if event.status == "voided":
        return event
    return move_status(event_id, "voided", actor, reason, as_consequence=True)


# --- reading --------------------------------------------------------------------------------------------


def shown_status(event: CreditEvent, now: datetime | None = None) -> str:
    """The status a reader sees: a counting event past its validity shows as ``expired``."""
    if event.status in COUNTING_STATUSES and event.effective_until <= (now or utcnow()):
        return "expired"
    return event.status


def events_of(resident_id: int, *, kind: str | None = None, status: str | None = None,
              source: str | None = None):
    """A resident's events, newest first, filtered by kind and shown status: a select to paginate."""
    statement = (select(CreditEvent).where(CreditEvent.resident_id == resident_id)
                 .order_by(CreditEvent.occurred_at.desc(), CreditEvent.id.desc()))
    if kind:
        statement = statement.where(CreditEvent.kind == kind)
    if source:
        statement = statement.where(CreditEvent.source == source)
    now = utcnow()
    if status == "expired":
        statement = statement.where(CreditEvent.status.in_(COUNTING_STATUSES), CreditEvent.effective_until <= now)
    elif status in COUNTING_STATUSES:
        statement = statement.where(CreditEvent.status == status, CreditEvent.effective_until > now)
    elif status:
        statement = statement.where(CreditEvent.status == status)
    return statement


def read_events_for_staff(actor: Principal, id_number: str, page: Callable[[Select], list], *,
                          kind: str | None = None, status: str | None = None) -> list[CreditEvent]:
    """A page of a resident's events found by ID number, as a staff reader sees them: a department
    only what it sent itself. The read is a query record (SPEC §2), committed with it."""
    resident = residents.find_by_id_number(id_number)
    if resident is None:
        raise ResidentNotFound()
    own_source = actor.source if DEPARTMENT in actor.roles else None
    events = page(events_of(resident.id, kind=kind, status=status, source=own_source))
    query_records.record(resident.id, actor, purpose="credit event look-up", scope="events")
    db.session.commit()
    return events
