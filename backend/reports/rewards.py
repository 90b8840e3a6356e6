"""Report rewards (举报奖励, SPEC §5): listed for the office, paid once by staff with ``rewards:pay``,
claimed at the office against an anonymous receipt, and cancelled with the bonus when the report's
penalty is later voided.
"""

from datetime import datetime

from sqlalchemy import select

from backend.audit import service as audit
from backend.credit import service as credit
from backend.credit.models import CreditEvent
from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from backend.i18n import _
from backend.privacy.sealing import seal
from backend.reports.models import Report, ReportDecision, ReportReward
from backend.reports.service import add_step, by_receipt
from backend.residents import service as residents
from backend.residents.models import Resident
from backend.review import decisions
from backend.web.access import Principal
from backend.web.errors import Conflict, NotFound

METHODS = ("cash", "bank_transfer", "wechat_pay", "alipay", "other")
REPORT_SOURCE = "report"


class RewardNotFound(NotFound):
    reason = "reward_not_found"
    message = _("No such reward.")


class RewardCancelled(Conflict):
    reason = "reward_cancelled"
    message = _("This reward was cancelled (the report's penalty was voided); it cannot be paid.")


def rewards(*, status: str | None = None):
    """Rewards, unpaid first: a select to paginate. No payee is in it."""
    statement = select(ReportReward).order_by(ReportReward.status != "approved", ReportReward.id)
    if status:
        statement = statement.where(ReportReward.status == status)
    return statement


def get(reward_id: int) -> ReportReward:
    reward = db.session.get(ReportReward, reward_id)
    if reward is None:
        raise RewardNotFound()
    return reward


def payee(actor: Principal, reward_id: int) -> dict:
    """Who is paid (masked), for staff with ``rewards:pay`` and nothing else of the report; each view is an
    audit record. An anonymous reporter is paid against the receipt, in person."""
    reward = get(reward_id)
    report = reward.report
    audit.record(actor, "reward.view_payee", "report_reward", reward.id)
    db.session.commit()
    if report.anonymous:
        return {"reward_id": reward.id, "anonymous": True, "resident": None}
    resident = db.session.get(Resident, report.reporter_resident_id)
    return {"reward_id": reward.id, "anonymous": False, "resident": residents.masked(resident)}


def claim(actor: Principal, receipt: str) -> ReportReward:
    """The reward of the anonymous report with this receipt, shown to the office paying it; the look-up
    names nobody and is an audit record."""
    report = by_receipt(receipt)
    reward = report.reward
    if reward is None:
        raise RewardNotFound()
    audit.record(actor, "reward.claim_lookup", "report_reward", reward.id)
    db.session.commit()
    return reward


def mark_paid(actor: Principal, reward_id: int, *, paid_at: datetime, method: str, reference: str) -> tuple[
        ReportReward, bool]:
    """Record the payout, once: the same record again answers the stored one, another is 409; commits."""
    fields = {"paid_at": paid_at, "method": method, "reference": reference}
    reward = decisions.lock(ReportReward, reward_id)
    if reward is None:
        raise RewardNotFound()
    if decisions.repeat_or_conflict(reward.paid_fingerprint, "reward", fields):
        return reward, False
    if reward.status == "cancelled":
        raise RewardCancelled()
    now = utcnow()
    reward.status, reward.paid_at, reward.method = "paid", paid_at, method
    reward.reference_sealed = seal("report.reward_reference", reference)
    reward.paid_recorded_at, reward.paid_by = now, actor.id
    reward.paid_fingerprint = decisions.fingerprint("reward", fields)
    add_step(reward.report, "reward_paid", staff_id=actor.id, at=now)
    audit.record(actor, "reward.paid", "report_reward", reward.id, after={"amount": reward.amount, "method": method})
    db.session.commit()
    return reward, True


@credit.on_voided
def penalty_voided(event: CreditEvent, actor: Principal | None) -> None:
    """A report's penalty was voided (an upheld objection): the reporter's bonus is voided with it and an
    unpaid reward is cancelled, in the same transaction (SPEC §5). Runs for every voided event through
    ``credit.service.on_voided``; the objection feature needs to call nothing else."""
    if event.source != REPORT_SOURCE:
        return
    now = utcnow()
    for decision in db.session.scalars(select(ReportDecision).where(ReportDecision.penalty_event_id == event.id)):
        report = db.session.get(Report, decision.report_id)
        if decision.outcome == "substantiated" and decision.reporter_event_id is not None:
            credit.void_as_consequence(decision.reporter_event_id, actor,
                                       str(_("the report's penalty was voided")))
        reward = decisions.lock(ReportReward, report.reward.id) if report.reward is not None else None
        if reward is not None and reward.status == "approved":
            reward.status, reward.cancelled_at = "cancelled", now
            reward.cancel_reason = "penalty voided"
            add_step(report, "reward_cancelled", at=now)
        audit.record(actor, "report.penalty_voided", "report", report.report_no,
                     after={"penalty_event_id": event.id, "reward": reward.status if reward else None})
