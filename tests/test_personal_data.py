"""Personal data at rest, in logs and on screen (SPEC §2): sealed, keyed look-ups, masking, ID-number rules.

What a stolen database dump or log file would reveal is pinned here: no ID number, phone or name in clear.
"""

import hashlib
import logging
import secrets

import pytest
from sqlalchemy import text
from stdnum.cn import ric

from backend.data.extensions import db
from backend.privacy.id_numbers import InvalidIdNumber, validate_id_number, with_check_digit
from backend.privacy.masking import mask_id_number, mask_name, mask_phone
from backend.privacy.sealing import DecryptionError, lookup_hash, open_sealed, seal
from backend.residents import service

# A Jiangyin resident born in 1980: 320281 (江阴市) only exists since 1989.
JIANGYIN_1980 = with_check_digit("32028119800612345")

PEOPLE = [
    {"name": "欧阳娜娜", "id_number": JIANGYIN_1980, "phone": "13912345678", "town": "长泾镇",
     "village": "蒋家村", "household_no": "H-001", "status": "active"},
    {"name": "诸葛明亮", "id_number": with_check_digit("32028119751103222"), "phone": "13787654321",
     "town": "华士镇", "village": "华西村", "household_no": "H-002", "status": "active"},
    {"name": "钱多多", "id_number": with_check_digit("32028120010920333"), "phone": "",
     "town": "长泾镇", "village": "璜塘村", "household_no": "H-003", "status": "moved"},
]
FIELDS = ("name", "id_number", "phone", "town", "village", "household_no", "status")


def secrets_in_clear(people=PEOPLE) -> list[str]:
    return [value for person in people for value in (person["name"], person["id_number"], person["phone"])
            if value]


def import_people(client, headers, people=PEOPLE):
    body = "\n".join([",".join(FIELDS)] + [",".join(p[f] for f in FIELDS) for p in people]) + "\n"
    response = client.post("/api/v1/admin/residents/import", data=body.encode(), content_type="text/csv",
                           headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["errors"] == []
    return response


def bind(client, headers, person):
    body = {"name": person["name"], "id_number": person["id_number"]}
    if person["phone"]:
        body["phone_code"] = f"dev-phone-{person['phone']}"
    return client.post("/api/v1/me/identity", json=body, headers=headers)


def as_text(value) -> str:
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes | bytearray):
        return str(value) + bytes(value).decode("utf-8", errors="ignore")
    return str(value)


# -- at rest --------------------------------------------------------------------------------------------

def test_no_table_holds_an_id_number_phone_or_name_in_clear(client, staff, residents):
    import_people(client, staff.headers("admin"))
    account = residents.headers("ouyang")
    assert bind(client, account, PEOPLE[0]).status_code == 200
    client.get("/api/v1/admin/residents", headers=staff.headers("admin"))
    client.get("/api/v1/me/query-records", headers=account)

    tables = db.metadata.sorted_tables
    assert {"residents", "wechat_accounts", "audit_records", "query_records"} <= {t.name for t in tables}
    rows_seen = 0
    for table in tables:
        # Table names come from our own metadata, not from input.
        for row in db.session.execute(text(f'SELECT * FROM "{table.name}"')):  # noqa: S608
            rows_seen += 1
            for column, value in row._mapping.items():
                shown = as_text(value)
                for secret in secrets_in_clear():
                    assert secret not in shown, f"{table.name}.{column} holds personal data in clear"
    assert rows_seen > len(PEOPLE)


def all_stored_text() -> str:
    # Table names come from our own metadata, not from input.
    return "\n".join(as_text(value) for table in db.metadata.sorted_tables
                     for row in db.session.execute(text(f'SELECT * FROM "{table.name}"'))  # noqa: S608
                     for value in row._mapping.values())


def test_notes_of_credit_events_are_sealed_at_rest_single_and_bulk(client, staff, residents):
    """SPEC §2: free-text notes on credit events may name people; they are sealed like ID numbers."""
    from backend.credit import rubric

    rubric.create_item(None, code="SC-T1", category="social_contribution", title="志愿服务", points=5, kind="bonus")
    resident = residents.create(name="欧阳娜娜")
    admin = staff.headers("admin")
    one = {"id_number": resident.plain["id_number"], "rubric_code": "SC-T1", "source": "credit-office",
           "occurred_at": "2026-01-05T10:00:00+08:00", "source_ref": "CO-1", "note": "证人：诸葛明亮 13787654321"}
    assert client.post("/api/v1/admin/credit-events", json=one, headers=admin).status_code == 201
    bulk = "\n".join(["id_number,rubric_code,occurred_at,source,source_ref,note",
                      f"{resident.plain['id_number']},SC-T1,2026-01-06T10:00:00+08:00,credit-office,CO-2,举报人钱多多"])
    imported = client.post("/api/v1/admin/credit-events/import", data=bulk.encode(), content_type="text/csv",
                           headers=admin)
    assert imported.get_json()["created"] == 1, imported.get_json()

    stored = all_stored_text()
    for secret in ("诸葛明亮", "13787654321", "钱多多"):
        assert secret not in stored
    shown = client.post("/api/v1/admin/credit-events/lookup", json={"id_number": resident.plain["id_number"]},
                        headers=admin).get_json()
    assert sorted(event["note"] for event in shown) == ["举报人钱多多", "证人：诸葛明亮 13787654321"]
    again = client.post("/api/v1/admin/credit-events", json=one, headers=admin)
    assert again.status_code == 200, "the same note again is the same event"
    changed = client.post("/api/v1/admin/credit-events", json={**one, "note": "另一份"}, headers=admin)
    assert changed.get_json()["reason"] == "source_ref_conflict"


def test_stored_residents_open_to_their_personal_data(client, staff):
    import_people(client, staff.headers("admin"))
    for person in PEOPLE:
        held = service.person(service.find_by_id_number(person["id_number"]))
        assert (held.name, held.id_number, held.phone or "") == (person["name"], person["id_number"],
                                                                  person["phone"])


def test_sealing_the_same_value_twice_gives_different_bytes():
    first, second = seal("phone", "13912345678"), seal("phone", "13912345678")
    assert first != second
    assert first[1:13] != second[1:13], "each seal uses a fresh nonce"
    assert open_sealed("phone", first) == open_sealed("phone", second) == "13912345678"


def test_two_residents_with_one_phone_share_the_look_up_hash_but_not_the_sealed_value(residents):
    a = residents.create(name="张伟", phone="13800001111")
    b = residents.create(name="张伟", phone="13800001111")
    assert a.phone_hash == b.phone_hash
    assert a.name_hash == b.name_hash
    assert a.phone_sealed != b.phone_sealed
    assert a.name_sealed != b.name_sealed


def test_a_sealed_value_moved_to_another_column_does_not_open(residents):
    resident = residents.create(name="张伟", phone="13800001111")
    with pytest.raises(DecryptionError):
        open_sealed("name", resident.id_number_sealed)
    with pytest.raises(DecryptionError):
        open_sealed("id_number", resident.phone_sealed)
    with pytest.raises(DecryptionError):
        open_sealed("phone", seal("id_number", JIANGYIN_1980))


def test_a_tampered_sealed_value_does_not_open():
    sealed = bytearray(seal("id_number", JIANGYIN_1980))
    sealed[-1] ^= 0x01
    with pytest.raises(DecryptionError):
        open_sealed("id_number", bytes(sealed))


def test_a_sealed_value_does_not_open_under_another_key(app, monkeypatch):
    sealed = seal("phone", "13912345678")
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEY_BYTES", secrets.token_bytes(32))
    with pytest.raises(DecryptionError):
        open_sealed("phone", sealed)


def test_the_look_up_hash_is_keyed(app, monkeypatch):
    ours = lookup_hash("id_number", JIANGYIN_1980)
    assert ours == lookup_hash("id_number", JIANGYIN_1980)
    assert ours != hashlib.sha256(JIANGYIN_1980.encode()).hexdigest()
    assert ours != hashlib.sha256(f"id_number:{JIANGYIN_1980}".encode()).hexdigest()
    monkeypatch.setitem(app.config, "LOOKUP_HASH_KEY_BYTES", secrets.token_bytes(32))
    assert lookup_hash("id_number", JIANGYIN_1980) != ours


def test_the_look_up_hash_differs_between_fields():
    assert lookup_hash("phone", "13912345678") != lookup_hash("id_number", "13912345678")


# -- masking --------------------------------------------------------------------------------------------

def test_id_numbers_show_the_first_four_and_last_four_characters():
    assert mask_id_number("32028119800101123X") == "3202**********123X"
    assert mask_id_number(JIANGYIN_1980) == "3202**********" + JIANGYIN_1980[-4:]
    assert mask_id_number(None) is None


def test_phones_show_the_first_three_and_last_four_digits():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone(None) is None


@pytest.mark.parametrize("name, shown", [
    ("张三", "张*"),
    ("张伟", "张*"),
    ("王小明", "王**"),
    ("欧阳娜娜", "欧阳**"),
    ("欧阳明", "欧阳*"),
    ("诸葛明亮", "诸葛**"),
    ("司马光", "司马*"),
    ("欧阳", "欧*"),  # two characters: the given name stays hidden even behind a compound surname
    ("张", "*"),
])
def test_names_keep_only_the_surname(name, shown):
    assert mask_name(name) == shown


# -- ID numbers -----------------------------------------------------------------------------------------

def test_stdnum_refuses_a_jiangyin_resident_born_before_1989():
    """The trap of SPEC §2: python-stdnum checks the region code against the birth year."""
    assert ric.is_valid(JIANGYIN_1980) is False


def test_a_jiangyin_resident_born_in_1980_is_a_valid_id_number():
    assert ric.is_valid(JIANGYIN_1980) is False
    assert validate_id_number(JIANGYIN_1980) == JIANGYIN_1980


def test_a_jiangyin_resident_born_in_1980_is_imported_and_binds(client, staff, residents):
    assert ric.is_valid(JIANGYIN_1980) is False
    response = import_people(client, staff.headers("admin"), [PEOPLE[0]])
    assert response.get_json()["created"] == 1
    assert bind(client, residents.headers("ouyang"), PEOPLE[0]).status_code == 200


@pytest.mark.parametrize("first17, why", [
    ("99999919800101123", "unknown region"),
    ("00000019800101123", "unknown region"),
    ("32028119800230123", "no 30 February"),
    ("32028118991231123", "born before 1900"),
])
def test_id_number_refused(first17, why):
    with pytest.raises(InvalidIdNumber):
        validate_id_number(with_check_digit(first17))


def test_an_unknown_region_code_is_refused_by_import_and_binding(client, staff, residents):
    unknown_region = with_check_digit("99999919800612345")
    person = {**PEOPLE[0], "id_number": unknown_region}
    body = "\n".join([",".join(FIELDS), ",".join(person[f] for f in FIELDS)]) + "\n"
    response = client.post("/api/v1/admin/residents/import", data=body.encode(), content_type="text/csv",
                           headers=staff.headers("admin"))
    assert response.get_json()["created"] == 0
    assert response.get_json()["errors"][0]["message"] == "id_number: 地区代码不存在"
    refused = bind(client, residents.headers("ouyang"), person)
    assert refused.status_code == 422
    assert "id_number" in refused.get_json()["errors"]["json"]


# -- logs -----------------------------------------------------------------------------------------------

@pytest.fixture
def all_logs(caplog, monkeypatch):
    """Every log record at DEBUG from every logger, including loggers an earlier setup disabled or quietened
    (SQLAlchemy sets its own to WARNING; at DEBUG it logs every statement with its parameters and rows)."""
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            monkeypatch.setattr(logger, "disabled", False)
            caplog.set_level(logging.DEBUG, logger=name)
    caplog.set_level(logging.DEBUG)
    return caplog


def test_import_binding_and_admin_reads_log_no_personal_data(client, staff, residents, all_logs):
    admin = staff.headers("admin")
    import_people(client, admin)
    bad_rows = [{**PEOPLE[1], "id_number": PEOPLE[1]["id_number"][:-1]}, {**PEOPLE[2], "phone": "1391234567"}]
    body = "\n".join([",".join(FIELDS)] + [",".join(p[f] for f in FIELDS) for p in bad_rows]) + "\n"
    refused = client.post("/api/v1/admin/residents/import", data=body.encode(), content_type="text/csv",
                          headers=admin)
    assert len(refused.get_json()["errors"]) == 2
    account = residents.headers("ouyang")
    assert bind(client, account, {**PEOPLE[0], "name": "欧阳娜"}).status_code == 404
    assert bind(client, account, PEOPLE[0]).status_code == 200
    client.get("/api/v1/admin/residents", headers=admin)
    found = client.post("/api/v1/admin/residents/search", json={"name": PEOPLE[1]["name"]}, headers=admin)
    assert len(found.get_json()) == 1
    client.post("/api/v1/admin/residents/search", json={"id_number": PEOPLE[2]["id_number"]}, headers=admin)
    client.get("/api/v1/me", headers=account)

    assert any(r.name.startswith("sqlalchemy.engine") for r in all_logs.records), "SQL was not captured"
    for record in all_logs.records:
        logged = " ".join([record.getMessage(), str(record.msg), repr(record.args), record.exc_text or ""])
        for secret in [*secrets_in_clear(), "欧阳娜", PEOPLE[1]["id_number"][:-1], "1391234567"]:
            assert secret not in logged, f"{record.name} logged personal data: {record.levelname}"
