"""Personal credit reports (个人信用积分评价报告, SPEC §7a): issuing, reading, revoking and the public check.

A report freezes what the resident's credit is at the moment of issue into a snapshot, signs it as a
compact JWS (``typ: chengxin-report+jwt``, the credit-code keys), and stores only that signed snapshot
(sealed: it carries the purpose the resident typed) and the keyed digest of a 100-bit verification code.
Nothing is recomputed afterwards: later events, repairs or new star levels never change an issued report.
A receiver checks it online with the code (``check``, a query record the resident sees) or offline with
the JWKS; a key that signed a report stays published until the report has expired.

Checks and revocations read and write the primary database (SPEC §12): ``db.session`` is bound to it.
"""

import base64
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backend.audit import service as audit
from backend.codes import keys
from backend.credit import disclosure
from backend.credit import service as credit
from backend.credit.levels import level_name
from backend.credit.models import COUNTING_STATUSES, CreditAccount, CreditEvent
from backend.credit.rubric import CATEGORIES
from backend.credit_reports.models import CreditReport
from backend.data.extensions import db
from backend.dates.timeutil import SHANGHAI, as_local, utcnow
from backend.i18n import _
from backend.privacy import readback_codes
from backend.privacy.masking import mask_id_number, mask_name
from backend.privacy.sealing import open_sealed, seal
from backend.query_records import service as query_records
from backend.ratings import service as ratings
from backend.residents.models import Resident
from backend.residents.service import ResidentNotActive, person
from backend.settings import service as settings
from backend.web import ratelimits
from backend.web.access import Principal
from backend.web.errors import InvalidInput, NotFound

ISSUER = "chengxin"
CODE_PURPOSE = "credit-report"  # separates report codes from receipts in the keyed digest
SNAPSHOT_FIELD = "credit_report.snapshot"
REASON_FIELD = "credit_report.revocation_reason"
PUBLIC_CHECK_LABEL = "公开核验"  # who the resident sees in the query record of a public check (SPEC §7a)
PUBLIC_CHECKER = Principal(kind="public", id=None, roles=frozenset(), name="public")
CODE_HEADER = "X-Verification-Code"  # how the resident sends the code back to have it printed
REPORT_NO_PREFIX = "XY"
REPORT_NO_RANDOM = 6
STATUSES = ("valid", "expired", "revoked")
# What a JWS carries besides the snapshot itself.
JWT_CLAIMS = ("iss", "iat", "exp")


class CreditReportNotFound(NotFound):
    """The resident's own report, or one an admin names: unknown and another resident's look the same."""

    reason = "credit_report_not_found"
    message = _("No such credit report.")


class ReportUnknown(NotFound):
    reason = "report_unknown"
    message = _("No credit report has this verification code.")


class ReportCodeMalformed(InvalidInput):
    """A code that cannot be one: decided by its form alone, before any look-up."""

    reason = "report_code_malformed"

    def __init__(self):
        super().__init__(_("not a verification code: 20 letters and digits, as printed on the report"),
                         field="code")


class _HeaderInvalid(InvalidInput):
    """A refused request header, reported under ``errors.headers`` as marshmallow reports fields."""

    def __init__(self, message):
        super().__init__(message, errors={"headers": {CODE_HEADER: [message]}})


class VerificationCodeRequired(_HeaderInvalid):
    reason = "verification_code_required"

    def __init__(self):
        super().__init__(_("Send the report's verification code in the X-Verification-Code header."))


class VerificationCodeMismatch(_HeaderInvalid):
    reason = "verification_code_mismatch"

    def __init__(self):
        super().__init__(_("This is not the verification code of this report."))


DAILY_LIMIT = ratelimits.Limit(
    "credit-reports", "limits.credit_reports_per_day", ratelimits.DAY,
    _("You have issued as many credit reports today as a day allows; try again tomorrow."))


# --- issuing --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    report: CreditReport
    verification_code: str  # canonical form; shown once, never stored
    snapshot: dict
    signed_snapshot: str


def issue(principal: Principal, resident: Resident, purpose: str) -> Issued:
    """Issue a report for the caller's own resident (SPEC §7a); commits. The daily limit is counted
    before anything else, so parallel requests never get past it."""
    ratelimits.attempt(DAILY_LIMIT, principal.id)
    if resident.status != "active":
        raise ResidentNotActive()
    # Locked and recomputed now: the snapshot sees one consistent ledger, expiries up to this moment applied.
    account = credit.recompute_account(resident.id)
    now = utcnow().replace(microsecond=0)
    valid_until = now + timedelta(days=settings.get("credit_reports.validity_days"))
    code = readback_codes.new_code()
    kid, signer = keys.active_signer()
    for _attempt in range(5):
        report_no = _new_report_no(now)
        snapshot = build_snapshot(resident, account, report_no=report_no, purpose=purpose, issued_at=now,
                                  valid_until=valid_until)
        signed = sign(snapshot, kid, signer, issued_at=now, valid_until=valid_until)
        report = CreditReport(report_no=report_no, resident_id=resident.id,
                              code_digest=readback_codes.digest(CODE_PURPOSE, code), kid=kid, issued_at=now,
                              valid_until=valid_until, stars=snapshot["stars"],
                              snapshot_sealed=seal(SNAPSHOT_FIELD, signed))
        try:
            with db.session.begin_nested():
                db.session.add(report)
            break
        except IntegrityError:  # a report number drawn twice on one day: draw again
            continue
    else:
        raise RuntimeError("no free report number after five draws")
    db.session.commit()
    return Issued(report, code, snapshot, signed)


def _new_report_no(now: datetime) -> str:
    """``XY-20261203-K7Q2M9``: the issue date in Shanghai and six random Crockford characters, short
    enough to read out on the phone, unguessable enough that numbers do not count reports."""
    random_part = "".join(secrets.choice(readback_codes.ALPHABET) for _ in range(REPORT_NO_RANDOM))
    return f"{REPORT_NO_PREFIX}-{now.astimezone(SHANGHAI):%Y%m%d}-{random_part}"


def build_snapshot(resident: Resident, account: CreditAccount, *, report_no: str, purpose: str,
                   issued_at: datetime, valid_until: datetime) -> dict:
    """What the report says, as of ``issued_at``: the account (just recomputed), counting events by
    category, every penalty that still counts or is still disclosed, and the household's rating."""
    who = person(resident)
    penalties = _penalties(resident.id, issued_at)
    ceiling = None
    if account.ceiling_stars is not None:
        cause = next((p for p in penalties if p["rubric_code"] == account.capped_by), None)
        ceiling = {"stars": account.ceiling_stars, "rubric_code": account.capped_by,
                   "title": cause["title"] if cause else None}
    return {
        "report_no": report_no,
        "purpose": purpose,
        "issuer": settings.get("credit_reports.issuer"),
        "issued_at": as_local(issued_at).isoformat(),
        "valid_until": as_local(valid_until).isoformat(),
        "subject": {"masked_name": mask_name(who.name), "masked_id_number": mask_id_number(who.id_number)},
        "points": account.points,
        "stars": account.stars,
        "level_name": level_name(account.stars),
        "ceiling": ceiling,
        "categories": _categories(resident.id, issued_at),
        "penalties": penalties,
        "household": {"is_credit_household": ratings.household_status(resident)["is_credit_household"]},
    }


def _categories(resident_id: int, now: datetime) -> list[dict]:
    """Counting events (active or disputed, not expired) by category: how many and how many points,
    bonuses and penalties apart, in the rubric's order of categories."""
    rows = db.session.execute(
        select(CreditEvent.category, CreditEvent.kind, func.count(), func.sum(CreditEvent.points))
        .where(CreditEvent.resident_id == resident_id, CreditEvent.status.in_(COUNTING_STATUSES),
               CreditEvent.effective_until > now)
        .group_by(CreditEvent.category, CreditEvent.kind))
    summary: dict[str, dict] = {}
    for category, kind, count, points in rows:
        entry = summary.setdefault(category, {"category": category, "name": CATEGORIES.get(category, category),
                                              "bonus_events": 0, "bonus_points": 0, "penalty_events": 0,
                                              "penalty_points": 0})
        entry[f"{kind}_events"] = count
        entry[f"{kind}_points"] = int(points)
    order = list(CATEGORIES)
    return sorted(summary.values(), key=lambda e: (order.index(e["category"]) if e["category"] in order
                                                   else len(order), e["category"]))


def _penalties(resident_id: int, now: datetime) -> list[dict]:
    """Every penalty that still counts or is still disclosed (``backend.credit.disclosure``), newest first."""
    events = db.session.scalars(
        select(CreditEvent).where(CreditEvent.resident_id == resident_id, CreditEvent.kind == "penalty",
                                  CreditEvent.status.in_(disclosure.STANDING_STATUSES))
        .order_by(CreditEvent.occurred_at.desc(), CreditEvent.id.desc()))
    listed = []
    for event in events:
        counts = event.effective_until > now
        if not counts and not disclosure.is_disclosed(event, now):
            continue
        until = disclosure.disclosed_until(event)
        listed.append({
            "occurred_on": as_local(event.occurred_at).date().isoformat(),
            "rubric_code": event.rubric_code,
            "category": event.category,
            "title": event.title,
            "points": event.points,
            "severity": event.severity,
            "status": credit.shown_status(event, now),
            "counts": counts,
            "disclosed_until": as_local(until).date().isoformat() if until else None,
        })
    return listed


def sign(snapshot: dict, kid: str, signer, *, issued_at: datetime, valid_until: datetime) -> str:
    """The snapshot as a compact JWS of its own kind (SPEC §4): ``iss``, ``iat``, ``exp`` and the
    snapshot's fields as claims, so a standard JWT library checks signature and expiry offline."""
    claims = {"iss": ISSUER, "iat": int(issued_at.timestamp()), "exp": int(valid_until.timestamp()), **snapshot}
    return jwt.encode(claims, signer, algorithm=keys.ALGORITHM, headers={"kid": kid, "typ": keys.REPORT_TYP})


def signed_a_valid_report(kid, now: datetime):
    """Whether the key ``kid`` (a column) signed a report still valid at ``now``: it stays published.
    One index range per key, however many reports there are."""
    return select(CreditReport.id).where(CreditReport.kid == kid, CreditReport.valid_until > now).exists()


# --- reading --------------------------------------------------------------------------------------------


def signed_snapshot(report: CreditReport) -> str:
    return open_sealed(SNAPSHOT_FIELD, report.snapshot_sealed)


def snapshot_of(report: CreditReport) -> dict:
    """The frozen snapshot, read from the stored JWS (ours, sealed at rest: no signature check needed)."""
    payload = signed_snapshot(report).split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return {key: value for key, value in claims.items() if key not in JWT_CLAIMS}


def status_of(report: CreditReport, now: datetime | None = None) -> str:
    if report.revoked_at is not None:
        return "revoked"
    return "expired" if report.valid_until <= (now or utcnow()) else "valid"


def mine(resident_id: int):
    """A resident's reports, newest first: a select to paginate."""
    return (select(CreditReport).where(CreditReport.resident_id == resident_id)
            .order_by(CreditReport.issued_at.desc(), CreditReport.id.desc()))


def get_own(resident_id: int, report_no: str, *, lock: bool = False) -> CreditReport:
    """The resident's report by number; another resident's is as unknown as a number never issued."""
    statement = select(CreditReport).where(CreditReport.report_no == report_no,
                                           CreditReport.resident_id == resident_id)
    report = db.session.scalar(statement.with_for_update() if lock else statement)
    if report is None:
        raise CreditReportNotFound()
    return report


def summary(report: CreditReport, snapshot: dict | None = None) -> dict:
    """A report as the resident's list shows it."""
    snapshot = snapshot or snapshot_of(report)
    return {"report_no": report.report_no, "purpose": snapshot["purpose"], "issued_at": report.issued_at,
            "valid_until": report.valid_until, "status": status_of(report), "stars": snapshot["stars"],
            "level_name": snapshot["level_name"], "revoked_at": report.revoked_at}


def describe(report: CreditReport) -> dict:
    """A report as its resident downloads it as JSON: the frozen snapshot and the signed one."""
    snapshot = snapshot_of(report)
    return {**summary(report, snapshot), "revoked_by": report.revoked_by,
            "revocation_reason": open_sealed(REASON_FIELD, report.revocation_reason_sealed),
            "snapshot": snapshot, "signed_snapshot": signed_snapshot(report)}


def code_for_pdf(report: CreditReport, code_text: str | None) -> str:
    """The report's verification code, as the resident sends it back to print it: the server keeps only
    its digest, so the PDF can carry the code only when the resident supplies it."""
    if not code_text:
        raise VerificationCodeRequired()
    code = readback_codes.normalise(code_text)
    if code is None or not secrets.compare_digest(readback_codes.digest(CODE_PURPOSE, code), report.code_digest):
        raise VerificationCodeMismatch()
    return code


# --- revoking -------------------------------------------------------------------------------------------


def revoke_own(principal: Principal, resident_id: int, report_no: str) -> CreditReport:
    """The resident withdraws one of their reports; commits. Revoking a revoked report changes nothing."""
    report = get_own(resident_id, report_no, lock=True)
    if report.revoked_at is None:
        _revoke(report, "resident", principal.id)
        audit.record(principal, "credit_report.revoke", "credit_report", report.report_no,
                     after={"revoked_by": "resident"})
    db.session.commit()
    return report


def revoke_by_office(actor: Principal, report_no: str, reason: str) -> CreditReport:
    """An admin revokes a report (a mistaken or abused one), with the reason; recorded. A revoked report
    stays as it was revoked."""
    report = db.session.scalar(select(CreditReport).where(CreditReport.report_no == report_no).with_for_update())
    if report is None:
        raise CreditReportNotFound()
    if report.revoked_at is None:
        _revoke(report, "office", actor.id)
        report.revocation_reason_sealed = seal(REASON_FIELD, reason)
        # The reason is free text that may name people: sealed on the report, not copied into the audit.
        audit.record(actor, "credit_report.revoke", "credit_report", report.report_no,
                     after={"revoked_by": "office", "resident_id": report.resident_id})
    db.session.commit()
    return report


def _revoke(report: CreditReport, by: str, by_id: int | None) -> None:
    report.revoked_at = utcnow()
    report.revoked_by = by
    report.revoked_by_id = by_id


# --- the public check -----------------------------------------------------------------------------------


def check(code_text: str) -> dict:
    """What anyone holding a report's code may learn (SPEC §7a), and nothing more; commits the query
    record the resident sees.

    A code is refused as malformed by its form alone, before any look-up; a well-formed one is looked up
    by its keyed digest only, so a near miss and a wild guess take the same path and answer the same."""
    code = readback_codes.normalise(code_text)
    if code is None:
        raise ReportCodeMalformed()
    report = db.session.scalar(select(CreditReport).where(
        CreditReport.code_digest == readback_codes.digest(CODE_PURPOSE, code)))
    if report is None:
        raise ReportUnknown()
    snapshot = snapshot_of(report)
    answer = {"status": status_of(report), "issued_at": report.issued_at,
              "masked_name": snapshot["subject"]["masked_name"], "stars": snapshot["stars"],
              "level_name": snapshot["level_name"], "purpose": snapshot["purpose"]}
    query_records.record(report.resident_id, PUBLIC_CHECKER, purpose=f"核验信用报告 {report.report_no}",
                         scope="credit_report", actor_label=PUBLIC_CHECK_LABEL)
    db.session.commit()
    return answer
