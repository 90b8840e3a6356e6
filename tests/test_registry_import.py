"""Admins import the population registry and look residents up, masked and recorded (SPEC §2, §10)."""

import io
import json

import pytest
from sqlalchemy import func, select

from backend.audit.models import AuditRecord
from backend.data.extensions import db
from backend.privacy.id_numbers import with_check_digit
from backend.query_records.models import QueryRecord
from backend.residents import service
from backend.residents.models import Household, Resident, Town, Village

FIELDS = ("name", "id_number", "phone", "town", "village", "household_no", "status")
IMPORT = "/api/v1/admin/residents/import"
LIST = "/api/v1/admin/residents"
SEARCH = "/api/v1/admin/residents/search"


def id_number(serial: int, born: str = "19800101") -> str:
    return with_check_digit(f"320281{born}{serial:03d}")


def wrong_check_digit(number: str) -> str:
    return number[:-1] + ("1" if number[-1] != "1" else "2")


def person(serial: int, **changes) -> dict:
    row = {"name": f"王{'一二三四五六七八九十'[serial % 10]}明", "id_number": id_number(serial),
           "phone": f"138{serial:08d}", "town": "长泾镇", "village": "蒋家村",
           "household_no": f"H-{serial:03d}", "status": "active"}
    row.update(changes)
    return row


PEOPLE = [person(1), person(2, phone=""), person(3, town="华士镇", village="华西村")]


def as_csv(rows, fields=FIELDS) -> str:
    lines = [",".join(fields)] + [",".join(str(row.get(f, "")) for f in fields) for row in rows]
    return "\n".join(lines) + "\n"


def as_ndjson(rows) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def post_csv(client, headers, text):
    return client.post(IMPORT, data=text.encode(), content_type="text/csv", headers=headers)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def import_records() -> int:
    return db.session.scalar(select(func.count()).where(AuditRecord.action == "residents.import"))


def secrets_of(rows) -> list[str]:
    return [value for row in rows for value in (row["id_number"], row["phone"]) if value]


def assert_imported(rows):
    for row in rows:
        resident = service.find_by_id_number(row["id_number"])
        assert resident is not None, row["name"]
        held = service.person(resident)
        assert (held.name, held.id_number, held.phone or "") == (row["name"], row["id_number"], row["phone"])
        place = (resident.town.name, resident.village.name, resident.household.household_no, resident.status)
        assert place == (row["town"], row["village"], row["household_no"], row["status"])


@pytest.fixture
def admin(staff):
    return staff.headers("admin")


# -- formats --------------------------------------------------------------------------------------------

def test_import_of_a_csv_body_with_a_header_row(client, admin):
    response = post_csv(client, admin, as_csv(PEOPLE))
    assert response.status_code == 200
    assert response.get_json() == {"created": 3, "updated": 0, "unchanged": 0, "errors": []}
    assert_imported(PEOPLE)


def test_csv_columns_are_matched_by_header_name_in_any_order(client, admin):
    fields = ("status", "household_no", "village", "town", "phone", "id_number", "name")
    response = post_csv(client, admin, as_csv(PEOPLE, fields))
    assert response.get_json()["created"] == 3
    assert_imported(PEOPLE)


def test_import_of_an_ndjson_body(client, admin):
    response = client.post(IMPORT, data=as_ndjson(PEOPLE).encode(), content_type="application/x-ndjson",
                           headers=admin)
    assert response.status_code == 200
    assert response.get_json() == {"created": 3, "updated": 0, "unchanged": 0, "errors": []}
    assert_imported(PEOPLE)


@pytest.mark.parametrize("filename, content_type, text", [
    ("registry.csv", "text/csv", as_csv(PEOPLE)),
    ("registry.csv", "application/octet-stream", as_csv(PEOPLE)),
    ("registry.ndjson", "application/x-ndjson", as_ndjson(PEOPLE)),
    ("registry.jsonl", "application/octet-stream", as_ndjson(PEOPLE)),
])
def test_import_of_a_multipart_upload_in_field_file(client, admin, filename, content_type, text):
    upload = {"file": (io.BytesIO(text.encode()), filename, content_type)}
    response = client.post(IMPORT, data=upload, content_type="multipart/form-data", headers=admin)
    assert response.status_code == 200
    assert response.get_json()["created"] == 3
    assert_imported(PEOPLE)


def test_missing_status_means_active(client, admin):
    fields = ("name", "id_number", "phone", "town", "village", "household_no")
    post_csv(client, admin, as_csv([PEOPLE[0]], fields))
    assert service.find_by_id_number(PEOPLE[0]["id_number"]).status == "active"


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/pdf"])
def test_other_content_types_are_415_and_nothing_is_written(client, admin, content_type):
    body = json.dumps(PEOPLE) if content_type == "application/json" else as_csv(PEOPLE)
    response = client.post(IMPORT, data=body.encode(), content_type=content_type, headers=admin)
    assert response.status_code == 415
    assert response.get_json()["reason"] == "unsupported_media_type"
    assert response.get_json()["message"]
    assert count(Resident) == count(Town) == 0
    assert import_records() == 0


def test_an_upload_of_another_file_type_is_415(client, admin):
    upload = {"file": (io.BytesIO(b"%PDF-1.4"), "registry.pdf", "application/pdf")}
    response = client.post(IMPORT, data=upload, content_type="multipart/form-data", headers=admin)
    assert response.status_code == 415
    assert response.get_json()["reason"] == "unsupported_media_type"
    assert count(Resident) == 0


def test_a_file_that_is_not_utf8_is_refused_and_nothing_is_written(client, admin):
    response = client.post(IMPORT, data=as_csv(PEOPLE).encode("gb18030"), content_type="text/csv",
                           headers=admin)
    assert response.status_code == 415
    assert response.get_json()["reason"] == "unsupported_media_type"
    assert count(Resident) == 0
    assert import_records() == 0


def test_multipart_without_the_file_field_is_422(client, admin):
    upload = {"registry": (io.BytesIO(as_csv(PEOPLE).encode()), "registry.csv", "text/csv")}
    response = client.post(IMPORT, data=upload, content_type="multipart/form-data", headers=admin)
    assert response.status_code == 422
    body = response.get_json()
    assert body["reason"] == "invalid_input"
    assert "file" in body["errors"]["json"]
    assert count(Resident) == 0
    assert import_records() == 0


def test_only_admins_import(client, staff, residents):
    for headers in (staff.headers("reviewer"), staff.headers("department"), residents.headers("someone")):
        assert post_csv(client, headers, as_csv(PEOPLE)).status_code == 403
    assert post_csv(client, {}, as_csv(PEOPLE)).status_code == 401
    assert count(Resident) == 0


# -- places ---------------------------------------------------------------------------------------------

def test_towns_and_villages_are_created_when_new_and_matched_by_name_after(client, admin):
    post_csv(client, admin, as_csv(PEOPLE))
    assert sorted(db.session.scalars(select(Town.name))) == ["华士镇", "长泾镇"]
    assert count(Village) == 2
    post_csv(client, admin, as_csv([person(4), person(5, village="璜塘村"), person(6, town="华士镇",
                                                                                 village="华西村")]))
    assert sorted(db.session.scalars(select(Town.name))) == ["华士镇", "长泾镇"]
    villages = db.session.execute(select(Town.name, Village.name).join(Village.town)).all()
    assert sorted(villages) == [("华士镇", "华西村"), ("长泾镇", "璜塘村"), ("长泾镇", "蒋家村")]


def test_a_village_name_in_two_towns_is_two_villages(client, admin):
    post_csv(client, admin, as_csv([person(1), person(2, town="华士镇")]))
    assert count(Village) == 2


def test_residents_of_one_household_share_it(client, admin):
    post_csv(client, admin, as_csv([person(1), person(2, household_no="H-001")]))
    assert count(Household) == 1


# -- idempotent by ID number ----------------------------------------------------------------------------

def test_importing_the_same_file_twice_changes_nothing(client, admin):
    first = post_csv(client, admin, as_csv(PEOPLE)).get_json()
    second = post_csv(client, admin, as_csv(PEOPLE)).get_json()
    assert first["created"] == 3
    assert second == {"created": 0, "updated": 0, "unchanged": 3, "errors": []}
    assert count(Resident) == 3
    assert (count(Town), count(Village), count(Household)) == (2, 2, 3)


@pytest.mark.parametrize("change", [{"phone": "13999998888"}, {"phone": ""}, {"status": "moved"},
                                    {"household_no": "H-999"}, {"village": "璜塘村"}, {"name": "王小明"}])
def test_a_changed_row_is_updated_in_place(client, admin, change):
    post_csv(client, admin, as_csv(PEOPLE))
    original = service.find_by_id_number(PEOPLE[0]["id_number"]).id
    changed = [person(1, **change), *PEOPLE[1:]]
    response = post_csv(client, admin, as_csv(changed))
    assert response.get_json() == {"created": 0, "updated": 1, "unchanged": 2, "errors": []}
    assert count(Resident) == 3
    assert service.find_by_id_number(PEOPLE[0]["id_number"]).id == original
    assert_imported(changed)


def test_an_id_number_written_with_lower_case_x_is_the_same_resident(client, admin):
    number = next(id_number(n) for n in range(1000) if id_number(n).endswith("X"))
    post_csv(client, admin, as_csv([person(7, id_number=number)]))
    again = post_csv(client, admin, as_csv([person(7, id_number=number.lower())])).get_json()
    assert again == {"created": 0, "updated": 0, "unchanged": 1, "errors": []}


# -- bad rows -------------------------------------------------------------------------------------------

def test_bad_csv_rows_are_reported_by_line_while_good_rows_land(client, admin):
    text = "\n".join([
        ",".join(FIELDS),                                                            # line 1: header
        ",".join(person(1).values()),                                               # 2: good
        ",".join(person(2, id_number=wrong_check_digit(id_number(2))).values()),    # 3: bad check digit
        ",".join(person(3, name="").values()),                                      # 4: no name
        "",                                                                          # 5: blank, skipped
        ",".join(person(4).values()) + ",extra",                                    # 6: too many columns
        ",".join(person(5, phone="12345").values()),                                # 7: bad phone
        ",".join(person(6, status="emigrated").values()),                           # 8: bad status
        ",".join(person(7, household_no="").values()),                              # 9: no household
        ",".join(person(8).values()),                                               # 10: good
    ]) + "\n"
    response = post_csv(client, admin, text)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["created"], body["updated"], body["unchanged"]) == (2, 0, 0)
    assert [error["line"] for error in body["errors"]] == [3, 4, 6, 7, 8, 9]
    assert {error["reason"] for error in body["errors"]} == {"invalid_input"}
    messages = {error["line"]: error["message"] for error in body["errors"]}  # Chinese, the default
    assert messages[3] == "id_number: 校验码不符"
    assert messages[4].startswith("name: ")
    assert messages[6] == "应有 7 列，实际为 8 列"
    assert messages[7] == "phone: 须为 11 位大陆手机号码"
    assert messages[8] == "status: 须为以下之一：active, moved, deceased"
    assert messages[9] == "household_no: 未填写"
    assert_imported([person(1), person(8)])
    assert count(Resident) == 2


def test_bad_ndjson_lines_are_reported_by_line_while_good_lines_land(client, admin):
    text = "\n".join([
        json.dumps(person(1), ensure_ascii=False),                     # line 1: good
        "{not json",                                                   # 2
        json.dumps([1, 2]),                                            # 3: not an object
        "",                                                            # 4: blank, skipped
        json.dumps(person(2, status="gone"), ensure_ascii=False),      # 5: bad status
        json.dumps(person(3), ensure_ascii=False),                     # 6: good
    ]) + "\n"
    response = client.post(IMPORT, data=text.encode(), content_type="application/x-ndjson", headers=admin)
    body = response.get_json()
    assert body["created"] == 2
    assert [error["line"] for error in body["errors"]] == [2, 3, 5]
    assert_imported([person(1), person(3)])


@pytest.mark.parametrize("bad, why", [
    (wrong_check_digit(id_number(1)), "check digit"),
    (id_number(1)[:-1], "17 characters"),
    (id_number(1) + "1", "19 characters"),
    ("3202811980010112AB", "letters"),
    (with_check_digit("32028119800230001"), "30 February"),
    (with_check_digit("32028119800001001"), "month 0"),
    (with_check_digit("32028130000101001"), "born in the future"),
    (with_check_digit("99999919800101001"), "unknown region"),
])
def test_an_id_number_is_imported_only_when_valid(client, admin, bad, why):
    response = post_csv(client, admin, as_csv([person(1, id_number=bad), person(2)]))
    body = response.get_json()
    assert body["created"] == 1, why
    assert len(body["errors"]) == 1 and body["errors"][0]["line"] == 2
    assert body["errors"][0]["message"].startswith("id_number: ")
    assert bad not in response.get_data(as_text=True)
    assert count(Resident) == 1


def test_a_jiangyin_resident_born_before_1989_is_imported(client, admin):
    # 320281 (江阴市) was created in 1989; python-stdnum's ric.validate refuses it for earlier births.
    born_1960 = person(9, id_number=with_check_digit("32028119600315009"))
    assert post_csv(client, admin, as_csv([born_1960])).get_json()["created"] == 1


# -- what the import leaves behind ----------------------------------------------------------------------

def test_import_is_audited_with_its_counts(client, staff):
    admin = staff.create("admin", username="boss")
    headers = {"Authorization": f"Bearer {staff.token(admin)}"}
    post_csv(client, headers, as_csv(PEOPLE))
    post_csv(client, headers, as_csv([person(1, status="moved"), person(4), person(5, name="")]))
    records = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "residents.import")
                                 .order_by(AuditRecord.id)).all()
    assert len(records) == 2
    assert all((r.actor_kind, r.actor_id) == ("staff", admin.id) for r in records)
    assert records[0].after == {"created": 3, "updated": 0, "unchanged": 0, "errors": 0}
    assert records[1].after == {"created": 1, "updated": 1, "unchanged": 0, "errors": 1}


def test_neither_the_answer_nor_the_audit_record_shows_an_id_number_or_phone(client, admin):
    rows = [*PEOPLE, person(4, phone="1380000"), person(5, id_number=id_number(5)[:-1])]
    response = post_csv(client, admin, as_csv(rows))
    text = response.get_data(as_text=True)
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "residents.import"))
    stored = json.dumps([record.before, record.after, record.note, record.object_id], ensure_ascii=False)
    for secret in [*secrets_of(rows), id_number(5)[:-1], "1380000"]:
        assert secret not in text
        assert secret not in stored


# -- admin list and look-up -----------------------------------------------------------------------------

@pytest.fixture
def registry(residents):
    """Four residents in two towns; the test knows their details in clear."""
    return {
        "wang": residents.create(name="王小明", phone="13811112222"),
        "li": residents.create(name="李娜", phone=None, village="璜塘村"),
        "zhao": residents.create(name="赵六", phone="13933334444", status="moved"),
        "ouyang": residents.create(name="欧阳娜娜", phone="13755556666", town="华士镇", village="华西村"),
    }


def ids(response) -> list[int]:
    return [item["id"] for item in response.get_json()]


def test_admin_list_shows_only_masked_data(client, admin, registry):
    response = client.get(LIST, headers=admin)
    assert response.status_code == 200
    items = response.get_json()
    assert [item["id"] for item in items] == [r.id for r in registry.values()]
    assert set(items[0]) == {"id", "masked_name", "masked_id_number", "masked_phone", "town", "village",
                             "household_no", "status"}
    ouyang = items[3]
    assert (ouyang["masked_name"], ouyang["masked_phone"]) == ("欧阳**", "137****6666")
    assert ouyang["masked_id_number"] == "3202**********" + registry["ouyang"].plain["id_number"][-4:]
    assert items[1]["masked_phone"] is None
    text = response.get_data(as_text=True)
    for resident in registry.values():
        for value in (resident.plain["name"], resident.plain["id_number"], resident.plain["phone"]):
            if value:
                assert value not in text


def test_admin_list_filters_by_town_village_and_status(client, admin, registry):
    assert ids(client.get(LIST, query_string={"town": "华士镇"}, headers=admin)) == [registry["ouyang"].id]
    assert ids(client.get(LIST, query_string={"village": "璜塘村"}, headers=admin)) == [registry["li"].id]
    assert ids(client.get(LIST, query_string={"status": "moved"}, headers=admin)) == [registry["zhao"].id]
    both = client.get(LIST, query_string={"town": "长泾镇", "village": "蒋家村", "status": "active"},
                      headers=admin)
    assert ids(both) == [registry["wang"].id]
    assert ids(client.get(LIST, query_string={"town": "无此镇"}, headers=admin)) == []


def test_admin_search_finds_by_exact_id_number_and_exact_name(client, admin, registry):
    def search(**body):
        response = client.post(SEARCH, json=body, headers=admin)
        assert response.status_code == 200, response.get_json()
        return ids(response)

    assert search(id_number=registry["zhao"].plain["id_number"]) == [registry["zhao"].id]
    assert search(name="欧阳娜娜") == [registry["ouyang"].id]
    assert search(name="欧阳 娜娜") == [registry["ouyang"].id]  # spaces ignored
    assert search(name="欧阳") == []
    assert search(id_number=id_number(999)) == []
    assert search(name="王小明", town="华士镇") == []


def test_admin_search_records_a_query_for_each_resident_found(client, admin, registry):
    client.post(SEARCH, json={"name": "李娜"}, headers=admin)
    records = db.session.execute(select(QueryRecord.resident_id, QueryRecord.purpose)).all()
    assert records == [(registry["li"].id, "registry search")]


def test_admin_search_refuses_a_malformed_id_number_without_repeating_it(client, admin, registry):
    bad = registry["zhao"].plain["id_number"][:-1]
    response = client.post(SEARCH, json={"id_number": bad}, headers=admin)
    assert response.status_code == 422
    assert "id_number" in response.get_json()["errors"]["json"]
    assert bad not in response.get_data(as_text=True)
    assert count(QueryRecord) == 0


def test_an_id_number_or_name_in_the_list_url_is_refused_not_ignored(client, admin, registry):
    """Personal data stays out of URLs, which access logs keep (SPEC §2); a filter silently dropped would
    show every resident instead, and write a query record for each."""
    number = registry["zhao"].plain["id_number"]
    for query in ({"id_number": number}, {"name": "赵六"}):
        response = client.get(LIST, query_string=query, headers=admin)
        assert response.status_code == 422
        assert number not in response.get_data(as_text=True)
    assert count(QueryRecord) == 0


def test_admin_list_refuses_an_unknown_status(client, admin, registry):
    response = client.get(LIST, query_string={"status": "gone"}, headers=admin)
    assert response.status_code == 422
    assert "status" in response.get_json()["errors"]["query"]
    assert count(QueryRecord) == 0


def test_admin_list_is_paginated(client, admin, registry):
    first = client.get(LIST, query_string={"page_size": 3}, headers=admin)
    pagination = json.loads(first.headers["X-Pagination"])
    assert (pagination["total"], pagination["total_pages"], pagination["page"]) == (4, 2, 1)
    assert len(first.get_json()) == 3
    second = client.get(LIST, query_string={"page_size": 3, "page": 2}, headers=admin)
    assert ids(second) == [registry["ouyang"].id]
    assert client.get(LIST, query_string={"page_size": 101}, headers=admin).status_code == 422


def test_admin_look_up_of_one_resident(client, admin, registry):
    response = client.get(f"{LIST}/{registry['li'].id}", headers=admin)
    assert response.status_code == 200
    assert response.get_json()["masked_name"] == "李*"
    assert "李娜" not in response.get_data(as_text=True)


def test_admin_look_up_of_an_unknown_resident_is_404_and_records_nothing(client, admin, registry):
    response = client.get(f"{LIST}/999999", headers=admin)
    assert response.status_code == 404
    assert response.get_json()["reason"] == "not_found"
    assert count(QueryRecord) == 0


def test_only_admins_list_the_registry(client, staff, residents, registry):
    for headers in (staff.headers("reviewer"), staff.headers("department"), residents.headers("someone")):
        assert client.get(LIST, headers=headers).status_code == 403
        assert client.post(SEARCH, json={"name": "李娜"}, headers=headers).status_code == 403
        assert client.get(f"{LIST}/{registry['wang'].id}", headers=headers).status_code == 403
    assert client.get(LIST).status_code == 401
    assert count(QueryRecord) == 0


# -- every admin read is a query record the resident sees ----------------------------------------------

def test_a_listed_page_records_a_query_for_each_resident_shown_and_no_other(client, admin, registry):
    client.get(LIST, query_string={"page_size": 2}, headers=admin)
    recorded = set(db.session.scalars(select(QueryRecord.resident_id)))
    assert recorded == {registry["wang"].id, registry["li"].id}


def test_admin_reads_appear_in_the_residents_query_records_newest_first(client, admin, residents, registry):
    wang = registry["wang"]
    headers = residents.bound_headers(wang)
    client.get(LIST, query_string={"town": "长泾镇"}, headers=admin)
    client.get(f"{LIST}/{wang.id}", headers=admin)
    response = client.get("/api/v1/me/query-records", headers=headers)
    assert response.status_code == 200
    records = response.get_json()
    assert [r["purpose"] for r in records] == ["registry look-up", "registry list"]
    assert {r["actor_role"] for r in records} == {"admin"}
    assert {r["actor_label"] for r in records} == {"信用办"}
    assert {r["scope"] for r in records} == {"registry"}
    assert all(r["at"].endswith("+08:00") for r in records)
    assert records[0]["at"] >= records[1]["at"]


def test_query_records_are_paginated(client, admin, residents, registry):
    wang = registry["wang"]
    headers = residents.bound_headers(wang)
    for _ in range(3):
        client.get(f"{LIST}/{wang.id}", headers=admin)
    response = client.get("/api/v1/me/query-records", query_string={"page_size": 2}, headers=headers)
    assert len(response.get_json()) == 2
    assert json.loads(response.headers["X-Pagination"])["total"] == 3
