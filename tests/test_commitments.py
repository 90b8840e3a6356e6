"""Commitments (守信践诺, SPEC §7b): departments publish and record their own, admins any body's; a pending
commitment past its due day is shown overdue, a late fulfilment is recorded as such, and each body's
fulfilment rate is fulfilled on time ÷ due, all in Asia/Shanghai dates."""

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, text

from backend.audit.models import AuditRecord
from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from backend.integrity import service
from backend.integrity.models import Commitment
from backend.residents.models import Town
from tests.conftest import TEST_DATABASE_URL

ADMIN_COMMITMENTS = "/api/v1/admin/commitments"
PUBLIC_COMMITMENTS = "/api/v1/public/commitments"
INTEGRITY = "/api/v1/public/government-integrity"
RECORDERS = 10


def moment(text_: str) -> datetime:
    return datetime.fromisoformat(text_).astimezone(UTC)


class Clock:
    """The integrity service's clock, set to a moment or left running."""

    def __init__(self, monkeypatch):
        self.now = None
        monkeypatch.setattr(service, "utcnow", lambda: self.now or utcnow())

    def at(self, when: str) -> "Clock":
        self.now = moment(when)
        return self


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture(autouse=True)
def bodies():
    """A department and two town governments, registered through the service."""
    db.session.add_all([Town(name="长泾镇"), Town(name="澄江街道")])
    db.session.commit()
    return {
        "market": service.register_body(None, kind="department", name="江阴市市场监督管理局",
                                        source="market-regulation"),
        "changjing": service.register_body(None, kind="town", name="长泾镇人民政府", town="长泾镇"),
        "chengjiang": service.register_body(None, kind="town", name="澄江街道办事处", town="澄江街道"),
    }


@pytest.fixture
def admin(staff):
    return staff.headers("admin")


@pytest.fixture
def market(staff):
    """A department account of the registered market-regulation body."""
    return staff.headers("department", source="market-regulation")


def new(kind="deadline", title="企业开办一日办结", content="企业开办全流程一个工作日内办结",
        made_on="2026-06-01", due_on="2026-06-30", **extra) -> dict:
    return {"kind": kind, "title": title, "content": content, "made_on": made_on, "due_on": due_on, **extra}


def publish(client, headers, **fields) -> dict:
    response = client.post(ADMIN_COMMITMENTS, json=new(**fields), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def outcome(client, headers, commitment_id, verb="fulfil", evidence="澄市监〔2026〕12号办结通报", **extra):
    return client.post(f"{ADMIN_COMMITMENTS}/{commitment_id}/{verb}", json={"evidence": evidence, **extra},
                       headers=headers)


def counted() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(Commitment)),
            db.session.scalar(select(func.count()).select_from(AuditRecord)))


def public(client, **query) -> list[dict]:
    response = client.get(PUBLIC_COMMITMENTS, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def summary_of(client, body) -> dict:
    response = client.get(INTEGRITY, query_string={"page_size": 100})
    assert response.status_code == 200, response.get_json()
    return next(entry for entry in response.get_json() if entry["owner"]["id"] == body.id)


# --- publishing ------------------------------------------------------------------------------------------


def test_a_department_publishes_its_own_commitment(client, market, bodies, clock):
    clock.at("2026-06-05T10:00:00+08:00")
    body = publish(client, market)
    assert body["owner"] == {"id": bodies["market"].id, "kind": "department", "name": "江阴市市场监督管理局",
                             "source": "market-regulation", "town": None}
    assert (body["status"], body["fulfilled_late"], body["resolved_on"]) == ("pending", False, None)
    assert (body["made_on"], body["due_on"]) == ("2026-06-01", "2026-06-30")
    audit = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "commitment.publish")).one()
    assert (audit.object_type, audit.object_id, audit.actor_kind) == ("commitment", str(body["id"]), "staff")
    assert audit.after["due_on"] == "2026-06-30"


def test_an_admin_records_a_town_governments_commitment(client, admin, bodies, clock):
    clock.at("2026-06-05T10:00:00+08:00")
    body = publish(client, admin, owner_id=bodies["changjing"].id, kind="investment")
    assert body["owner"]["name"] == "长泾镇人民政府"
    assert body["owner"]["town"] == "长泾镇"


def test_an_admin_must_name_an_existing_owner_and_nothing_is_written(client, admin, clock):
    clock.at("2026-06-05T10:00:00+08:00")
    before = counted()
    missing = client.post(ADMIN_COMMITMENTS, json=new(), headers=admin)
    assert missing.status_code == 422
    assert "owner_id" in missing.get_json()["errors"]["json"]
    unknown = client.post(ADMIN_COMMITMENTS, json=new(owner_id=9999), headers=admin)
    assert unknown.status_code == 422
    assert unknown.get_json()["reason"] == "owner_not_found"
    assert counted() == before


def test_a_department_cannot_publish_for_another_body(client, market, bodies, clock):
    clock.at("2026-06-05T10:00:00+08:00")
    before = counted()
    response = client.post(ADMIN_COMMITMENTS, json=new(owner_id=bodies["changjing"].id), headers=market)
    assert response.status_code == 403
    assert response.get_json()["reason"] == "owner_not_allowed"
    assert counted() == before
    own = client.post(ADMIN_COMMITMENTS, json=new(owner_id=bodies["market"].id), headers=market)
    assert own.status_code == 201


def test_a_department_not_registered_as_a_body_is_told_so(client, staff, clock):
    clock.at("2026-06-05T10:00:00+08:00")
    tax = staff.headers("department", source="tax")
    before = counted()
    response = client.post(ADMIN_COMMITMENTS, json=new(), headers=tax)
    assert response.status_code == 409
    assert response.get_json()["reason"] == "owner_not_registered"
    assert counted() == before


@pytest.mark.parametrize(("fields", "field"), [
    ({"made_on": "2026-06-06"}, "made_on"),  # tomorrow, in Shanghai
    ({"made_on": "2026-06-05", "due_on": "2026-06-04"}, "due_on"),
    ({"kind": "promise"}, "kind"),
    ({"title": "   "}, "title"),
    ({"due_on": "30/06/2026"}, "due_on"),
    ({"content": "x" * 5001}, "content"),
])
def test_bad_input_is_422_and_nothing_is_written(client, market, clock, fields, field):
    clock.at("2026-06-05T23:30:00+08:00")
    before = counted()
    response = client.post(ADMIN_COMMITMENTS, json=new(**fields), headers=market)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]["json"]
    assert counted() == before


def test_made_today_in_shanghai_is_accepted_though_utc_is_still_yesterday(client, market, clock):
    clock.at("2026-06-05T23:30:00+00:00")  # 07:30 on 6 June in Shanghai
    body = publish(client, market, made_on="2026-06-06", due_on="2026-06-06")
    assert body["made_on"] == "2026-06-06"


@pytest.mark.parametrize("role", ["reviewer", "resident", "operator"])
def test_other_roles_cannot_publish(client, role_headers, role):
    response = client.post(ADMIN_COMMITMENTS, json=new(), headers=role_headers[role])
    assert response.status_code == 403
    assert response.get_json()["reason"] == "role_not_allowed"
    assert db.session.scalar(select(func.count()).select_from(Commitment)) == 0


# --- one department does not touch another body's commitments --------------------------------------------


def test_a_department_gets_404_for_another_bodys_commitment(client, admin, staff, market, bodies, clock):
    clock.at("2026-06-05T10:00:00+08:00")
    theirs = publish(client, admin, owner_id=bodies["changjing"].id)
    service.register_body(None, kind="department", name="江阴市税务局", source="tax")
    tax = staff.headers("department", source="tax")
    taxes = publish(client, tax)
    before = counted()
    for headers, commitment in ((market, theirs), (market, taxes)):
        path = f"{ADMIN_COMMITMENTS}/{commitment['id']}"
        answers = [client.get(path, headers=headers),
                   client.patch(path, json={"title": "改过的标题"}, headers=headers),
                   outcome(client, headers, commitment["id"]),
                   outcome(client, headers, commitment["id"], "break")]
        for answer in answers:
            assert answer.status_code == 404, answer.get_json()
            assert answer.get_json()["reason"] == "commitment_not_found"
    assert counted() == before
    stored = db.session.get(Commitment, theirs["id"])
    assert (stored.status, stored.title) == ("pending", "企业开办一日办结")


def test_a_department_lists_only_its_own_and_an_admin_all(client, admin, market, bodies, clock):
    clock.at("2026-06-05T10:00:00+08:00")
    own = publish(client, market)
    other = publish(client, admin, owner_id=bodies["changjing"].id)
    listed = client.get(ADMIN_COMMITMENTS, headers=market).get_json()
    assert [c["id"] for c in listed] == [own["id"]]
    asked_for_another = client.get(ADMIN_COMMITMENTS, query_string={"owner": bodies["changjing"].id},
                                   headers=market)
    assert asked_for_another.get_json() == []
    everything = client.get(ADMIN_COMMITMENTS, headers=admin).get_json()
    assert {c["id"] for c in everything} == {own["id"], other["id"]}


def test_a_department_account_without_a_source_body_lists_nothing(client, admin, staff, bodies, clock):
    clock.at("2026-06-05T10:00:00+08:00")
    publish(client, admin, owner_id=bodies["changjing"].id)
    response = client.get(ADMIN_COMMITMENTS, headers=staff.headers("department", source="tax"))
    assert response.status_code == 200
    assert response.get_json() == []


# --- correcting ------------------------------------------------------------------------------------------


def test_a_pending_commitment_can_be_corrected_but_not_its_dates(client, market, clock):
    clock.at("2026-06-05T10:00:00+08:00")
    body = publish(client, market)
    path = f"{ADMIN_COMMITMENTS}/{body['id']}"
    corrected = client.patch(path, json={"title": "企业开办半日办结", "kind": "service_quality"}, headers=market)
    assert corrected.status_code == 200
    assert (corrected.get_json()["title"], corrected.get_json()["kind"]) == ("企业开办半日办结", "service_quality")
    audit = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "commitment.correct")).one()
    assert (audit.before["title"], audit.after["title"]) == ("企业开办一日办结", "企业开办半日办结")
    moved = client.patch(path, json={"due_on": "2026-07-30"}, headers=market)
    assert moved.status_code == 422
    assert db.session.get(Commitment, body["id"]).due_on == date(2026, 6, 30)


def test_a_decided_commitment_no_longer_changes(client, market, clock):
    clock.at("2026-06-05T10:00:00+08:00")
    body = publish(client, market)
    assert outcome(client, market, body["id"]).status_code == 200
    before = counted()
    for answer in (client.patch(f"{ADMIN_COMMITMENTS}/{body['id']}", json={"title": "改"*3}, headers=market),
                   outcome(client, market, body["id"], "break"),
                   outcome(client, market, body["id"])):
        assert answer.status_code == 409
        assert answer.get_json()["reason"] == "commitment_closed"
    assert counted() == before
    assert db.session.get(Commitment, body["id"]).status == "fulfilled"


# --- overdue and late fulfilment at the due-date boundary (Asia/Shanghai) --------------------------------


@pytest.mark.parametrize(("now", "shown"), [
    ("2026-06-09T15:59:59+00:00", "pending"),  # 23:59:59 on 9 June in Shanghai: the due day itself
    ("2026-06-09T16:00:00+00:00", "overdue"),  # 00:00 on 10 June in Shanghai
    ("2026-06-09T23:30:00+00:00", "overdue"),  # still 9 June in UTC, 07:30 on 10 June in Shanghai
    ("2026-06-09T00:30:00+00:00", "pending"),  # 08:30 on 9 June in Shanghai
])
def test_overdue_starts_when_the_due_day_ends_in_shanghai(client, market, clock, now, shown):
    clock.at("2026-06-01T09:00:00+08:00")
    body = publish(client, market, due_on="2026-06-09")
    clock.at(now)
    assert client.get(f"{ADMIN_COMMITMENTS}/{body['id']}", headers=market).get_json()["status"] == shown
    assert [c["status"] for c in public(client)] == [shown]
    assert [c["id"] for c in public(client, status=shown)] == [body["id"]]
    other = "pending" if shown == "overdue" else "overdue"
    assert public(client, status=other) == []
    assert db.session.get(Commitment, body["id"]).status == "pending"  # overdue is never stored


@pytest.mark.parametrize(("fulfilled_at", "late", "resolved_on"), [
    ("2026-06-09T15:59:59+00:00", False, "2026-06-09"),  # 23:59:59 on the due day in Shanghai
    ("2026-06-09T16:00:00+00:00", True, "2026-06-10"),   # midnight in Shanghai: the next day
    ("2026-06-09T23:30:00+00:00", True, "2026-06-10"),   # UTC's date is still the due day
])
def test_a_fulfilment_after_the_due_day_is_recorded_late(client, market, clock, fulfilled_at, late, resolved_on):
    clock.at("2026-06-01T09:00:00+08:00")
    body = publish(client, market, due_on="2026-06-09")
    clock.at(fulfilled_at)
    answer = outcome(client, market, body["id"], note="经办人 王小明 补交材料")
    assert answer.status_code == 200, answer.get_json()
    recorded = answer.get_json()
    assert (recorded["status"], recorded["fulfilled_late"], recorded["resolved_on"]) == ("fulfilled", late,
                                                                                          resolved_on)
    shown = public(client)[0]
    assert (shown["status"], shown["fulfilled_late"], shown["resolved_on"]) == ("fulfilled", late, resolved_on)
    assert shown["evidence"] == "澄市监〔2026〕12号办结通报"
    counts = summary_of(client, service.department_body("market-regulation"))["commitments"]
    assert (counts["fulfilled_on_time"], counts["fulfilled_late"], counts["due"]) == (int(not late), int(late), 1)


def test_a_broken_commitment_is_due_at_once_and_audited(client, admin, bodies, clock):
    clock.at("2026-06-01T09:00:00+08:00")
    body = publish(client, admin, owner_id=bodies["changjing"].id, kind="contract", due_on="2026-12-31")
    answer = outcome(client, admin, body["id"], "break", evidence="合同已解除，见长政发〔2026〕8号")
    assert answer.status_code == 200
    assert (answer.get_json()["status"], answer.get_json()["fulfilled_late"]) == ("broken", False)
    summary = summary_of(client, bodies["changjing"])
    assert summary["commitments"]["broken"] == summary["commitments"]["due"] == 1
    assert summary["fulfilment_rate"] == 0.0
    audit = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "commitment.break")).one()
    assert (audit.before, audit.after["status"]) == ({"status": "pending"}, "broken")


def test_the_outcome_needs_evidence_and_nothing_is_written_without(client, market, clock):
    clock.at("2026-06-01T09:00:00+08:00")
    body = publish(client, market)
    before = counted()
    for payload in ({}, {"evidence": "  "}, {"evidence": "已办结", "colour": "red"}):
        answer = client.post(f"{ADMIN_COMMITMENTS}/{body['id']}/fulfil", json=payload, headers=market)
        assert answer.status_code == 422
    assert counted() == before
    assert db.session.get(Commitment, body["id"]).status == "pending"


def test_the_note_is_sealed_and_staff_only(client, market, clock):
    clock.at("2026-06-01T09:00:00+08:00")
    body = publish(client, market)
    note = "经办人王小明电话回访企业"
    answer = outcome(client, market, body["id"], note=note)
    assert answer.get_json()["note"] == note
    assert client.get(f"{ADMIN_COMMITMENTS}/{body['id']}", headers=market).get_json()["note"] == note
    shown = public(client)[0]
    assert "note" not in shown
    assert note not in client.get(PUBLIC_COMMITMENTS).get_data(as_text=True)
    stored = db.session.execute(text("SELECT note_sealed FROM commitments")).scalar_one()
    assert note.encode() not in bytes(stored)
    audit = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "commitment.fulfil")).one()
    assert note not in str(audit.after)


# --- fulfilment rate: fulfilled on time ÷ due ------------------------------------------------------------


def test_due_today_is_not_yet_due_and_due_yesterday_is(client, market, bodies, clock):
    clock.at("2026-06-01T09:00:00+08:00")
    on_time = publish(client, market, title="按时兑现", due_on="2026-06-20")
    assert outcome(client, market, on_time["id"]).status_code == 200
    publish(client, market, title="今天到期", due_on="2026-06-10")
    publish(client, market, title="昨天到期", due_on="2026-06-09")
    publish(client, market, title="下月到期", due_on="2026-07-10")
    clock.at("2026-06-09T23:30:00+00:00")  # 10 June in Shanghai, 9 June in UTC
    summary = summary_of(client, bodies["market"])
    assert summary["commitments"] == {"total": 4, "due": 2, "fulfilled_on_time": 1, "fulfilled_late": 0,
                                      "broken": 0, "overdue": 1, "not_yet_due": 2}
    assert summary["fulfilment_rate"] == 0.5
    shown = {c["title"]: c["status"] for c in public(client)}
    assert shown == {"按时兑现": "fulfilled", "今天到期": "pending", "昨天到期": "overdue", "下月到期": "pending"}
    assert {c["owner"]["fulfilment_rate"] for c in public(client)} == {0.5}
    clock.at("2026-06-10T16:00:00+00:00")  # 11 June in Shanghai: "today" is over too
    summary = summary_of(client, bodies["market"])
    assert (summary["commitments"]["due"], summary["commitments"]["overdue"]) == (3, 2)
    assert summary["fulfilment_rate"] == 0.3333


def test_a_rate_is_null_while_nothing_is_due_and_counts_add_up(client, market, admin, bodies, clock):
    clock.at("2026-06-01T09:00:00+08:00")
    publish(client, market, due_on="2026-06-30")
    assert summary_of(client, bodies["market"])["fulfilment_rate"] is None
    assert summary_of(client, bodies["chengjiang"])["commitments"]["total"] == 0
    assert summary_of(client, bodies["chengjiang"])["fulfilment_rate"] is None
    late = publish(client, admin, owner_id=bodies["chengjiang"].id, due_on="2026-06-02")
    kept = publish(client, admin, owner_id=bodies["chengjiang"].id, due_on="2026-06-30")
    broken = publish(client, admin, owner_id=bodies["chengjiang"].id, due_on="2026-06-30")
    publish(client, admin, owner_id=bodies["chengjiang"].id, due_on="2026-06-03")
    clock.at("2026-06-05T09:00:00+08:00")
    outcome(client, admin, late["id"])
    outcome(client, admin, kept["id"])
    outcome(client, admin, broken["id"], "break")
    counts = summary_of(client, bodies["chengjiang"])["commitments"]
    assert counts == {"total": 4, "due": 4, "fulfilled_on_time": 1, "fulfilled_late": 1, "broken": 1,
                      "overdue": 1, "not_yet_due": 0}
    assert summary_of(client, bodies["chengjiang"])["fulfilment_rate"] == 0.25


# --- public list and its filters -------------------------------------------------------------------------


def test_the_public_list_filters_by_owner_town_kind_and_status(client, admin, market, bodies, clock):
    clock.at("2026-06-01T09:00:00+08:00")
    a = publish(client, market, kind="service_quality")
    b = publish(client, admin, owner_id=bodies["changjing"].id, kind="investment", due_on="2026-06-02")
    c = publish(client, admin, owner_id=bodies["chengjiang"].id, kind="guarantee")
    outcome(client, admin, c["id"])
    clock.at("2026-06-05T09:00:00+08:00")

    def ids(**query):
        return {item["id"] for item in public(client, **query)}

    assert ids() == {a["id"], b["id"], c["id"]}
    assert ids(owner=bodies["market"].id) == {a["id"]}
    assert ids(town="长泾镇") == {b["id"]}
    assert ids(town="华士镇") == set()
    assert ids(kind="guarantee") == {c["id"]}
    assert ids(status="overdue") == {b["id"]}
    assert ids(status="pending") == {a["id"]}
    assert ids(status="fulfilled") == {c["id"]}
    assert ids(status="broken") == set()
    assert ids(town="长泾镇", status="pending") == set()


@pytest.mark.parametrize("query", [{"status": "late"}, {"kind": "promise"}, {"owner": "x"}, {"owner": 0},
                                   {"colour": "red"}])
def test_the_public_list_refuses_unknown_filters(client, query):
    response = client.get(PUBLIC_COMMITMENTS, query_string=query)
    assert response.status_code == 422


def test_the_public_list_needs_no_token_and_shows_no_staff_fields(client, market, clock):
    clock.at("2026-06-01T09:00:00+08:00")
    publish(client, market)
    item = public(client)[0]
    assert set(item) == {"id", "owner", "kind", "title", "content", "made_on", "due_on", "status",
                         "fulfilled_late", "resolved_on", "evidence"}
    assert set(item["owner"]) == {"id", "kind", "name", "source", "town", "fulfilment_rate"}


# --- counting as of a month's end (for monthly monitoring) ----------------------------------------------


def test_counts_as_of_a_months_end_are_rebuilt_and_later_outcomes_do_not_change_them(client, admin, market,
                                                                                       bodies, clock):
    clock.at("2026-06-20T10:00:00+08:00")
    last_day = publish(client, market, title="6月30日到期", made_on="2026-06-20", due_on="2026-06-30")
    july = publish(client, market, title="7月15日到期", made_on="2026-06-20", due_on="2026-07-15")
    kept = publish(client, admin, owner_id=bodies["changjing"].id, made_on="2026-06-20", due_on="2026-06-30")
    broken_at_midnight = publish(client, admin, owner_id=bodies["changjing"].id, made_on="2026-06-20",
                                 due_on="2026-07-10")
    clock.at("2026-06-30T23:59:59+08:00")
    outcome(client, admin, kept["id"])  # on the last day: on time, and inside June
    june_end = moment("2026-07-01T00:00:00+08:00")

    def june():
        return service.commitment_counts(as_of=june_end)

    before = june()
    assert before[bodies["market"].id].as_dict() == {"total": 2, "due": 1, "fulfilled_on_time": 0,
                                                      "fulfilled_late": 0, "broken": 0, "overdue": 1,
                                                      "not_yet_due": 1}
    assert before[bodies["changjing"].id].as_dict() == {"total": 2, "due": 1, "fulfilled_on_time": 1,
                                                         "fulfilled_late": 0, "broken": 0, "overdue": 0,
                                                         "not_yet_due": 1}
    by_town = service.commitment_counts_by_town(as_of=june_end)
    changjing_town = bodies["changjing"].town_id
    assert set(by_town) == {None, changjing_town}
    assert by_town[None] == before[bodies["market"].id]
    assert by_town[changjing_town] == before[bodies["changjing"].id]

    clock.at("2026-07-01T00:00:00+08:00")  # exactly the moment June ends: July's
    outcome(client, admin, broken_at_midnight["id"], "break")
    clock.at("2026-07-02T09:00:00+08:00")
    outcome(client, market, last_day["id"])  # late
    outcome(client, market, july["id"])
    publish(client, market, title="7月发布", made_on="2026-07-02", due_on="2026-07-03")
    assert june() == before
    assert service.commitment_counts_by_town(as_of=june_end) == by_town
    now = service.commitment_counts()
    assert now[bodies["market"].id].as_dict() == {"total": 3, "due": 2, "fulfilled_on_time": 1,
                                                   "fulfilled_late": 1, "broken": 0, "overdue": 0,
                                                   "not_yet_due": 1}
    assert now[bodies["changjing"].id].broken == 1


def test_counts_as_of_a_moment_before_anything_was_published_are_empty(client, market, clock):
    clock.at("2026-06-20T10:00:00+08:00")
    publish(client, market, made_on="2026-06-01", due_on="2026-06-10")
    assert service.commitment_counts(as_of=moment("2026-06-01T00:00:00+08:00")) == {}
    assert service.record_counts(as_of=moment("2026-06-01T00:00:00+08:00")) == {}


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL not configured: set TEST_DATABASE_URL (.ci/run does) "
                    "for the simultaneous-outcome test")
def test_simultaneous_outcomes_of_one_commitment_record_one(app, client, admin, market, clock):
    clock.at("2026-06-05T10:00:00+08:00")
    body = publish(client, market)
    db.session.commit()  # nothing of the test's own session may hold a lock the threads wait for
    requests = [(market if i % 2 else admin, "fulfil" if i % 3 else "break") for i in range(RECORDERS)]
    barrier = threading.Barrier(RECORDERS)
    answers, errors = [None] * RECORDERS, []

    def record(i):
        headers, verb = requests[i]
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                response = outcome(app.test_client(), headers, body["id"], verb)
                answers[i] = (response.status_code, response.get_json()["reason"] if response.status_code != 200
                              else response.get_json()["status"])
            except Exception as exc:  # noqa: BLE001 - collected and asserted on below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=record, args=(i,)) for i in range(RECORDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(status for status, _ in answers) == [200] + [409] * (RECORDERS - 1)
    assert {word for status, word in answers if status == 409} == {"commitment_closed"}
    [(_, won)] = [answer for answer in answers if answer[0] == 200]
    db.session.rollback()
    assert db.session.get(Commitment, body["id"]).status == won
    decided = db.session.scalar(select(func.count()).select_from(AuditRecord).where(
        AuditRecord.action.in_(["commitment.fulfil", "commitment.break"])))
    assert decided == 1
