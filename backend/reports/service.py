"""Filing a report and following it (SPEC §5): report numbers, sealed subjects, the daily limit, duplicate
groups, WeChat's text screening, anonymous receipts, retries, and what the reporter sees.

An anonymous filing leaves nothing that leads back to the account: the report has no account or resident
column set (the database refuses it), its attachments forget their owner in the statement that attaches
them, the daily limit counts under a keyed hash of account and day in a store erased at 24:00
Asia/Shanghai, a retry's answer is held sealed under a keyed hash of account and request id for 10
minutes, the openid goes to WeChat's screening only in flight, and nothing here logs the caller.
"""

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from stdnum.cn import uscc as uscc_code
from stdnum.exceptions import ValidationError

from backend.accounts.models import WeChatAccount
from backend.data.cache import store
from backend.data.extensions import db
from backend.dates.timeutil import SHANGHAI, local_today, utcnow
from backend.i18n import _
from backend.privacy import readback_codes
from backend.privacy.id_numbers import InvalidIdNumber, validate_id_number
from backend.privacy.masking import mask_id_number, mask_name
from backend.privacy.sealing import lookup_hash, open_sealed, seal
from backend.reports import categories
from backend.reports.models import Report, ReportMessage, ReportNumber, ReportStep
from backend.residents import service as residents
from backend.residents.models import Town
from backend.review import deadlines
from backend.settings import service as settings
from backend.uploads import service as uploads
from backend.web import ratelimits
from backend.web.access import Principal
from backend.web.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.wechat import get_client

log = logging.getLogger(__name__)

RETRY_SECONDS = 600
RETRY_WAIT_SECONDS = 5.0
_PENDING = b"pending"
# A reporter's clock may run a little ahead of ours.
FUTURE_TOLERANCE = timedelta(minutes=5)
SCREENING_SCENE = 3  # msg_sec_check's "forum" scene: text meant for others to read
# Uploads attached to a report, to the reporter's answers, and to a department's finding.
ATTACHED_TO_REPORT, ATTACHED_TO_ANSWER, ATTACHED_TO_FINDING = "report", "report_answer", "report_finding"
# Steps the reporter is shown; assignment and the office's internal steps are not.
REPORTER_STEPS = ("filed", "acknowledged", "forwarded", "extended", "decided", "reward_paid", "reward_cancelled")


class ContentRisky(InvalidInput):
    reason = "content_risky"

    def __init__(self):
        super().__init__(_("WeChat's content check refused this text; please describe the matter plainly."),
                         field="description")


class RequestInProgress(Conflict):
    reason = "request_in_progress"
    message = _("The same request is still being handled; try again in a moment.")


class ReportNotFound(NotFound):
    reason = "report_not_found"
    message = _("No such report.")


class ReceiptUnknown(NotFound):
    reason = "receipt_unknown"
    message = _("No report has this receipt code; check it and try again.")


class ReportDecided(Conflict):
    reason = "report_decided"
    message = _("This report is decided; it can no longer change.")


class NotBoundForRealName(Forbidden):
    reason = "not_bound"
    message = _("Bind your identity to report by name, or report anonymously.")


# --- what the reporter sent ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    type: str
    name: str
    id_number: str | None
    uscc: str | None


def check_subject(subject: dict) -> Subject:
    """The subject as sent, checked: 422 ``invalid_id_number`` / ``invalid_uscc`` for malformed codes."""
    kind, name = subject["type"], subject["name"]
    id_number, uscc = subject.get("id_number"), subject.get("uscc")
    if kind == "person" and uscc:
        raise InvalidInput(_("a person has no unified social credit code"), field="subject.uscc")
    if kind == "enterprise" and id_number:
        raise InvalidInput(_("an enterprise has no ID number"), field="subject.id_number")
    if id_number:
        try:
            id_number = validate_id_number(id_number)
        except InvalidIdNumber as exc:
            raise InvalidInput(_("not a valid ID number: %(why)s", why=str(exc)), field="subject.id_number",
                               reason="invalid_id_number") from exc
    if uscc:
        try:
            uscc = uscc_code.validate(uscc)
        except ValidationError as exc:
            raise InvalidInput(_("not a valid unified social credit code"), field="subject.uscc",
                               reason="invalid_uscc") from exc
    return Subject(kind, residents.normalise_name(name) or name, id_number or None, uscc or None)


def _town_id(name: str | None) -> int | None:
    if name is None:
        return None
    town_id = db.session.scalar(select(Town.id).where(Town.name == name))
    if town_id is None:
        raise InvalidInput(_("no such town in the registry"), field="location.town", reason="unknown_town")
    return town_id


def screen(openid: str, text: str) -> str:
    """WeChat's verdict on text: ``pass``, ``review`` (flagged), ``unavailable`` (accepted and flagged);
    ``risky`` is refused. The openid is used for the call only, never kept."""
    verdict = get_client().check_text(openid, text, scene=SCREENING_SCENE)
    if verdict == "risky":
        raise ContentRisky()
    return verdict


# --- retries ---------------------------------------------------------------------------------------------


def _retry_key(account_id: int, client_request_id: str) -> str:
    return store().key("reports", "retry", lookup_hash("report-retry", f"{account_id}:{client_request_id}"))


def _claim_retry(key: str) -> dict | None:
    """The stored answer of an earlier request with this key, or None after claiming the key for this one."""
    deadline = time.monotonic() + RETRY_WAIT_SECONDS
    while True:
        try:
            if store().client.set(key, _PENDING, nx=True, ex=RETRY_SECONDS):
                return None
            value = store().client.get(key)
        except redis.RedisError as exc:
            # Without the store a retry cannot be recognised; the filing itself must not fail for it.
            log.warning("shared store unavailable for report retries: %s", type(exc).__name__)
            return None
        if value is not None and value != _PENDING:
            return json.loads(open_sealed("report.retry", value))
        if time.monotonic() > deadline:
            raise RequestInProgress()
        time.sleep(0.1)


def _remember(key: str, answer: dict) -> None:
    try:
        store().client.set(key, seal("report.retry", json.dumps(answer)), xx=True, keepttl=True)
    except redis.RedisError as exc:
        log.warning("shared store unavailable for report retries: %s", type(exc).__name__)


def _forget(key: str) -> None:
    store().delete(key)


# --- filing ----------------------------------------------------------------------------------------------


def file_report(principal: Principal, *, category: str, subject: dict, description: str, occurred_at: datetime,
                anonymous: bool, attachments: list[str] = (), location: dict | None = None,
                client_request_id: str | None = None) -> dict:
    """File a report (SPEC §5); commits. Answers ``{report_no, status, receipt_code?}``: the receipt is
    shown to an anonymous reporter this once (and to a retry within 10 minutes), never again."""
    account = db.session.get(WeChatAccount, principal.id)
    retry_key = _retry_key(account.id, client_request_id) if client_request_id else None
    if retry_key:
        earlier = _claim_retry(retry_key)
        if earlier is not None:
            return earlier
    try:
        answer = _file(account, category=category, subject=subject, description=description,
                       occurred_at=occurred_at, anonymous=anonymous, attachments=list(attachments),
                       location=location or {})
    except BaseException:
        db.session.rollback()
        if retry_key:
            _forget(retry_key)
        raise
    if retry_key:
        _remember(retry_key, answer)
    return answer


DAILY_LIMIT = ratelimits.Limit("reports", "limits.reports_per_day", ratelimits.DAY,
                               _("You have filed today's reports; try again tomorrow."))
RECEIPT_LIMIT = ratelimits.Limit("receipt-lookups", "limits.receipt_lookups_per_hour", ratelimits.HOUR,
                                 _("Too many receipt look-ups; try again later."))


def count_daily(account_id: int) -> None:
    """One filing against the account's daily limit, counted before anything is checked, under a keyed hash
    of account and day (the store holds no account id, and forgets the count at 24:00)."""
    ratelimits.attempt(DAILY_LIMIT, f"{account_id}:{local_today().isoformat()}")


def _file(account: WeChatAccount, *, category, subject, description, occurred_at, anonymous, attachments,
          location) -> dict:
    reporter_resident_id = None
    if not anonymous:
        if account.resident_id is None:
            raise NotBoundForRealName()
        reporter_resident_id = account.resident_id
    count_daily(account.id)
    kind = categories.get(category, active_only=True)
    checked = check_subject(subject)
    now = utcnow()
    if occurred_at > now + FUTURE_TOLERANCE:
        raise InvalidInput(_("must not be in the future"), field="occurred_at")
    town_id = _town_id(location.get("town"))
    owner = uploads.Owner("wechat", account.id)
    uploads.check_attachable(owner, attachments, anonymous=anonymous)
    address = location.get("address")
    text = "\n".join(part for part in (description, checked.name, address) if part)
    screening = screen(account.openid, text)

    subject_resident = residents.find_by_id_number(checked.id_number) if checked.id_number else None
    if subject_resident is not None and town_id is None:
        town_id = subject_resident.town_id
    receipt = readback_codes.new_code() if anonymous else None
    report = Report(
        report_no=_next_report_no(now), category_id=kind.id, subject_type=checked.type,
        subject_name_sealed=seal("report.subject_name", checked.name),
        subject_name_hash=lookup_hash("report.subject_name", checked.name),
        subject_id_number_sealed=seal("id_number", checked.id_number),
        subject_id_number_hash=residents.id_number_hash(checked.id_number) if checked.id_number else None,
        subject_uscc=checked.uscc, subject_resident_id=subject_resident.id if subject_resident else None,
        town_id=town_id, location_sealed=seal("report.location", address),
        description_sealed=seal("report.description", description), occurred_at=occurred_at, filed_at=now,
        anonymous=anonymous, reporter_account_id=None if anonymous else account.id,
        reporter_resident_id=reporter_resident_id,
        receipt_hash=readback_codes.digest("receipt", receipt) if receipt else None, screening=screening,
        status="submitted",
        acknowledge_due_on=deadlines.due_in_working_days(now, settings.get("reports.acknowledge_working_days")),
        decide_due_on=deadlines.due_in_days(now, settings.get("reports.decide_days")))
    report.duplicate_of_id = _duplicate_group(report, now)
    db.session.add(report)
    db.session.flush()
    add_step(report, "filed", at=now)
    uploads.attach(owner, attachments, ATTACHED_TO_REPORT, report.id, anonymous=anonymous)
    db.session.commit()
    answer = {"report_no": report.report_no, "status": report.status}
    if receipt:
        answer["receipt_code"] = readback_codes.display(receipt)
    return answer


def _next_report_no(now: datetime) -> str:
    """``JB-<Asia/Shanghai date>-<serial of the day>``, the serial counted in one atomic statement."""
    day = now.astimezone(SHANGHAI).date()
    module = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    table = ReportNumber.__table__
    statement = module.insert(table).values(day=day, last=1)
    statement = statement.on_conflict_do_update(index_elements=[table.c.day],
                                                set_={"last": table.c.last + 1}).returning(table.c.last)
    serial = db.session.execute(statement).scalar_one()
    return f"JB-{day:%Y%m%d}-{serial:04d}"


def _duplicate_group(report: Report, now: datetime) -> int | None:
    """The first report of the group this one joins: the same category and subject (same ID number, or
    USCC; without either, the same name in the same town) filed within the window (SPEC §5)."""
    if report.subject_id_number_hash:
        same = Report.subject_id_number_hash == report.subject_id_number_hash
    elif report.subject_uscc:
        same = Report.subject_uscc == report.subject_uscc
    elif report.town_id is not None:
        same = (Report.subject_name_hash == report.subject_name_hash) & (Report.town_id == report.town_id) & \
            Report.subject_id_number_hash.is_(None) & Report.subject_uscc.is_(None)
    else:
        return None
    since = now - timedelta(days=settings.get("reports.duplicate_window_days"))
    earlier = db.session.execute(select(Report.id, Report.duplicate_of_id).where(
        Report.category_id == report.category_id, Report.subject_type == report.subject_type, same,
        Report.filed_at >= since).order_by(Report.filed_at, Report.id).limit(1)).first()
    if earlier is None:
        return None
    return earlier.duplicate_of_id or earlier.id


def add_step(report: Report, step: str, *, staff_id: int | None = None, detail: str | None = None,
             at: datetime | None = None) -> None:
    db.session.execute(insert(ReportStep).values(report_id=report.id, at=at or utcnow(), step=step,
                                                 staff_id=staff_id, detail=detail))


# --- finding a report ------------------------------------------------------------------------------------


def get_report(report_id: int) -> Report:
    report = db.session.get(Report, report_id)
    if report is None:
        raise ReportNotFound()
    return report


def own_report(principal: Principal, report_no: str) -> Report:
    """A real-name report of the caller's account; 404 for any other (another's is not told apart)."""
    report = db.session.scalar(select(Report).where(Report.report_no == report_no,
                                                    Report.reporter_account_id == principal.id))
    if report is None:
        raise ReportNotFound()
    return report


def count_receipt_attempt() -> None:
    """Every receipt look-up counts against the caller's IP, before the receipt is even read."""
    ratelimits.attempt(RECEIPT_LIMIT, ratelimits.client_ip())


def by_receipt(receipt: str) -> Report:
    """The anonymous report with this receipt (read back tolerant of case, spaces, hyphens, I/L/O)."""
    canonical = readback_codes.normalise(receipt)
    report = None
    if canonical is not None:
        report = db.session.scalar(select(Report).where(
            Report.receipt_hash == readback_codes.digest("receipt", canonical)))
    if report is None:
        raise ReceiptUnknown()
    return report


def my_reports(principal: Principal):
    """The caller's real-name reports, newest first: a select to paginate."""
    return (select(Report).where(Report.reporter_account_id == principal.id)
            .order_by(Report.filed_at.desc(), Report.id.desc()))


# --- what the reporter sees ------------------------------------------------------------------------------


def opened(report: Report, field: str, column: str) -> str | None:
    return open_sealed(field, getattr(report, column))


def subject_view(report: Report) -> dict:
    """The subject as anyone but the office's decision shows it: masked."""
    name = open_sealed("report.subject_name", report.subject_name_sealed)
    return {"type": report.subject_type,
            "masked_name": mask_name(name) if report.subject_type == "person" else name,
            "masked_id_number": mask_id_number(open_sealed("id_number", report.subject_id_number_sealed)),
            "uscc": report.subject_uscc}


def reward_state(report: Report) -> dict | None:
    reward = report.reward
    if reward is None:
        return None
    return {"status": reward.status, "amount": reward.amount, "paid_at": reward.paid_at}


def messages_view(report: Report) -> list[dict]:
    return [{"id": m.id, "kind": m.kind, "text": open_sealed("report.message", m.text_sealed), "at": m.at,
             "attachments": uploads.attachments(ATTACHED_TO_ANSWER, m.id) if m.kind == "answer" else []}
            for m in report.messages]


def reporter_view(report: Report) -> dict:
    """The report as its reporter follows it (real-name, or anonymous by receipt): status, outcome, history,
    the office's questions and the answers, reward state; never other reports of its group."""
    return {
        "report_no": report.report_no,
        "category": {"code": report.category.code, "name": report.category.name},
        "status": report.status,
        "extended": report.extended_at is not None,
        "outcome": report.outcome,
        "anonymous": report.anonymous,
        "filed_at": report.filed_at,
        "occurred_at": report.occurred_at,
        "decided_at": report.decided_at,
        "subject": subject_view(report),
        "description": open_sealed("report.description", report.description_sealed),
        "attachments": uploads.attachments(ATTACHED_TO_REPORT, report.id),
        "history": [{"step": s.step, "at": s.at} for s in report.steps if s.step in REPORTER_STEPS],
        "messages": messages_view(report),
        "reward": reward_state(report),
    }


# --- questions and answers -------------------------------------------------------------------------------


def answer(report: Report, *, text: str, attachments: list[str], owner: uploads.Owner | None,
           openid: str | None) -> ReportMessage:
    """The reporter answers the office's questions (real-name by account, anonymous by receipt); commits.
    An anonymous answer's attachments forget their owner as they are attached."""
    if report.status == "decided":
        raise ReportDecided()
    if not any(m.kind == "question" for m in report.messages):
        raise Conflict(_("The office has asked nothing yet."), reason="no_question")
    uploads.check_attachable(owner, attachments, anonymous=report.anonymous)
    screening = screen(openid, text) if openid else "unavailable"
    message = ReportMessage(report_id=report.id, kind="answer", text_sealed=seal("report.message", text),
                            at=utcnow(), screening=screening)
    db.session.add(message)
    db.session.flush()
    uploads.attach(owner, attachments, ATTACHED_TO_ANSWER, message.id, anonymous=report.anonymous)
    add_step(report, "answer")
    db.session.commit()
    return message


def anonymous_answer_caller(principal: Principal | None) -> tuple[uploads.Owner | None, str | None]:
    """Who answers by receipt: the signed-in account's upload ownership and openid (in flight only)."""
    if principal is None or principal.kind != "wechat":
        return None, None
    account = db.session.get(WeChatAccount, principal.id)
    return uploads.Owner("wechat", account.id), account.openid

