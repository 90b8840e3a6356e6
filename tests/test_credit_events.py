"""Credit events (信用事件): departments and the credit office grant rubric items to residents; the ledger is
idempotent by (source, source_ref), capped per calendar year, never edited, and only its status moves
(SPEC §1, §3)."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from backend.audit.models import AuditRecord
from backend.credit import rubric, service
from backend.credit.models import CreditAccount, CreditEvent, EventStatusChange
from backend.credit.service import StatusMoveNotAllowed
from backend.data.extensions import db
from backend.dates.timeutil import SHANGHAI, as_utc, utcnow
from backend.notices.models import NoticeAttempt
from backend.query_records.models import QueryRecord
from backend.staff import service as staff_service
from backend.web.errors import InvalidInput, NotFound
from tests.conftest import bearer

EVENTS = "/api/v1/admin/credit-events"
LOOKUP = "/api/v1/admin/credit-events/lookup"  # the ID number travels in the body, never in a URL (SPEC §2)
SOURCE = "market-regulation"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def hours_ago(hours: int = 1) -> datetime:
    return (utcnow() - timedelta(hours=hours)).astimezone(SHANGHAI).replace(microsecond=0)


def item(code="SC-T1", points=10, **fields):
    """A city-wide rubric item made through the rubric service (a penalty is 'general' unless told)."""
    kind = "bonus" if points > 0 else "penalty"
    fields.setdefault("category", "social_contribution")
    fields.setdefault("title", f"条目 {code}")
    if kind == "penalty":
        fields.setdefault("severity", "general")
    return rubric.create_item(None, code=code, points=points, kind=kind, **fields)


def body(resident, code="SC-T1", **changes):
    payload = {"id_number": resident.plain["id_number"], "rubric_code": code,
               "occurred_at": hours_ago().isoformat(), "source": SOURCE, "source_ref": "MR-2026-0001"}
    payload.update(changes)
    return {key: value for key, value in payload.items() if value is not None}


def post(client, headers, resident, code="SC-T1", **changes):
    return client.post(EVENTS, json=body(resident, code, **changes), headers=headers)


def committed(model) -> int:
    """Rows of ``model`` that were committed (a refused request's leftovers are discarded first)."""
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def points_of(resident) -> int | None:
    db.session.rollback()
    account = db.session.get(CreditAccount, resident.id)
    return account.points if account else None


def principal(staff, role="reviewer"):
    member = staff.create(role)
    return staff_service.principal_from_claims({"uid": member.id, "fam": None})


@pytest.fixture
def admin(staff):
    return staff.headers("admin")


@pytest.fixture
def department(staff):
    return staff.headers("department", source=SOURCE)


@pytest.fixture
def resident(residents):
    return residents.create()


# -- who may send what --------------------------------------------------------------------------------

def test_admin_records_an_event_under_any_source(client, admin, resident):
    item(points=10)
    response = post(client, admin, resident, source="credit-office", source_ref="CO-1", note="年度志愿服务")
    assert response.status_code == 201
    event = response.get_json()
    assert (event["rubric_code"], event["title"], event["kind"], event["points"], event["status"]) == (
        "SC-T1", "条目 SC-T1", "bonus", 10, "active")
    assert (event["source"], event["source_ref"], event["resident_id"], event["note"]) == (
        "credit-office", "CO-1", resident.id, "年度志愿服务")
    assert event["occurred_at"].endswith("+08:00")
    stored = db.session.get(CreditEvent, event["id"])
    assert (stored.created_by_kind, stored.status) == ("staff", "active")
    assert points_of(resident) == 1010


def test_department_records_an_event_under_its_own_source(client, staff, resident):
    member = staff.create("department", source=SOURCE)
    item(points=-30)
    response = post(client, {"Authorization": f"Bearer {staff.token(member)}"}, resident, "SC-T1")
    assert response.status_code == 201
    stored = db.session.get(CreditEvent, response.get_json()["id"])
    assert (stored.source, stored.created_by_kind, stored.created_by_id) == (SOURCE, "staff", member.id)
    assert points_of(resident) == 970


def test_department_cannot_send_under_another_source_and_nothing_is_written(client, department, resident):
    item(points=-30)
    response = post(client, department, resident, source="public-security")
    assert response.status_code == 403
    assert response.get_json()["reason"] == "source_not_allowed"
    assert committed(CreditEvent) == 0
    assert committed(NoticeAttempt) == 0
    assert points_of(resident) is None


@pytest.mark.parametrize("role", ["reviewer", "resident"])
def test_reviewers_and_residents_cannot_record_events(client, staff, residents, resident, role):
    item()
    headers = staff.headers("reviewer") if role == "reviewer" else residents.bound_headers(resident)
    assert post(client, headers, resident).status_code == 403
    assert client.post(EVENTS, json=body(resident)).status_code == 401
    assert committed(CreditEvent) == 0


def test_a_staff_grant_is_an_audit_record(client, staff, resident):
    # SPEC §1: every staff write (create, change, decide, grant) is an audit record.
    member = staff.create("department", source=SOURCE)
    item(points=-30)
    response = post(client, {"Authorization": f"Bearer {staff.token(member)}"}, resident)
    assert response.status_code == 201
    records = db.session.scalars(select(AuditRecord).where(AuditRecord.actor_id == member.id)).all()
    assert [r.object_id for r in records] == [str(response.get_json()["id"])]
    assert resident.plain["id_number"] not in str([(r.before, r.after, r.note) for r in records])


# -- idempotency by (source, source_ref) --------------------------------------------------------------

def test_the_same_event_sent_again_returns_the_recorded_one_and_adds_nothing(client, department, residents,
                                                                           resident):
    residents.bound_headers(resident)
    item(points=-30)
    sent = body(resident, note="罚款决定书 2026-17")
    first = client.post(EVENTS, json=sent, headers=department)
    again = client.post(EVENTS, json=sent, headers=department)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert committed(CreditEvent) == 1
    assert points_of(resident) == 970
    assert committed(NoticeAttempt) == 1  # the resident is told once


def test_the_same_moment_written_in_another_offset_is_the_same_content(client, department, resident):
    item()
    moment = hours_ago(5)
    shanghai = post(client, department, resident, occurred_at=moment.isoformat())
    utc = post(client, department, resident, occurred_at=as_utc(moment).isoformat())
    assert moment.isoformat().endswith("+08:00") and as_utc(moment).isoformat().endswith("+00:00")
    assert (shanghai.status_code, utc.status_code) == (201, 200)
    assert utc.get_json()["id"] == shanghai.get_json()["id"]
    assert committed(CreditEvent) == 1


@pytest.mark.parametrize("field", ["resident", "rubric_code", "occurred_at", "note"])
def test_a_source_ref_reused_for_different_content_is_refused(client, department, residents, resident, field):
    item("SC-T1")
    item("SC-T2", points=20)
    other = residents.create(name="李娜")
    first = body(resident, note="第一次")
    assert client.post(EVENTS, json=first, headers=department).status_code == 201
    changed = {"resident": {"id_number": other.plain["id_number"]}, "rubric_code": {"rubric_code": "SC-T2"},
               "occurred_at": {"occurred_at": hours_ago(30).isoformat()}, "note": {"note": "另一份"}}[field]
    response = client.post(EVENTS, json={**first, **changed}, headers=department)
    assert response.status_code == 409
    assert response.get_json()["reason"] == "source_ref_conflict"
    assert committed(CreditEvent) == 1
    assert (points_of(resident), points_of(other)) == (1010, None)


def test_the_same_source_ref_under_two_sources_is_two_events(client, admin, department, resident):
    item()
    assert post(client, department, resident, source_ref="2026-001").status_code == 201
    assert post(client, admin, resident, source="credit-office", source_ref="2026-001").status_code == 201
    assert committed(CreditEvent) == 2
    assert points_of(resident) == 1020


# -- refusals -----------------------------------------------------------------------------------------

def test_an_unknown_rubric_code_is_404_and_nothing_is_written(client, department, resident):
    response = post(client, department, resident, "NO-SUCH")
    assert response.status_code == 404
    assert response.get_json()["reason"] == "rubric_item_not_found"
    assert committed(CreditEvent) == 0


def test_an_id_number_not_in_the_registry_is_404(client, department, residents):
    item()
    stranger = residents.id_number(born="19900305")
    response = client.post(EVENTS, json={**body(residents.create()), "id_number": stranger}, headers=department)
    assert response.status_code == 404
    assert response.get_json()["reason"] == "resident_not_found"
    assert stranger not in response.get_data(as_text=True)
    assert committed(CreditEvent) == 0


@pytest.mark.parametrize("status", ["moved", "deceased"])
def test_a_resident_who_moved_or_died_receives_no_new_events(client, department, residents, status):
    item(points=-30)
    gone = residents.create(status=status)
    response = post(client, department, gone)
    assert response.status_code == 403
    assert response.get_json()["reason"] == "resident_not_active"
    assert committed(CreditEvent) == 0
    assert points_of(gone) is None


@pytest.mark.parametrize("id_number", ["320281198001011234", "32028119800101123", "320281198013011236",
                                       "999999198001011233", "not an id number"],
                         ids=["check-digit", "too-short", "no-such-date", "unknown-region", "words"])
def test_a_malformed_id_number_is_422_and_not_repeated(client, department, resident, id_number):
    item()
    response = client.post(EVENTS, json={**body(resident), "id_number": id_number}, headers=department)
    assert response.status_code == 422
    assert "id_number" in response.get_json()["errors"]["json"]
    assert id_number not in response.get_data(as_text=True)
    assert committed(CreditEvent) == 0


@pytest.mark.parametrize("occurred_at", [
    (utcnow() + timedelta(days=1)).isoformat(),
    (utcnow() + timedelta(hours=1)).astimezone(SHANGHAI).isoformat(),
    "2026-03-01T09:00:00",  # no offset
    "0001-01-01T00:00:00+14:00",  # before any UTC time
    "yesterday",
], ids=["tomorrow", "in-an-hour", "no-offset", "year-one", "not-a-time"])
def test_an_occurred_at_in_the_future_or_unreadable_is_422(client, department, resident, occurred_at):
    item()
    response = post(client, department, resident, occurred_at=occurred_at)
    assert response.status_code == 422
    assert "occurred_at" in response.get_json()["errors"]["json"]
    assert committed(CreditEvent) == 0


def test_a_local_item_is_granted_only_to_residents_of_its_town(client, department, residents):
    ours, theirs = residents.create(town="长泾镇"), residents.create(town="周庄镇", name="王芳")
    item("CJ-T1", town="长泾镇")
    refused = post(client, department, theirs, "CJ-T1", source_ref="ZZ-1")
    assert refused.status_code == 422
    assert refused.get_json()["reason"] == "rubric_item_other_town"
    assert committed(CreditEvent) == 0
    assert post(client, department, ours, "CJ-T1", source_ref="CJ-1").status_code == 201


# -- what an event is given ---------------------------------------------------------------------------

def test_effective_until_is_occurred_at_plus_the_validity_of_the_item(client, department, resident):
    item(points=-50, validity_days=400)
    response = post(client, department, resident, occurred_at="2026-03-01T09:00:00+08:00")
    event = response.get_json()
    assert at(event["occurred_at"]) == at("2026-03-01T09:00:00+08:00")
    assert at(event["effective_until"]) == at("2026-03-01T09:00:00+08:00") + timedelta(days=400)
    stored = db.session.get(CreditEvent, event["id"])
    assert as_utc(stored.effective_until) == at("2027-04-05T01:00:00+00:00")


def test_the_event_copies_the_item_as_it_stands(client, department, resident):
    item("PO-T1", points=-50, severity="serious", caps_stars_at=2, category="public_order")
    event = post(client, department, resident, "PO-T1").get_json()
    assert (event["points"], event["severity"], event["caps_stars_at"], event["category"]) == (
        -50, "serious", 2, "public_order")
    stored = db.session.get(CreditEvent, event["id"])
    assert (stored.min_disclosure_days, stored.max_disclosure_days, stored.repairable) == (365, 1095, True)


def test_annual_cap_limits_what_one_item_adds_per_calendar_year_in_shanghai(client, department, resident):
    item(points=15, annual_cap=20)
    granted = [post(client, department, resident, occurred_at=moment, source_ref=f"VOL-{number}")
               for number, moment in enumerate([
                   "2025-06-01T10:00:00+08:00",
                   "2025-12-31T23:30:00+08:00",  # the same Shanghai year, 15:30 UTC
                   "2025-03-01T10:00:00+08:00",
                   "2026-01-01T00:30:00+08:00",  # the next Shanghai year, still 2025 in UTC
               ])]
    assert [response.status_code for response in granted] == [201] * 4
    assert [response.get_json()["points"] for response in granted] == [15, 5, 0, 15]
    assert committed(CreditEvent) == 4  # an event capped to 0 is still recorded


def test_annual_cap_is_per_resident_and_per_item(client, department, residents, resident):
    item("SC-T1", points=15, annual_cap=20)
    item("SC-T2", points=15, annual_cap=20)
    other = residents.create(name="李娜")
    when = hours_ago(2).isoformat()
    post(client, department, resident, "SC-T1", occurred_at=when, source_ref="a")
    assert post(client, department, resident, "SC-T2", occurred_at=when, source_ref="b").get_json()["points"] == 15
    assert post(client, department, other, "SC-T1", occurred_at=when, source_ref="c").get_json()["points"] == 15
    assert post(client, department, resident, "SC-T1", occurred_at=when, source_ref="d").get_json()["points"] == 5


def test_a_voided_event_does_not_use_up_the_annual_cap(client, department, staff, resident):
    item(points=15, annual_cap=20)
    when = hours_ago(3).isoformat()
    first = post(client, department, resident, occurred_at=when, source_ref="first").get_json()
    reviewer = principal(staff)
    service.dispute(first["id"], None, "居民提出异议")
    service.uphold_objection(first["id"], reviewer, "异议成立")
    db.session.commit()
    second = post(client, department, resident, occurred_at=when, source_ref="second").get_json()
    third = post(client, department, resident, occurred_at=when, source_ref="third").get_json()
    assert (second["points"], third["points"]) == (15, 5)
    assert points_of(resident) == 1020


# -- the penalty notice -------------------------------------------------------------------------------

def account_of(client, headers) -> int:
    return client.get("/api/v1/me", headers=headers).get_json()["account_id"]


def test_a_penalty_notifies_the_bound_account(client, department, residents, resident):
    headers = residents.bound_headers(resident)
    item(points=-30)
    event = post(client, department, resident).get_json()
    attempt = db.session.scalar(select(NoticeAttempt))
    assert (attempt.account_id, attempt.kind) == (account_of(client, headers), "penalty_recorded")
    assert (attempt.object_type, attempt.object_id) == ("credit_event", str(event["id"]))
    assert attempt.status == "sent"
    assert attempt.data == {"thing1": "条目 SC-T1", "number2": "30", "time3": attempt.data["time3"],
                            "thing4": "如有异议，可在小程序内提出"}


def test_the_penalty_notice_gives_the_time_in_china_time(client, department, residents, resident):
    residents.bound_headers(resident)
    item(points=-30)
    post(client, department, resident, occurred_at="2026-03-01T01:30:00+00:00")
    attempt = db.session.scalar(select(NoticeAttempt))
    assert attempt.data["time3"] == "2026年03月01日 09:30"  # SPEC §10: shown in Asia/Shanghai, WeChat's form


def test_a_bonus_sends_no_notice(client, department, residents, resident):
    residents.bound_headers(resident)
    item(points=10)
    assert post(client, department, resident).status_code == 201
    assert committed(NoticeAttempt) == 0


def test_a_penalty_for_a_resident_without_wechat_is_recorded_without_a_notice(client, department, resident):
    item(points=-30)
    assert post(client, department, resident).status_code == 201
    assert committed(NoticeAttempt) == 0
    assert points_of(resident) == 970


def test_a_failing_notice_does_not_undo_the_event(client, department, residents, resident, monkeypatch):
    residents.bound_headers(resident)
    item(points=-30)

    def broken():
        raise ConnectionError("WeChat is unreachable")

    monkeypatch.setattr("backend.notices.service.get_client", broken)
    response = post(client, department, resident)
    assert response.status_code == 201
    assert committed(CreditEvent) == 1
    assert points_of(resident) == 970
    attempt = db.session.scalar(select(NoticeAttempt))
    assert (attempt.kind, attempt.status) == ("penalty_recorded", "failed")


# -- reading events back (staff) ----------------------------------------------------------------------

@pytest.fixture
def ledger(client, admin, department, residents, resident):
    """Two events of ``resident`` from two sources, and one of another resident."""
    item("SC-T1", points=10)
    item("LV-T1", points=-30)
    other = residents.create(name="李娜")
    post(client, admin, resident, "SC-T1", source="credit-office", source_ref="CO-1")
    post(client, department, resident, "LV-T1", source_ref="MR-1")
    post(client, department, other, "LV-T1", source_ref="MR-2")
    return other


def look_up(client, headers, resident, **query):
    return client.post(LOOKUP, json={"id_number": resident.plain["id_number"], **query}, headers=headers)


def test_admin_reads_all_events_of_a_resident(client, admin, resident, ledger):
    response = look_up(client, admin, resident)
    assert response.status_code == 200
    assert "X-Pagination" in response.headers
    assert sorted(event["source_ref"] for event in response.get_json()) == ["CO-1", "MR-1"]
    assert [e["source_ref"] for e in look_up(client, admin, resident, kind="penalty").get_json()] == ["MR-1"]
    assert look_up(client, admin, resident, status="voided").get_json() == []
    paged = client.post(LOOKUP, query_string={"page_size": 1},
                        json={"id_number": resident.plain["id_number"]}, headers=admin)
    assert len(paged.get_json()) == 1 and '"total": 2' in paged.headers["X-Pagination"]


def test_department_reads_back_only_what_it_sent(client, department, resident, ledger):
    response = look_up(client, department, resident)
    assert response.status_code == 200
    assert [event["source_ref"] for event in response.get_json()] == ["MR-1"]


def test_every_staff_look_up_is_a_query_record_the_resident_sees(client, admin, department, residents, resident,
                                                                  ledger):
    look_up(client, admin, resident)
    look_up(client, department, resident)
    records = client.get("/api/v1/me/query-records", headers=residents.bound_headers(resident)).get_json()
    assert sorted(r["actor_role"] for r in records) == ["admin", "department"]
    assert all(r["actor_label"] for r in records)
    assert {r["actor_role"]: r["actor_label"] for r in records}["admin"] == "信用办"
    assert all(r["scope"] == "events" and r["purpose"] for r in records)
    others = client.get("/api/v1/me/query-records", headers=residents.bound_headers(ledger)).get_json()
    assert others == []


def test_a_query_record_shows_the_department_never_the_clerks_name(client, staff, residents, resident, ledger):
    clerk = staff_service.create_staff(None, username="wang", display_name="王小明", password=staff.PASSWORD,
                                       role="department", source=SOURCE)
    look_up(client, bearer(staff.token(clerk)), resident)
    [record] = client.get("/api/v1/me/query-records", headers=residents.bound_headers(resident)).get_json()
    assert (record["actor_role"], record["actor_label"]) == ("department", SOURCE)
    assert "王小明" not in repr(db.session.scalars(select(QueryRecord)).all()) + repr(record)


def test_an_admin_reading_the_audit_trail_of_events_is_a_query_record_of_each_resident(
        client, admin, residents, resident, ledger):
    other = ledger
    trail = client.get("/api/v1/admin/audit", query_string={"action": "credit_event.create"}, headers=admin)
    assert trail.status_code == 200
    assert sorted(entry["after"]["resident_id"] for entry in trail.get_json()) == sorted(
        [resident.id, resident.id, other.id])
    for person in (resident, other):
        records = client.get("/api/v1/me/query-records", headers=residents.bound_headers(person)).get_json()
        assert [(r["actor_role"], r["actor_label"], r["purpose"], r["scope"]) for r in records] == [
            ("admin", "信用办", "audit trail", "audit")]


def test_a_page_of_the_audit_trail_without_residents_records_nothing(client, admin, resident, ledger):
    for query in ({"action": "rubric.create"}, {"object_type": "staff"}):
        trail = client.get("/api/v1/admin/audit", query_string=query, headers=admin)
        assert trail.status_code == 200 and len(trail.get_json()) == 2
    assert committed(QueryRecord) == 0


def test_looking_up_an_unknown_resident_is_404_and_records_nothing(client, admin, residents):
    response = client.post(LOOKUP, json={"id_number": residents.id_number(born="19900305")}, headers=admin)
    assert response.status_code == 404
    assert response.get_json()["reason"] == "resident_not_found"
    assert committed(QueryRecord) == 0


def test_a_look_up_with_a_malformed_id_number_is_422(client, admin):
    response = client.post(LOOKUP, json={"id_number": "320281198001011234"}, headers=admin)
    assert response.status_code == 422
    assert "320281198001011234" not in response.get_data(as_text=True)
    assert committed(QueryRecord) == 0


def test_an_id_number_is_never_sent_in_a_look_up_url(client, admin, resident, ledger):
    response = client.get(EVENTS, query_string={"id_number": resident.plain["id_number"]}, headers=admin)
    assert response.status_code == 405
    assert committed(QueryRecord) == 0


def test_reviewers_cannot_look_up_events(client, staff, resident, ledger):
    assert look_up(client, staff.headers("reviewer"), resident).status_code == 403
    assert committed(QueryRecord) == 0


# -- status moves -------------------------------------------------------------------------------------

@pytest.fixture
def penalty_event(client, department, resident):
    item("LV-T1", points=-30)
    return post(client, department, resident, "LV-T1").get_json()["id"]


MOVE_FUNCTIONS = {"disputed": service.dispute, "active": service.reject_objection,
                  "voided": service.uphold_objection, "repaired": service.repair}


def reach(event_id, status):
    """Walk an active event to ``status`` by allowed moves."""
    path = {"active": [], "disputed": ["disputed"], "voided": ["disputed", "voided"], "repaired": ["repaired"]}
    for step in path[status]:
        MOVE_FUNCTIONS[step](event_id, None, "test set-up")
    db.session.commit()


def changes_of(event_id) -> list[tuple]:
    db.session.rollback()
    return [(c.from_status, c.to_status, c.actor_kind, c.actor_id, c.reason) for c in db.session.scalars(
        select(EventStatusChange).where(EventStatusChange.event_id == event_id).order_by(EventStatusChange.id))]


@pytest.mark.parametrize("path", [["disputed", "active"], ["disputed", "voided"], ["repaired"],
                                  ["disputed", "repaired"], ["disputed", "active", "disputed", "voided"]])
def test_allowed_moves_are_recorded_with_who_and_why(staff, penalty_event, path):
    reviewer = principal(staff)
    status = "active"
    for number, target in enumerate(path):
        moved = MOVE_FUNCTIONS[target](penalty_event, reviewer, f"理由 {number}")
        db.session.commit()
        assert moved.status == target
        status = target
    assert db.session.get(CreditEvent, penalty_event).status == status
    froms = ["active", *path[:-1]]
    assert changes_of(penalty_event) == [(before, after, "staff", reviewer.id, f"理由 {number}")
                                         for number, (before, after) in enumerate(zip(froms, path, strict=True))]


def test_a_move_by_the_system_is_recorded_as_such_and_when(penalty_event):
    before = utcnow() - timedelta(seconds=1)
    service.move_status(penalty_event, "disputed", None, "异议受理")
    db.session.commit()
    assert changes_of(penalty_event) == [("active", "disputed", "system", None, "异议受理")]
    change = db.session.scalar(select(EventStatusChange))
    assert before <= as_utc(change.at) <= utcnow()


# SPEC §3: active → disputed → active | voided, and active | disputed → repaired; nothing else.
ALLOWED = {("active", "disputed"), ("disputed", "active"), ("disputed", "voided"), ("active", "repaired"),
           ("disputed", "repaired")}
STATUSES = ("active", "disputed", "repaired", "voided")
DISALLOWED = [(start, target) for start in STATUSES for target in STATUSES if (start, target) not in ALLOWED]


@pytest.mark.parametrize("start, target", DISALLOWED, ids=[f"{s}-to-{t}" for s, t in DISALLOWED])
def test_other_moves_are_refused_and_change_nothing(staff, resident, penalty_event, start, target):
    reach(penalty_event, start)
    before_points, recorded = points_of(resident), len(changes_of(penalty_event))
    with pytest.raises(StatusMoveNotAllowed) as refused:
        service.move_status(penalty_event, target, principal(staff), "不允许的变更")
    assert (refused.value.status, refused.value.reason) == (409, "status_move_not_allowed")
    assert db.session.get(CreditEvent, penalty_event).status == start
    assert len(changes_of(penalty_event)) == recorded
    assert points_of(resident) == before_points


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_move_without_a_reason_is_refused(staff, penalty_event, reason):
    with pytest.raises(InvalidInput):
        service.dispute(penalty_event, principal(staff), reason)
    assert db.session.get(CreditEvent, penalty_event).status == "active"
    assert changes_of(penalty_event) == []


def test_a_move_of_an_unknown_event_is_404(staff):
    with pytest.raises(NotFound) as missing:
        service.dispute(999_999, principal(staff), "无此事件")
    assert missing.value.reason == "event_not_found"


@pytest.mark.parametrize("path, points", [([], 970), (["disputed"], 970), (["disputed", "active"], 970),
                                          (["disputed", "voided"], 1000), (["repaired"], 1000),
                                          (["disputed", "repaired"], 1000)])
def test_disputed_events_still_count_and_voided_or_repaired_ones_stop(resident, penalty_event, path, points):
    for target in path:
        MOVE_FUNCTIONS[target](penalty_event, None, "变更")
    account = db.session.get(CreditAccount, resident.id)
    assert account.points == points  # already in the transaction that moved the status
    db.session.commit()
    assert points_of(resident) == points


def test_a_status_move_and_its_account_change_roll_back_together(resident, penalty_event):
    service.repair(penalty_event, None, "修复完成")
    assert db.session.get(CreditAccount, resident.id).points == 1000
    db.session.rollback()
    assert db.session.get(CreditEvent, penalty_event).status == "active"
    assert points_of(resident) == 970
    assert changes_of(penalty_event) == []


def test_events_are_never_deleted_or_edited_through_the_api(client, admin, penalty_event):
    for method in (client.put, client.patch, client.delete):
        assert method(f"{EVENTS}/{penalty_event}", json={}, headers=admin).status_code in (404, 405)
    assert client.delete(EVENTS, headers=admin).status_code == 405
    assert committed(CreditEvent) == 1
