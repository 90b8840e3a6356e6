"""The office's review of reports (SPEC §5): the queue and its deadlines, assignment, acknowledgement, the one
extension, forwarding to the department concerned and its finding, questions and answers, the reporter's
identity behind its permission, final decisions with everything they apply in one transaction, rewards
paid once, and the reporter's bonus voided with a later voided penalty."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from backend.audit.models import AuditRecord
from backend.credit import service as credit
from backend.credit.models import CreditEvent
from backend.data.extensions import db
from backend.dates.timeutil import SHANGHAI, local_today, utcnow
from backend.notices.models import NoticeAttempt
from backend.query_records.models import QueryRecord
from backend.reports.models import Report, ReportDecision, ReportReward
from backend.review import deadlines
from backend.settings import service as settings
from backend.web.access import Principal
from tests.reporting import (
    DEPARTMENT,
    REPORTS,
    REVIEW,
    load_rubric_and_categories,
    report_body,
    upload_id,
)

SYSTEM = Principal(kind="system", id=0, roles=frozenset({"admin"}), name="tests")
REWARDS = "/api/v1/review/rewards"


class World:
    """A reporter, a subject in the registry, the office and the market-regulation department."""

    def __init__(self, client, staff, residents):
        self.client, self.staff, self.residents = client, staff, residents
        load_rubric_and_categories()
        self.reporter = residents.create(name="李明")
        self.me = residents.bound_headers(self.reporter)
        self.subject = residents.create(name="王五")
        self.subject_headers = residents.bound_headers(self.subject)
        self.reviewer_account = staff.create("reviewer")
        self.reviewer = {"Authorization": f"Bearer {staff.token(self.reviewer_account)}"}
        self.admin = staff.headers("admin")
        self.department_account = staff.create("department", source="market-regulation")
        self.department = {"Authorization": f"Bearer {staff.token(self.department_account)}"}

    def file(self, *, anonymous=False, headers=None, **changes) -> dict:
        subject = {"type": "person", "name": "王五", "id_number": self.subject.plain["id_number"]}
        body = report_body(subject=subject, anonymous=anonymous, **changes)
        response = self.client.post(REPORTS, json=body, headers=headers or self.me)
        assert response.status_code == 201, response.get_json()
        filed = response.get_json()
        filed["id"] = db.session.scalar(select(Report.id).where(Report.report_no == filed["report_no"]))
        return filed

    def confirm(self, report_id, finding="confirmed") -> None:
        assert self.client.post(f"{REVIEW}/{report_id}/forward", json={}, headers=self.reviewer).status_code == 201
        response = self.client.post(f"{DEPARTMENT}/{report_id}/findings",
                                    json={"finding": finding, "note": "现场核查属实，已立案处罚。"},
                                    headers=self.department)
        assert response.status_code == 201, response.get_json()

    def decide(self, report_id, headers=None, **changes):
        body = {"outcome": "substantiated", "note": "经市场监管局核查属实。", "reward_amount": 200, **changes}
        return self.client.post(f"{REVIEW}/{report_id}/decision", json=body, headers=headers or self.reviewer)


@pytest.fixture
def world(client, staff, residents):
    return World(client, staff, residents)


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# -- deadlines -------------------------------------------------------------------------------------------


def test_working_day_deadlines_skip_the_national_day_holiday():
    filed = datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI)
    # 1–8 October 2025 are holidays, Saturday 11 October is a working day (调休).
    assert deadlines.due_in_working_days(filed, 5) == date(2025, 10, 14)
    assert deadlines.due_in_days(filed, 30) == date(2025, 10, 30)


def test_a_deadline_is_counted_from_the_shanghai_date():
    late_evening_utc = datetime(2025, 3, 2, 17, 0, tzinfo=SHANGHAI).astimezone(tz=None)
    assert deadlines.local_date(late_evening_utc) == date(2025, 3, 2)
    assert deadlines.is_overdue(date(2025, 3, 2), False, today=date(2025, 3, 3))
    assert not deadlines.is_overdue(date(2025, 3, 2), False, today=date(2025, 3, 2))
    assert not deadlines.is_overdue(date(2025, 3, 2), True, today=date(2025, 3, 9))


def test_the_queue_shows_deadlines_and_marks_late_steps(world, client):
    filed = world.file()
    report = db.session.get(Report, filed["id"])
    assert report.acknowledge_due_on == deadlines.due_in_working_days(report.filed_at, 5)
    assert report.decide_due_on == deadlines.due_in_days(report.filed_at, 30)
    on_time = client.get(f"{REVIEW}?overdue=false", headers=world.reviewer).get_json()
    assert [line["report_no"] for line in on_time] == [filed["report_no"]]
    assert on_time[0]["late"] == [] and on_time[0]["anonymous"] is False

    report.acknowledge_due_on = local_today() - timedelta(days=1)
    db.session.commit()
    late = client.get(f"{REVIEW}?overdue=true", headers=world.reviewer).get_json()
    assert [line["late"] for line in late] == [["acknowledge"]]
    assert client.get(f"{REVIEW}?overdue=false", headers=world.reviewer).get_json() == []


def test_a_late_department_finding_is_flagged_in_the_queue(world, client):
    filed = world.file()
    client.post(f"{REVIEW}/{filed['id']}/forward", json={}, headers=world.reviewer)
    report = db.session.get(Report, filed["id"])
    forward = report.forwards[0]
    assert forward.due_on == deadlines.due_in_working_days(forward.forwarded_at, 10)
    forward.due_on = local_today() - timedelta(days=1)
    db.session.commit()
    [line] = client.get(f"{REVIEW}?overdue=true", headers=world.reviewer).get_json()
    assert "finding" in line["late"]
    listed = client.get(DEPARTMENT, headers=world.department).get_json()
    assert listed[0]["forward"]["late"] is True


def test_queue_filters_by_status_category_and_assignee(world, client):
    first, second = world.file(), world.file(category="environment")
    client.post(f"{REVIEW}/{first['id']}/assign", json={"reviewer_id": world.reviewer_account.id},
                headers=world.admin)
    assert [r["id"] for r in client.get(f"{REVIEW}?assignee={world.reviewer_account.id}",
                                        headers=world.reviewer).get_json()] == [first["id"]]
    assert [r["id"] for r in client.get(f"{REVIEW}?category=environment",
                                        headers=world.reviewer).get_json()] == [second["id"]]
    assert client.get(f"{REVIEW}?status=decided", headers=world.reviewer).get_json() == []


def test_a_case_is_assigned_only_to_a_reviewer_or_admin(world, client):
    filed = world.file()
    response = client.post(f"{REVIEW}/{filed['id']}/assign", json={"reviewer_id": world.department_account.id},
                           headers=world.reviewer)
    assert (response.status_code, response.get_json()["reason"]) == (422, "not_a_reviewer")
    assert db.session.get(Report, filed["id"]).assignee_id is None


# -- acknowledgement and extension ----------------------------------------------------------------------


def test_acknowledging_notifies_a_real_name_reporter_once(world, client):
    filed = world.file()
    for _ in range(2):
        response = client.post(f"{REVIEW}/{filed['id']}/acknowledge", headers=world.reviewer)
        assert response.status_code == 200 and response.get_json()["status"] == "acknowledged"
    [notice] = db.session.scalars(select(NoticeAttempt).where(NoticeAttempt.kind == "report_acknowledged")).all()
    assert notice.data["character_string1"] == filed["report_no"] and notice.data["phrase3"] == "已受理"
    assert len(notice.data["thing2"]) <= 20 and notice.status == "sent"
    view = client.get(f"/api/v1/me/reports/{filed['report_no']}", headers=world.me).get_json()
    assert [h["step"] for h in view["history"]] == ["filed", "acknowledged"]


def test_anonymous_reporters_get_no_notices(world, client):
    filed = world.file(anonymous=True)
    client.post(f"{REVIEW}/{filed['id']}/acknowledge", headers=world.reviewer)
    assert count(NoticeAttempt, NoticeAttempt.kind.like("report%")) == 0


def test_a_report_is_extended_once_to_ninety_days_from_filing(world, client):
    filed = world.file()
    response = client.post(f"{REVIEW}/{filed['id']}/extend", json={"reason": "需跨部门联合调查"},
                           headers=world.reviewer)
    assert response.status_code == 200
    report = db.session.get(Report, filed["id"])
    assert report.decide_due_on == deadlines.due_in_days(report.filed_at, 90)
    assert response.get_json()["extension_reason"] == "需跨部门联合调查"
    again = client.post(f"{REVIEW}/{filed['id']}/extend", json={"reason": "再次延期"}, headers=world.reviewer)
    assert (again.status_code, again.get_json()["reason"]) == (409, "already_extended")


# -- departments -----------------------------------------------------------------------------------------


def test_a_forwarded_report_reaches_its_department_without_the_reporter(world, client, staff):
    photo = upload_id(client, world.me)
    filed = world.file(attachments=[photo])
    response = client.post(f"{REVIEW}/{filed['id']}/forward", json={}, headers=world.reviewer)
    assert (response.status_code, response.get_json()["source"]) == (201, "market-regulation")
    [line] = client.get(DEPARTMENT, headers=world.department).get_json()
    assert line["id"] == filed["id"] and line["report_no"] == filed["report_no"]
    assert line["category"]["code"] == "food_safety" and line["subject"]["masked_name"] == "王*"
    assert not {"anonymous", "reporter"} & set(line)
    view = client.get(f"{DEPARTMENT}/{filed['id']}", headers=world.department).get_json()
    assert view["subject"]["masked_name"] == "王*" and view["attachments"][0]["upload_id"] == photo
    assert not {"anonymous", "reporter", "messages", "history"} & set(view)
    other = staff.headers("department", source="ecology-environment")
    assert client.get(f"{DEPARTMENT}/{filed['id']}", headers=other).status_code == 404
    assert client.get(DEPARTMENT, headers=other).get_json() == []


def test_forwarding_to_a_department_without_staff_is_422(world, client):
    filed = world.file(category="environment")  # ecology-environment has no staff here
    response = client.post(f"{REVIEW}/{filed['id']}/forward", json={}, headers=world.reviewer)
    assert (response.status_code, response.get_json()["reason"]) == (422, "department_unknown")
    assert client.post(f"{REVIEW}/{filed['id']}/forward", json={"source": "market-regulation"},
                       headers=world.reviewer).status_code == 201


def test_a_finding_is_final(world, client):
    filed = world.file()
    client.post(f"{REVIEW}/{filed['id']}/forward", json={}, headers=world.reviewer)
    evidence = upload_id(client, world.department)
    body = {"finding": "confirmed", "note": "现场核查属实。", "evidence": [evidence]}
    first = client.post(f"{DEPARTMENT}/{filed['id']}/findings", json=body, headers=world.department)
    assert first.status_code == 201 and first.get_json()["forward"]["evidence"][0]["upload_id"] == evidence
    assert client.post(f"{DEPARTMENT}/{filed['id']}/findings", json=body, headers=world.department).status_code == 200
    other = client.post(f"{DEPARTMENT}/{filed['id']}/findings", json={**body, "finding": "not_confirmed"},
                        headers=world.department)
    assert (other.status_code, other.get_json()["reason"]) == (409, "already_decided")


# -- attachments for staff -------------------------------------------------------------------------------


def test_staff_download_attachments_as_attachments_never_sniffed(world, client, staff):
    photo = upload_id(client, world.me)
    filed = world.file(attachments=[photo])
    url = f"{REVIEW}/{filed['id']}/attachments/{photo}"
    response = client.get(url, headers=world.reviewer)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "image/jpeg" and response.data[:3] == b"\xff\xd8\xff"
    assert client.get(url, headers=world.me).status_code == 403
    assert client.get(f"{REVIEW}/{filed['id']}/attachments/other-upload", headers=world.reviewer).status_code == 404
    department_url = f"{DEPARTMENT}/{filed['id']}/attachments/{photo}"
    assert client.get(department_url, headers=world.department).status_code == 404  # not forwarded yet
    client.post(f"{REVIEW}/{filed['id']}/forward", json={}, headers=world.reviewer)
    assert client.get(department_url, headers=world.department).status_code == 200
    other = staff.headers("department", source="public-security")
    assert client.get(department_url, headers=other).status_code == 404


# -- questions and answers -------------------------------------------------------------------------------


def test_the_office_asks_and_a_real_name_reporter_answers(world, client):
    filed = world.file()
    early = client.post(f"/api/v1/me/reports/{filed['report_no']}/answers", json={"text": "补充"}, headers=world.me)
    assert (early.status_code, early.get_json()["reason"]) == (409, "no_question")
    client.post(f"{REVIEW}/{filed['id']}/questions", json={"text": "请问具体是哪一天看到的？"}, headers=world.reviewer)
    photo = upload_id(client, world.me)
    response = client.post(f"/api/v1/me/reports/{filed['report_no']}/answers",
                           json={"text": "十二月二日中午。", "attachments": [photo]}, headers=world.me)
    assert response.status_code == 201
    messages = response.get_json()["messages"]
    assert [(m["kind"], m["text"]) for m in messages] == [("question", "请问具体是哪一天看到的？"),
                                                         ("answer", "十二月二日中午。")]
    assert messages[1]["attachments"][0]["upload_id"] == photo


def test_an_anonymous_reporter_reads_questions_and_answers_by_receipt(world, client):
    filed = world.file(anonymous=True)
    client.post(f"{REVIEW}/{filed['id']}/questions", json={"text": "能否补充照片？"}, headers=world.reviewer)
    status = client.post("/api/v1/public/reports/status", json={"receipt": filed["receipt_code"]}).get_json()
    assert status["messages"][0]["text"] == "能否补充照片？"
    photo = upload_id(client, world.me)
    response = client.post("/api/v1/public/reports/answers",
                           json={"receipt": filed["receipt_code"], "text": "已补充。", "attachments": [photo]},
                           headers=world.me)
    assert response.status_code == 201
    from backend.uploads.models import Upload

    stored = db.session.get(Upload, photo)
    assert (stored.owner_kind, stored.owner_id, stored.attached_to) == (None, None, "report_answer")
    without_sign_in = client.post("/api/v1/public/reports/answers",
                                  json={"receipt": filed["receipt_code"], "text": "再补充", "attachments": [photo]})
    assert without_sign_in.status_code == 404


# -- the reporter's identity -----------------------------------------------------------------------------


def test_the_reporter_is_shown_only_with_reports_identity_and_each_view_is_audited(world, client, staff):
    filed = world.file()
    detail = client.get(f"{REVIEW}/{filed['id']}", headers=world.reviewer).get_json()
    assert "reporter" not in detail and world.reporter.plain["name"] not in str(detail)
    refused = client.get(f"{REVIEW}/{filed['id']}/reporter", headers=world.reviewer)
    assert (refused.status_code, refused.get_json()["reason"]) == (403, "permission_required")
    allowed = staff.headers("reviewer", permissions=["reports:identity"])
    body = client.get(f"{REVIEW}/{filed['id']}/reporter", headers=allowed).get_json()
    assert body["anonymous"] is False and body["resident"]["id"] == world.reporter.id
    assert body["resident"]["masked_name"] == "李*"
    assert count(AuditRecord, AuditRecord.action == "report.view_reporter") == 1


# -- decisions -------------------------------------------------------------------------------------------


def events(source=None):
    db.session.expire_all()
    statement = select(CreditEvent).order_by(CreditEvent.id)
    if source:
        statement = statement.where(CreditEvent.source == source)
    return db.session.scalars(statement).all()


def test_substantiated_needs_a_confirmed_finding_and_nothing_is_written_without(world, client):
    filed = world.file()
    response = world.decide(filed["id"])
    assert (response.status_code, response.get_json()["reason"]) == (409, "finding_required")
    world.confirm(filed["id"], finding="not_confirmed")
    assert world.decide(filed["id"]).status_code == 409
    assert events() == [] and count(ReportDecision) == 0 and count(ReportReward) == 0
    assert db.session.get(Report, filed["id"]).status == "submitted"


def test_a_substantiated_decision_applies_penalty_bonus_and_reward_at_once(world, client):
    filed = world.file()
    world.confirm(filed["id"])
    response = world.decide(filed["id"], reward_rubric_code="RP-02")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["status"], body["outcome"]) == ("decided", "substantiated")
    assert body["decision"]["finding"]["source"] == "market-regulation"
    assert body["reward"]["amount"] == 200 and body["reward"]["status"] == "approved"
    [penalty] = events("report")
    assert (penalty.resident_id, penalty.rubric_code, penalty.source_ref) == (world.subject.id, "SF-02",
                                                                             filed["report_no"])
    assert penalty.note == "食品安全"
    [bonus] = events("report-reward")
    assert (bonus.resident_id, bonus.rubric_code, bonus.points) == (world.reporter.id, "RP-02", 30)
    assert filed["report_no"] not in bonus.source_ref and str(filed["id"]) != bonus.source_ref
    assert credit.get_account(world.subject.id).points == 1000 - 50
    kinds = {n.kind for n in db.session.scalars(select(NoticeAttempt))}
    assert {"report_decided", "penalty_recorded"} <= kinds
    view = client.get(f"/api/v1/me/reports/{filed['report_no']}", headers=world.me).get_json()
    assert (view["outcome"], view["reward"]["status"], view["reward"]["amount"]) == ("substantiated", "approved", 200)
    # The subject's own events show source report and the category only.
    mine = client.get("/api/v1/me/credit/events", headers=world.subject_headers).get_json()
    assert [(e["rubric_code"], e.get("source")) for e in mine][0][0] == "SF-02"
    assert world.reporter.plain["name"] not in str(mine)


def test_the_same_decision_again_is_200_with_nothing_applied_twice_and_another_is_409(world, client):
    filed = world.file()
    world.confirm(filed["id"])
    assert world.decide(filed["id"]).status_code == 201
    again = world.decide(filed["id"])
    assert again.status_code == 200 and again.get_json()["outcome"] == "substantiated"
    other = world.decide(filed["id"], outcome="unsubstantiated", reward_amount=None)
    assert (other.status_code, other.get_json()["reason"]) == (409, "already_decided")
    assert len(events()) == 2 and count(ReportReward) == 1 and count(ReportDecision) == 1


@pytest.mark.parametrize(("changes", "status", "reason"), [
    ({"rubric_code": "SC-01"}, 422, "rubric_item_wrong_kind"),
    ({"reward_rubric_code": "SF-02"}, 422, "rubric_item_wrong_kind"),
    ({"reward_rubric_code": "SC-01"}, 422, "rubric_item_wrong_kind"),
    ({"reward_amount": 49}, 422, "reward_out_of_bounds"),
    ({"reward_amount": 10001}, 422, "reward_out_of_bounds"),
    ({"reward_amount": None}, 422, "invalid_input"),
    ({"rubric_code": "NO-SUCH"}, 404, "rubric_item_not_found"),
])
def test_a_bad_decision_is_refused_and_nothing_is_written(world, client, changes, status, reason):
    filed = world.file()
    world.confirm(filed["id"])
    response = world.decide(filed["id"], **changes)
    assert (response.status_code, response.get_json()["reason"]) == (status, reason)
    assert events() == [] and count(ReportDecision) == 0 and count(ReportReward) == 0
    assert db.session.get(Report, filed["id"]).status != "decided"


def test_reward_bounds_follow_the_settings(world, client):
    settings.update(SYSTEM, {"rewards.min_amount": 500})
    filed = world.file()
    world.confirm(filed["id"])
    assert world.decide(filed["id"], reward_amount=400).get_json()["reason"] == "reward_out_of_bounds"
    assert world.decide(filed["id"], reward_amount=500).status_code == 201


def test_only_an_admin_decides_without_a_finding_and_the_reason_is_recorded(world, client):
    filed = world.file()
    reason = "部门撤并，无法出具核查意见，信用办依据现场照片认定。"
    refused = world.decide(filed["id"], without_finding_reason=reason)
    assert (refused.status_code, refused.get_json()["reason"]) == (403, "override_not_allowed")
    response = world.decide(filed["id"], headers=world.admin, without_finding_reason=reason)
    assert response.status_code == 201
    assert response.get_json()["decision"]["override_reason"] == reason
    assert response.get_json()["decision"]["finding"] is None


def test_a_malicious_real_name_report_penalises_the_reporter(world, client):
    filed = world.file()
    response = world.decide(filed["id"], outcome="malicious", reward_amount=None, note="捏造事实，恶意举报。")
    assert response.status_code == 201
    [penalty] = events("report-malicious")
    assert (penalty.resident_id, penalty.rubric_code, penalty.points) == (world.reporter.id, "RP-03", -50)
    assert filed["report_no"] not in penalty.source_ref
    assert events("report") == []


def test_a_malicious_anonymous_report_penalises_nobody(world, client):
    filed = world.file(anonymous=True)
    assert world.decide(filed["id"], outcome="malicious", reward_amount=None).status_code == 201
    assert events() == []


def test_in_a_duplicate_group_only_the_first_substantiated_carries_a_reward(world, client, residents):
    second_reporter = residents.bound_headers(residents.create(name="赵六"))
    first, second = world.file(), world.file(headers=second_reporter)
    assert db.session.get(Report, second["id"]).duplicate_of_id == first["id"]
    for filed in (first, second):
        world.confirm(filed["id"])
    assert world.decide(first["id"]).status_code == 201
    response = world.decide(second["id"], reward_amount=None)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["reward"] is None
    assert count(ReportReward) == 1
    assert len(events("report")) == 1, "the same matter penalises its subject once"
    assert len(events("report-reward")) == 2, "each real-name reporter's bonus"


def test_held_query_records_show_to_the_subject_only_after_the_decision(world, client):
    filed = world.file()
    detail = client.get(f"{REVIEW}/{filed['id']}", headers=world.reviewer).get_json()
    assert detail["subject_credit"]["resident"]["id"] == world.subject.id
    assert count(QueryRecord, QueryRecord.resident_id == world.subject.id) == 1
    assert client.get("/api/v1/me/query-records", headers=world.subject_headers).get_json() == []
    world.confirm(filed["id"])
    world.decide(filed["id"])
    shown = client.get("/api/v1/me/query-records", headers=world.subject_headers).get_json()
    # The held read of the handling, and the read the decision's answer made.
    assert [record["purpose"] for record in shown] == ["举报核查", "举报核查"]


# -- rewards ---------------------------------------------------------------------------------------------


def decided_with_reward(world, *, anonymous=False) -> dict:
    filed = world.file(anonymous=anonymous)
    world.confirm(filed["id"])
    assert world.decide(filed["id"]).status_code == 201
    filed["reward_id"] = db.session.scalar(select(ReportReward.id).where(ReportReward.report_id == filed["id"]))
    return filed


PAID = {"paid_at": "2026-12-03T10:00:00+08:00", "method": "bank_transfer", "reference": "JY-2026-0042"}


def test_a_reward_is_paid_once_by_staff_with_rewards_pay(world, client, staff):
    filed = decided_with_reward(world)
    url = f"{REWARDS}/{filed['reward_id']}/paid"
    refused = client.post(url, json=PAID, headers=world.reviewer)
    assert (refused.status_code, refused.get_json()["reason"]) == (403, "permission_required")
    payer = staff.headers("reviewer", permissions=["rewards:pay"])
    payee = client.get(f"{REWARDS}/{filed['reward_id']}/payee", headers=payer).get_json()
    assert payee["resident"]["masked_name"] == "李*"
    first = client.post(url, json=PAID, headers=payer)
    assert first.status_code == 200 and first.get_json()["status"] == "paid"
    assert client.post(url, json=PAID, headers=payer).status_code == 200
    other = client.post(url, json={**PAID, "reference": "JY-2026-0043"}, headers=payer)
    assert (other.status_code, other.get_json()["reason"]) == (409, "already_decided")
    assert {a for a in db.session.scalars(select(AuditRecord.action))} >= {"reward.view_payee", "reward.paid"}
    view = client.get(f"/api/v1/me/reports/{filed['report_no']}", headers=world.me).get_json()
    assert view["reward"]["status"] == "paid"
    assert [r["status"] for r in client.get(REWARDS, headers=world.reviewer).get_json()] == ["paid"]


def test_an_anonymous_reward_is_found_by_receipt_at_the_office(world, client, staff):
    filed = decided_with_reward(world, anonymous=True)
    payer = staff.headers("reviewer", permissions=["rewards:pay"])
    response = client.post(f"{REWARDS}/claim", json={"receipt": filed["receipt_code"].lower()}, headers=payer)
    assert response.status_code == 200
    assert (response.get_json()["id"], response.get_json()["anonymous"]) == (filed["reward_id"], True)
    payee = client.get(f"{REWARDS}/{filed['reward_id']}/payee", headers=payer).get_json()
    assert payee == {"reward_id": filed["reward_id"], "anonymous": True, "resident": None}
    unknown = client.post(f"{REWARDS}/claim", json={"receipt": "ABCD-EFGH-JKMN-PQRS-TVWX"}, headers=payer)
    assert (unknown.status_code, unknown.get_json()["reason"]) == (404, "receipt_unknown")
    status = client.post("/api/v1/public/reports/status", json={"receipt": filed["receipt_code"]}).get_json()
    assert status["reward"]["status"] == "approved"


def test_a_voided_penalty_voids_the_bonus_and_cancels_an_unpaid_reward(world, client, staff):
    filed = decided_with_reward(world)
    [penalty] = events("report")
    credit.dispute(penalty.id, None, "居民提出异议")
    credit.uphold_objection(penalty.id, None, "异议成立")
    db.session.commit()
    [bonus] = events("report-reward")
    assert bonus.status == "voided"
    assert db.session.get(ReportReward, filed["reward_id"]).status == "cancelled"
    assert credit.get_account(world.reporter.id).points == 1000
    payer = staff.headers("reviewer", permissions=["rewards:pay"])
    refused = client.post(f"{REWARDS}/{filed['reward_id']}/paid", json=PAID, headers=payer)
    assert (refused.status_code, refused.get_json()["reason"]) == (409, "reward_cancelled")


def test_a_voided_penalty_leaves_a_paid_reward_paid(world, client, staff):
    filed = decided_with_reward(world)
    payer = staff.headers("reviewer", permissions=["rewards:pay"])
    client.post(f"{REWARDS}/{filed['reward_id']}/paid", json=PAID, headers=payer)
    [penalty] = events("report")
    credit.dispute(penalty.id, None, "居民提出异议")
    credit.uphold_objection(penalty.id, None, "异议成立")
    db.session.commit()
    assert db.session.get(ReportReward, filed["reward_id"]).status == "paid"
    assert events("report-reward")[0].status == "voided"


# -- reserved sources ------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["report", "report-reward", "reports-office"])
def test_departments_and_admins_cannot_send_under_a_reserved_source(world, client, source):
    body = {"id_number": world.subject.plain["id_number"], "rubric_code": "SF-01", "source": source,
            "source_ref": "X-1", "occurred_at": utcnow().isoformat()}
    for headers in (world.admin, world.department):
        response = client.post("/api/v1/admin/credit-events", json=body, headers=headers)
        assert (response.status_code, response.get_json()["reason"]) == (422, "source_reserved")
    assert events() == []


def test_an_import_line_under_a_reserved_source_is_refused_by_line(world, client):
    rows = (f"id_number,rubric_code,occurred_at,source,source_ref\n"
            f"{world.subject.plain['id_number']},SF-01,{utcnow().isoformat()},report,R-1\n")
    response = client.post("/api/v1/admin/credit-events/import", data=rows.encode(), content_type="text/csv",
                           headers=world.admin)
    assert response.get_json()["errors"][0]["reason"] == "source_reserved"
    assert events() == []


def test_reviewers_in_the_queue_see_flagged_screening(world, client):
    world.file(description="[review] 店内后厨使用过期食材，卫生条件极差。")
    [line] = client.get(REVIEW, headers=world.reviewer).get_json()
    assert (line["flagged"], line["screening"]) == (True, "review")


def test_today_in_the_queue_is_shanghais():
    assert local_today() == utcnow().astimezone(SHANGHAI).date()


def test_an_active_event_is_voided_only_as_a_consequence(world):
    from backend.credit.service import StatusMoveNotAllowed

    filed = decided_with_reward(world)
    [penalty] = events("report")
    with pytest.raises(StatusMoveNotAllowed):
        credit.uphold_objection(penalty.id, None, "no objection was made")
    db.session.rollback()
    assert events("report")[0].status == "active" and db.session.get(ReportReward, filed["reward_id"]).status == \
        "approved"
