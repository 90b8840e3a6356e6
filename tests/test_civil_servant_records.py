"""Civil servants' integrity files (公务员诚信档案, SPEC §7b): created and read only by admins holding
``integrity:civil-servants``, the person named by ID number in a body, the facts sealed at rest, each view an
audit record and a query record the person sees (naming the office, never a clerk), never public."""

import re

import pytest
from sqlalchemy import func, select, text

from backend.audit.models import AuditRecord
from backend.data.extensions import db
from backend.integrity.models import CivilServantRecord
from backend.query_records.models import QueryRecord
from backend.web.access import PERMISSIONS, routes, rule_of

RECORDS = "/api/v1/admin/civil-servant-records"
LOOKUP = f"{RECORDS}/lookup"
MY_QUERY_RECORDS = "/api/v1/me/query-records"
PERMISSION = "integrity:civil-servants"
FACTS = "2025年度考核中虚报加班工时，经核实给予诫勉谈话"
DOCUMENT = "关于对诸葛文远同志诫勉谈话的通报"


@pytest.fixture
def officer(staff):
    """An admin holding the permission, signed in under a personal display name."""
    account = staff.create("admin", username="li.xiuying", permissions=[PERMISSION])
    return {"Authorization": f"Bearer {staff.token(account)}"}


@pytest.fixture
def servant(residents):
    return residents.create(name="诸葛文远", phone="13912345678")


def new(servant, **changes) -> dict:
    return {"id_number": servant.plain["id_number"], "kind": "disciplinary_action", "facts": FACTS,
            "decided_on": "2026-03-12", "source_document": DOCUMENT, **changes}


def add(client, officer, servant, **changes) -> dict:
    response = client.post(RECORDS, json=new(servant, **changes), headers=officer)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def written() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (CivilServantRecord, AuditRecord, QueryRecord))


def views() -> list[AuditRecord]:
    return db.session.scalars(select(AuditRecord).where(AuditRecord.action == "civil_servant_record.view")
                              .order_by(AuditRecord.id)).all()


def query_records_of(servant) -> list[QueryRecord]:
    return db.session.scalars(select(QueryRecord).where(QueryRecord.resident_id == servant.id)
                              .order_by(QueryRecord.id)).all()


def test_the_permission_is_one_admins_can_grant():
    assert PERMISSION in PERMISSIONS


def test_an_admin_with_the_permission_adds_a_record_sealed_at_rest(client, officer, servant):
    created = add(client, officer, servant)
    assert created["person"]["masked_name"] == "诸葛**"
    assert created["person"]["masked_id_number"] == servant.plain["id_number"][:4] + "*" * 10 + \
        servant.plain["id_number"][-4:]
    assert (created["facts"], created["source_document"], created["decided_on"]) == (FACTS, DOCUMENT, "2026-03-12")
    row = db.session.execute(text("SELECT facts_sealed, source_document_sealed FROM civil_servant_records")).one()
    for sealed, clear in zip(row, (FACTS, DOCUMENT), strict=True):
        assert clear.encode() not in bytes(sealed)
        assert "诸葛".encode() not in bytes(sealed)
    audit = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "civil_servant_record.create")).one()
    assert (audit.object_type, audit.object_id) == ("civil_servant_record", str(created["id"]))
    assert FACTS not in str(audit.after) and servant.plain["id_number"] not in str(audit.after)
    told = query_records_of(servant)
    assert [(r.actor_label, r.scope) for r in told] == [("信用办", "civil_servant_file")]


@pytest.mark.parametrize(("changes", "field"), [
    ({"kind": "praise"}, "kind"),
    ({"facts": "   "}, "facts"),
    ({"decided_on": "2999-01-01"}, "decided_on"),
    ({"source_document": ""}, "source_document"),
    ({"id_number": "320281198001011234"}, "id_number"),  # a wrong check digit
    ({"name": "诸葛文远"}, "name"),
])
def test_bad_input_is_422_and_nothing_is_written(client, officer, servant, changes, field):
    before = written()
    response = client.post(RECORDS, json=new(servant, **changes), headers=officer)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]["json"]
    assert servant.plain["id_number"] not in response.get_data(as_text=True)
    assert written() == before


def test_an_id_number_outside_the_registry_is_404_and_nothing_is_written(client, officer, residents):
    stranger = residents.id_number()
    before = written()
    unknown = {"id_number": stranger, "kind": "commendation", "facts": FACTS, "decided_on": "2026-03-12",
               "source_document": DOCUMENT}
    for response in (client.post(RECORDS, json=unknown, headers=officer),
                     client.post(LOOKUP, json={"id_number": stranger}, headers=officer)):
        assert response.status_code == 404
        assert response.get_json()["reason"] == "resident_not_found"
    assert written() == before


@pytest.mark.parametrize("status", ["moved", "deceased"])
def test_a_resident_no_longer_active_gets_no_new_record(client, officer, residents, status):
    gone = residents.create(name="钱多多", status=status)
    before = written()
    response = client.post(RECORDS, json=new(gone), headers=officer)
    assert response.status_code == 403
    assert response.get_json()["reason"] == "resident_not_active"
    assert written() == before


# --- who may ---------------------------------------------------------------------------------------------


def every_call(client, servant, headers, record_id=1):
    return [client.post(RECORDS, json=new(servant), headers=headers),
            client.get(RECORDS, headers=headers),
            client.post(LOOKUP, json={"id_number": servant.plain["id_number"]}, headers=headers),
            client.get(f"{RECORDS}/{record_id}", headers=headers)]


def test_an_admin_without_the_permission_is_refused_and_nothing_is_written(client, staff, officer, servant):
    created = add(client, officer, servant)
    plain_admin = staff.headers("admin")
    before = written()
    for response in every_call(client, servant, plain_admin, created["id"]):
        assert response.status_code == 403
        assert response.get_json()["reason"] == "permission_required"
        assert FACTS not in response.get_data(as_text=True)
    assert written() == before


@pytest.mark.parametrize("role", ["reviewer", "department"])
def test_other_staff_are_refused_even_holding_the_permission(client, staff, officer, servant, role):
    created = add(client, officer, servant)
    headers = staff.headers(role, permissions=[PERMISSION])
    before = written()
    for response in every_call(client, servant, headers, created["id"]):
        assert response.status_code == 403
        assert response.get_json()["reason"] == "role_not_allowed"
    assert written() == before


@pytest.mark.parametrize("role", ["resident", "operator", "verifier_system"])
def test_residents_operators_and_banks_are_refused(client, role_headers, officer, servant, role):
    created = add(client, officer, servant)
    before = written()
    for response in every_call(client, servant, role_headers[role], created["id"]):
        assert response.status_code == 403
        assert FACTS not in response.get_data(as_text=True)
    assert written() == before


def test_a_revoked_permission_counts_from_the_next_request(client, staff, servant):
    account = staff.create("admin", username="zhou.min", permissions=[PERMISSION])
    headers = {"Authorization": f"Bearer {staff.token(account)}"}
    lookup = {"id_number": servant.plain["id_number"]}
    assert client.post(LOOKUP, json=lookup, headers=headers).status_code == 200
    revoked = client.delete(f"/api/v1/admin/staff/{account.id}/permissions/{PERMISSION}",
                            headers=staff.headers("admin"))
    assert revoked.status_code == 200, revoked.get_json()
    refused = client.post(LOOKUP, json=lookup, headers=headers)
    assert refused.status_code == 403
    assert refused.get_json()["reason"] == "permission_required"


# --- every view is an audit record and a query record the person sees ------------------------------------


def test_each_view_is_an_audit_record_and_a_query_record(client, officer, servant):
    created = add(client, officer, servant)
    told_before = len(query_records_of(servant))

    looked_up = client.post(LOOKUP, json={"id_number": servant.plain["id_number"]}, headers=officer)
    assert looked_up.status_code == 200
    assert [r["facts"] for r in looked_up.get_json()] == [FACTS]
    one = client.get(f"{RECORDS}/{created['id']}", headers=officer)
    assert one.get_json()["source_document"] == DOCUMENT
    listed = client.get(RECORDS, headers=officer)
    assert [r["id"] for r in listed.get_json()] == [created["id"]]

    seen = views()
    assert len(seen) == 3
    assert [(v.object_type, v.object_id) for v in seen] == [("resident", str(servant.id)),
                                                           ("civil_servant_record", str(created["id"])),
                                                           ("civil_servant_record", str(created["id"]))]
    assert all(v.after == {"records": [created["id"]]} and v.actor_name == "li.xiuying" for v in seen)
    told = query_records_of(servant)[told_before:]
    assert len(told) == 3
    assert {(r.actor_role, r.actor_label, r.scope) for r in told} == {("admin", "信用办", "civil_servant_file")}


def test_looking_up_an_empty_file_is_still_a_view(client, officer, servant):
    response = client.post(LOOKUP, json={"id_number": servant.plain["id_number"]}, headers=officer)
    assert response.status_code == 200
    assert response.get_json() == []
    assert [v.after for v in views()] == [{"records": []}]
    assert len(query_records_of(servant)) == 1


def test_the_person_sees_the_office_never_the_clerk(client, residents, officer, servant):
    created = add(client, officer, servant)
    client.get(f"{RECORDS}/{created['id']}", headers=officer)
    mine = client.get(MY_QUERY_RECORDS, headers=residents.bound_headers(servant))
    assert mine.status_code == 200
    shown = [r for r in mine.get_json() if r["scope"] == "civil_servant_file"]
    assert [r["purpose"] for r in shown] == ["civil-servant integrity file",
                                             "civil-servant integrity file: record added"]
    assert {r["actor_label"] for r in shown} == {"信用办"}
    assert "li.xiuying" not in mine.get_data(as_text=True)


def test_an_unknown_record_is_404_and_no_view_is_recorded(client, officer, servant):
    before = written()
    response = client.get(f"{RECORDS}/9999", headers=officer)
    assert response.status_code == 404
    assert response.get_json()["reason"] == "civil_servant_record_not_found"
    assert written() == before


def test_the_list_filters_by_kind_and_refuses_an_id_number_in_the_url(client, officer, servant, residents):
    add(client, officer, servant)
    other = residents.create(name="欧阳娜娜")
    praised = add(client, officer, other, kind="commendation", facts="获评江阴市优秀公务员")
    listed = client.get(RECORDS, query_string={"kind": "commendation"}, headers=officer)
    assert [r["id"] for r in listed.get_json()] == [praised["id"]]
    before = written()
    in_url = client.get(RECORDS, query_string={"id_number": servant.plain["id_number"]}, headers=officer)
    assert in_url.status_code == 422
    assert written() == before


# --- never public ----------------------------------------------------------------------------------------


def sample_path(rule) -> str:
    return re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "1" if m.group(1) == "int" else "sample", rule.rule)


def test_no_public_endpoint_reaches_a_civil_servants_file(app, client, officer, servant):
    created = add(client, officer, servant)
    assert created["id"] == 1  # the id every sample path below asks for
    public = [(method, rule) for method, rule, view in routes(app) if rule_of(view).public]
    assert public and not any("civil-servant" in rule.rule for _method, rule in public)
    for method, rule in public:
        if method != "GET":
            continue
        for query in ({}, {"id_number": servant.plain["id_number"]}, {"kind": "disciplinary_action"}):
            response = client.get(sample_path(rule), query_string=query)
            body = response.get_data(as_text=True)
            for secret in (FACTS, DOCUMENT, "诸葛", servant.plain["id_number"]):
                assert secret not in body, f"GET {rule.rule} answered with part of a civil servant's file"
    document = client.get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        if "civil-servant" in path:
            secured = [operations[method].get("security") for method in ("get", "post") if method in operations]
            assert secured and all(security == [{"bearer": []}] for security in secured)
