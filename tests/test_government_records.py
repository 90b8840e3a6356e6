"""Government bodies, dishonesty records (政务失信记录) and integrity summaries (SPEC §7b): admins register the
departments and town governments and record their broken contracts, unpaid debts and ignored judgments;
the public reads the records and each body's summary."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from backend.audit.models import AuditRecord
from backend.data.extensions import db
from backend.integrity import service
from backend.integrity.models import GovernmentBody, GovernmentRecord
from backend.residents.models import Town

BODIES = "/api/v1/admin/government-bodies"
RECORDS = "/api/v1/admin/government-records"
PUBLIC_RECORDS = "/api/v1/public/government-records"
INTEGRITY = "/api/v1/public/government-integrity"


@pytest.fixture(autouse=True)
def towns():
    db.session.add_all([Town(name="长泾镇"), Town(name="澄江街道")])
    db.session.commit()


@pytest.fixture
def clock(monkeypatch):
    """The integrity service's clock at 10:00 on 5 June 2026 in Shanghai."""
    monkeypatch.setattr(service, "utcnow", lambda: datetime(2026, 6, 5, 2, tzinfo=UTC))


@pytest.fixture
def admin(staff):
    return staff.headers("admin")


@pytest.fixture
def changjing():
    return service.register_body(None, kind="town", name="长泾镇人民政府", town="长泾镇")


def counted() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (GovernmentBody, GovernmentRecord, AuditRecord))


def new_record(owner_id, **changes) -> dict:
    return {"owner_id": owner_id, "kind": "unpaid_debt",
            "facts": "拖欠江阴某机械有限公司工程款 86 万元，经法院判决后仍未支付", "decided_on": "2026-05-20",
            "source_document": "(2026)苏0281民初1234号", **changes}


def principal(client, headers):
    from backend.web.access import authenticate

    with client.application.test_request_context(headers=headers):
        return authenticate()


def record(client, admin, owner_id, **changes) -> dict:
    response = client.post(RECORDS, json=new_record(owner_id, **changes), headers=admin)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# --- government bodies ----------------------------------------------------------------------------------


def test_admins_register_departments_and_town_governments(client, admin):
    department = client.post(BODIES, json={"kind": "department", "name": "江阴市市场监督管理局",
                                           "source": "market-regulation"}, headers=admin)
    assert department.status_code == 201, department.get_json()
    assert (department.get_json()["source"], department.get_json()["town"]) == ("market-regulation", None)
    town = client.post(BODIES, json={"kind": "town", "name": "长泾镇人民政府", "town": "长泾镇"}, headers=admin)
    assert town.status_code == 201
    assert (town.get_json()["source"], town.get_json()["town"]) == (None, "长泾镇")
    listed = client.get(BODIES, query_string={"kind": "town"}, headers=admin).get_json()
    assert [body["name"] for body in listed] == ["长泾镇人民政府"]
    actions = db.session.scalars(select(AuditRecord.action)).all()
    assert actions.count("government_body.register") == 2


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "department", "name": "某局"}, "source"),
    ({"kind": "department", "name": "某局", "source": "Market Regulation"}, "source"),
    ({"kind": "town", "name": "某镇人民政府"}, "town"),
    ({"kind": "town", "name": "华士镇人民政府", "town": "华士镇"}, "town"),  # not a town of the registry
    ({"kind": "town", "name": "长泾镇人民政府", "town": "长泾镇", "source": "changjing"}, "source"),
    ({"kind": "county", "name": "某县"}, "kind"),
])
def test_a_body_needs_what_identifies_it_and_nothing_is_written(client, admin, body, field):
    before = counted()
    response = client.post(BODIES, json=body, headers=admin)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]["json"]
    assert counted() == before


@pytest.mark.parametrize("clash", [
    {"kind": "department", "name": "长泾镇人民政府", "source": "other"},          # the same name
    {"kind": "town", "name": "长泾镇政府", "town": "长泾镇"},                    # a second government of a town
])
def test_a_body_is_registered_once(client, admin, changjing, clash):
    before = counted()
    response = client.post(BODIES, json=clash, headers=admin)
    assert response.status_code == 409
    assert response.get_json()["reason"] == "government_body_taken"
    assert counted() == before


def test_a_source_is_one_department(client, admin):
    service.register_body(None, kind="department", name="江阴市税务局", source="tax")
    response = client.post(BODIES, json={"kind": "department", "name": "税务二分局", "source": "tax"}, headers=admin)
    assert response.status_code == 409
    assert response.get_json()["reason"] == "government_body_taken"


def test_a_body_is_renamed_and_a_department_placed_in_a_town(client, admin, changjing):
    department = service.register_body(None, kind="department", name="长泾市场监管分局", source="market-changjing")
    renamed = client.patch(f"{BODIES}/{changjing.id}", json={"name": "长泾镇人民政府（镇政府）"}, headers=admin)
    assert renamed.status_code == 200
    placed = client.patch(f"{BODIES}/{department.id}", json={"town": "长泾镇"}, headers=admin)
    assert placed.get_json()["town"] == "长泾镇"
    city = client.patch(f"{BODIES}/{department.id}", json={"town": None}, headers=admin)
    assert city.get_json()["town"] is None
    moved = client.patch(f"{BODIES}/{changjing.id}", json={"town": "澄江街道"}, headers=admin)
    assert moved.status_code == 422
    assert db.session.get(GovernmentBody, changjing.id).town.name == "长泾镇"
    updates = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "government_body.update")).all()
    assert [(u.before["town"], u.after["town"]) for u in updates][1:] == [(None, "长泾镇"), ("长泾镇", None)]
    missing = client.patch(f"{BODIES}/9999", json={"name": "无此单位"}, headers=admin)
    assert missing.status_code == 404
    assert missing.get_json()["reason"] == "government_body_not_found"


@pytest.mark.parametrize("role", ["department", "reviewer", "resident"])
def test_only_admins_manage_bodies_and_records(client, role_headers, changjing, role):
    before = counted()
    for response in (client.post(BODIES, json={"kind": "department", "name": "某局", "source": "x1"},
                                 headers=role_headers[role]),
                     client.post(RECORDS, json=new_record(changjing.id), headers=role_headers[role]),
                     client.post(f"{RECORDS}/1/rectify", json={"rectified_on": "2026-06-01",
                                                                "rectification": "已支付"},
                                 headers=role_headers[role])):
        assert response.status_code == 403
        assert response.get_json()["reason"] == "role_not_allowed"
    assert counted() == before


# --- dishonesty records ---------------------------------------------------------------------------------


def test_an_admin_records_a_dishonesty_record_and_the_public_reads_it(client, admin, changjing, clock):
    created = record(client, admin, changjing.id)
    assert (created["status"], created["rectified_on"], created["kind"]) == ("open", None, "unpaid_debt")
    audit = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "government_record.create")).one()
    assert (audit.object_id, audit.after["source_document"]) == (str(created["id"]), "(2026)苏0281民初1234号")
    shown = client.get(PUBLIC_RECORDS).get_json()
    assert len(shown) == 1
    assert shown[0]["facts"] == new_record(0)["facts"]
    assert shown[0]["owner"]["name"] == "长泾镇人民政府"
    assert set(shown[0]) == {"id", "owner", "kind", "facts", "decided_on", "source_document", "status",
                             "rectified_on", "rectification"}


@pytest.mark.parametrize(("changes", "field", "reason"), [
    ({"owner_id": 9999}, "owner_id", "owner_not_found"),
    ({"decided_on": "2026-06-06"}, "decided_on", "invalid_input"),  # tomorrow in Shanghai
    ({"kind": "bad_debt"}, "kind", "invalid_input"),
    ({"facts": " "}, "facts", "invalid_input"),
    ({"source_document": "x" * 201}, "source_document", "invalid_input"),
])
def test_a_bad_record_is_422_and_nothing_is_written(client, admin, changjing, clock, changes, field, reason):
    before = counted()
    response = client.post(RECORDS, json={**new_record(changjing.id), **changes}, headers=admin)
    assert response.status_code == 422, response.get_json()
    assert (response.get_json()["reason"], field in response.get_json()["errors"]["json"]) == (reason, True)
    assert counted() == before


def test_a_record_is_rectified_once_and_no_earlier_than_its_decision(client, admin, changjing, clock):
    created = record(client, admin, changjing.id)
    path = f"{RECORDS}/{created['id']}/rectify"
    before = counted()
    for body in ({"rectified_on": "2026-05-19", "rectification": "已支付"},
                 {"rectified_on": "2026-06-06", "rectification": "已支付"},
                 {"rectified_on": "2026-06-01", "rectification": " "}):
        refused = client.post(path, json=body, headers=admin)
        assert refused.status_code == 422, refused.get_json()
    assert counted() == before
    done = client.post(path, json={"rectified_on": "2026-06-01", "rectification": "已全额支付工程款及利息"},
                       headers=admin)
    assert done.status_code == 200
    assert (done.get_json()["status"], done.get_json()["rectified_on"]) == ("rectified", "2026-06-01")
    assert done.get_json()["rectified_at"] == "2026-06-05T10:00:00+08:00"
    again = client.post(path, json={"rectified_on": "2026-06-02", "rectification": "再次"}, headers=admin)
    assert again.status_code == 409
    assert again.get_json()["reason"] == "already_rectified"
    audit = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "government_record.rectify")).one()
    assert (audit.before["rectified_on"], audit.after["rectified_on"]) == (None, "2026-06-01")
    missing = client.post(f"{RECORDS}/9999/rectify", json={"rectified_on": "2026-06-01", "rectification": "已支付"},
                          headers=admin)
    assert missing.status_code == 404
    assert missing.get_json()["reason"] == "government_record_not_found"


def test_a_record_is_corrected_with_an_audit_record(client, admin, changjing, clock):
    created = record(client, admin, changjing.id)
    path = f"{RECORDS}/{created['id']}"
    corrected = client.patch(path, json={"kind": "ignored_judgment", "source_document": "(2026)苏0281执55号"},
                             headers=admin)
    assert corrected.status_code == 200
    assert corrected.get_json()["kind"] == "ignored_judgment"
    audit = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "government_record.correct")).one()
    assert (audit.before["kind"], audit.after["kind"]) == ("unpaid_debt", "ignored_judgment")
    client.post(f"{path}/rectify", json={"rectified_on": "2026-06-01", "rectification": "已履行"}, headers=admin)
    after_rectified = client.patch(path, json={"decided_on": "2026-06-02"}, headers=admin)
    assert after_rectified.status_code == 422
    assert str(db.session.get(GovernmentRecord, created["id"]).decided_on) == "2026-05-20"


def test_public_records_filter_by_owner_town_kind_and_status(client, admin, changjing, clock):
    market = service.register_body(None, kind="department", name="江阴市市场监督管理局", source="market-regulation")
    debt = record(client, admin, changjing.id)
    contract = record(client, admin, market.id, kind="broken_contract", facts="单方解除与企业的招商合同")
    client.post(f"{RECORDS}/{contract['id']}/rectify", json={"rectified_on": "2026-06-01",
                                                            "rectification": "已与企业达成和解并赔偿"},
                headers=admin)

    def ids(**query):
        response = client.get(PUBLIC_RECORDS, query_string=query)
        assert response.status_code == 200, response.get_json()
        return {item["id"] for item in response.get_json()}

    assert ids() == {debt["id"], contract["id"]}
    assert ids(owner=market.id) == {contract["id"]}
    assert ids(town="长泾镇") == {debt["id"]}
    assert ids(kind="unpaid_debt") == {debt["id"]}
    assert ids(status="open") == {debt["id"]}
    assert ids(status="rectified") == {contract["id"]}
    assert client.get(PUBLIC_RECORDS, query_string={"status": "closed"}).status_code == 422


# --- integrity summary ----------------------------------------------------------------------------------


def test_each_body_has_its_integrity_summary(client, admin, changjing, clock):
    market = service.register_body(None, kind="department", name="江阴市市场监督管理局", source="market-regulation")
    quiet = service.register_body(None, kind="town", name="澄江街道办事处", town="澄江街道")
    record(client, admin, changjing.id)
    rectified = record(client, admin, changjing.id, kind="ignored_judgment")
    client.post(f"{RECORDS}/{rectified['id']}/rectify", json={"rectified_on": "2026-06-03",
                                                             "rectification": "已履行判决"}, headers=admin)
    overdue = service.publish_commitment(principal(client, admin), owner_id=changjing.id, kind="deadline",
                                         title="审批时限", content="10 个工作日办结", made_on=date(2026, 5, 1),
                                         due_on=date(2026, 6, 1))
    assert overdue.status == "pending"
    response = client.get(INTEGRITY, query_string={"page_size": 100})
    assert response.status_code == 200
    summaries = {entry["owner"]["id"]: entry for entry in response.get_json()}
    assert set(summaries) == {changjing.id, market.id, quiet.id}
    assert summaries[changjing.id]["dishonesty_records"] == {"open": 1, "rectified": 1}
    assert summaries[changjing.id]["commitments"]["overdue"] == 1
    assert summaries[changjing.id]["fulfilment_rate"] == 0.0
    assert summaries[quiet.id] == {"owner": {"id": quiet.id, "kind": "town", "name": "澄江街道办事处", "source": None,
                                             "town": "澄江街道"},
                                   "commitments": {"total": 0, "due": 0, "fulfilled_on_time": 0,
                                                   "fulfilled_late": 0, "broken": 0, "overdue": 0,
                                                   "not_yet_due": 0},
                                   "fulfilment_rate": None, "dishonesty_records": {"open": 0, "rectified": 0}}
    by_town = client.get(INTEGRITY, query_string={"town": "长泾镇"}).get_json()
    assert [entry["owner"]["id"] for entry in by_town] == [changjing.id]
    departments = client.get(INTEGRITY, query_string={"kind": "department"}).get_json()
    assert [entry["owner"]["id"] for entry in departments] == [market.id]


def test_record_counts_as_of_a_past_moment_follow_when_the_rectification_was_recorded(client, admin, changjing,
                                                                                         monkeypatch):
    monkeypatch.setattr(service, "utcnow", lambda: datetime(2026, 6, 20, 2, tzinfo=UTC))
    created = record(client, admin, changjing.id)
    monkeypatch.setattr(service, "utcnow", lambda: datetime(2026, 7, 2, 2, tzinfo=UTC))
    # Rectified on a June day, but recorded in July: June's figures, once taken, stay as they were.
    client.post(f"{RECORDS}/{created['id']}/rectify", json={"rectified_on": "2026-06-25",
                                                           "rectification": "已支付"}, headers=admin)
    june_end = datetime(2026, 6, 30, 16, tzinfo=UTC)
    assert service.record_counts(as_of=june_end)[changjing.id] == service.RecordCounts(open=1, rectified=0)
    assert service.record_counts()[changjing.id] == service.RecordCounts(open=0, rectified=1)


def test_the_public_answers_need_no_token(client):
    for path in (PUBLIC_RECORDS, INTEGRITY):
        assert client.get(path).status_code == 200



def test_the_demo_shows_government_integrity(runner, client):
    loaded = runner.invoke(args=["demo", "load"])
    assert loaded.exit_code == 0, loaded.output
    commitments = client.get("/api/v1/public/commitments", query_string={"page_size": 100}).get_json()
    assert {"overdue", "fulfilled", "pending", "broken"} <= {c["status"] for c in commitments}
    assert any(c["fulfilled_late"] for c in commitments)
    summaries = client.get(INTEGRITY, query_string={"page_size": 100}).get_json()
    assert {s["owner"]["town"] for s in summaries} == {None, "长泾镇", "澄江街道"}
    records = client.get(PUBLIC_RECORDS).get_json()
    assert {r["status"] for r in records} == {"open", "rectified"}


def test_every_reason_of_government_integrity_is_in_the_guide():
    from backend.config import project_root
    from backend.web.errors import DomainError

    guide = (project_root() / "miniprogram_api_docs" / "en" / "errors.md").read_text(encoding="utf-8")
    reasons = {value.reason for value in vars(service).values()
               if isinstance(value, type) and issubclass(value, DomainError) and value.__module__ == service.__name__}
    assert reasons >= {"commitment_closed", "owner_not_registered"}
    assert [reason for reason in sorted(reasons | {"owner_not_found"}) if f"`{reason}`" not in guide] == []
