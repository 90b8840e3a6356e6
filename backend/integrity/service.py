"""Government integrity (政务诚信, SPEC §7b): government bodies, their commitments and fulfilment rates, their
dishonesty records, and civil servants' integrity files.

Dates are Asia/Shanghai dates. A commitment is **due** once its outcome is recorded or its due day is over:
on its due day a pending commitment is still on time; from the next day it is ``overdue``. Every due
commitment is exactly one of fulfilled on time, fulfilled late, broken or overdue, and the fulfilment rate
is fulfilled on time ÷ due. The counts can be taken as of any past moment (a month's end), rebuilt from
when each commitment was published and when its outcome was recorded.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, func, not_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from backend.audit import service as audit
from backend.credit.ledger import ResidentNotFound
from backend.data.extensions import db
from backend.dates.timeutil import as_local, utcnow
from backend.i18n import _
from backend.integrity.models import (
    CIVIL_SERVANT_DOCUMENT,
    CIVIL_SERVANT_FACTS,
    COMMITMENT_NOTE,
    CivilServantRecord,
    Commitment,
    GovernmentBody,
    GovernmentRecord,
)
from backend.privacy.sealing import seal
from backend.query_records import service as query_records
from backend.residents import service as residents
from backend.residents.models import Resident, Town
from backend.residents.service import ResidentNotActive
from backend.staff.service import SOURCE
from backend.web.access import DEPARTMENT, Principal
from backend.web.errors import Conflict, Forbidden, InvalidInput, NotFound

# What a resident's query records call a read of their integrity file.
CIVIL_SERVANT_SCOPE = "civil_servant_file"


class GovernmentBodyNotFound(NotFound):
    reason = "government_body_not_found"
    message = _("No such government body.")


class GovernmentBodyTaken(Conflict):
    reason = "government_body_taken"
    message = _("A government body with this name, source or town is registered.")


class OwnerNotRegistered(Conflict):
    reason = "owner_not_registered"
    message = _("Your department is not registered as a government body yet; ask the credit office.")


class OwnerNotAllowed(Forbidden):
    reason = "owner_not_allowed"
    message = _("A department publishes and records its own commitments only.")


class CommitmentNotFound(NotFound):
    reason = "commitment_not_found"
    message = _("No such commitment.")


class CommitmentClosed(Conflict):
    reason = "commitment_closed"
    message = _("This commitment's outcome is already recorded; it no longer changes.")


class GovernmentRecordNotFound(NotFound):
    reason = "government_record_not_found"
    message = _("No such government dishonesty record.")


class AlreadyRectified(Conflict):
    reason = "already_rectified"
    message = _("This record's rectification is already recorded.")


class CivilServantRecordNotFound(NotFound):
    reason = "civil_servant_record_not_found"
    message = _("No such civil-servant integrity record.")


def today() -> date:
    """Today in Asia/Shanghai: the day due dates are compared with."""
    return as_local(utcnow()).date()


def _not_in_future(value: date, field: str) -> None:
    if value > today():
        raise InvalidInput(_("must not be in the future"), field=field)


def is_department(actor: Principal) -> bool:
    return DEPARTMENT in actor.roles


# --- government bodies (政务主体) ---------------------------------------------------------------------------


def _town(name: str) -> Town:
    town = db.session.scalar(select(Town).where(Town.name == name))
    if town is None:
        raise InvalidInput(_("no such town in the registry"), field="town")
    return town


def owner_view(body: GovernmentBody) -> dict:
    """What any answer shows of a government body."""
    return {"id": body.id, "kind": body.kind, "name": body.name, "source": body.source,
            "town": body.town.name if body.town else None}


def _body_snapshot(body: GovernmentBody) -> dict:
    return {name: value for name, value in owner_view(body).items() if name != "id"}


def _check_body_free(body: GovernmentBody) -> None:
    """Names, sources and town governments are each registered once."""
    clash = [GovernmentBody.name == body.name]
    if body.source:
        clash.append(GovernmentBody.source == body.source)
    if body.kind == "town":
        clash.append(and_(GovernmentBody.kind == "town", GovernmentBody.town_id == body.town_id))
    statement = select(GovernmentBody.id).where(db.or_(*clash))
    if body.id is not None:
        statement = statement.where(GovernmentBody.id != body.id)
    with db.session.no_autoflush:  # the body itself is not written before it is known to be free
        taken = db.session.scalar(statement.limit(1)) is not None
    if taken:
        db.session.rollback()  # nothing of the refused change stays behind in the session
        raise GovernmentBodyTaken()


def _flush_body(body: GovernmentBody) -> None:
    _check_body_free(body)
    try:
        db.session.flush()
    except IntegrityError as exc:  # registered by someone else at the same moment
        db.session.rollback()
        raise GovernmentBodyTaken() from exc


def register_body(actor: Principal | None, *, kind: str, name: str, source: str | None = None,
                  town: str | None = None) -> GovernmentBody:
    """Register a department (by the source its staff accounts carry) or a town's government."""
    if kind == "department":
        if not source or not SOURCE.match(source):
            raise InvalidInput(_("a department needs its source name (lower-case letters, digits, '-')"),
                               field="source")
    else:
        if source:
            raise InvalidInput(_("only departments have a source"), field="source")
        if not town:
            raise InvalidInput(_("a town government needs its town"), field="town")
    body = GovernmentBody(kind=kind, name=name, source=source, town=_town(town) if town else None)
    db.session.add(body)
    _flush_body(body)
    audit.record(actor, "government_body.register", "government_body", body.id, after=_body_snapshot(body))
    db.session.commit()
    return body


def get_body(body_id: int) -> GovernmentBody:
    body = db.session.get(GovernmentBody, body_id)
    if body is None:
        raise GovernmentBodyNotFound()
    return body


def update_body(actor: Principal, body_id: int, changes: dict) -> GovernmentBody:
    """Rename a body, or move a department to a town (or back to city level); a town government keeps its
    town and a department its source, since both identify it."""
    body = get_body(body_id)
    before = _body_snapshot(body)
    if "town" in changes and body.kind == "town":
        raise InvalidInput(_("a town government's town does not change"), field="town")
    town = _town(changes["town"]) if changes.get("town") else None
    if "name" in changes:
        body.name = changes["name"]
    if "town" in changes:
        body.town = town
    if _body_snapshot(body) == before:
        return body
    body.updated_at = utcnow()
    _flush_body(body)
    audit.record(actor, "government_body.update", "government_body", body.id, before=before,
                 after=_body_snapshot(body))
    db.session.commit()
    return body


def list_bodies(*, kind: str | None = None, town: str | None = None):
    """Government bodies, filtered: a select for the caller to paginate."""
    statement = select(GovernmentBody).options(selectinload(GovernmentBody.town)).order_by(GovernmentBody.id)
    if kind:
        statement = statement.where(GovernmentBody.kind == kind)
    if town:
        statement = statement.join(Town, GovernmentBody.town_id == Town.id).where(Town.name == town)
    return statement


def department_body(source: str | None) -> GovernmentBody | None:
    if not source:
        return None
    return db.session.scalar(select(GovernmentBody).where(GovernmentBody.source == source))


# --- commitments (守信践诺) ----------------------------------------------------------------------------------


def shown_status(commitment: Commitment, on: date | None = None) -> str:
    """``pending``, ``overdue`` (pending and its due day is over), ``fulfilled`` or ``broken``."""
    if commitment.status == "pending" and commitment.due_on < (on or today()):
        return "overdue"
    return commitment.status


def _commitment_snapshot(commitment: Commitment) -> dict:
    return {"owner_id": commitment.owner_id, "kind": commitment.kind, "title": commitment.title,
            "content": commitment.content, "made_on": commitment.made_on.isoformat(),
            "due_on": commitment.due_on.isoformat(),
            "status": commitment.status, "evidence": commitment.evidence,
            "resolved_on": commitment.resolved_on.isoformat() if commitment.resolved_on else None,
            "fulfilled_late": commitment.fulfilled_late}


def _owner_for_writing(actor: Principal, owner_id: int | None) -> GovernmentBody:
    """A department writes for its own body only; an admin names the body."""
    if is_department(actor):
        own = department_body(actor.source)
        if own is None:
            raise OwnerNotRegistered()
        if owner_id is not None and owner_id != own.id:
            raise OwnerNotAllowed()
        return own
    if owner_id is None:
        raise InvalidInput(_("name the government body the commitment belongs to"), field="owner_id")
    owner = db.session.get(GovernmentBody, owner_id)
    if owner is None:
        raise InvalidInput(_("no such government body"), field="owner_id", reason="owner_not_found")
    return owner


def publish_commitment(actor: Principal, *, kind: str, title: str, content: str, made_on: date, due_on: date,
                       owner_id: int | None = None) -> Commitment:
    """Publish a commitment: a department its own, an admin any body's (a town government's)."""
    owner = _owner_for_writing(actor, owner_id)
    _not_in_future(made_on, "made_on")
    if due_on < made_on:
        raise InvalidInput(_("must not be before made_on"), field="due_on")
    now = utcnow()
    commitment = Commitment(owner=owner, kind=kind, title=title, content=content, made_on=made_on, due_on=due_on,
                            status="pending", created_at=now, updated_at=now, created_by_kind=actor.kind,
                            created_by_id=actor.id)
    db.session.add(commitment)
    db.session.flush()
    audit.record(actor, "commitment.publish", "commitment", commitment.id, after=_commitment_snapshot(commitment))
    db.session.commit()
    return commitment


def commitment_for(actor: Principal, commitment_id: int) -> Commitment:
    """One commitment the caller may touch; another body's is 404 to a department, as if it did not exist."""
    commitment = db.session.get(Commitment, commitment_id)
    if commitment is None or (is_department(actor) and (not actor.source or commitment.owner.source != actor.source)):
        raise CommitmentNotFound()
    return commitment


def correct_commitment(actor: Principal, commitment_id: int, changes: dict) -> Commitment:
    """Correct a pending commitment's kind, title or content. Its dates never change: moving a deadline
    would rewrite the fulfilment rate."""
    commitment = commitment_for(actor, commitment_id)
    if commitment.status != "pending":
        raise CommitmentClosed()
    before = _commitment_snapshot(commitment)
    for name in ("kind", "title", "content"):
        if name in changes:
            setattr(commitment, name, changes[name])
    if _commitment_snapshot(commitment) != before:
        commitment.updated_at = utcnow()
        audit.record(actor, "commitment.correct", "commitment", commitment.id, before=before,
                     after=_commitment_snapshot(commitment))
    db.session.commit()
    return commitment


def record_outcome(actor: Principal, commitment_id: int, outcome: str, *, evidence: str,
                   note: str | None = None) -> Commitment:
    """Record that a pending commitment was fulfilled or broken, as of today (Asia/Shanghai): fulfilled
    after its due day it is ``fulfilled_late``. The outcome is final."""
    if outcome not in ("fulfilled", "broken"):
        raise ValueError(outcome)
    commitment = commitment_for(actor, commitment_id)
    if commitment.status != "pending":
        raise CommitmentClosed()
    now = utcnow()
    # Claimed with a conditional update, so two recorders at the same moment cannot both decide it.
    claimed = db.session.execute(
        update(Commitment).where(Commitment.id == commitment.id, Commitment.status == "pending").values(
            status=outcome, evidence=evidence, note_sealed=seal(COMMITMENT_NOTE, note), resolved_at=now,
            resolved_on=as_local(now).date(), resolved_by_kind=actor.kind, resolved_by_id=actor.id,
            updated_at=now)).rowcount
    if claimed != 1:
        db.session.rollback()
        raise CommitmentClosed()
    db.session.refresh(commitment)
    audit.record(actor, f"commitment.{'fulfil' if outcome == 'fulfilled' else 'break'}", "commitment",
                 commitment.id, before={"status": "pending"}, after=_commitment_snapshot(commitment))
    db.session.commit()
    return commitment


def list_commitments(*, owner_id: int | None = None, town: str | None = None, kind: str | None = None,
                     status: str | None = None, source: str | None = None):
    """Commitments, newest first; ``status`` is the shown one (``overdue`` included); ``source`` keeps a
    department's own. A select for the caller to paginate."""
    statement = (select(Commitment).join(GovernmentBody, Commitment.owner_id == GovernmentBody.id)
                 .options(selectinload(Commitment.owner).selectinload(GovernmentBody.town))
                 .order_by(Commitment.made_on.desc(), Commitment.id.desc()))
    if owner_id is not None:
        statement = statement.where(Commitment.owner_id == owner_id)
    if source is not None:
        statement = statement.where(GovernmentBody.source == source)
    if town:
        statement = statement.join(Town, GovernmentBody.town_id == Town.id).where(Town.name == town)
    if kind:
        statement = statement.where(Commitment.kind == kind)
    if status == "overdue":
        statement = statement.where(Commitment.status == "pending", Commitment.due_on < today())
    elif status == "pending":
        statement = statement.where(Commitment.status == "pending", Commitment.due_on >= today())
    elif status:
        statement = statement.where(Commitment.status == status)
    return statement


# --- counting: fulfilment rates and integrity summaries --------------------------------------------------


@dataclass(frozen=True)
class CommitmentCounts:
    """A body's (or a town's) commitments by their state at one moment."""

    total: int = 0
    fulfilled_on_time: int = 0
    fulfilled_late: int = 0
    broken: int = 0
    overdue: int = 0
    not_yet_due: int = 0

    @property
    def due(self) -> int:
        """Commitments whose outcome is recorded or whose due day is over."""
        return self.fulfilled_on_time + self.fulfilled_late + self.broken + self.overdue

    @property
    def fulfilment_rate(self) -> float | None:
        """Fulfilled on time ÷ due, to four places; ``None`` while nothing is due."""
        return round(self.fulfilled_on_time / self.due, 4) if self.due else None

    def as_dict(self) -> dict:
        return {"total": self.total, "due": self.due, "fulfilled_on_time": self.fulfilled_on_time,
                "fulfilled_late": self.fulfilled_late, "broken": self.broken, "overdue": self.overdue,
                "not_yet_due": self.not_yet_due}


COUNTED = ("fulfilled_on_time", "fulfilled_late", "broken", "overdue", "not_yet_due")


def _counting(as_of: datetime | None):
    """(the counted columns, the condition on which commitments existed) as of the moment ``as_of``, or now.

    As of a past moment a commitment counts if it was published before it, and its outcome if that was
    recorded before it; the day due dates are compared with is the Asia/Shanghai date of the moment, so as
    of 24:00 on a month's last day (00:00 of the next) a commitment due on the last day is overdue.
    """
    if as_of is None:
        existed, resolved, on = True, Commitment.status != "pending", today()
    else:
        existed = Commitment.created_at < as_of
        resolved = and_(Commitment.resolved_at.is_not(None), Commitment.resolved_at < as_of)
        on = as_local(as_of).date()
    fulfilled = and_(resolved, Commitment.status == "fulfilled")
    conditions = {
        "fulfilled_on_time": and_(fulfilled, Commitment.resolved_on <= Commitment.due_on),
        "fulfilled_late": and_(fulfilled, Commitment.resolved_on > Commitment.due_on),
        "broken": and_(resolved, Commitment.status == "broken"),
        "overdue": and_(not_(resolved), Commitment.due_on < on),
        "not_yet_due": and_(not_(resolved), Commitment.due_on >= on),
    }
    columns = [func.count(Commitment.id).label("total")]
    columns += [func.coalesce(func.sum(case((conditions[name], 1), else_=0)), 0).label(name) for name in COUNTED]
    return columns, existed


def _counts(row) -> CommitmentCounts:
    return CommitmentCounts(total=row.total, **{name: int(getattr(row, name)) for name in COUNTED})


def commitment_counts(*, as_of: datetime | None = None, owner_ids=None) -> dict[int, CommitmentCounts]:
    """Each body's commitment counts as of ``as_of`` (an aware moment; default now), by one aggregate query.
    Bodies without commitments are left out: read them as ``CommitmentCounts()``."""
    columns, existed = _counting(as_of)
    statement = select(Commitment.owner_id, *columns).where(existed).group_by(Commitment.owner_id)
    if owner_ids is not None:
        statement = statement.where(Commitment.owner_id.in_(list(owner_ids)))
    return {row.owner_id: _counts(row) for row in db.session.execute(statement)}


def commitment_counts_by_town(*, as_of: datetime | None = None) -> dict[int | None, CommitmentCounts]:
    """The same counts per town (the town of the owning body: a town government or a town's branch of a
    department); ``None`` holds the city-level departments'. Their sum is the city's."""
    columns, existed = _counting(as_of)
    statement = (select(GovernmentBody.town_id, *columns)
                 .join(GovernmentBody, Commitment.owner_id == GovernmentBody.id)
                 .where(existed).group_by(GovernmentBody.town_id))
    return {row.town_id: _counts(row) for row in db.session.execute(statement)}


def fulfilment_rates(owner_ids) -> dict[int, float | None]:
    counts = commitment_counts(owner_ids=owner_ids)
    return {owner_id: counts.get(owner_id, CommitmentCounts()).fulfilment_rate for owner_id in owner_ids}


@dataclass(frozen=True)
class RecordCounts:
    open: int = 0
    rectified: int = 0


def record_counts(*, as_of: datetime | None = None, owner_ids=None) -> dict[int, RecordCounts]:
    """Each body's dishonesty records, open and rectified, as of ``as_of`` (default now)."""
    if as_of is None:
        existed, rectified = True, GovernmentRecord.rectified_at.is_not(None)
    else:
        existed = GovernmentRecord.created_at < as_of
        rectified = and_(GovernmentRecord.rectified_at.is_not(None), GovernmentRecord.rectified_at < as_of)
    statement = (select(GovernmentRecord.owner_id, func.count(GovernmentRecord.id).label("total"),
                        func.coalesce(func.sum(case((rectified, 1), else_=0)), 0).label("rectified"))
                 .where(existed).group_by(GovernmentRecord.owner_id))
    if owner_ids is not None:
        statement = statement.where(GovernmentRecord.owner_id.in_(list(owner_ids)))
    return {row.owner_id: RecordCounts(open=row.total - int(row.rectified), rectified=int(row.rectified))
            for row in db.session.execute(statement)}


def integrity_summaries(bodies: list[GovernmentBody]) -> list[dict]:
    """Each body's integrity summary (SPEC §7b): its commitments by state, its fulfilment rate, and its
    dishonesty records open and rectified."""
    ids = [body.id for body in bodies]
    commitments = commitment_counts(owner_ids=ids)
    records = record_counts(owner_ids=ids)
    summaries = []
    for body in bodies:
        counts = commitments.get(body.id, CommitmentCounts())
        held = records.get(body.id, RecordCounts())
        summaries.append({"owner": owner_view(body), "commitments": counts.as_dict(),
                          "fulfilment_rate": counts.fulfilment_rate,
                          "dishonesty_records": {"open": held.open, "rectified": held.rectified}})
    return summaries


# --- government dishonesty records (政务失信记录) ----------------------------------------------------------


def _record_snapshot(record: GovernmentRecord) -> dict:
    return {"owner_id": record.owner_id, "kind": record.kind, "facts": record.facts,
            "decided_on": record.decided_on.isoformat(), "source_document": record.source_document,
            "rectified_on": record.rectified_on.isoformat() if record.rectified_on else None,
            "rectification": record.rectification}


def create_government_record(actor: Principal, *, owner_id: int, kind: str, facts: str, decided_on: date,
                             source_document: str) -> GovernmentRecord:
    """Record a body's broken contract, unpaid debt or ignored judgment."""
    owner = db.session.get(GovernmentBody, owner_id)
    if owner is None:
        raise InvalidInput(_("no such government body"), field="owner_id", reason="owner_not_found")
    _not_in_future(decided_on, "decided_on")
    now = utcnow()
    record = GovernmentRecord(owner=owner, kind=kind, facts=facts, decided_on=decided_on,
                              source_document=source_document, created_at=now, updated_at=now,
                              created_by_id=actor.id)
    db.session.add(record)
    db.session.flush()
    audit.record(actor, "government_record.create", "government_record", record.id,
                 after=_record_snapshot(record))
    db.session.commit()
    return record


def get_government_record(record_id: int) -> GovernmentRecord:
    record = db.session.get(GovernmentRecord, record_id)
    if record is None:
        raise GovernmentRecordNotFound()
    return record


def correct_government_record(actor: Principal, record_id: int, changes: dict) -> GovernmentRecord:
    """Correct a record's kind, facts, decision date or source document."""
    record = get_government_record(record_id)
    before = _record_snapshot(record)
    decided_on = changes.get("decided_on", record.decided_on)
    _not_in_future(decided_on, "decided_on")
    if record.rectified_on is not None and decided_on > record.rectified_on:
        raise InvalidInput(_("must not be after rectified_on"), field="decided_on")
    for name in ("kind", "facts", "decided_on", "source_document"):
        if name in changes:
            setattr(record, name, changes[name])
    if _record_snapshot(record) != before:
        record.updated_at = utcnow()
        audit.record(actor, "government_record.correct", "government_record", record.id, before=before,
                     after=_record_snapshot(record))
    db.session.commit()
    return record


def rectify_government_record(actor: Principal, record_id: int, *, rectified_on: date,
                              rectification: str) -> GovernmentRecord:
    """Record that the body put the matter right, on ``rectified_on``, and how."""
    record = get_government_record(record_id)
    if record.rectified_on is not None:
        raise AlreadyRectified()
    _not_in_future(rectified_on, "rectified_on")
    if rectified_on < record.decided_on:
        raise InvalidInput(_("must not be before decided_on"), field="rectified_on")
    before = _record_snapshot(record)
    now = utcnow()
    claimed = db.session.execute(
        update(GovernmentRecord).where(GovernmentRecord.id == record.id, GovernmentRecord.rectified_on.is_(None))
        .values(rectified_on=rectified_on, rectification=rectification, rectified_at=now, updated_at=now)).rowcount
    if claimed != 1:
        db.session.rollback()
        raise AlreadyRectified()
    db.session.refresh(record)
    audit.record(actor, "government_record.rectify", "government_record", record.id, before=before,
                 after=_record_snapshot(record))
    db.session.commit()
    return record


def list_government_records(*, owner_id: int | None = None, town: str | None = None, kind: str | None = None,
                            status: str | None = None):
    """Dishonesty records, latest decision first; ``status`` is ``open`` or ``rectified``."""
    statement = (select(GovernmentRecord).join(GovernmentBody, GovernmentRecord.owner_id == GovernmentBody.id)
                 .options(selectinload(GovernmentRecord.owner).selectinload(GovernmentBody.town))
                 .order_by(GovernmentRecord.decided_on.desc(), GovernmentRecord.id.desc()))
    if owner_id is not None:
        statement = statement.where(GovernmentRecord.owner_id == owner_id)
    if town:
        statement = statement.join(Town, GovernmentBody.town_id == Town.id).where(Town.name == town)
    if kind:
        statement = statement.where(GovernmentRecord.kind == kind)
    if status == "open":
        statement = statement.where(GovernmentRecord.rectified_on.is_(None))
    elif status == "rectified":
        statement = statement.where(GovernmentRecord.rectified_on.is_not(None))
    return statement


# --- civil servants' integrity files (公务员诚信档案) -------------------------------------------------------


def _civil_servant(id_number: str) -> Resident:
    resident = residents.find_by_id_number(id_number)
    if resident is None:
        raise ResidentNotFound(_("No resident has this ID number."))
    return resident


def civil_servant_view(record: CivilServantRecord) -> dict:
    """A record as its reader sees it: the person masked, the facts opened."""
    return {"id": record.id, "person": residents.masked(record.resident), "kind": record.kind,
            "facts": record.facts, "decided_on": record.decided_on, "source_document": record.source_document,
            "created_at": record.created_at}


def create_civil_servant_record(actor: Principal, *, id_number: str, kind: str, facts: str, decided_on: date,
                                source_document: str) -> dict:
    """Add a record to a civil servant's file (an active resident of the registry). The person sees in
    their query records that the office wrote to their file."""
    resident = _civil_servant(id_number)
    if resident.status != "active":
        raise ResidentNotActive()
    _not_in_future(decided_on, "decided_on")
    record = CivilServantRecord(resident=resident, kind=kind, facts_sealed=seal(CIVIL_SERVANT_FACTS, facts),
                                decided_on=decided_on,
                                source_document_sealed=seal(CIVIL_SERVANT_DOCUMENT, source_document),
                                created_at=utcnow(), created_by_id=actor.id)
    db.session.add(record)
    db.session.flush()
    audit.record(actor, "civil_servant_record.create", "civil_servant_record", record.id,
                 after={"resident_id": resident.id, "kind": kind, "decided_on": decided_on.isoformat()})
    query_records.record(resident.id, actor, purpose="civil-servant integrity file: record added",
                         scope=CIVIL_SERVANT_SCOPE)
    view = civil_servant_view(record)
    db.session.commit()
    return view


def _with_person(statement):
    return statement.options(selectinload(CivilServantRecord.resident).selectinload(Resident.town),
                             selectinload(CivilServantRecord.resident).selectinload(Resident.village),
                             selectinload(CivilServantRecord.resident).selectinload(Resident.household))


def list_civil_servant_records(*, kind: str | None = None, resident_id: int | None = None):
    """Records, newest first: a select for the caller to paginate and pass to ``read_civil_servant_records``."""
    statement = _with_person(select(CivilServantRecord)).order_by(CivilServantRecord.id.desc())
    if kind:
        statement = statement.where(CivilServantRecord.kind == kind)
    if resident_id is not None:
        statement = statement.where(CivilServantRecord.resident_id == resident_id)
    return statement


def civil_servant_records_of(id_number: str) -> tuple[Resident, object]:
    """The person with this ID number and a select of their file's records."""
    resident = _civil_servant(id_number)
    return resident, list_civil_servant_records(resident_id=resident.id)


def get_civil_servant_record(record_id: int) -> CivilServantRecord:
    record = db.session.get(CivilServantRecord, record_id)
    if record is None:
        raise CivilServantRecordNotFound()
    return record


def read_civil_servant_records(actor: Principal, records: list[CivilServantRecord], *, purpose: str,
                               person: Resident | None = None) -> list[dict]:
    """The records as their reader sees them, with the audit record of the view and a query record for each
    person shown (for ``person`` even when their file is empty: the reader learnt that too). Committed."""
    views = [civil_servant_view(record) for record in records]
    people = [person.id] if person is not None else [record.resident_id for record in records]
    query_records.record(people, actor, purpose=purpose, scope=CIVIL_SERVANT_SCOPE)
    if person is not None:
        object_type, object_id = "resident", person.id
    elif len(records) == 1:
        object_type, object_id = "civil_servant_record", records[0].id
    else:
        object_type, object_id = "civil_servant_record", None
    audit.record(actor, "civil_servant_record.view", object_type, object_id,
                 after={"records": [record.id for record in records]}, note=purpose)
    db.session.commit()
    return views
