"""The credit office's side of reports (SPEC §5): the queue with its deadlines, assignment, acknowledgement,
the one extension, forwarding to the department concerned and its finding, questions to the reporter,
the reporter's identity behind ``reports:identity``, and the final decision with everything it applies.
"""

from dataclasses import dataclass
from datetime import date
from secrets import token_hex

from sqlalchemy import and_, case, exists, func, not_, or_, select

from backend.audit import service as audit
from backend.credit import service as credit
from backend.credit.default_rubric import MALICIOUS_REPORT, REPORT_REWARD
from backend.credit.rubric import get_item
from backend.data.extensions import db
from backend.dates.timeutil import local_today, utcnow
from backend.i18n import _
from backend.monitoring.sources import Period, ReviewCounts, register_review_source
from backend.notices import layouts
from backend.notices import service as notices
from backend.privacy.sealing import open_sealed, seal
from backend.query_records import service as query_records
from backend.reports import categories
from backend.reports.models import (
    Report,
    ReportDecision,
    ReportForward,
    ReportMessage,
    ReportReward,
)
from backend.reports.service import (
    ATTACHED_TO_ANSWER,
    ATTACHED_TO_FINDING,
    ATTACHED_TO_REPORT,
    ReportDecided,
    ReportNotFound,
    add_step,
    get_report,
    messages_view,
    subject_view,
)
from backend.residents import service as residents
from backend.residents.models import Resident
from backend.review import assignment, deadlines, decisions
from backend.settings import service as settings
from backend.staff.models import StaffMember
from backend.uploads import service as uploads
from backend.web.access import ADMIN, DEPARTMENT, Principal
from backend.web.errors import Conflict, Forbidden, InvalidInput

SUBJECT_READ_PURPOSE = "举报核查"
REPORT_PAGE = "pages/reports/detail"
REPORT_SOURCE, REWARD_SOURCE, MALICIOUS_SOURCE = "report", "report-reward", "report-malicious"
OUTCOME_WORDS = {"substantiated": "属实", "unsubstantiated": "不属实", "malicious": "恶意举报"}


class AlreadyExtended(Conflict):
    reason = "already_extended"
    message = _("A report may be extended once.")


class FindingRequired(Conflict):
    reason = "finding_required"
    message = _("A substantiated decision needs the department's confirmed finding (or an admin's recorded "
                "reason to decide without one).")


class RewardOutOfBounds(InvalidInput):
    reason = "reward_out_of_bounds"

    def __init__(self, low: int, high: int):
        super().__init__(_("must be between %(low)s and %(high)s yuan", low=low, high=high), field="reward_amount",
                         min_amount=low, max_amount=high)


class DepartmentUnknown(InvalidInput):
    reason = "department_unknown"

    def __init__(self):
        super().__init__(_("no active department staff has this source"), field="source")


class OverrideNotAllowed(Forbidden):
    reason = "override_not_allowed"
    message = _("Only an admin may decide without the department's finding.")


# --- the queue -------------------------------------------------------------------------------------------


def overdue_clause(today: date | None = None):
    """SQL: the report is late in any step (acknowledgement, decision, or a department's finding)."""
    today = today or local_today()
    late_finding = exists().where(ReportForward.report_id == Report.id, ReportForward.status == "pending",
                                  ReportForward.due_on < today)
    return deadlines.overdue((Report.acknowledge_due_on, Report.status == "submitted"),
                             (Report.decide_due_on, Report.status != "decided"), today=today) | \
        and_(Report.status != "decided", late_finding)


def queue(*, status: str | None = None, category: str | None = None, overdue: bool | None = None,
          assignee: int | None = None):
    """The review queue, oldest deadline first: a select to paginate."""
    statement = select(Report).order_by(Report.status == "decided", Report.decide_due_on, Report.id)
    if status:
        statement = statement.where(Report.status == status)
    if category:
        statement = statement.where(Report.category.has(code=category))
    if assignee is not None:
        statement = statement.where(Report.assignee_id == assignee)
    if overdue is not None:
        statement = statement.where(overdue_clause() if overdue else ~overdue_clause())
    return statement


def late_steps(report: Report, today: date | None = None) -> list[str]:
    """Which steps of a report are past their due date."""
    today = today or local_today()
    late = []
    if deadlines.is_overdue(report.acknowledge_due_on, report.status != "submitted", today):
        late.append("acknowledge")
    if deadlines.is_overdue(report.decide_due_on, report.status == "decided", today):
        late.append("decide")
    if report.status != "decided" and any(
            deadlines.is_overdue(f.due_on, f.status != "pending", today) for f in report.forwards):
        late.append("finding")
    return late


def finding_due_on(report: Report) -> date | None:
    pending = [f.due_on for f in report.forwards if f.status == "pending"]
    return min(pending) if pending else None


def summary(report: Report) -> dict:
    """A queue line: what the reviewer sorts and filters by, never the reporter."""
    return {"id": report.id, "report_no": report.report_no, "category": report.category,
            "status": report.status, "outcome": report.outcome, "extended": report.extended_at is not None,
            "anonymous": report.anonymous, "flagged": report.screening != "pass", "screening": report.screening,
            "filed_at": report.filed_at, "assignee_id": report.assignee_id,
            "acknowledge_due_on": report.acknowledge_due_on, "decide_due_on": report.decide_due_on,
            "finding_due_on": finding_due_on(report), "late": late_steps(report),
            "duplicate_of": _report_no(report.duplicate_of_id), "subject": subject_view(report)}


def _report_no(report_id: int | None) -> str | None:
    return None if report_id is None else db.session.scalar(select(Report.report_no).where(Report.id == report_id))


def group(report: Report) -> list[Report]:
    """The other reports of this report's duplicate group."""
    first = report.duplicate_of_id or report.id
    return list(db.session.scalars(select(Report).where(
        (Report.id == first) | (Report.duplicate_of_id == first), Report.id != report.id).order_by(Report.id)))


def _subject_credit(report: Report, actor: Principal) -> dict | None:
    """The subject's score, for a resident subject; the read is a query record held from the subject until
    the report is decided, so it never tips them off (SPEC §5)."""
    resident_id = report.subject_resident_id
    if resident_id is None:
        return None
    account = credit.get_account(resident_id)
    held = None if report.status == "decided" else f"report:{report.id}"
    query_records.record(resident_id, actor, purpose=SUBJECT_READ_PURPOSE, scope="credit", held_for=held)
    db.session.commit()
    resident = db.session.get(Resident, resident_id)
    return {"resident": residents.masked(resident), **credit.describe_account(account)}


def forward_view(forward: ReportForward) -> dict:
    return {"id": forward.id, "source": forward.source, "forwarded_at": forward.forwarded_at,
            "due_on": forward.due_on, "status": forward.status, "finding": forward.finding,
            "note": open_sealed("report.finding_note", forward.finding_note_sealed), "finding_at": forward.finding_at,
            "late": deadlines.is_overdue(forward.due_on, forward.status != "pending"),
            "evidence": uploads.attachments(ATTACHED_TO_FINDING, forward.id)}


def decision_view(report: Report) -> dict | None:
    decision = report.decision
    if decision is None:
        return None
    forward = decision.forward
    return {"outcome": decision.outcome, "decided_at": decision.decided_at, "decided_by": decision.decided_by,
            "note": open_sealed("report.decision_note", decision.note_sealed),
            "rubric_code": decision.rubric_code, "subject_resident_id": decision.subject_resident_id,
            "penalty_event_id": decision.penalty_event_id,
            "finding": None if forward is None else {"source": forward.source, "finding": forward.finding,
                                                     "finding_at": forward.finding_at},
            "override_reason": open_sealed("report.override_reason", decision.override_reason_sealed)}


def detail(report: Report, actor: Principal) -> dict:
    """The whole case for the office, the reporter left out (see ``reporter_identity``)."""
    return {
        **summary(report),
        "occurred_at": report.occurred_at,
        "description": open_sealed("report.description", report.description_sealed),
        "location": open_sealed("report.location", report.location_sealed),
        "town": _town_name(report.town_id),
        "extension_reason": open_sealed("report.extension_reason", report.extension_reason_sealed),
        "attachments": uploads.attachments(ATTACHED_TO_REPORT, report.id),
        "subject_credit": _subject_credit(report, actor),
        "history": [{"step": s.step, "at": s.at, "staff_id": s.staff_id, "detail": s.detail} for s in report.steps],
        "messages": messages_view(report),
        "forwards": [forward_view(f) for f in report.forwards],
        "group": [{"report_no": r.report_no, "status": r.status, "outcome": r.outcome} for r in group(report)],
        "decision": decision_view(report),
        "reward": _reward_line(report.reward),
    }


def _town_name(town_id: int | None) -> str | None:
    from backend.residents.models import Town

    return None if town_id is None else db.session.scalar(select(Town.name).where(Town.id == town_id))


def _reward_line(reward: ReportReward | None) -> dict | None:
    if reward is None:
        return None
    return {"id": reward.id, "amount": reward.amount, "status": reward.status, "paid_at": reward.paid_at}


# --- steps of the office ---------------------------------------------------------------------------------


def _open_report(report_id: int) -> Report:
    report = decisions.lock(Report, report_id)
    if report is None:
        raise ReportNotFound()
    if report.status == "decided":
        raise ReportDecided()
    return report


def assign(actor: Principal, report_id: int, reviewer_id: int) -> Report:
    """Give the report to a reviewer; commits."""
    report = _open_report(report_id)
    assignment.reviewer(reviewer_id)
    before = report.assignee_id
    report.assignee_id = reviewer_id
    add_step(report, "assigned", staff_id=actor.id, detail=str(reviewer_id))
    audit.record(actor, "report.assign", "report", report.report_no, before={"assignee_id": before},
                 after={"assignee_id": reviewer_id})
    db.session.commit()
    return report


def acknowledge(actor: Principal, report_id: int) -> Report:
    """Acknowledge receipt (受理) within the deadline; the same again changes nothing; commits and tells a
    real-name reporter."""
    report = get_report(report_id)
    if report.status != "submitted":
        return report
    report = _open_report(report_id)
    if report.status != "submitted":
        return report
    now = utcnow()
    report.status, report.acknowledged_at = "acknowledged", now
    add_step(report, "acknowledged", staff_id=actor.id, at=now)
    audit.record(actor, "report.acknowledge", "report", report.report_no)
    db.session.commit()
    _notify(report, "report_acknowledged", "已受理", now)
    return report


def extend(actor: Principal, report_id: int, reason: str) -> Report:
    """Extend the decision deadline once, to 90 days from filing (setting), with a reason; commits."""
    report = _open_report(report_id)
    if report.extended_at is not None:
        raise AlreadyExtended()
    before = report.decide_due_on
    now = utcnow()
    report.extended_at = now
    report.extension_reason_sealed = seal("report.extension_reason", reason)
    report.decide_due_on = deadlines.due_in_days(report.filed_at, settings.get("reports.extended_decide_days"))
    add_step(report, "extended", staff_id=actor.id, at=now)
    audit.record(actor, "report.extend", "report", report.report_no, before={"decide_due_on": before.isoformat()},
                 after={"decide_due_on": report.decide_due_on.isoformat()})
    db.session.commit()
    return report


def _department_exists(source: str) -> bool:
    found = db.session.scalar(select(StaffMember.id).where(
        StaffMember.role == DEPARTMENT, StaffMember.source == source, StaffMember.active.is_(True)).limit(1))
    return found is not None


def forward(actor: Principal, report_id: int, source: str | None = None) -> ReportForward:
    """Send the report (facts, subject, attachments; never the reporter) to the department that verifies
    its category, or to another with staff; an earlier forwarding still waiting is withdrawn; commits."""
    report = _open_report(report_id)
    source = source or report.category.department_source
    if not _department_exists(source):
        raise DepartmentUnknown()
    now = utcnow()
    for earlier in report.forwards:
        if earlier.status == "pending":
            earlier.status = "withdrawn"
    row = ReportForward(report_id=report.id, source=source, forwarded_at=now, forwarded_by=actor.id,
                        due_on=deadlines.due_in_working_days(now, settings.get("reports.finding_working_days")),
                        status="pending")
    db.session.add(row)
    db.session.flush()
    add_step(report, "forwarded", staff_id=actor.id, detail=source, at=now)
    audit.record(actor, "report.forward", "report", report.report_no, after={"source": source,
                                                                             "due_on": row.due_on.isoformat()})
    db.session.commit()
    return row


def ask(actor: Principal, report_id: int, text: str) -> ReportMessage:
    """A question to the reporter, who sees it in their view (real-name) or receipt status (anonymous)."""
    report = _open_report(report_id)
    message = ReportMessage(report_id=report.id, kind="question", text_sealed=seal("report.message", text),
                            at=utcnow(), staff_id=actor.id)
    db.session.add(message)
    db.session.flush()
    add_step(report, "question", staff_id=actor.id)
    audit.record(actor, "report.question", "report", report.report_no)
    db.session.commit()
    return message


def reporter_identity(actor: Principal, report_id: int) -> dict:
    """Who filed a real-name report (masked as every answer is), for staff with ``reports:identity``; every
    view is an audit record. An anonymous report has nobody to show."""
    report = get_report(report_id)
    audit.record(actor, "report.view_reporter", "report", report.report_no)
    db.session.commit()
    if report.anonymous:
        return {"anonymous": True, "resident": None, "reporter_event": None}
    resident = db.session.get(Resident, report.reporter_resident_id)
    decision = report.decision
    event = None
    if decision is not None and decision.reporter_event_id is not None:
        event = {"event_id": decision.reporter_event_id, "source_ref": decision.reporter_source_ref}
    return {"anonymous": False, "resident": residents.masked(resident), "reporter_event": event}


def attachment(report: Report, upload_id: str):
    """An attachment of the report, of an answer to the office's questions, or of a department's finding."""
    try:
        return uploads.find_attachment(upload_id, ATTACHED_TO_REPORT, [report.id])
    except uploads.UploadNotFound:
        pass
    answers = [m.id for m in report.messages if m.kind == "answer"]
    try:
        return uploads.find_attachment(upload_id, ATTACHED_TO_ANSWER, answers)
    except uploads.UploadNotFound:
        return uploads.find_attachment(upload_id, ATTACHED_TO_FINDING, [f.id for f in report.forwards])


# --- departments -----------------------------------------------------------------------------------------


def department_queue(principal: Principal):
    """The reports forwarded to the caller's department (pending first): a select of forwardings."""
    return (select(ReportForward).where(ReportForward.source == principal.source,
                                        ReportForward.status != "withdrawn")
            .order_by(ReportForward.status != "pending", ReportForward.due_on, ReportForward.id))


def department_forward(principal: Principal, report_id: int) -> ReportForward:
    """The latest forwarding of a report to the caller's department; another department's is 404."""
    row = db.session.scalar(select(ReportForward).where(
        ReportForward.report_id == report_id, ReportForward.source == principal.source,
        ReportForward.status != "withdrawn").order_by(ReportForward.id.desc()).limit(1))
    if row is None:
        raise ReportNotFound()
    return row


def department_line(forward_row: ReportForward) -> dict:
    """A line of a department's list: which report, its category and subject, and the forwarding."""
    report = get_report(forward_row.report_id)
    return {"report_id": report.id, "report_no": report.report_no, "category": report.category,
            "subject": subject_view(report), "forward": forward_view(forward_row)}


def department_view(forward_row: ReportForward) -> dict:
    """What a department sees: the facts, the subject and the attachments; never the reporter, the office's
    questions or the answers."""
    report = get_report(forward_row.report_id)
    return {"id": report.id, "report_no": report.report_no, "category": report.category,
            "subject": subject_view(report), "occurred_at": report.occurred_at, "filed_at": report.filed_at,
            "town": _town_name(report.town_id),
            "description": open_sealed("report.description", report.description_sealed),
            "location": open_sealed("report.location", report.location_sealed),
            "attachments": uploads.attachments(ATTACHED_TO_REPORT, report.id),
            "forward": forward_view(forward_row)}


def department_attachment(forward_row: ReportForward, upload_id: str):
    try:
        return uploads.find_attachment(upload_id, ATTACHED_TO_REPORT, [forward_row.report_id])
    except uploads.UploadNotFound:
        return uploads.find_attachment(upload_id, ATTACHED_TO_FINDING, [forward_row.id])


def record_finding(principal: Principal, report_id: int, *, finding: str, note: str,
                   evidence: list[str]) -> tuple[ReportForward, bool]:
    """The department's finding on a report forwarded to it (confirmed or not, with a note and evidence).
    Final like a decision: the same again answers the stored one, a different one is 409. Commits."""
    latest = department_forward(principal, report_id)
    row = decisions.lock(ReportForward, latest.id)
    fields = {"finding": finding, "note": note, "evidence": list(evidence)}
    if decisions.repeat_or_conflict(row.finding_fingerprint, "finding", fields):
        return row, False
    if row.status != "pending":
        raise ReportNotFound()
    report = get_report(report_id)
    if report.status == "decided":
        raise ReportDecided()
    uploads.check_attachable(uploads.Owner(principal.kind, principal.id), evidence)
    now = utcnow()
    row.status, row.finding, row.finding_at, row.finding_by = "answered", finding, now, principal.id
    row.finding_note_sealed = seal("report.finding_note", note)
    row.finding_fingerprint = decisions.fingerprint("finding", fields)
    uploads.attach(uploads.Owner(principal.kind, principal.id), evidence, ATTACHED_TO_FINDING, row.id)
    add_step(report, "finding", staff_id=principal.id, detail=finding, at=now)
    audit.record(principal, "report.finding", "report", report.report_no, after={"finding": finding,
                                                                                 "source": row.source})
    db.session.commit()
    return row, True


# --- the decision ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decided:
    report: Report
    created: bool


def _bounds() -> tuple[int, int]:
    return settings.get("rewards.min_amount"), settings.get("rewards.max_amount")


def _check_reward_item(code: str) -> None:
    item = get_item(code)
    if item.kind != "bonus" or item.category != "reporting":
        raise categories.RubricItemWrongKind(_("must name a reporting bonus item"), field="reward_rubric_code")


def _confirmed_finding(report: Report) -> ReportForward | None:
    answered = [f for f in report.forwards if f.status == "answered"]
    latest = answered[-1] if answered else None
    return latest if latest is not None and latest.finding == "confirmed" else None


def _group_decisions(report: Report) -> list[ReportDecision]:
    first = report.duplicate_of_id or report.id
    return list(db.session.scalars(select(ReportDecision).join(Report, Report.id == ReportDecision.report_id).where(
        (Report.id == first) | (Report.duplicate_of_id == first), Report.id != report.id,
        ReportDecision.outcome == "substantiated")))


def decide(actor: Principal, report_id: int, *, outcome: str, note: str, rubric_code: str | None = None,
           subject_resident_id: int | None = None, reward_rubric_code: str | None = None,
           reward_amount: int | None = None, without_finding_reason: str | None = None) -> Decided:
    """Decide a report, finally (SPEC §5). Everything the decision applies — the subject's penalty, the
    reporter's bonus or malicious-report penalty, the reward, the end of held query records — happens in
    this one transaction; the notices follow the commit. The same decision again answers the stored one."""
    fields = {"outcome": outcome, "note": note, "rubric_code": rubric_code,
              "subject_resident_id": subject_resident_id, "reward_rubric_code": reward_rubric_code,
              "reward_amount": reward_amount, "without_finding_reason": without_finding_reason}
    report = decisions.lock(Report, report_id)
    if report is None:
        raise ReportNotFound()
    stored = db.session.scalar(select(ReportDecision).where(ReportDecision.report_id == report.id))
    if decisions.repeat_or_conflict(stored.fingerprint if stored else None, "report", fields):
        return Decided(report, False)
    try:
        plan = _plan(actor, report, fields)
        _apply(actor, report, fields, plan)
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    _after_decision(report, plan)
    return Decided(report, True)


@dataclass
class _Plan:
    forward: ReportForward | None
    subject: Resident | None
    penalty_code: str | None
    shared_penalty_id: int | None
    reporter_code: str | None
    reporter_source: str | None
    reward_amount: int | None
    penalty_event: object = None


def _plan(actor: Principal, report: Report, fields: dict) -> _Plan:
    """Every check of a decision, before anything is written."""
    outcome = fields["outcome"]
    substantiated = outcome == "substantiated"
    if fields["without_finding_reason"] is not None and ADMIN not in actor.roles:
        raise OverrideNotAllowed()
    if fields["rubric_code"] is not None:
        categories.check_penalty_item(fields["rubric_code"])
    if fields["reward_rubric_code"] is not None:
        _check_reward_item(fields["reward_rubric_code"])
    low, high = _bounds()
    amount = fields["reward_amount"]
    if amount is not None:
        if not low <= amount <= high:
            raise RewardOutOfBounds(low, high)
        if not substantiated:
            raise InvalidInput(_("only a substantiated report carries a reward"), field="reward_amount")
    subject = None
    if fields["subject_resident_id"] is not None:
        subject = db.session.get(Resident, fields["subject_resident_id"])
        if subject is None or report.subject_type != "person":
            raise InvalidInput(_("no such resident, or the subject is not a person"), field="subject_resident_id")
    elif report.subject_resident_id is not None:
        subject = db.session.get(Resident, report.subject_resident_id)
    forward = _confirmed_finding(report)
    if substantiated and forward is None and fields["without_finding_reason"] is None:
        raise FindingRequired()
    plan = _Plan(forward=forward, subject=None, penalty_code=None, shared_penalty_id=None, reporter_code=None,
                 reporter_source=None, reward_amount=None)
    if not substantiated:
        if outcome == "malicious" and not report.anonymous:
            plan.reporter_code, plan.reporter_source = MALICIOUS_REPORT, MALICIOUS_SOURCE
        return plan
    earlier = _group_decisions(report)
    if subject is not None:
        plan.subject = subject
        plan.penalty_code = fields["rubric_code"] or report.category.rubric_code
        shared = [d.penalty_event_id for d in earlier
                  if d.penalty_event_id is not None and d.subject_resident_id == subject.id]
        plan.shared_penalty_id = shared[0] if shared else None
    if not report.anonymous:
        rewarded = db.session.scalar(select(Report.id).join(ReportDecision, ReportDecision.report_id == Report.id)
                                     .where(Report.id.in_([d.report_id for d in earlier]),
                                            Report.reporter_resident_id == report.reporter_resident_id,
                                            ReportDecision.reporter_event_id.is_not(None)).limit(1))
        if rewarded is None:
            plan.reporter_code = fields["reward_rubric_code"] or REPORT_REWARD
            plan.reporter_source = REWARD_SOURCE
    # In a duplicate group only the first report decided substantiated carries a reward.
    if not earlier:
        if amount is None:
            raise InvalidInput(_("a substantiated report's reward needs its amount (%(low)s–%(high)s yuan)",
                                 low=low, high=high), field="reward_amount")
        plan.reward_amount = amount
    return plan


def _apply(actor: Principal, report: Report, fields: dict, plan: _Plan) -> None:
    now = utcnow()
    penalty_id = plan.shared_penalty_id
    if plan.subject is not None and penalty_id is None:
        grant = credit.grant_event(actor, id_number=residents.person(plan.subject).id_number,
                                   rubric_code=plan.penalty_code, occurred_at=report.occurred_at,
                                   source=REPORT_SOURCE, source_ref=report.report_no, note=report.category.name,
                                   commit=False, reserved=True)
        penalty_id = grant.event.id
        plan.penalty_event = grant.event if grant.created else None
    reporter_event_id = reporter_ref = None
    if plan.reporter_code is not None:
        reporter = db.session.get(Resident, report.reporter_resident_id)
        reporter_ref = token_hex(12)
        grant = credit.grant_event(actor, id_number=residents.person(reporter).id_number,
                                   rubric_code=plan.reporter_code, occurred_at=now, source=plan.reporter_source,
                                   source_ref=reporter_ref, commit=False, reserved=True)
        reporter_event_id = grant.event.id
    db.session.add(ReportDecision(
        report_id=report.id, outcome=fields["outcome"], fingerprint=decisions.fingerprint("report", fields),
        note_sealed=seal("report.decision_note", fields["note"]), decided_at=now, decided_by=actor.id,
        forward_id=plan.forward.id if plan.forward else None,
        override_reason_sealed=seal("report.override_reason", fields["without_finding_reason"]),
        rubric_code=plan.penalty_code, subject_resident_id=plan.subject.id if plan.subject else None,
        penalty_event_id=penalty_id, reporter_event_id=reporter_event_id, reporter_source_ref=reporter_ref))
    if plan.reward_amount is not None:
        db.session.add(ReportReward(report_id=report.id, amount=plan.reward_amount, status="approved",
                                    approved_at=now))
    report.status, report.outcome, report.decided_at = "decided", fields["outcome"], now
    add_step(report, "decided", staff_id=actor.id, detail=fields["outcome"], at=now)
    query_records.release(f"report:{report.id}")
    audit.record(actor, "report.decide", "report", report.report_no, after={
        "outcome": fields["outcome"], "penalty_event_id": penalty_id, "reward_amount": plan.reward_amount,
        "finding_source": plan.forward.source if plan.forward else None,
        "without_finding": fields["without_finding_reason"] is not None})
    db.session.flush()


def _after_decision(report: Report, plan: _Plan) -> None:
    """Notices, after the commit: a failed send never touches the decision."""
    if plan.penalty_event is not None:
        credit.notify_penalty(plan.penalty_event)
    _notify(report, "report_decided", OUTCOME_WORDS[report.outcome], report.decided_at)


def _notify(report: Report, kind: str, status_word: str, at) -> None:
    """Tell a real-name reporter (anonymous ones get no notices): the report's number, its category, the
    status word and when."""
    if report.anonymous or report.reporter_account_id is None:
        return
    data = layouts.build(kind, character_string1=report.report_no, thing2=f"{report.category.name}举报",
                          phrase3=status_word, time4=at)
    notices.notify(report.reporter_account_id, kind, data, page=f"{REPORT_PAGE}?report_no={report.report_no}",
                   object_type="report", object_id=report.id)



# --- monthly monitoring (SPEC §8) -----------------------------------------------------------------------


def monthly_counts(period: Period) -> dict[int | None, ReviewCounts]:
    """Reports filed and decided within the month and overdue at its end, by the subject's town (the
    subject resident's, else the town given with the report; None: unknown), in one aggregate statement.

    Overdue as it stood at ``period.as_of``: still open then in a step whose due date was before
    ``period.on`` — acknowledgement, decision, or a department's finding on a forwarding that was not yet
    answered or replaced by a later one.
    """
    moment, on = period.as_of, period.on
    subject = Resident.__table__.alias("subject")
    town = func.coalesce(subject.c.town_id, Report.town_id)
    decided_then = and_(Report.decided_at.is_not(None), Report.decided_at < moment)
    acknowledged_then = and_(Report.acknowledged_at.is_not(None), Report.acknowledged_at < moment)
    later = ReportForward.__table__.alias("later")
    finding_open = exists().where(
        ReportForward.report_id == Report.id, ReportForward.forwarded_at < moment, ReportForward.due_on < on,
        or_(ReportForward.finding_at.is_(None), ReportForward.finding_at >= moment),
        ~exists().where(later.c.report_id == ReportForward.report_id, later.c.id > ReportForward.id,
                        later.c.forwarded_at < moment))
    late = and_(Report.filed_at < moment, not_(decided_then), or_(
        and_(Report.acknowledge_due_on < on, not_(acknowledged_then)), Report.decide_due_on < on, finding_open))

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    statement = (select(town.label("town_id"),
                        count(and_(Report.filed_at >= period.start, Report.filed_at < period.end)).label("filed"),
                        count(and_(Report.decided_at >= period.start, Report.decided_at < period.end)).label("decided"),
                        count(late).label("overdue"))
                 .select_from(Report).outerjoin(subject, subject.c.id == Report.subject_resident_id)
                 .where(Report.filed_at < period.end)
                 .group_by(town))
    return {row.town_id: ReviewCounts(int(row.filed), int(row.decided), int(row.overdue))
            for row in db.session.execute(statement)}


register_review_source("reports", monthly_counts, label=_("reports"))
