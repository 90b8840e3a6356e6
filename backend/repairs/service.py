"""Credit repair (信用修复) and objections (异议), SPEC §6: who may apply for what and when, the office's
queues with their deadlines, and decisions that are final.

Filing locks the applicant's account row first, so a repair and an objection of one resident never pass
their checks side by side; deciding locks the case row (``backend.review.decisions``), so of any number of
simultaneous decisions one applies and the others answer it. Approval or upholding moves the event and
recomputes the account in the decision's own transaction (``backend.credit.service.move_status``).
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, func, not_, select
from sqlalchemy.exc import IntegrityError

from backend.audit import service as audit
from backend.credit import disclosure
from backend.credit import service as credit
from backend.credit.models import COUNTING_STATUSES, CreditEvent
from backend.data.extensions import db
from backend.dates.timeutil import as_utc, utcnow
from backend.i18n import _
from backend.monitoring.sources import Period, ReviewCounts, register_review_source
from backend.notices import layouts
from backend.notices import service as notices
from backend.privacy.sealing import open_sealed, seal
from backend.query_records import service as query_records
from backend.repairs import letters
from backend.repairs.models import (
    OBJECTION_DECISIONS,
    REPAIR_DECISIONS,
    CaseStep,
    Objection,
    RepairApplication,
)
from backend.residents import service as residents
from backend.residents.models import Resident
from backend.review import assignment, deadlines, decisions
from backend.settings import service as settings
from backend.uploads import service as uploads
from backend.web.access import Principal
from backend.web.errors import Conflict, InvalidInput, NotFound

ATTACHED_TO_REPAIR, ATTACHED_TO_OBJECTION = "repair", "objection"
REPAIR_PAGE, OBJECTION_PAGE = "pages/credit/repairs", "pages/credit/objections"
REVIEW_PURPOSE = {"repair": "信用修复审核", "objection": "异议审核"}
DECISION_WORDS = {"approved": "修复通过", "rejected": "未通过", "upheld": "异议成立"}
OBJECTION_WORDS = {"upheld": "异议成立", "rejected": "异议不成立"}


# --- refusals (SPEC §6 names each one) ------------------------------------------------------------------


class EventNotRepairable(InvalidInput):
    reason = "not_repairable"
    message = _("Only a repairable penalty that still counts or is still disclosed can be repaired.")


class RepairNotYetAllowed(InvalidInput):
    reason = "repair_too_early"
    message = _("Repair opens once the minimum disclosure period has passed.")

    def __init__(self, opens_on: date):
        super().__init__(_("Repair opens once the minimum disclosure period has passed: apply on or after "
                           "%(opens_on)s.", opens_on=opens_on.isoformat()), opens_on=opens_on.isoformat())


class RepairPending(Conflict):
    reason = "repair_pending"
    message = _("A repair application of this event is already waiting for its decision.")


class ObjectionPending(Conflict):
    reason = "objection_pending"
    message = _("An objection to this event is waiting for its decision; repair can be asked for afterwards.")


class CommitmentVersionOutdated(InvalidInput):
    reason = "commitment_version_outdated"

    def __init__(self, current_version: int):
        super().__init__(_("accept the current commitment letter (version %(version)s)", version=current_version),
                         field="commitment_version", current_version=current_version)


class AlreadyObjected(Conflict):
    reason = "already_objected"
    message = _("This event was already objected to; each event takes one objection.")


class EventNotObjectionable(InvalidInput):
    reason = "event_not_objectionable"
    message = _("Only an active event that still counts or is still disclosed can be objected to.")


class RepairNotFound(NotFound):
    reason = "repair_not_found"
    message = _("No such repair application.")


class ObjectionNotFound(NotFound):
    reason = "objection_not_found"
    message = _("No such objection.")


# --- the event and its terms ----------------------------------------------------------------------------


def counts(event: CreditEvent, now: datetime) -> bool:
    return event.status in COUNTING_STATUSES and as_utc(event.effective_until) > now


def still_stands(event: CreditEvent, now: datetime) -> bool:
    """Still counting or still disclosed: what both a repair and an objection need (SPEC §6)."""
    return counts(event, now) or disclosure.is_disclosed(event, now)


def latest_repair_statuses(event_ids) -> dict[int, str]:
    """The status of each event's latest repair application (events without one left out)."""
    ids = list(event_ids)
    if not ids:
        return {}
    latest = (select(func.max(RepairApplication.id)).where(RepairApplication.event_id.in_(ids))
              .group_by(RepairApplication.event_id))
    return dict(db.session.execute(select(RepairApplication.event_id, RepairApplication.status)
                                   .where(RepairApplication.id.in_(latest))).all())


credit.register_repair_statuses(latest_repair_statuses)


# --- repairs: the resident ------------------------------------------------------------------------------


def _pending_repair(event_id: int) -> RepairApplication | None:
    return db.session.scalar(select(RepairApplication).where(RepairApplication.event_id == event_id,
                                                             RepairApplication.status == "pending"))


def _pending_objection(event_id: int) -> Objection | None:
    return db.session.scalar(select(Objection).where(Objection.event_id == event_id, Objection.status == "pending"))


def _step(kind: str, case_id: int, step: str, *, at: datetime, staff_id: int | None = None,
          detail: str | None = None) -> None:
    db.session.add(CaseStep(case_kind=kind, case_id=case_id, step=step, at=at, staff_id=staff_id, detail=detail))


def apply_for_repair(principal: Principal, resident: Resident, *, event_id: int, statement: str,
                     commitment_version: int, evidence: list[str]) -> RepairApplication:
    """File a repair application (SPEC §6), the refusals in the order the spec lists them; commits."""
    event = credit.own_event(resident.id, event_id)
    now = utcnow()
    if not credit.is_repairable(event) or not still_stands(event, now):
        raise EventNotRepairable()
    opens_on = disclosure.repair_opens_on(event)
    if deadlines.local_date(now) < opens_on:
        raise RepairNotYetAllowed(opens_on)
    credit.lock_account(resident.id)
    if _pending_repair(event.id) is not None:
        raise RepairPending()
    if _pending_objection(event.id) is not None:
        raise ObjectionPending()
    current_version = letters.current().version
    if commitment_version != current_version:
        raise CommitmentVersionOutdated(current_version)
    owner = uploads.owner_of(principal)
    uploads.check_attachable(owner, evidence)
    application = RepairApplication(
        event_id=event.id, resident_id=resident.id, statement_sealed=seal("repair.statement", statement),
        commitment_version=commitment_version, status="pending", filed_at=now,
        due_on=deadlines.due_in_working_days(now, settings.get("repairs.decide_working_days")))
    try:
        with db.session.begin_nested():
            db.session.add(application)
    except IntegrityError:
        # A parallel filing of the same event won the unique index of pending applications.
        db.session.rollback()
        raise RepairPending() from None
    uploads.attach(owner, evidence, ATTACHED_TO_REPAIR, application.id)
    _step("repair", application.id, "filed", at=now)
    db.session.commit()
    return application


def my_repairs(resident: Resident):
    """The resident's repair applications, newest first: a select to paginate."""
    return (select(RepairApplication).where(RepairApplication.resident_id == resident.id)
            .order_by(RepairApplication.id.desc()))


def own_repair(resident: Resident, repair_id: int) -> RepairApplication:
    application = db.session.get(RepairApplication, repair_id)
    if application is None or application.resident_id != resident.id:
        raise RepairNotFound()
    return application


# --- objections: the resident ---------------------------------------------------------------------------


def object_to(principal: Principal, resident: Resident, *, event_id: int, reason: str,
              evidence: list[str]) -> Objection:
    """File an objection (SPEC §6): the event becomes ``disputed`` (still counting, shown as under
    objection) in the same transaction; commits."""
    event = credit.own_event(resident.id, event_id)
    now = utcnow()
    credit.lock_account(resident.id)
    if db.session.scalar(select(Objection.id).where(Objection.event_id == event.id)) is not None:
        raise AlreadyObjected()
    if _pending_repair(event.id) is not None:
        raise RepairPending()
    db.session.refresh(event)
    if event.status != "active" or not still_stands(event, now):
        raise EventNotObjectionable()
    owner = uploads.owner_of(principal)
    uploads.check_attachable(owner, evidence)
    objection = Objection(event_id=event.id, resident_id=resident.id, reason_sealed=seal("objection.reason", reason),
                          status="pending", filed_at=now,
                          due_on=deadlines.due_in_days(now, settings.get("objections.decide_days")))
    try:
        with db.session.begin_nested():
            db.session.add(objection)
    except IntegrityError:
        db.session.rollback()
        raise AlreadyObjected() from None
    uploads.attach(owner, evidence, ATTACHED_TO_OBJECTION, objection.id)
    credit.dispute(event.id, principal, f"objection {objection.id} filed")
    _step("objection", objection.id, "filed", at=now)
    db.session.commit()
    return objection


def my_objections(resident: Resident):
    return select(Objection).where(Objection.resident_id == resident.id).order_by(Objection.id.desc())


def own_objection(resident: Resident, objection_id: int) -> Objection:
    objection = db.session.get(Objection, objection_id)
    if objection is None or objection.resident_id != resident.id:
        raise ObjectionNotFound()
    return objection


# --- what each side sees --------------------------------------------------------------------------------


def event_line(event: CreditEvent) -> dict:
    return {"id": event.id, "rubric_code": event.rubric_code, "title": event.title, "category": event.category,
            "kind": event.kind, "severity": event.severity, "points": event.points, "occurred_at": event.occurred_at,
            "effective_until": event.effective_until, "status": credit.shown_status(event), "source": event.source}


def _history(case) -> list[dict]:
    return [{"step": s.step, "at": s.at, "detail": s.detail} for s in case.steps]


def _decision_view(case) -> dict | None:
    if case.decided_at is None:
        return None
    return {"decision": case.decision, "note": open_sealed(f"{_kind(case)}.decision_note", case.note_sealed),
            "decided_at": case.decided_at}


def _kind(case) -> str:
    return "repair" if isinstance(case, RepairApplication) else "objection"


def repair_view(application: RepairApplication) -> dict:
    """A repair application as its applicant sees it: the event, the statement, the evidence, the history
    and the written reason of the decision."""
    return {"id": application.id, "event": event_line(db.session.get(CreditEvent, application.event_id)),
            "status": application.status, "statement": open_sealed("repair.statement", application.statement_sealed),
            "commitment_version": application.commitment_version, "filed_at": application.filed_at,
            "due_on": application.due_on, "evidence": uploads.attachments(ATTACHED_TO_REPAIR, application.id),
            "history": _history(application), "decision": _decision_view(application)}


def objection_view(objection: Objection) -> dict:
    return {"id": objection.id, "event": event_line(db.session.get(CreditEvent, objection.event_id)),
            "status": objection.status, "reason": open_sealed("objection.reason", objection.reason_sealed),
            "filed_at": objection.filed_at, "due_on": objection.due_on,
            "evidence": uploads.attachments(ATTACHED_TO_OBJECTION, objection.id),
            "history": _history(objection), "decision": _decision_view(objection)}


# --- the office: queues ---------------------------------------------------------------------------------

MODELS = {"repair": RepairApplication, "objection": Objection}


def queue(kind: str, *, status: str | None = None, overdue: bool | None = None, assignee: int | None = None):
    """A review queue, pending first and oldest deadline first: a select to paginate."""
    model = MODELS[kind]
    statement = select(model).order_by(model.status != "pending", model.due_on, model.id)
    if status:
        statement = statement.where(model.status == status)
    if assignee is not None:
        statement = statement.where(model.assignee_id == assignee)
    if overdue is not None:
        late = deadlines.overdue((model.due_on, model.status == "pending"))
        statement = statement.where(late if overdue else ~late)
    return statement


def get_case(kind: str, case_id: int):
    case = db.session.get(MODELS[kind], case_id)
    if case is None:
        raise RepairNotFound() if kind == "repair" else ObjectionNotFound()
    return case


def summary(case) -> dict:
    """A queue line: the deadline, whether it is late, and the resident masked."""
    resident = db.session.get(Resident, case.resident_id)
    return {"id": case.id, "status": case.status, "event_id": case.event_id, "filed_at": case.filed_at,
            "due_on": case.due_on, "overdue": deadlines.is_overdue(case.due_on, case.status != "pending"),
            "assignee_id": case.assignee_id, "resident": residents.masked(resident)}


def detail(actor: Principal, case) -> dict:
    """The whole case for the office. Reading the resident's event is a query record (SPEC §2)."""
    kind = _kind(case)
    query_records.record(case.resident_id, actor, purpose=REVIEW_PURPOSE[kind], scope="event")
    db.session.commit()
    view = repair_view(case) if kind == "repair" else objection_view(case)
    return {**summary(case), **view, "decided_by": case.decided_by,
            "history": [{"step": s.step, "at": s.at, "staff_id": s.staff_id, "detail": s.detail} for s in case.steps]}


def assign(actor: Principal, kind: str, case_id: int, reviewer_id: int):
    """Give the case to an active reviewer or admin (recorded); commits."""
    case = decisions.lock(MODELS[kind], case_id)
    if case is None:
        raise RepairNotFound() if kind == "repair" else ObjectionNotFound()
    staff = assignment.reviewer(reviewer_id)
    before = case.assignee_id
    case.assignee_id = staff.id
    _step(kind, case.id, "assigned", at=utcnow(), staff_id=actor.id, detail=str(staff.id))
    audit.record(actor, f"{kind}.assign", kind, case.id, before={"assignee_id": before},
                 after={"assignee_id": staff.id})
    db.session.commit()
    return case


def attachment(kind: str, case, upload_id: str):
    return uploads.find_attachment(upload_id, ATTACHED_TO_REPAIR if kind == "repair" else ATTACHED_TO_OBJECTION,
                                   [case.id])


# --- the office: decisions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decided:
    case: object
    created: bool


def decide_repair(actor: Principal, repair_id: int, *, decision: str, note: str) -> Decided:
    """Approve or reject a repair, finally. Approval moves the event to ``repaired`` (it stops counting and
    leaves every public answer and bank's view) and recomputes the account, in this one transaction."""
    return _decide(actor, "repair", repair_id, decision, note)


def decide_objection(actor: Principal, objection_id: int, *, decision: str, note: str) -> Decided:
    """Uphold or reject an objection, finally: upheld voids the event (and what followed from it, such as
    a reporter's bonus and unpaid reward), rejected returns it to ``active``; one transaction."""
    return _decide(actor, "objection", objection_id, decision, note)


def _decide(actor: Principal, kind: str, case_id: int, decision: str, note: str) -> Decided:
    fields = {"decision": decision, "note": note}
    case = decisions.lock(MODELS[kind], case_id)
    if case is None:
        raise RepairNotFound() if kind == "repair" else ObjectionNotFound()
    if decisions.repeat_or_conflict(case.fingerprint, kind, fields):
        return Decided(case, False)
    now = utcnow()
    try:
        status = (REPAIR_DECISIONS if kind == "repair" else OBJECTION_DECISIONS)[decision]
        reason = f"{kind} {case.id} {status}"
        if kind == "repair" and status == "approved":
            credit.repair(case.event_id, actor, reason)
        elif kind == "objection":
            (credit.uphold_objection if status == "upheld" else credit.reject_objection)(case.event_id, actor, reason)
        case.status, case.decision, case.decided_at, case.decided_by = status, decision, now, actor.id
        case.note_sealed = seal(f"{kind}.decision_note", note)
        case.fingerprint = decisions.fingerprint(kind, fields)
        _step(kind, case.id, "decided", at=now, staff_id=actor.id, detail=status)
        audit.record(actor, f"{kind}.decide", kind, case.id, before={"status": "pending"},
                     after={"status": status, "event_id": case.event_id})
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    _notify_decision(kind, case, note)
    return Decided(case, True)


def _notify_decision(kind: str, case, note: str) -> None:
    """Tell the resident, after the commit (a failed send never touches the decision): the event, the
    outcome, when, and the start of the written reason (the page the notice opens shows all of it)."""
    event = db.session.get(CreditEvent, case.event_id)
    words = DECISION_WORDS if kind == "repair" else OBJECTION_WORDS
    data = layouts.build(f"{kind}_decided", thing1=event.title, phrase2=words[case.status], time3=case.decided_at,
                         thing4=note)
    page = f"{REPAIR_PAGE if kind == 'repair' else OBJECTION_PAGE}?id={case.id}"
    notices.notify_resident(case.resident_id, f"{kind}_decided", data, page=page, object_type=kind,
                            object_id=case.id)


# --- monitoring -----------------------------------------------------------------------------------------


def _review_counts(model):
    def counts(period: Period) -> dict[int | None, ReviewCounts]:
        """Cases filed and decided within the month and overdue at its end (SPEC §8), by the applicant's
        town, in one aggregate statement. Overdue as it stood at ``period.as_of``: filed by then, not
        decided by then, and due before ``period.on`` (due dates were fixed at filing: 10 working days for
        a repair, 20 calendar days for an objection, by default)."""
        moment = period.as_of
        decided_then = and_(model.decided_at.is_not(None), model.decided_at < moment)
        late = and_(model.filed_at < moment, model.due_on < period.on, not_(decided_then))

        def count(condition):
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        statement = (select(Resident.town_id,
                            count(and_(model.filed_at >= period.start, model.filed_at < period.end)).label("filed"),
                            count(and_(model.decided_at >= period.start, model.decided_at < period.end))
                            .label("decided"),
                            count(late).label("overdue"))
                     .select_from(model).join(Resident, Resident.id == model.resident_id)
                     .where(model.filed_at < period.end).group_by(Resident.town_id))
        return {row.town_id: ReviewCounts(int(row.filed), int(row.decided), int(row.overdue))
                for row in db.session.execute(statement)}

    return counts


repair_counts = _review_counts(RepairApplication)
objection_counts = _review_counts(Objection)
register_review_source("repairs", repair_counts, label=_("credit repairs"))
register_review_source("objections", objection_counts, label=_("objections"))

