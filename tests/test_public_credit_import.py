"""Imports of enterprises, disclosures and list entries in our names or the national standard's codes, and
the feed in the standard's codes and units (SPEC §7): idempotent by the records' keys, a changed row kept
in history, errors by line, departments limited to their own source, and a feed that imports back into
the same public answers."""

import csv
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from backend.audit.models import AuditRecord
from backend.data.extensions import db
from backend.dates.timeutil import local_today
from backend.public_credit.models import Disclosure, DisclosureStatusChange, DisclosureVersion, Enterprise
from tests.test_public_credit import ADMIN, AUTHORITY, AUTHORITY_USCC, PUBLIC, SOURCE, code, days_ago

DISCLOSURES = f"{ADMIN}/disclosures/import"
ENTERPRISES = f"{ADMIN}/enterprises/import"
LIST_ENTRIES = f"{ADMIN}/list-entries/import"
HUAHONG = code("91320281MA", 101)
LIJI = code("91320281MA", 102)


def as_csv(rows: list[dict]) -> str:
    columns = list(dict.fromkeys(name for row in rows for name in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def as_ndjson(rows: list[dict]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def send(client, headers, path, rows=None, *, text=None, content_type="text/csv"):
    body = text if text is not None else (as_csv(rows) if content_type == "text/csv" else as_ndjson(rows))
    response = client.post(path, data=body.encode(), content_type=content_type, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def errors_by_line(answer) -> dict[int, tuple[str, str | None]]:
    return {error["line"]: (error["reason"], error["field"]) for error in answer["errors"]}


def counts(answer) -> tuple:
    return answer["rows"], answer["created"], answer["updated"], answer["unchanged"], len(answer["errors"])


def stored(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def admin(staff):
    return staff.headers("admin")


@pytest.fixture
def enterprises(client, admin):
    answer = send(client, admin, ENTERPRISES, [
        {"uscc": HUAHONG, "name": "江阴市华宏纺织有限公司", "kind": "法人及非法人组织",
         "legal_representative": "周建国", "town": "长泾镇", "registered_on": "2012/05/18", "status": "存续"},
        {"uscc": LIJI, "name": "江阴市长泾镇李记小吃店", "kind": "个体工商户", "legal_representative": "李秀英",
         "town": "长泾镇", "registered_on": "20190301"},
    ])
    assert counts(answer) == (2, 2, 0, 0, 0)
    return answer


def standard_penalty(number: str, *, uscc=HUAHONG, name="江阴市华宏纺织有限公司", decided=None, fine="0.5",
                     severity="general", **extra) -> dict:
    """A penalty in the standard's codes, with our severity beside them."""
    return {"CF_WSH": number, "CF_XDR_MC": name, "CF_XDR_LB": "法人及非法人组织", "CF_XDR_SHXYM": uscc,
            "CF_FRDB": "周建国", "CF_WFXW": "未按规定公示年度报告", "CF_SY": "逾期未报送年度报告",
            "CF_YJ": "《企业信息公示暂行条例》第十条", "CF_CFLB": "罚款", "CF_NR": "罚款人民币伍仟元", "CF_NR_FK": fine,
            "CF_JDRQ": (decided or days_ago(30)).strftime("%Y/%m/%d"), "CF_CFJG": AUTHORITY,
            "CF_CFJGDM": AUTHORITY_USCC, "CF_SJLY": SOURCE, "severity": severity, **extra}


def standard_licence(number: str, *, valid_to="2099/12/31", state="1", **extra) -> dict:
    return {"XK_WSH": number, "XK_XKWS": "食品经营许可决定书", "XK_XDR_MC": "江阴市华宏纺织有限公司",
            "XK_XDR_LB": "法人及非法人组织", "XK_XDR_SHXYM": HUAHONG, "XK_FRDB": "周建国", "XK_XKLB": "普通",
            "XK_XKZS": "食品经营许可证", "XK_XKBH": "JY13202810012345", "XK_NR": "预包装食品销售",
            "XK_JDRQ": days_ago(100).strftime("%Y/%m/%d"), "XK_YXQZ": days_ago(100).strftime("%Y/%m/%d"),
            "XK_YXQZI": valid_to, "XK_XKJG": AUTHORITY, "XK_XKJGDM": AUTHORITY_USCC, "XK_ZT": state,
            "XK_LYDW": SOURCE, **extra}


# --- disclosures ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/csv", "application/x-ndjson"])
def test_mixed_column_codes_are_accepted_and_the_same_file_again_changes_nothing(
        client, admin, enterprises, content_type):
    rows = [
        standard_penalty("澄市监罚〔2026〕1号", fine="1.234567"),
        # Our names and the standard's codes mixed in one row, codes in lower case, money in yuan.
        {"type": "penalty", "decision_no": "澄市监罚〔2026〕2号", "CF_XDR_MC": "江阴市华宏纺织有限公司",
         "subject_category": "legal_person", "CF_XDR_SHXYM": HUAHONG, "violation_type": "虚假宣传",
         "CF_SY": "发布虚假广告", "legal_basis": "《广告法》第五十五条", "CF_CFLB": "罚款", "content": "罚款",
         "fine_amount": "20000.5", "CF_JDRQ": days_ago(20).isoformat(), "authority": AUTHORITY,
         "CF_CFJGDM": AUTHORITY_USCC, "data_source": SOURCE, "severity": "严重"},
        standard_licence("澄市监许〔2026〕3号"),
    ]
    first = send(client, admin, DISCLOSURES, rows, content_type=content_type)
    assert counts(first) == (3, 3, 0, 0, 0), first["errors"]
    again = send(client, admin, DISCLOSURES, rows, content_type=content_type)
    assert counts(again) == (3, 0, 0, 3, 0)
    # Codes are matched without regard to case.
    lower = [{name.lower(): value for name, value in row.items()} for row in rows]
    assert counts(send(client, admin, DISCLOSURES, lower, content_type=content_type)) == (3, 0, 0, 3, 0)
    assert stored(Disclosure) == 3 and stored(DisclosureVersion) == 0
    imports = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "disclosures.import")
                                 .order_by(AuditRecord.id)).all()
    assert [r.after["created"] for r in imports] == [3, 0, 0]
    shown = {d["decision_no"]: d for d in client.get(f"{PUBLIC}/disclosures").get_json()}
    assert shown["澄市监罚〔2026〕1号"]["fine_amount"] == "12345.67"  # 1.234567 万元, exact
    assert shown["澄市监罚〔2026〕2号"]["fine_amount"] == "20000.50"
    assert shown["澄市监罚〔2026〕2号"]["severity"] == "serious"
    assert shown["澄市监罚〔2026〕2号"]["disclosed_until"] == (days_ago(20) + timedelta(days=1095)).isoformat()
    licence = shown["澄市监许〔2026〕3号"]
    assert (licence["type"], licence["valid_to"]) == ("licence", "2099-12-31")


def test_a_changed_row_updates_the_record_and_keeps_the_former_version(client, admin, enterprises):
    send(client, admin, DISCLOSURES, [standard_penalty("澄市监罚〔2026〕5号", fine="0.5")])
    changed = send(client, admin, DISCLOSURES, [standard_penalty("澄市监罚〔2026〕5号", fine="0.8",
                                                                 CF_SY="逾期未报送年度报告，且拒不改正")])
    assert counts(changed) == (1, 0, 1, 0, 0)
    disclosure_id = db.session.scalar(select(Disclosure.id))
    detail = client.get(f"{ADMIN}/disclosures/{disclosure_id}", headers=admin).get_json()
    assert (detail["version"], detail["fine_amount"]) == (2, "8000.00")
    assert detail["facts"] == "逾期未报送年度报告，且拒不改正"
    assert [(v["version"], v["fine_amount"], v["facts"]) for v in detail["versions"]] == [
        (1, "5000.00", "逾期未报送年度报告")]
    shown = client.get(f"{PUBLIC}/disclosures").get_json()
    assert [d["fine_amount"] for d in shown] == ["8000.00"]


def test_bad_rows_are_reported_by_line_and_the_good_ones_land(client, admin, enterprises):
    rows = [
        standard_penalty("澄市监罚〔2026〕11号"),                                                  # line 2: fine
        standard_penalty("澄市监罚〔2026〕12号", CF_XDR_SHXYM="91320281MA0000001X"),              # 3: bad USCC
        standard_penalty("澄市监罚〔2026〕13号", CF_GSJZQ=days_ago(30).strftime("%Y/%m/%d")),     # 4: window
        standard_penalty("澄市监罚〔2026〕14号", uscc=code("91320281MA", 999)),                   # 5: unknown
        standard_penalty("澄市监罚〔2026〕15号", fine="0.0000001"),                                # 6: not fen
        standard_penalty("澄市监罚〔2026〕16号", severity=""),                                     # 7: severity
        {**standard_penalty("澄市监罚〔2026〕17号"), "XK_XKLB": "普通"},                            # 8: mixed codes
        standard_penalty("澄市监罚〔2026〕11号", CF_SY="另一事实"),                                  # 9: dup in file
        standard_penalty("澄市监罚〔2026〕18号", CF_JDRQ="2026-13-01"),                            # 10: date
    ]
    answer = send(client, admin, DISCLOSURES, rows)
    assert errors_by_line(answer) == {
        3: ("invalid_uscc", "subject_uscc"), 4: ("outside_disclosure_window", "disclosed_until"),
        5: ("enterprise_not_found", "subject_uscc"), 6: ("invalid_input", "fine_amount"),
        7: ("invalid_input", "severity"), 8: ("invalid_input", "type"), 9: ("duplicate_in_file", None),
        10: ("invalid_input", "decided_on")}
    assert counts(answer)[:2] == (9, 1)
    assert stored(Disclosure) == 1
    unreadable = send(client, admin, DISCLOSURES, text='CF_WSH,CF_XDR_MC\n"a,b\n')
    assert unreadable["errors"][0]["line"] == 2


def test_a_department_imports_rows_of_its_own_source_only(client, admin, staff, enterprises):
    department = staff.headers("department", source=SOURCE)
    send(client, admin, DISCLOSURES, [standard_penalty("澄税罚〔2026〕1号", CF_SJLY="tax")])
    answer = send(client, department, DISCLOSURES, [
        standard_penalty("澄市监罚〔2026〕21号"),
        standard_penalty("澄市监罚〔2026〕22号", CF_SJLY="tax"),
        standard_penalty("澄市监罚〔2026〕23号", status="repaired", decided=days_ago(200)),
    ])
    assert errors_by_line(answer) == {3: ("source_not_allowed", "data_source"), 4: ("role_not_allowed", "status")}
    # The tax office's record has the same key: a department cannot overwrite it under its own source.
    takeover = send(client, department, DISCLOSURES, [standard_penalty("澄税罚〔2026〕1号")])
    assert errors_by_line(takeover) == {2: ("source_not_allowed", "data_source")}
    assert stored(Disclosure) == 2


def test_a_status_column_voids_or_ends_early_and_a_final_status_stays(client, admin, enterprises):
    rows = [standard_penalty("澄市监罚〔2026〕31号", decided=days_ago(100)),
            standard_penalty("澄市监罚〔2026〕32号", decided=days_ago(100))]
    send(client, admin, DISCLOSURES, rows)
    moved = send(client, admin, DISCLOSURES, [{**rows[0], "status": "voided"}, {**rows[1], "status": "repaired"}])
    assert counts(moved) == (2, 0, 2, 0, 0)
    assert client.get(f"{PUBLIC}/disclosures").get_json() == []
    assert stored(DisclosureStatusChange) == 2
    back = send(client, admin, DISCLOSURES, [{**rows[0], "status": "active"}, rows[1]])
    assert errors_by_line(back) == {2: ("status_final", "status")}
    assert back["unchanged"] == 1  # a row without status keeps the recorded one
    early = send(client, admin, DISCLOSURES, [standard_penalty("澄市监罚〔2026〕33号", status="repaired")])
    assert errors_by_line(early) == {2: ("repair_too_early", "status")}


def test_a_file_that_is_neither_csv_nor_ndjson_is_415(client, admin):
    response = client.post(DISCLOSURES, data=b"<xml/>", content_type="application/xml", headers=admin)
    assert (response.status_code, response.get_json()["reason"]) == (415, "unsupported_media_type")


# --- enterprises and list entries -----------------------------------------------------------------------


def test_the_enterprise_import_is_idempotent_and_reports_bad_rows_by_line(client, admin, enterprises):
    rows = [{"uscc": HUAHONG, "name": "江阴市华宏纺织有限公司", "kind": "法人及非法人组织",
             "legal_representative": "周建国", "town": "长泾镇", "registered_on": "2012/05/18", "status": "吊销"},
            {"uscc": "91320281MA0000001X", "name": "坏代码"},
            {"uscc": code("91320281MA", 103), "name": ""}]
    answer = send(client, admin, ENTERPRISES, rows)
    assert counts(answer) == (3, 0, 1, 0, 2)
    assert errors_by_line(answer) == {3: ("invalid_uscc", "uscc"), 4: ("invalid_input", "name")}
    assert db.session.scalar(select(Enterprise.status).where(Enterprise.uscc == HUAHONG)) == "revoked"
    assert counts(send(client, admin, ENTERPRISES, rows[:1])) == (1, 0, 0, 1, 0)


def test_departments_may_not_import_enterprises(client, staff):
    response = client.post(ENTERPRISES, data=b"uscc,name\n", content_type="text/csv",
                           headers=staff.headers("department"))
    assert (response.status_code, response.get_json()["reason"]) == (403, "role_not_allowed")


def test_list_entries_import_flags_black_listed_verifiers_and_masks_persons(
        client, admin, enterprises, verifiers, residents):
    shop = verifiers.create("merchant", name="江阴市华宏纺织有限公司")
    send(client, admin, ENTERPRISES, [{"uscc": shop.uscc, "name": shop.name}])
    operator = verifiers.operator_headers(shop)
    person = residents.create(name="张伟强")
    entry = {"list": "黑名单", "subject_uscc": shop.uscc, "subject_name": shop.name, "reason": "拒不履行判决",
             "listed_on": days_ago(3).isoformat(), "listing_authority": "江阴市人民法院", "data_source": SOURCE}
    person_entry = {"list": "black", "subject_id_number": person.plain["id_number"], "subject_name": "张伟强",
                    "reason": "失信被执行人", "listed_on": days_ago(3).isoformat(),
                    "listing_authority": "江阴市人民法院", "data_source": SOURCE}
    answer = send(client, admin, LIST_ENTRIES, [entry, person_entry,
                                                {**person_entry, "subject_id_number": "320281198001011230"}])
    assert counts(answer) == (3, 2, 0, 0, 1)
    assert errors_by_line(answer) == {4: ("invalid_input", "subject_id_number")}
    refused = client.get("/api/v1/merchant/offers", headers=operator)
    assert (refused.status_code, refused.get_json()["reason"]) == (403, "verifier_suspended")
    public = client.get(f"{PUBLIC}/lists/black").get_json()
    assert sorted(e["subject"]["name"] for e in public) == ["张**", "江阴市华宏纺织有限公司"]
    assert person.plain["id_number"] not in json.dumps(public)
    removal = {"removed_on": local_today().isoformat(), "removal_reason": "已履行完毕",
               "removal_authority": "江阴市人民法院"}
    removed = send(client, admin, LIST_ENTRIES, [{**entry, **removal}])
    assert counts(removed) == (1, 0, 1, 0, 0)
    assert client.get("/api/v1/merchant/offers", headers=operator).status_code == 200
    assert [e["subject"]["name"] for e in client.get(f"{PUBLIC}/lists/black").get_json()] == ["张**"]
    assert counts(send(client, admin, LIST_ENTRIES, [{**entry, **removal}, person_entry])) == (2, 0, 0, 2, 0)


# --- the feed -------------------------------------------------------------------------------------------


def build_history(client, admin) -> None:
    """Licences and penalties in every state the public query knows."""
    rows = [
        standard_licence("澄市监许〔2026〕1号"),
        standard_licence("澄市监许〔2026〕2号", state="2"),
        standard_penalty("澄市监罚〔2026〕1号", fine="1.234567"),
        standard_penalty("澄市监罚〔2026〕2号", decided=days_ago(120)),
        standard_penalty("澄市监罚〔2026〕7号", decided=days_ago(400), severity="serious"),
        standard_penalty("澄市监罚〔2026〕3号"),
        standard_penalty("澄市监罚〔2025〕4号", decided=days_ago(366)),  # past its window
        standard_penalty("澄市监罚〔2026〕5号", uscc=LIJI, name="江阴市长泾镇李记小吃店", CF_XDR_LB="个体工商户",
                         CF_FRDB="李秀英", fine="", CF_NR_WFFF="0.03"),
        {**standard_penalty("澄市监罚〔2026〕6号", uscc="", name="欧阳娜娜", CF_XDR_LB="自然人", CF_FRDB=""),
         "BZ": "当事人已签收"},
    ]
    answer = send(client, admin, DISCLOSURES, rows)
    assert not answer["errors"], answer["errors"]
    repaired_id = db.session.scalar(select(Disclosure.id).where(Disclosure.decision_no == "澄市监罚〔2026〕2号"))
    voided_id = db.session.scalar(select(Disclosure.id).where(Disclosure.decision_no == "澄市监罚〔2026〕3号"))
    assert client.post(f"{ADMIN}/disclosures/{repaired_id}/repair", headers=admin,
                       json={"note": "已履行", "evidence": ["缴款凭证"]}).status_code == 200
    assert client.delete(f"{ADMIN}/disclosures/{voided_id}", headers=admin,
                         json={"reason": "复议撤销"}).status_code == 200


def public_view(client) -> dict:
    def without_ids(items):
        return sorted(({k: v for k, v in item.items() if k != "id"} for item in items),
                      key=lambda item: (item["type"], item["decision_no"]))

    pages = {uscc: client.get(f"{PUBLIC}/enterprises/{uscc}").get_json() for uscc in (HUAHONG, LIJI)}
    return {
        "disclosures": without_ids(client.get(f"{PUBLIC}/disclosures", query_string={"page_size": 100}).get_json()),
        "pages": {uscc: {"licences": without_ids(page["licences"]), "penalties": without_ids(page["penalties"]),
                         "totals": page["totals"]} for uscc, page in pages.items()},
        "search": client.get(f"{PUBLIC}/enterprises", query_string={"q": "江阴市"}).get_json(),
    }


def export(client, admin, fmt: str, **query) -> str:
    response = client.get(f"{ADMIN}/exports/disclosures", headers=admin, query_string={"format": fmt, **query})
    assert response.status_code == 200
    assert response.is_streamed and response.headers["X-Feed-As-Of"]
    return response.get_data(as_text=True)


def forget_disclosures() -> None:
    db.session.rollback()
    for model in (DisclosureStatusChange, DisclosureVersion, Disclosure):
        db.session.execute(delete(model))
    db.session.commit()


@pytest.mark.parametrize("fmt,content_type", [("csv", "text/csv"), ("ndjson", "application/x-ndjson")])
def test_the_exported_feed_imports_back_into_the_same_public_answers(client, admin, enterprises, fmt, content_type):
    build_history(client, admin)
    before = public_view(client)
    assert len(before["disclosures"]) == 5  # licence 1, penalties 1, 5, 6 and 7
    feed = export(client, admin, fmt)
    forget_disclosures()
    assert client.get(f"{PUBLIC}/disclosures").get_json() == []
    answer = send(client, admin, DISCLOSURES, text=feed, content_type=content_type)
    assert counts(answer) == (9, 9, 0, 0, 0), answer["errors"]
    assert public_view(client) == before

    def without_times(text):
        return sorted(line.rsplit(",", 1)[0] if fmt == "csv" else json.dumps(
            {k: v for k, v in json.loads(line).items() if k != "updated_at"}, ensure_ascii=False)
            for line in text.splitlines()[(1 if fmt == "csv" else 0):])

    assert without_times(export(client, admin, fmt)) == without_times(feed)


def test_the_feed_speaks_the_standards_codes_and_units_and_masks_persons(client, admin, enterprises):
    build_history(client, admin)
    records = {r["CF_WSH"] if r["type"] == "penalty" else r["XK_WSH"]: r
               for r in map(json.loads, export(client, admin, "ndjson").splitlines())}
    assert records["澄市监罚〔2026〕1号"]["CF_NR_FK"] == "1.234567"
    assert records["澄市监罚〔2026〕1号"]["CF_JDRQ"] == days_ago(30).strftime("%Y/%m/%d")
    assert records["澄市监罚〔2026〕1号"]["CF_XDR_LB"] == "法人及非法人组织"
    assert records["澄市监罚〔2026〕2号"]["status"] == "repaired"
    assert records["澄市监许〔2026〕2号"]["XK_ZT"] == "2"
    business, person = records["澄市监罚〔2026〕5号"], records["澄市监罚〔2026〕6号"]
    assert (business["CF_FRDB"], business["CF_NR_WFFF"]) == ("李**", "0.03")
    assert person["CF_XDR_MC"] == "欧阳**" and "CF_XDR_ZJHM" not in person
    header = export(client, admin, "csv").splitlines()[0].split(",")
    assert header[:3] == ["type", "XK_WSH", "XK_XKWS"] and "CF_GSJZQ" in header and header[-1] == "updated_at"


def test_the_feed_gives_the_changes_since_a_time(client, admin, enterprises):
    send(client, admin, DISCLOSURES, [standard_penalty("澄市监罚〔2026〕41号")])
    as_of = client.get(f"{ADMIN}/exports/disclosures", headers=admin).headers["X-Feed-As-Of"]
    assert export(client, admin, "ndjson", since=as_of) == ""
    send(client, admin, DISCLOSURES, [standard_penalty("澄市监罚〔2026〕42号")])
    assert [json.loads(line)["CF_WSH"] for line in export(client, admin, "ndjson", since=as_of).splitlines()] == [
        "澄市监罚〔2026〕42号"]
    only_licences = export(client, admin, "csv", type="licence")
    assert only_licences.count("\n") == 1  # the header alone


def test_the_feed_is_for_the_credit_office(client, staff):
    response = client.get(f"{ADMIN}/exports/disclosures", headers=staff.headers("department"))
    assert (response.status_code, response.get_json()["reason"]) == (403, "role_not_allowed")
