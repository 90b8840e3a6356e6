"""Bulk import of credit events (批量导入): departments and the credit office send files of events; every
rule of single events holds (caps, idempotency, conflicts, direct grading, accounts), bad rows are
reported by line and good rows land (SPEC §1, §3)."""

import io
import json
import random
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from backend.audit.models import AuditRecord
from backend.credit import importing, rubric, service
from backend.credit.models import CreditAccount, CreditEvent
from backend.data.extensions import db
from backend.dates.timeutil import SHANGHAI, utcnow
from backend.notices.models import NoticeAttempt
from backend.web.errors import DomainError
from tests.conftest import TEST_DATABASE_URL
from tests.test_credit_events import SOURCE, item  # the rubric items and source of single events

IMPORT = "/api/v1/admin/credit-events/import"
COLUMNS = ("id_number", "rubric_code", "occurred_at", "source", "source_ref", "note")


def days_ago(days: float) -> str:
    return (utcnow() - timedelta(days=days)).astimezone(SHANGHAI).replace(microsecond=0).isoformat()


def row(resident, code="SC-T1", ref="R-1", *, occurred_at=None, source=SOURCE, note=None, id_number=None):
    return {"id_number": id_number or resident.plain["id_number"], "rubric_code": code,
            "occurred_at": occurred_at or days_ago(1), "source": source, "source_ref": ref, "note": note}


def as_csv(rows, columns=COLUMNS) -> str:
    def cell(value):
        text = "" if value is None else str(value)
        return f'"{text}"' if "," in text else text

    return "\n".join([",".join(columns)] + [",".join(cell(r.get(c)) for c in columns) for r in rows]) + "\n"


def as_ndjson(rows) -> str:
    return "".join(json.dumps({k: v for k, v in r.items() if v is not None}, ensure_ascii=False) + "\n"
                   for r in rows)


def send(client, headers, rows=None, *, text=None, content_type="text/csv", language="en"):
    """The line messages asserted here are the English ones; the default (Chinese) is tried once below."""
    body = text if text is not None else (as_csv(rows) if content_type == "text/csv" else as_ndjson(rows))
    headers = {**headers, "Accept-Language": language} if language else headers
    return client.post(IMPORT, data=body.encode(), content_type=content_type, headers=headers)


def committed(model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def account(resident) -> CreditAccount | None:
    db.session.rollback()
    return db.session.get(CreditAccount, resident.id)


def points_of_events(resident) -> list[int]:
    db.session.rollback()
    return list(db.session.scalars(select(CreditEvent.points).where(CreditEvent.resident_id == resident.id)
                                   .order_by(CreditEvent.occurred_at)))


def import_records() -> list[AuditRecord]:
    db.session.rollback()
    return db.session.scalars(select(AuditRecord).where(AuditRecord.action == "credit_events.import")).all()


def reasons(response) -> dict[int, str]:
    return {error["line"]: error["reason"] for error in response.get_json()["errors"]}


@pytest.fixture
def admin(staff):
    return staff.headers("admin")


@pytest.fixture
def department(staff):
    return staff.headers("department", source=SOURCE)


@pytest.fixture
def resident(residents):
    return residents.create()


# -- formats --------------------------------------------------------------------------------------------

def test_a_csv_file_records_each_row_as_an_event_and_the_accounts_follow(client, department, residents, resident):
    item("SC-T1", points=10)
    item("LV-T1", points=-30)
    other = residents.create(name="李娜")
    response = send(client, department, [row(resident, "SC-T1", "R-1", note="年度志愿服务"),
                                         row(resident, "LV-T1", "R-2"), row(other, "LV-T1", "R-3")])
    assert response.status_code == 200
    assert response.get_json() == {"rows": 3, "created": 3, "unchanged": 0, "conflicts": 0, "errors": [],
                                   "notices_queued": 0}
    assert (account(resident).points, account(resident).stars) == (980, 3)
    assert (account(other).points, account(other).stars) == (970, 3)
    stored = db.session.scalar(select(CreditEvent).where(CreditEvent.source_ref == "R-1"))
    assert (stored.rubric_code, stored.title, stored.points, stored.status, stored.note, stored.source) == (
        "SC-T1", "条目 SC-T1", 10, "active", "年度志愿服务", SOURCE)
    assert (stored.created_by_kind, stored.category, stored.kind) == ("staff", "social_contribution", "bonus")


def test_csv_columns_are_matched_by_name_in_any_order_and_extra_columns_are_ignored(client, department, resident):
    item()
    columns = ("note", "source_ref", "source", "occurred_at", "rubric_code", "id_number", "our_case_no")
    response = send(client, department, text=as_csv([row(resident) | {"our_case_no": "A-17"}], columns))
    assert response.get_json()["created"] == 1


def test_an_ndjson_file(client, department, resident):
    item()
    response = send(client, department, [row(resident, ref="N-1"), row(resident, ref="N-2")],
                    content_type="application/x-ndjson")
    assert response.status_code == 200
    assert (response.get_json()["created"], response.get_json()["errors"]) == (2, [])
    assert account(resident).points == 1020


@pytest.mark.parametrize("filename, content_type, formatter", [
    ("events.csv", "text/csv", as_csv),
    ("events.csv", "application/octet-stream", as_csv),
    ("events.ndjson", "application/x-ndjson", as_ndjson),
    ("events.jsonl", "application/octet-stream", as_ndjson),
])
def test_a_multipart_upload_in_the_field_file(client, department, resident, filename, content_type, formatter):
    item()
    upload = {"file": (io.BytesIO(formatter([row(resident)]).encode()), filename, content_type)}
    response = client.post(IMPORT, data=upload, content_type="multipart/form-data", headers=department)
    assert response.status_code == 200
    assert response.get_json()["created"] == 1


def test_a_csv_with_a_byte_order_mark_and_windows_line_ends(client, department, resident):
    item()
    text = "\ufeff" + as_csv([row(resident, ref="W-1"), row(resident, ref="W-2")]).replace("\n", "\r\n")
    assert send(client, department, text=text).get_json()["created"] == 2


# -- refusals of the whole request: nothing is written --------------------------------------------------

def assert_nothing_written():
    assert committed(CreditEvent) == 0
    assert committed(CreditAccount) == 0
    assert import_records() == []


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/xml"])
def test_a_body_that_is_neither_csv_nor_ndjson_is_415(client, department, resident, content_type):
    item()
    response = send(client, department, text=as_csv([row(resident)]), content_type=content_type)
    assert response.status_code == 415
    assert response.get_json()["reason"] == "unsupported_media_type"
    assert_nothing_written()


def test_a_file_that_is_not_utf8_is_415_even_after_good_rows(client, department, resident):
    item()
    good = as_csv([row(resident, ref=f"G-{n}") for n in range(300)]).encode()
    response = client.post(IMPORT, data=good + "华士镇,GBK\n".encode("gbk"), content_type="text/csv",
                           headers=department)
    assert response.status_code == 415
    assert_nothing_written()


def test_a_multipart_request_without_the_file_field_is_422(client, department):
    response = client.post(IMPORT, data={"upload": (io.BytesIO(b"x"), "events.csv", "text/csv")},
                           content_type="multipart/form-data", headers=department)
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"] == {"file": ["请在 multipart 的“file”字段中发送文件"]}


@pytest.mark.parametrize("role", ["reviewer", "resident"])
def test_reviewers_and_residents_cannot_import(client, staff, residents, resident, role):
    item()
    headers = staff.headers("reviewer") if role == "reviewer" else residents.bound_headers(resident)
    response = send(client, headers, [row(resident)])
    assert response.status_code == 403
    assert response.get_json()["reason"] == "role_not_allowed"
    assert send(client, {}, [row(resident)]).status_code == 401
    assert_nothing_written()


def test_the_body_limit_of_this_endpoint_is_its_own(app, client, admin, department, resident, monkeypatch):
    # Files of events may be far larger than the registry's, and than any JSON body.
    from backend.credit.schemas import EVENT_IMPORT_LIMIT
    from backend.residents.schemas import IMPORT_LIMIT
    from backend.web.bodies import DEFAULT_LIMIT

    assert EVENT_IMPORT_LIMIT > IMPORT_LIMIT > DEFAULT_LIMIT
    item()
    text = as_csv([row(resident, ref=f"L-{n}", note="x" * 40) for n in range(40)])
    monkeypatch.setattr(view_of(app, "/api/v1/admin/residents/import"), "_body_limit", len(text) // 2)
    refused = client.post("/api/v1/admin/residents/import", data=text.encode(), content_type="text/csv",
                          headers=admin)
    assert refused.status_code == 413
    assert send(client, department, text=text).get_json()["created"] == 40


def view_of(app, path: str):
    from backend.web.access import view_for

    return view_for(app, next(rule for rule in app.url_map.iter_rules() if rule.rule == path), "POST")


def test_a_body_over_the_import_limit_is_413_and_nothing_is_written(app, client, department, resident,
                                                                     monkeypatch):
    item()
    text = as_csv([row(resident, ref=f"L-{n}") for n in range(40)])
    monkeypatch.setattr(view_of(app, "/api/v1/admin/credit-events/import"), "_body_limit", len(text) - 1)
    response = send(client, department, text=text)
    assert response.status_code == 413
    assert response.get_json()["reason"] == "too_large"
    assert "limit" in response.get_json()
    assert_nothing_written()


def test_a_failure_in_the_middle_leaves_nothing_behind(client, department, resident, monkeypatch):
    # One transaction: events, accounts and the audit record land together or not at all.
    item()

    def broken(*args, **kwargs):
        raise DomainError("the database went away", reason="unavailable")

    monkeypatch.setattr(importing.ledger, "recompute_accounts", broken)
    assert send(client, department, [row(resident)]).status_code == 400
    assert_nothing_written()


# -- departments send under their own source ------------------------------------------------------------

def test_a_departments_rows_of_another_source_are_refused_by_line_and_its_own_land(client, department, resident):
    item()
    response = send(client, department, [row(resident, ref="OWN-1"), row(resident, ref="PS-1",
                                                                         source="public-security")])
    assert response.status_code == 200
    body = response.get_json()
    assert (body["created"], body["errors"]) == (1, [
        {"line": 3, "reason": "source_not_allowed", "message": "A department sends events under its own source only."}])
    assert committed(CreditEvent, CreditEvent.source == "public-security") == 0


def test_an_admin_imports_under_any_source(client, admin, resident):
    item()
    response = send(client, admin, [row(resident, ref="1", source="credit-office"),
                                    row(resident, ref="1", source="public-security")])
    assert response.get_json()["created"] == 2
    assert account(resident).points == 1020


# -- idempotency by (source, source_ref) ----------------------------------------------------------------

def test_the_same_file_again_adds_nothing(client, department, residents, resident):
    item("SC-T1", points=15, annual_cap=20)
    item("LV-T1", points=-30)
    other = residents.create(name="李娜")
    rows = [row(resident, "SC-T1", "R-1"), row(resident, "SC-T1", "R-2"), row(other, "LV-T1", "R-3")]
    first = send(client, department, rows).get_json()
    before = [(a.resident_id, a.points, a.stars, a.next_expiry_at) for a in db.session.scalars(
        select(CreditAccount).order_by(CreditAccount.resident_id))]
    again = send(client, department, rows).get_json()
    assert (first["created"], first["unchanged"]) == (3, 0)
    assert (again["created"], again["unchanged"], again["errors"]) == (0, 3, [])
    assert committed(CreditEvent) == 3
    assert points_of_events(resident) == [15, 5]
    db.session.rollback()
    assert [(a.resident_id, a.points, a.stars, a.next_expiry_at) for a in db.session.scalars(
        select(CreditAccount).order_by(CreditAccount.resident_id))] == before


def test_a_row_repeating_an_event_sent_one_at_a_time_is_unchanged(client, department, resident):
    item()
    sent = row(resident, ref="ONE-1", note="罚款决定书")
    assert client.post("/api/v1/admin/credit-events", json={k: v for k, v in sent.items() if v},
                       headers=department).status_code == 201
    response = send(client, department, [sent])
    assert (response.get_json()["created"], response.get_json()["unchanged"]) == (0, 1)
    assert committed(CreditEvent) == 1


def test_the_same_moment_in_another_offset_is_the_same_content(client, department, resident):
    item()
    moment = datetime(2026, 3, 1, 9, 0, tzinfo=SHANGHAI)
    send(client, department, [row(resident, ref="T-1", occurred_at=moment.isoformat())])
    response = send(client, department, [row(resident, ref="T-1", occurred_at="2026-03-01T01:00:00+00:00")])
    assert (response.get_json()["unchanged"], response.get_json()["errors"]) == (1, [])


@pytest.mark.parametrize("field", ["resident", "rubric_code", "occurred_at", "note"])
def test_a_source_ref_recorded_with_other_content_is_a_conflict(client, department, residents, resident, field):
    item("SC-T1")
    item("SC-T2", points=20)
    other = residents.create(name="李娜")
    send(client, department, [row(resident, ref="C-1", note="第一次")])
    changed = {"resident": {"id_number": other.plain["id_number"]}, "rubric_code": {"rubric_code": "SC-T2"},
               "occurred_at": {"occurred_at": days_ago(30)}, "note": {"note": "另一份"}}[field]
    response = send(client, department, [row(resident, ref="C-1", note="第一次") | changed,
                                         row(resident, ref="C-2")])
    body = response.get_json()
    assert (body["created"], body["conflicts"]) == (1, 1)
    assert body["errors"] == [{"line": 2, "reason": "source_ref_conflict",
                               "message": "This source_ref was already used for a different event."}]
    assert account(other) is None or account(other).points == 1000
    assert account(resident).points == 1020


def test_rows_of_one_source_ref_within_a_file_land_once(client, department, resident):
    # Sent one at a time in order of occurred_at: the first is recorded, an identical one is a repeat,
    # a different one a conflict.
    item()
    early, late = days_ago(3), days_ago(1)
    response = send(client, department, [row(resident, ref="D-1", occurred_at=late),
                                         row(resident, ref="D-1", occurred_at=early),
                                         row(resident, ref="D-1", occurred_at=early)])
    body = response.get_json()
    assert (body["created"], body["unchanged"], body["conflicts"]) == (1, 1, 1)
    assert reasons(response) == {2: "source_ref_conflict"}
    stored = db.session.scalar(select(CreditEvent))
    assert stored.occurred_at == datetime.fromisoformat(early)


def test_a_refused_row_does_not_take_the_source_ref_from_a_later_good_one(client, department, residents, resident):
    item()
    gone = residents.create(name="王芳", status="moved")
    response = send(client, department, [row(gone, ref="M-1", occurred_at=days_ago(5)),
                                         row(resident, ref="M-1", occurred_at=days_ago(1))])
    assert reasons(response) == {2: "resident_not_active"}
    assert response.get_json()["created"] == 1
    assert account(resident).points == 1010


# -- annual caps across the file and the ledger ---------------------------------------------------------

def test_the_annual_cap_counts_the_ledger_and_the_earlier_rows_of_the_file(client, department, resident):
    item(points=15, annual_cap=40)
    service.grant_event(None, id_number=resident.plain["id_number"], rubric_code="SC-T1",
                        occurred_at=datetime.fromisoformat(days_ago(2)), source="civil-affairs", source_ref="x")
    response = send(client, department, [row(resident, ref=f"CAP-{n}", occurred_at=days_ago(1)) for n in range(3)])
    assert response.get_json()["created"] == 3
    assert points_of_events(resident) == [15, 15, 10, 0]
    assert account(resident).points == 1040


def test_within_a_file_the_earliest_acts_of_the_year_take_the_cap_first(client, department, resident):
    item(points=15, annual_cap=20)
    rows = [row(resident, ref="LATE", occurred_at="2025-11-01T10:00:00+08:00"),
            row(resident, ref="EARLY", occurred_at="2025-02-01T10:00:00+08:00"),
            row(resident, ref="SAME-TIME-1", occurred_at="2025-06-01T10:00:00+08:00"),
            row(resident, ref="SAME-TIME-2", occurred_at="2025-06-01T10:00:00+08:00")]
    send(client, department, rows)
    points = dict(db.session.execute(select(CreditEvent.source_ref, CreditEvent.points)).all())
    assert points == {"EARLY": 15, "SAME-TIME-1": 5, "SAME-TIME-2": 0, "LATE": 0}


def test_the_cap_year_is_the_calendar_year_in_china(client, department, resident):
    item(points=15, annual_cap=20)
    send(client, department, [row(resident, ref="A", occurred_at="2025-06-01T10:00:00+08:00"),
                              row(resident, ref="B", occurred_at="2025-12-31T23:30:00+08:00"),
                              row(resident, ref="C", occurred_at="2026-01-01T00:30:00+08:00")])
    points = dict(db.session.execute(select(CreditEvent.source_ref, CreditEvent.points)).all())
    assert points == {"A": 15, "B": 5, "C": 15}


def test_caps_are_per_resident_and_item_and_voided_events_free_them(client, department, residents, resident):
    item("SC-T1", points=15, annual_cap=20)
    item("SC-T2", points=15, annual_cap=20)
    other = residents.create(name="李娜")
    voided = service.grant_event(None, id_number=resident.plain["id_number"], rubric_code="SC-T1",
                                 occurred_at=datetime.fromisoformat(days_ago(3)), source="civil-affairs",
                                 source_ref="v").event
    service.dispute(voided.id, None, "异议")
    service.uphold_objection(voided.id, None, "异议成立")
    db.session.commit()
    send(client, department, [row(resident, "SC-T1", "1"), row(resident, "SC-T1", "2"),
                              row(resident, "SC-T2", "3"), row(other, "SC-T1", "4")])
    points = dict(db.session.execute(select(CreditEvent.source_ref, CreditEvent.points)).all())
    assert points == {"v": 15, "1": 15, "2": 5, "3": 15, "4": 15}


# -- direct grading and expiry ----------------------------------------------------------------------------

def test_a_ceiling_from_the_file_holds_the_stars_and_names_its_item(client, department, residents, resident):
    item("SC-T1", points=60)
    item("FI-T1", points=-10, severity="serious", caps_stars_at=1, validity_days=1825)
    response = send(client, department, [row(resident, "SC-T1", "1"), row(resident, "FI-T1", "2")])
    assert response.get_json()["created"] == 2
    stored = account(resident)
    assert (stored.points, stored.stars, stored.ceiling_stars, stored.capped_by) == (1050, 1, 1, "FI-T1")
    body = client.get("/api/v1/me/credit", headers=residents.bound_headers(resident)).get_json()
    assert (body["stars"], body["capped_by"], body["next_level"]) == (1, "FI-T1", None)


def test_an_act_whose_validity_has_passed_is_recorded_and_does_not_count(client, department, resident):
    item("SC-T1", points=10, validity_days=30)
    item("SC-T2", points=20)
    recent = days_ago(10)
    send(client, department, [row(resident, "SC-T1", "OLD", occurred_at=days_ago(40)),
                              row(resident, "SC-T2", "NEW", occurred_at=recent)])
    stored = account(resident)
    assert stored.points == 1020
    assert stored.next_expiry_at == datetime.fromisoformat(recent) + timedelta(days=365)
    assert committed(CreditEvent) == 2


# -- bad rows are reported by line, good rows land ------------------------------------------------------

def test_each_refused_row_is_reported_by_line_with_the_reason_of_the_single_event_path(client, department,
                                                                                      residents, resident):
    item("SC-T1")
    item("OLD-1")
    rubric.update_item(None, "OLD-1", {"active": False})
    item("CJ-T1", town="长泾镇")
    moved = residents.create(name="王芳", status="moved")
    stranger = residents.id_number(born="19900305")
    theirs = residents.create(name="周强", town="周庄镇", village="东旺村")
    rows = [
        row(resident, ref="OK-1"),                                          # 2
        row(resident, ref="B-1", id_number=stranger),                       # 3 unknown resident
        row(moved, ref="B-2"),                                              # 4 moved
        row(resident, "NO-SUCH", ref="B-3"),                                # 5 unknown item
        row(resident, "OLD-1", ref="B-4"),                                  # 6 retired item
        row(theirs, "CJ-T1", ref="B-5"),                                    # 7 other town's local item
        row(resident, ref="B-6", occurred_at=(utcnow() + timedelta(days=1)).isoformat()),  # 8 future
        row(resident, ref="OK-2"),                                          # 9
    ]
    response = send(client, department, rows)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["rows"], body["created"]) == (8, 2)
    assert body["errors"] == [
        {"line": 3, "reason": "resident_not_found", "message": "No resident has this ID number."},
        {"line": 4, "reason": "resident_not_active", "message": "Only active residents receive new events."},
        {"line": 5, "reason": "rubric_item_not_found", "message": "No rubric item has this code."},
        {"line": 6, "reason": "rubric_item_retired", "message": "rubric_code: this rubric item is retired"},
        {"line": 7, "reason": "rubric_item_other_town",
         "message": "rubric_code: this local item belongs to another town"},
        {"line": 8, "reason": "invalid_input", "message": "occurred_at: must not be in the future"},
    ]
    assert stranger not in response.get_data(as_text=True)
    assert account(resident).points == 1020
    assert account(moved) is None


def test_line_errors_are_chinese_by_default(client, department, residents, resident):
    item()
    stranger = residents.id_number(born="19900305")
    rows = [row(resident, ref="B-1", id_number=stranger), row(resident, ref="R" * 129),
            row(resident, ref="B-3", occurred_at="yesterday")]
    body = send(client, department, rows, language=None).get_json()
    assert body["errors"] == [
        {"line": 2, "reason": "resident_not_found", "message": "没有该身份证号的居民。"},
        {"line": 3, "reason": "invalid_input", "message": "source_ref: 超过 128 个字符"},
        {"line": 4, "reason": "invalid_input", "message": "occurred_at: 不是 ISO 8601 格式的时间"},
    ]


@pytest.mark.parametrize("change, message", [
    ({"id_number": "320281198001011234"}, "id_number: not a valid ID number: the check digit does not match"),
    ({"id_number": "999999198001011233"}, "id_number: not a valid ID number: the region code is unknown"),
    ({"id_number": ""}, "id_number: is missing"),
    ({"rubric_code": ""}, "rubric_code: is missing"),
    ({"rubric_code": "X" * 41}, "rubric_code: is longer than 40 characters"),
    ({"occurred_at": "2026-03-01T09:00:00"}, "occurred_at: needs its offset, e.g. +08:00"),
    ({"occurred_at": "yesterday"}, "occurred_at: is not an ISO 8601 time"),
    ({"occurred_at": "1969-12-31T23:00:00+00:00"}, "occurred_at: must be after 1970"),
    ({"source": "Market Regulation"}, "source: must be lower-case letters, digits and '-' (2–64)"),
    ({"source_ref": ""}, "source_ref: is missing"),
    ({"source_ref": "R" * 129}, "source_ref: is longer than 128 characters"),
    ({"note": "n" * 2001}, "note: is longer than 2000 characters"),
], ids=["check-digit", "region", "no-id", "no-code", "long-code", "no-offset", "not-a-time", "before-1970",
        "bad-source", "no-ref", "long-ref", "long-note"])
def test_a_row_of_the_wrong_form_is_reported_and_never_repeats_the_id_number(client, admin, resident, change,
                                                                               message):
    item()
    bad = row(resident, ref="BAD") | change
    response = send(client, admin, [row(resident, ref="GOOD"), bad])
    body = response.get_json()
    assert (body["created"], body["errors"]) == (1, [{"line": 3, "reason": "invalid_input", "message": message}])
    if bad["id_number"]:
        assert bad["id_number"] not in response.get_data(as_text=True)


def test_unreadable_lines_are_reported_by_line(client, department, resident):
    item()
    text = as_csv([row(resident, ref="OK-1")]) + "only,three,values\n" + as_csv([row(resident, ref="OK-2")]).split(
        "\n", 1)[1]
    csv_body = send(client, department, text=text).get_json()
    assert (csv_body["created"], csv_body["errors"]) == (
        2, [{"line": 3, "reason": "invalid_input", "message": "expected 6 columns, found 3"}])
    ndjson = as_ndjson([row(resident, ref="N-1")]) + "not json\n[1]\n" + json.dumps(
        row(resident, ref="N-1") | {"note": "\u0000"}) + "\n"
    body = send(client, department, text=ndjson, content_type="application/x-ndjson").get_json()
    assert body["errors"] == [
        {"line": 2, "reason": "invalid_input", "message": "not valid JSON"},
        {"line": 3, "reason": "invalid_input", "message": "each line must be a JSON object"},
        {"line": 4, "reason": "invalid_input", "message": "note: must not contain NUL characters"}]


def test_an_empty_file_records_nothing(client, department):
    body = send(client, department, text=",".join(COLUMNS) + "\n").get_json()
    assert body == {"rows": 0, "created": 0, "unchanged": 0, "conflicts": 0, "errors": [], "notices_queued": 0}


# -- notices and the audit record -----------------------------------------------------------------------

def test_penalties_of_bound_residents_are_notified(client, department, residents, resident):
    residents.bound_headers(resident)
    unbound = residents.create(name="李娜")
    item("LV-T1", points=-30)
    item("SC-T1", points=10)
    response = send(client, department, [row(resident, "LV-T1", "P-1"), row(resident, "SC-T1", "B-1"),
                                         row(unbound, "LV-T1", "P-2")])
    assert response.get_json()["notices_queued"] == 1
    [attempt] = db.session.scalars(select(NoticeAttempt)).all()
    event = db.session.scalar(select(CreditEvent).where(CreditEvent.source_ref == "P-1"))
    assert (attempt.kind, attempt.status, attempt.object_id) == ("penalty_recorded", "sent", str(event.id))
    assert (attempt.data["number2"], attempt.page) == ("30", "pages/credit/events")
    again = send(client, department, [row(resident, "LV-T1", "P-1")]).get_json()
    assert again["notices_queued"] == 0
    assert committed(NoticeAttempt) == 1


def test_notices_of_a_large_import_wait_for_the_sender(client, runner, department, residents, monkeypatch):
    monkeypatch.setattr(importing, "SEND_NOTICES_AT_ONCE", 2)
    people = [residents.create(name=f"王{n}") for n in range(3)]
    for person in people:
        residents.bound_headers(person)
    item("LV-T1", points=-30)
    response = send(client, department, [row(person, "LV-T1", f"P-{n}") for n, person in enumerate(people)])
    assert response.get_json()["notices_queued"] == 3
    assert committed(NoticeAttempt, NoticeAttempt.status == "queued") == 3
    result = runner.invoke(args=["notices", "send-queued"])
    assert result.exit_code == 0 and "3 queued notices tried" in result.output
    assert committed(NoticeAttempt, NoticeAttempt.status == "sent") == 3


def test_each_import_is_one_audit_record_with_its_counts(client, staff, resident):
    member = staff.create("department", source=SOURCE)
    item()
    send(client, {"Authorization": f"Bearer {staff.token(member)}"},
         [row(resident, ref="A-1"), row(resident, ref="A-1", note="变了"), row(resident, ref="A-2", id_number="x")])
    [record] = import_records()
    assert (record.actor_id, record.object_type) == (member.id, "credit_events")
    assert record.after == {"rows": 3, "created": 1, "unchanged": 0, "conflicts": 1, "errors": 2}
    assert resident.plain["id_number"] not in json.dumps(record.after)
    assert committed(AuditRecord, AuditRecord.action == "credit_event.create") == 0


# -- the import and the single-event path give the same ledger --------------------------------------------

def _world(residents, tag: str):
    """Two towns' residents (one moved), the same for each path."""
    return [residents.create(name=f"{tag}{n}", town="长泾镇" if n % 2 else "周庄镇",
                             village="蒋家村" if n % 2 else "东旺村", status="moved" if n == 5 else "active")
            for n in range(6)]


def _random_rows(rng: random.Random, count: int) -> list[dict]:
    """Rows over the last two years (some across a New Year, a few in the future), with repeated and
    conflicting source_refs, unknown residents and items, local items and capped items."""
    codes = ["EQ-B1", "EQ-B2", "EQ-B3", "EQ-P1", "EQ-P2", "EQ-P3", "EQ-LOCAL", "EQ-OLD", "NO-SUCH"]
    now = utcnow()
    new_year = datetime(now.astimezone(SHANGHAI).year, 1, 1, tzinfo=SHANGHAI)
    rows = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.04:
            moment = now + timedelta(days=rng.randint(1, 30))
        elif roll < 0.25:
            moment = new_year + timedelta(hours=rng.randint(-30, 30))
        else:
            moment = now - timedelta(days=rng.randint(0, 720), minutes=rng.randint(1, 1000))
        rows.append({"who": rng.randrange(7), "rubric_code": rng.choice(codes),
                     "occurred_at": moment.astimezone(SHANGHAI).replace(microsecond=0).isoformat(),
                     "source_ref": f"EQ-{rng.randrange(count * 2 // 3)}", "note": rng.choice([None, None, "甲"])})
    return rows


def _ledger_of(people) -> list[tuple]:
    db.session.rollback()
    events, accounts = [], []
    for index, person in enumerate(people):
        events += [(index, e.source_ref, e.rubric_code, e.points, e.status, e.occurred_at, e.effective_until,
                    e.caps_stars_at) for e in db.session.scalars(select(CreditEvent).where(
                        CreditEvent.resident_id == person.id).order_by(CreditEvent.id))]
        stored = db.session.get(CreditAccount, person.id)
        accounts.append(None if stored is None else (stored.points, stored.stars, stored.ceiling_stars,
                                                     stored.capped_by, stored.next_expiry_at))
    return sorted(events, key=str), accounts


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_the_import_and_single_events_give_identical_accounts(client, admin, residents, seed):
    rng = random.Random(seed)
    single, bulk = _world(residents, "单"), _world(residents, "批")
    item("EQ-B1", points=15, annual_cap=20)
    item("EQ-B2", points=10, annual_cap=30, validity_days=200)
    item("EQ-B3", points=25)
    item("EQ-P1", points=-30)
    item("EQ-P2", points=-50, severity="serious", caps_stars_at=2)
    item("EQ-P3", points=-5, severity="serious", caps_stars_at=2, validity_days=400)
    item("EQ-LOCAL", points=5, annual_cap=10, town="长泾镇")
    item("EQ-OLD", points=5)
    rubric.update_item(None, "EQ-OLD", {"active": False})
    stranger = residents.id_number(born="19700101")
    # The ledger already holds events of both twins, some in the current cap year.
    earlier = utcnow().replace(microsecond=0)
    for people, source in ((single, "single"), (bulk, "bulk")):
        for n, code in enumerate(["EQ-B1", "EQ-B2", "EQ-P2"]):
            service.grant_event(None, id_number=people[n].plain["id_number"], rubric_code=code,
                                occurred_at=earlier - timedelta(days=n + 1), source=source,
                                source_ref=f"EQ-{n}", note=None if n else "甲")
    rows = _random_rows(rng, 80)

    def id_number(people, who):
        return stranger if who == 6 else people[who].plain["id_number"]

    outcomes = {}
    order = sorted(range(len(rows)), key=lambda i: (datetime.fromisoformat(rows[i]["occurred_at"]), i))
    for i in order:
        r = rows[i]
        try:
            grant = service.grant_event(None, id_number=id_number(single, r["who"]), rubric_code=r["rubric_code"],
                                        occurred_at=datetime.fromisoformat(r["occurred_at"]), source="single",
                                        source_ref=r["source_ref"], note=r["note"])
            outcomes[i + 2] = "created" if grant.created else "unchanged"
        except DomainError as refusal:
            db.session.rollback()
            outcomes[i + 2] = refusal.reason
    file_rows = [{"id_number": id_number(bulk, r["who"]), "rubric_code": r["rubric_code"],
                  "occurred_at": r["occurred_at"], "source": "bulk", "source_ref": r["source_ref"], "note": r["note"]}
                 for r in rows]
    response = send(client, admin, file_rows)
    body = response.get_json()
    refused = {line: reason for line, reason in outcomes.items() if reason not in ("created", "unchanged")}
    assert reasons(response) == refused
    assert body["created"] == sum(1 for reason in outcomes.values() if reason == "created")
    assert body["unchanged"] == sum(1 for reason in outcomes.values() if reason == "unchanged")
    assert _ledger_of(bulk) == _ledger_of(single)
    assert len({reason for reason in outcomes.values()}) >= 6, "the random rows should cover most outcomes"


# -- concurrent writers (PostgreSQL) --------------------------------------------------------------------

postgresql_only = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="PostgreSQL not configured: set TEST_DATABASE_URL (.ci/run does) for the "
                                  "concurrent-writer tests of the import")


def in_thread(app, work) -> threading.Thread:
    def run():
        with app.app_context():
            try:
                work()
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@postgresql_only
def test_a_source_ref_taken_by_a_single_writer_during_the_import_becomes_a_conflict(app, client, department,
                                                                                    residents, resident,
                                                                                    monkeypatch):
    item()
    other = residents.create(name="李娜")
    classify, classified = importing._classify, []

    def classify_while_another_writer_sends(*args):
        classify(*args)
        classified.append(True)
        if len(classified) == 1:  # between classifying and inserting, the pair is taken for another resident
            in_thread(app, lambda: service.grant_event(
                None, id_number=other.plain["id_number"], rubric_code="SC-T1",
                occurred_at=datetime.fromisoformat(days_ago(2)), source=SOURCE, source_ref="RACE-1")).join(10)

    monkeypatch.setattr(importing, "_classify", classify_while_another_writer_sends)
    response = send(client, department, [row(resident, ref="RACE-1"), row(resident, ref="RACE-2")])
    assert len(classified) == 2
    assert (response.get_json()["created"], reasons(response)) == (1, {2: "source_ref_conflict"})
    assert (account(resident).points, account(other).points) == (1010, 1010)


@postgresql_only
def test_a_single_writer_waits_for_the_import_and_then_sees_its_caps(app, client, department, resident,
                                                                     monkeypatch):
    item(points=15, annual_cap=20)
    queue_notices, answers = importing._queue_penalty_notices, []

    def notices_while_another_writer_waits(*args):
        # Events in, accounts recomputed, not yet committed: the import still holds the resident's account,
        # so a single event for them waits until it commits.
        answers.append(in_thread(app, lambda: answers.append(service.grant_event(
            None, id_number=resident.plain["id_number"], rubric_code="SC-T1",
            occurred_at=datetime.fromisoformat(days_ago(1)), source="civil-affairs", source_ref="LATE").event.points)))
        answers[0].join(1)
        assert answers[0].is_alive(), "the single writer should be waiting for the import"
        return queue_notices(*args)

    monkeypatch.setattr(importing, "_queue_penalty_notices", notices_while_another_writer_waits)
    response = send(client, department, [row(resident, ref="FILE-1"), row(resident, ref="FILE-2")])
    answers[0].join(10)
    assert response.get_json()["created"] == 2
    points = dict(db.session.execute(select(CreditEvent.source_ref, CreditEvent.points)).all())
    assert points == {"FILE-1": 15, "FILE-2": 5, "LATE": 0}
    assert answers[1] == 0
    assert account(resident).points == 1020
