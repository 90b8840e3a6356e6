"""Credit repair (信用修复) and objections (异议), SPEC §6: the terms that travel with every penalty, who may
apply and when (in Asia/Shanghai dates), the commitment letter as versioned data, the office's queues with
their deadlines, final decisions that change the event and the account together, and disclosure that ends
by itself."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from backend.credit import disclosure, rubric
from backend.credit import service as credit
from backend.credit.models import CreditEvent
from backend.data.extensions import db
from backend.dates.timeutil import as_local, local_today, utcnow
from backend.monitoring.sources import Period
from backend.notices.models import NoticeAttempt
from backend.query_records.models import QueryRecord
from backend.repairs import service as repairs
from backend.repairs.models import Objection, RepairApplication
from backend.reports.models import ReportReward
from backend.review import deadlines
from tests.conftest import TEST_DATABASE_URL, send_at_once
from tests.reporting import upload_id
from tests.test_credit_codes import bank, bank_system, token_of, verified  # noqa: F401 - fixtures
from tests.test_report_review import World, decided_with_reward

EVENTS = "/api/v1/me/credit/events"
REPAIRS = "/api/v1/me/repairs"
OBJECTIONS = "/api/v1/me/objections"
REVIEW_REPAIRS = "/api/v1/review/repairs"
REVIEW_OBJECTIONS = "/api/v1/review/objections"
LETTER = "/api/v1/public/commitment-letter"
STATEMENT = "罚款已于上月缴清，已整改到位。"
NEW_LETTER = "本人承诺所提交材料真实有效，今后诚实守信，如违背承诺自愿接受惩戒。"

# 17:00 UTC on 30 June is 01:00 on 1 July in Shanghai: every date below is Shanghai's, not UTC's.
OCCURRED = datetime(2025, 6, 30, 17, 0, tzinfo=UTC)
SEVERITY_ITEMS = {"minor": ("T-MINOR", -5), "general": ("T-GENERAL", -20), "serious": ("T-SERIOUS", -60)}
EARLY_2026 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # a general penalty repairable from 30 August 2026
OPENS_ON = {"minor": date(2025, 7, 1), "general": date(2025, 9, 29), "serious": date(2026, 7, 1)}


def shanghai_midnight(day: date) -> datetime:
    """00:00 Asia/Shanghai of ``day``, in UTC (16:00 UTC the day before)."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=8)


class Office:
    def __init__(self, client, staff, residents):
        self.client, self.residents = client, residents
        for severity, (code, points) in SEVERITY_ITEMS.items():
            rubric.create_item(None, code=code, category="public_order", title=f"{severity} 违规", points=points,
                               kind="penalty", severity=severity)
        rubric.create_item(None, code="T-FIXED", category="public_order", title="不可修复的违规", points=-10,
                           kind="penalty", severity="general", repairable=False)
        rubric.create_item(None, code="T-LONG", category="public_order", title="长期计分的违规", points=-30,
                           kind="penalty", severity="general", validity_days=730)
        rubric.create_item(None, code="T-GOOD", category="social_contribution", title="志愿服务", points=10,
                           kind="bonus")
        self.resident = residents.create(name="张伟")
        self.me = residents.bound_headers(self.resident)
        self.reviewer_account = staff.create("reviewer")
        self.reviewer = {"Authorization": f"Bearer {staff.token(self.reviewer_account)}"}
        self.admin = staff.headers("admin")
        self.department = staff.headers("department", source="market-regulation")
        self.serial = 0

    def grant(self, code="T-GENERAL", *, occurred_at=None, resident=None, source="market-regulation"):
        self.serial += 1
        resident = resident or self.resident
        return credit.grant_event(None, id_number=resident.plain["id_number"], rubric_code=code,
                                  occurred_at=occurred_at or utcnow() - timedelta(days=100), source=source,
                                  source_ref=f"ref-{self.serial}").event

    def evidence(self, headers=None) -> list[str]:
        return [upload_id(self.client, headers or self.me)]

    def version(self) -> int:
        return self.client.get(LETTER).get_json()["version"]

    def apply(self, event_id, headers=None, **changes):
        body = {"event_id": event_id, "statement": STATEMENT, "commitment_version": self.version(),
                "evidence": self.evidence(headers), **changes}
        return self.client.post(REPAIRS, json=body, headers=headers or self.me)

    def object(self, event_id, headers=None, **changes):
        body = {"event_id": event_id, "reason": "当天本人不在现场，记录有误。", "evidence": [], **changes}
        return self.client.post(OBJECTIONS, json=body, headers=headers or self.me)

    def decide(self, url, decision, note="材料齐全，符合修复条件。", headers=None):
        return self.client.post(f"{url}/decision", json={"decision": decision, "note": note},
                                headers=headers or self.reviewer)


@pytest.fixture
def office(client, staff, residents):
    return Office(client, staff, residents)


def refused(response, status, reason):
    assert (response.status_code, response.get_json()["reason"]) == (status, reason), response.get_json()
    return response.get_json()


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def at(monkeypatch, moment: datetime) -> None:
    monkeypatch.setattr(repairs, "utcnow", lambda: moment)


# -- repair terms travel with the penalty ----------------------------------------------------------------


def test_every_penalty_carries_its_repair_terms_and_a_bonus_none(office, client):
    penalty = office.grant("T-GENERAL", occurred_at=OCCURRED)
    bonus = office.grant("T-GOOD", occurred_at=utcnow() - timedelta(days=1))
    listed = {e["id"]: e for e in client.get(EVENTS, headers=office.me).get_json()}
    assert listed[bonus.id]["repair"] is None
    terms = listed[penalty.id]["repair"]
    assert terms == {"repairable": True, "opens_on": "2025-09-29",
                     "disclosed_until": "2026-07-01T01:00:00+08:00", "status": "none"}
    one = client.get(f"{EVENTS}/{penalty.id}", headers=office.me)
    assert one.status_code == 200 and one.get_json()["repair"] == terms


def test_a_minor_penalty_is_repairable_at_once_and_never_disclosed(office, client):
    event = office.grant("T-MINOR", occurred_at=OCCURRED)
    terms = client.get(f"{EVENTS}/{event.id}", headers=office.me).get_json()["repair"]
    assert terms == {"repairable": True, "opens_on": "2025-07-01", "disclosed_until": None, "status": "none"}


def test_another_residents_event_is_404(office, client, residents):
    other = residents.create(name="王五")
    event = office.grant(resident=other)
    refused(client.get(f"{EVENTS}/{event.id}", headers=office.me), 404, "event_not_found")
    refused(client.get(f"{EVENTS}/999999", headers=office.me), 404, "event_not_found")
    refused(office.apply(event.id), 404, "event_not_found")
    refused(office.object(event.id), 404, "event_not_found")
    assert count(RepairApplication) == 0 and count(Objection) == 0


def test_the_penalty_notice_carries_the_repair_terms(office):
    event = credit.grant_event(None, id_number=office.resident.plain["id_number"], rubric_code="T-SERIOUS",
                               occurred_at=OCCURRED, source="market-regulation", source_ref="notice-1").event
    notice = db.session.scalar(select(NoticeAttempt).where(NoticeAttempt.kind == "penalty_recorded",
                                                           NoticeAttempt.object_id == str(event.id)))
    # Within WeChat's keyword rules (a `thing` of at most 20 characters): the first day repair can be asked.
    assert notice.data["thing4"] == "可于2026年07月01日起申请信用修复"
    assert as_local(credit.repair_terms(event)["disclosed_until"]).isoformat() == "2028-06-30T01:00:00+08:00"


def test_a_penalty_that_cannot_be_repaired_is_told_how_to_object(office):
    event = credit.grant_event(None, id_number=office.resident.plain["id_number"], rubric_code="T-FIXED",
                               occurred_at=OCCURRED, source="market-regulation", source_ref="notice-2").event
    notice = db.session.scalar(select(NoticeAttempt).where(NoticeAttempt.kind == "penalty_recorded",
                                                           NoticeAttempt.object_id == str(event.id)))
    assert credit.repair_terms(event)["repairable"] is False
    assert notice.data["thing4"] == credit.PENALTY_NOTICE_HINT


# -- eligibility, at the boundary day of each severity ----------------------------------------------------


@pytest.mark.parametrize("severity", list(SEVERITY_ITEMS))
def test_repair_is_refused_the_day_before_with_the_date_and_accepted_on_the_day(office, monkeypatch, severity):
    event = office.grant(SEVERITY_ITEMS[severity][0], occurred_at=OCCURRED)
    opens_on = OPENS_ON[severity]
    assert disclosure.repair_opens_on(event) == opens_on
    # The last second of the day before in Shanghai (15:59:59 UTC): refused, with the first date to apply.
    at(monkeypatch, shanghai_midnight(opens_on) - timedelta(seconds=1))
    body = refused(office.apply(event.id), 422, "repair_too_early")
    assert body["opens_on"] == opens_on.isoformat()
    assert opens_on.isoformat() in body["message"]
    assert count(RepairApplication) == 0
    # Midnight in Shanghai, still the day before in UTC: accepted.
    at(monkeypatch, shanghai_midnight(opens_on))
    response = office.apply(event.id)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["status"] == "pending"


def test_only_a_repairable_penalty_can_be_repaired(office):
    fixed = office.grant("T-FIXED")
    bonus = office.grant("T-GOOD", occurred_at=utcnow() - timedelta(days=1))
    refused(office.apply(fixed.id), 422, "not_repairable")
    refused(office.apply(bonus.id), 422, "not_repairable")
    assert count(RepairApplication) == 0


def test_a_penalty_that_neither_counts_nor_is_disclosed_cannot_be_repaired_or_objected_to(office):
    gone = office.grant("T-GENERAL", occurred_at=utcnow() - timedelta(days=800))
    refused(office.apply(gone.id), 422, "not_repairable")
    refused(office.object(gone.id), 422, "event_not_objectionable")
    assert count(RepairApplication) == 0 and count(Objection) == 0
    assert db.session.get(CreditEvent, gone.id).status == "active"


def test_a_pending_repair_blocks_a_second_and_an_objection(office):
    event = office.grant()
    assert office.apply(event.id).status_code == 201
    refused(office.apply(event.id), 409, "repair_pending")
    refused(office.object(event.id), 409, "repair_pending")
    assert count(RepairApplication) == 1 and count(Objection) == 0


def test_a_pending_objection_blocks_repair(office):
    event = office.grant()
    assert office.object(event.id).status_code == 201
    refused(office.apply(event.id), 409, "objection_pending")
    assert count(RepairApplication) == 0


def test_a_rejected_repair_may_be_followed_by_a_new_one_with_new_evidence(office, client):
    event = office.grant()
    first = office.apply(event.id).get_json()
    assert office.decide(f"{REVIEW_REPAIRS}/{first['id']}", "reject", "缺少缴款凭证。").status_code == 201
    mine = client.get(f"{REPAIRS}/{first['id']}", headers=office.me).get_json()
    assert mine["status"] == "rejected" and mine["decision"]["note"] == "缺少缴款凭证。"
    second = office.apply(event.id)
    assert second.status_code == 201
    assert [r["status"] for r in client.get(REPAIRS, headers=office.me).get_json()] == ["pending", "rejected"]
    assert client.get(f"{EVENTS}/{event.id}", headers=office.me).get_json()["repair"]["status"] == "pending"


def test_evidence_must_be_the_applicants_own_unused_uploads(office, residents):
    event = office.grant()
    other = residents.bound_headers(residents.create(name="王五"))
    refused(office.apply(event.id, evidence=[upload_id(office.client, other)]), 404, "upload_not_found")
    used = office.evidence()
    assert office.object(office.grant().id, evidence=used).status_code == 201
    refused(office.apply(event.id, evidence=used), 409, "upload_used")
    assert count(RepairApplication) == 0


# -- the commitment letter -------------------------------------------------------------------------------


def test_an_outdated_commitment_version_is_refused_and_old_applications_keep_theirs(office, client):
    letter = client.get(LETTER).get_json()
    assert letter["version"] == 1 and "承诺" in letter["text"]
    event, later = office.grant(), office.grant()
    first = office.apply(event.id).get_json()
    published = client.post("/api/v1/admin/commitment-letters", headers=office.admin,
                            json={"title": "信用承诺书（2027 版）", "text": NEW_LETTER})
    assert published.status_code == 201 and published.get_json()["version"] == 2
    assert client.get(LETTER).get_json()["version"] == 2
    body = refused(office.apply(later.id, commitment_version=1), 422, "commitment_version_outdated")
    assert body["current_version"] == 2
    assert office.apply(later.id).get_json()["commitment_version"] == 2
    assert client.get(f"{REPAIRS}/{first['id']}", headers=office.me).get_json()["commitment_version"] == 1
    refused(client.post("/api/v1/admin/commitment-letters", headers=office.reviewer,
                        json={"title": "x" * 5, "text": "y" * 30}), 403, "role_not_allowed")


# -- review: deadlines and queues ------------------------------------------------------------------------


@pytest.mark.parametrize("filed_on, due_on", [
    (date(2026, 9, 30), date(2026, 10, 20)),  # the Golden Week skipped, Saturday 10 October worked (调休)
    (date(2026, 9, 25), date(2026, 10, 15)),  # a weekend, the holiday and the adjusted Saturday
    (date(2026, 11, 27), date(2026, 12, 11)),  # a Friday: two ordinary weekends
])
def test_a_repair_is_due_in_ten_working_days_of_the_mainland_calendar(office, monkeypatch, filed_on, due_on):
    event = office.grant(occurred_at=EARLY_2026)
    at(monkeypatch, shanghai_midnight(filed_on) + timedelta(minutes=30))
    assert office.apply(event.id).get_json()["due_on"] == due_on.isoformat()


def test_an_objection_is_due_in_twenty_calendar_days_from_the_shanghai_date(office, monkeypatch):
    event = office.grant()
    at(monkeypatch, shanghai_midnight(date(2026, 9, 30)) + timedelta(minutes=1))  # 29 September in UTC
    assert office.object(event.id).get_json()["due_on"] == "2026-10-20"


def test_the_deadlines_are_settings(office, monkeypatch):
    from tests.conftest import change_settings

    change_settings({"repairs.decide_working_days": 1, "objections.decide_days": 3})
    at(monkeypatch, shanghai_midnight(date(2026, 9, 30)) + timedelta(hours=1))
    assert office.apply(office.grant(occurred_at=EARLY_2026).id).get_json()["due_on"] == "2026-10-08"
    assert office.object(office.grant(occurred_at=EARLY_2026).id).get_json()["due_on"] == "2026-10-03"


def overdue_at(moment: datetime) -> dict[str, int]:
    """The overdue counts monitoring sees at ``moment`` (SPEC §8), summed over the towns."""
    period = Period(month="", start=moment - timedelta(days=31), end=moment, as_of=moment,
                    on=deadlines.local_date(moment))
    return {name: sum(counts.overdue for counts in source(period).values())
            for name, source in (("repairs", repairs.repair_counts), ("objections", repairs.objection_counts))}


def test_the_queues_mark_overdue_cases_and_filter_them(office, client, monkeypatch):
    late_event, fresh_event = (office.grant("T-LONG", occurred_at=utcnow() - timedelta(days=200)) for _ in "ab")
    at(monkeypatch, utcnow() - timedelta(days=40))
    late = office.apply(late_event.id).get_json()
    late_objection = office.object(office.grant("T-LONG", occurred_at=utcnow() - timedelta(days=200)).id).get_json()
    monkeypatch.undo()
    fresh = office.apply(fresh_event.id).get_json()
    lines = client.get(REVIEW_REPAIRS, headers=office.reviewer).get_json()
    assert [(line["id"], line["overdue"]) for line in lines] == [(late["id"], True), (fresh["id"], False)]
    assert lines[0]["resident"]["masked_name"] == "张*"
    overdue = client.get(f"{REVIEW_REPAIRS}?overdue=true", headers=office.reviewer).get_json()
    assert [line["id"] for line in overdue] == [late["id"]]
    objections = client.get(f"{REVIEW_OBJECTIONS}?overdue=true", headers=office.reviewer).get_json()
    assert [(o["id"], o["overdue"]) for o in objections] == [(late_objection["id"], True)]
    assert overdue_at(utcnow()) == {"repairs": 1, "objections": 1}
    assert overdue_at(utcnow() - timedelta(days=39)) == {"repairs": 0, "objections": 0}
    # Decided cases are no longer overdue now, but were at a moment before their decision.
    office.decide(f"{REVIEW_REPAIRS}/{late['id']}", "reject", "逾期后驳回。")
    assert overdue_at(utcnow()) == {"repairs": 0, "objections": 1}
    assert overdue_at(utcnow() - timedelta(seconds=1))["repairs"] == 1
    assert client.get(f"{REVIEW_REPAIRS}?overdue=true", headers=office.reviewer).get_json() == []


def test_a_case_is_assigned_to_a_reviewer_only(office, client, staff):
    application = office.apply(office.grant().id).get_json()
    url = f"{REVIEW_REPAIRS}/{application['id']}/assign"
    response = client.post(url, json={"reviewer_id": office.reviewer_account.id}, headers=office.admin)
    assert response.status_code == 200 and response.get_json()["assignee_id"] == office.reviewer_account.id
    department = staff.create("department", source="environment")
    refused(client.post(url, json={"reviewer_id": department.id}, headers=office.admin), 422, "not_a_reviewer")
    mine = client.get(f"{REVIEW_REPAIRS}?assignee={office.reviewer_account.id}", headers=office.reviewer).get_json()
    assert [line["id"] for line in mine] == [application["id"]]


def test_residents_and_departments_cannot_use_the_queues(office, client):
    refused(client.get(REVIEW_REPAIRS, headers=office.me), 403, "role_not_allowed")
    refused(client.get(REVIEW_OBJECTIONS, headers=office.department), 403, "role_not_allowed")


def test_the_reviewer_reads_the_case_and_downloads_the_evidence_and_the_read_is_recorded(office, client):
    application = office.apply(office.grant().id).get_json()
    [evidence] = application["evidence"]
    case = client.get(f"{REVIEW_REPAIRS}/{application['id']}", headers=office.reviewer)
    assert case.status_code == 200 and case.get_json()["statement"] == STATEMENT
    assert count(QueryRecord, QueryRecord.resident_id == office.resident.id, QueryRecord.purpose == "信用修复审核") == 1
    file = client.get(f"{REVIEW_REPAIRS}/{application['id']}/attachments/{evidence['upload_id']}",
                      headers=office.reviewer)
    assert file.status_code == 200 and file.headers["X-Content-Type-Options"] == "nosniff"
    assert file.headers["Content-Disposition"].startswith("attachment")
    refused(client.get(f"{REVIEW_REPAIRS}/{application['id']}/attachments/nope", headers=office.reviewer), 404,
            "upload_not_found")


def test_another_residents_application_is_404(office, client, residents):
    application = office.apply(office.grant().id).get_json()
    other = residents.bound_headers(residents.create(name="王五"))
    refused(client.get(f"{REPAIRS}/{application['id']}", headers=other), 404, "repair_not_found")
    objection = office.object(office.grant().id).get_json()
    refused(client.get(f"{OBJECTIONS}/{objection['id']}", headers=other), 404, "objection_not_found")


# -- decisions -------------------------------------------------------------------------------------------


def test_approval_restores_exactly_the_events_points_and_stars(office, client):
    office.grant("T-GOOD", occurred_at=utcnow() - timedelta(days=2))
    before = credit.get_account(office.resident.id)
    points, stars = before.points, before.stars
    event = office.grant("T-SERIOUS", occurred_at=utcnow() - timedelta(days=400))
    other = office.grant("T-GENERAL", occurred_at=utcnow() - timedelta(days=100))
    lowered = credit.get_account(office.resident.id)
    assert lowered.points == points - 60 - 20 and lowered.stars < stars
    application = office.apply(event.id).get_json()
    decided = office.decide(f"{REVIEW_REPAIRS}/{application['id']}", "approve")
    assert decided.status_code == 201 and decided.get_json()["status"] == "approved"
    db.session.expire_all()
    account = credit.get_account(office.resident.id)
    assert (account.points, account.stars) == (points - 20, credit.describe_account(account)["stars"])
    assert db.session.get(CreditEvent, event.id).status == "repaired"
    assert db.session.get(CreditEvent, other.id).status == "active"
    assert client.get(f"{EVENTS}/{event.id}", headers=office.me).get_json()["repair"]["status"] == "approved"
    mine = client.get(f"{REPAIRS}/{application['id']}", headers=office.me).get_json()
    assert mine["decision"] == {"decision": "approve", "note": "材料齐全，符合修复条件。",
                                "decided_at": mine["decision"]["decided_at"]}
    assert [step["step"] for step in mine["history"]] == ["filed", "decided"]
    assert count(NoticeAttempt, NoticeAttempt.kind == "repair_decided") == 1


def test_approving_the_only_penalty_gives_back_the_base_and_its_stars(office):
    event = office.grant("T-SERIOUS", occurred_at=utcnow() - timedelta(days=400))
    assert credit.get_account(office.resident.id).points == 940
    application = office.apply(event.id).get_json()
    office.decide(f"{REVIEW_REPAIRS}/{application['id']}", "approve")
    db.session.expire_all()
    account = credit.get_account(office.resident.id)
    assert (account.points, account.stars) == (1000, 3)


def test_a_decision_is_final(office):
    application = office.apply(office.grant().id).get_json()
    url = f"{REVIEW_REPAIRS}/{application['id']}"
    assert office.decide(url, "approve").status_code == 201
    again = office.decide(url, "approve")
    assert again.status_code == 200 and again.get_json()["status"] == "approved"
    refused(office.decide(url, "reject"), 409, "already_decided")
    refused(office.decide(url, "approve", "换一个理由"), 409, "already_decided")
    assert count(NoticeAttempt, NoticeAttempt.kind == "repair_decided") == 1
    event = db.session.get(CreditEvent, application["event"]["id"])
    assert [(change.from_status, change.to_status) for change in event.changes] == [("active", "repaired")]
    refused(office.decide(f"{REVIEW_REPAIRS}/999999", "approve"), 404, "repair_not_found")


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL not configured: set TEST_DATABASE_URL to run "
                    "parallel decisions against real row locks")
def test_ten_parallel_identical_decisions_apply_once(office, app):
    event = office.grant("T-SERIOUS", occurred_at=utcnow() - timedelta(days=400))
    application = office.apply(event.id).get_json()
    body = {"decision": "approve", "note": "材料齐全，符合修复条件。"}
    answers = send_at_once(app, [("POST", f"{REVIEW_REPAIRS}/{application['id']}/decision",
                                  {"json": body, "headers": office.reviewer})] * 10)
    assert sorted(status for status, _, _ in answers) == [200] * 9 + [201]
    db.session.expire_all()
    assert credit.get_account(office.resident.id).points == 1000
    assert count(NoticeAttempt, NoticeAttempt.kind == "repair_decided") == 1
    changes = db.session.get(CreditEvent, event.id).changes
    assert [(c.from_status, c.to_status) for c in changes] == [("active", "repaired")]


# -- objections ------------------------------------------------------------------------------------------


def test_an_objected_event_is_disputed_and_still_counts(office, client):
    event = office.grant()
    points = credit.get_account(office.resident.id).points
    filed = office.object(event.id)
    assert filed.status_code == 201 and filed.get_json()["event"]["status"] == "disputed"
    assert client.get(f"{EVENTS}/{event.id}", headers=office.me).get_json()["status"] == "disputed"
    assert credit.get_account(office.resident.id).points == points
    refused(office.object(event.id), 409, "already_objected")
    assert count(Objection) == 1


def test_an_upheld_objection_voids_the_event_and_the_department_sees_it(office, client):
    event = office.grant()
    since = utcnow()
    objection = office.object(event.id).get_json()
    decided = office.decide(f"{REVIEW_OBJECTIONS}/{objection['id']}", "upheld", "经核实记录有误。")
    assert decided.status_code == 201
    db.session.expire_all()
    assert db.session.get(CreditEvent, event.id).status == "voided"
    assert credit.get_account(office.resident.id).points == 1000
    mine = client.get(f"{OBJECTIONS}/{objection['id']}", headers=office.me).get_json()
    assert (mine["status"], mine["decision"]["note"]) == ("upheld", "经核实记录有误。")
    assert count(NoticeAttempt, NoticeAttempt.kind == "objection_decided") == 1
    sent = client.get("/api/v1/admin/credit-events", query_string={"changed_since": since.isoformat()},
                      headers=office.department)
    assert sent.status_code == 200
    [line] = sent.get_json()
    assert line["id"] == event.id and line["status"] == "voided"
    assert [(h["from_status"], h["to_status"]) for h in line["history"]] == [("active", "disputed"),
                                                                          ("disputed", "voided")]
    refused(client.get("/api/v1/admin/credit-events", query_string={"source": "environment"},
                       headers=office.department), 403, "source_not_allowed")
    # Another sender's events are not in a department's read-back.
    office.grant(source="environment")
    assert [e["id"] for e in client.get("/api/v1/admin/credit-events", headers=office.department).get_json()] == [
        event.id]


def test_a_rejected_objection_returns_the_event_to_active_and_no_second_objection(office):
    event = office.grant()
    objection = office.object(event.id).get_json()
    assert office.decide(f"{REVIEW_OBJECTIONS}/{objection['id']}", "rejected", "记录无误。").status_code == 201
    db.session.expire_all()
    assert db.session.get(CreditEvent, event.id).status == "active"
    refused(office.object(event.id), 409, "already_objected")
    assert count(Objection) == 1 and db.session.get(CreditEvent, event.id).status == "active"
    assert office.apply(event.id).status_code == 201  # repair is open again


def test_upholding_a_reports_penalty_voids_the_reporters_bonus_and_cancels_the_reward_and_nothing_else(
        client, staff, residents):
    world = World(client, staff, residents)
    filed = decided_with_reward(world)
    penalty = db.session.scalar(select(CreditEvent).where(CreditEvent.source == "report"))
    bonus = db.session.scalar(select(CreditEvent).where(CreditEvent.source == "report-reward"))
    unrelated = credit.grant_event(None, id_number=world.reporter.plain["id_number"], rubric_code=bonus.rubric_code,
                                   occurred_at=utcnow() - timedelta(days=1), source="civil-affairs",
                                   source_ref="unrelated-1").event
    response = client.post(OBJECTIONS, headers=world.subject_headers,
                           json={"event_id": penalty.id, "reason": "举报内容与事实不符，本人从未经营该店。"})
    assert response.status_code == 201, response.get_json()
    decided = client.post(f"{REVIEW_OBJECTIONS}/{response.get_json()['id']}/decision", headers=world.reviewer,
                          json={"decision": "upheld", "note": "经复核举报不实。"})
    assert decided.status_code == 201
    db.session.expire_all()
    assert db.session.get(CreditEvent, penalty.id).status == "voided"
    assert db.session.get(CreditEvent, bonus.id).status == "voided"
    assert db.session.get(CreditEvent, unrelated.id).status == "active"
    assert db.session.get(ReportReward, filed["reward_id"]).status == "cancelled"
    assert credit.get_account(world.subject.id).points == 1000
    assert credit.get_account(world.reporter.id).points == 1000 + unrelated.points


# -- disclosure ends by itself ---------------------------------------------------------------------------


def test_a_bank_sees_a_penalty_only_while_it_is_disclosed(office, client, bank_system):  # noqa: F811
    shown = office.grant("T-GENERAL", occurred_at=utcnow() - timedelta(days=100))
    past_window = office.grant("T-LONG", occurred_at=utcnow() - timedelta(days=400))  # counts, not disclosed
    office.grant("T-MINOR", occurred_at=utcnow() - timedelta(days=1))  # counts, never disclosed
    repaired = office.grant("T-SERIOUS", occurred_at=utcnow() - timedelta(days=400))
    assert credit.shown_status(past_window) == "active" and not disclosure.is_disclosed(past_window)
    application = office.apply(repaired.id).get_json()
    listed = verified(client, bank_system, token_of(client, office.me, "detailed"), purpose="loan")
    assert {p["rubric_code"] for p in listed["active_penalties"]} == {"T-GENERAL", "T-SERIOUS"}
    office.decide(f"{REVIEW_REPAIRS}/{application['id']}", "approve")
    listed = verified(client, bank_system, token_of(client, office.me, "detailed"), purpose="loan")
    assert [p["rubric_code"] for p in listed["active_penalties"]] == [shown.rubric_code]


def test_disclosure_ends_at_the_window_without_anyone_acting(office):
    event = office.grant("T-LONG", occurred_at=OCCURRED)
    end = disclosure.disclosed_until(event)
    assert end == OCCURRED + timedelta(days=365)
    assert disclosure.is_disclosed(event, end - timedelta(seconds=1))
    assert not disclosure.is_disclosed(event, end)


# -- the demo --------------------------------------------------------------------------------------------


def test_the_demo_has_a_repair_and_an_objection_waiting_and_a_penalty_open_for_repair(runner, client, app):
    import json
    from pathlib import Path

    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    saved = json.loads((Path(app.instance_path) / "demo-credentials.json").read_text())["repairs"]
    assert db.session.get(RepairApplication, saved["pending_repair"]).status == "pending"
    assert db.session.get(Objection, saved["pending_objection"]).status == "pending"
    event = db.session.get(CreditEvent, saved["repairable_event"])
    terms = credit.repair_terms(event)
    assert terms["repairable"] and terms["opens_on"] <= local_today() and terms["status"] == "none"
