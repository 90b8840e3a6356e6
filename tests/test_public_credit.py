"""The public credit query (信用信息全公示, SPEC §7): enterprises keyed by a checked USCC, 双公示 disclosures
shown by the one disclosure rule, red / watch / black lists, the 曝光台, persons masked everywhere, and a
black-listed verifier refused from its next request."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, select
from stdnum.cn import uscc as uscc_code

from backend.audit.models import AuditRecord
from backend.credit import disclosure as windows
from backend.data.extensions import db
from backend.dates.timeutil import local_today
from backend.public_credit import service
from backend.public_credit.models import Disclosure, DisclosureStatusChange, ListEntry
from backend.verifiers.models import Verifier
from tests.conftest import change_settings

SOURCE = "market-regulation"
AUTHORITY = "江阴市市场监督管理局"
PUBLIC = "/api/v1/public"
ADMIN = "/api/v1/admin"


def code(prefix: str, serial: int) -> str:
    body = f"{prefix}{serial:07d}"
    return body + uscc_code.calc_check_digit(body)


AUTHORITY_USCC = code("11320281MB", 1)


def days_ago(days: int) -> date:
    return local_today() - timedelta(days=days)


class Credit:
    """Builds enterprises, disclosures, list entries and exposures through the services."""

    def __init__(self):
        self.serial = 0

    def uscc(self) -> str:
        self.serial += 1
        return code("91320281MA", self.serial)

    def enterprise(self, name="江阴市华宏纺织有限公司", *, kind="legal_person", representative="周建国",
                   uscc=None) -> str:
        uscc = uscc or self.uscc()
        service.record_enterprise(None, {"uscc": uscc, "name": name, "kind": kind,
                                         "legal_representative": representative, "town": "长泾镇",
                                         "address": "长泾镇河塘路 8 号", "registered_on": "2012-05-18"})
        return uscc

    def penalty_fields(self, uscc, decision_no, *, decided_on=None, severity="general", category="legal_person",
                       subject_name="江阴市华宏纺织有限公司", representative="周建国", **extra) -> dict:
        return {"type": "penalty", "decision_no": decision_no, "authority": AUTHORITY,
                "authority_uscc": AUTHORITY_USCC, "subject_category": category, "subject_name": subject_name,
                "subject_uscc": uscc, "legal_representative": representative,
                "violation_type": "未按规定公示年度报告", "facts": "逾期未报送2025年度报告，责令改正后仍未改正",
                "legal_basis": "《企业信息公示暂行条例》第十条", "penalty_category": "罚款",
                "content": "罚款人民币伍仟元", "fine_amount": "5000",
                "decided_on": (decided_on or days_ago(30)).isoformat(), "severity": severity, "data_source": SOURCE,
                **extra}

    def penalty(self, uscc, decision_no="澄市监罚〔2026〕1号", **kwargs) -> Disclosure:
        disclosure, _outcome = service.record_disclosure(None, self.penalty_fields(uscc, decision_no, **kwargs))
        return disclosure

    def licence(self, uscc, decision_no="澄市监许〔2026〕1号", *, valid_to=None, state="valid",
                subject_name="江阴市华宏纺织有限公司") -> Disclosure:
        disclosure, _outcome = service.record_disclosure(None, {
            "type": "licence", "decision_no": decision_no, "document_name": "食品经营许可决定书",
            "authority": AUTHORITY, "authority_uscc": AUTHORITY_USCC, "subject_category": "legal_person",
            "subject_name": subject_name, "subject_uscc": uscc, "legal_representative": "周建国",
            "licence_category": "普通", "certificate_name": "食品经营许可证", "licence_no": "JY13202810012345",
            "content": "预包装食品销售", "decided_on": days_ago(100).isoformat(),
            "valid_from": days_ago(100).isoformat(), "valid_to": valid_to and valid_to.isoformat(), "state": state,
            "data_source": SOURCE})
        return disclosure

    def list_entry(self, list_name="black", *, uscc=None, id_number=None, name="江阴市华宏纺织有限公司",
                   listed_on=None) -> ListEntry:
        fields = {"list": list_name, "subject_name": name, "reason": "拒不履行法院判决确定的义务",
                  "listed_on": (listed_on or days_ago(10)).isoformat(), "listing_authority": "江阴市人民法院",
                  "data_source": SOURCE}
        if uscc:
            fields["subject_uscc"] = uscc
        if id_number:
            fields.update(subject_category="natural_person", subject_id_number=id_number)
        entry, _outcome = service.record_list_entry(None, fields)
        return entry


@pytest.fixture
def credit(app):
    return Credit()


@pytest.fixture
def admin(staff):
    return staff.headers("admin")


def body_text(response) -> str:
    return json.dumps(response.get_json(), ensure_ascii=False)


def decision_numbers(items) -> list[str]:
    return sorted(item["decision_no"] for item in items)


def public_answers(client, uscc: str, name: str) -> dict:
    """Everything the public can ask about one enterprise, for comparing before and after."""
    return {
        "search": client.get(f"{PUBLIC}/enterprises", query_string={"q": name}).get_json(),
        "page": client.get(f"{PUBLIC}/enterprises/{uscc}").get_json(),
        "disclosures": client.get(f"{PUBLIC}/disclosures", query_string={"q": uscc, "page_size": 100}).get_json(),
        "exposures": client.get(f"{PUBLIC}/exposures").get_json(),
    }


# --- enterprises and the USCC ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["91320281MA0000001X", "9132028", "91320281MA00000010", "ABCDEFGHIJKLMNOPQR"])
def test_a_bad_uscc_is_refused_with_422_naming_the_field_and_nothing_written(client, admin, bad):
    response = client.post(f"{ADMIN}/enterprises", headers=admin,
                           json={"uscc": bad, "name": "江阴市某某有限公司"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["reason"] == "invalid_uscc"
    assert list(body["errors"]["json"]) == ["uscc"]
    assert client.get(f"{ADMIN}/enterprises", headers=admin).get_json() == []


def test_a_bad_uscc_in_the_public_page_is_422_naming_it_and_an_unknown_one_404(client, credit):
    bad = client.get(f"{PUBLIC}/enterprises/91320281MA0000001X")
    assert bad.status_code == 422
    assert bad.get_json()["reason"] == "invalid_uscc"
    assert list(bad.get_json()["errors"]["path"]) == ["uscc"]
    unknown = client.get(f"{PUBLIC}/enterprises/{code('91320281MA', 999)}")
    assert (unknown.status_code, unknown.get_json()["reason"]) == (404, "enterprise_not_found")


def test_an_enterprise_is_recorded_once_by_uscc_and_updated_by_the_same_uscc(client, admin):
    uscc = code("91320281MA", 5)
    fields = {"uscc": uscc.lower(), "name": "江阴市澄江机械有限公司", "legal_representative": "陈志强",
              "registered_on": "2015-03-02"}
    first = client.post(f"{ADMIN}/enterprises", headers=admin, json=fields)
    assert first.status_code == 201
    assert first.get_json()["uscc"] == uscc and first.get_json()["legal_representative"] == "陈志强"
    again = client.post(f"{ADMIN}/enterprises", headers=admin, json=fields)
    assert again.status_code == 200
    recorded = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "enterprise.record")).all()
    assert [(r.object_id, r.after) for r in recorded] == [(str(first.get_json()["id"]), {"outcome": "created"})]
    changed = client.post(f"{ADMIN}/enterprises", headers=admin, json={**fields, "status": "revoked"})
    assert (changed.status_code, changed.get_json()["status"]) == (200, "revoked")
    assert len(client.get(f"{ADMIN}/enterprises", headers=admin).get_json()) == 1


def test_search_finds_enterprises_by_name_substring_or_exact_uscc(client, credit):
    hua = credit.enterprise("江阴市华宏纺织有限公司")
    credit.enterprise("江阴市澄江机械有限公司")
    credit.enterprise("江阴华宏物流有限公司")
    by_name = client.get(f"{PUBLIC}/enterprises", query_string={"q": "华宏"})
    assert by_name.status_code == 200
    names = [item["enterprise"]["name"] for item in by_name.get_json()]
    assert names == ["江阴华宏物流有限公司", "江阴市华宏纺织有限公司"]  # shorter names first
    assert json.loads(by_name.headers["X-Pagination"])["total"] == 2
    by_code = client.get(f"{PUBLIC}/enterprises", query_string={"q": hua})
    assert [item["enterprise"]["uscc"] for item in by_code.get_json()] == [hua]
    wildcard = client.get(f"{PUBLIC}/enterprises", query_string={"q": "%_"})
    assert wildcard.get_json() == []
    short = client.get(f"{PUBLIC}/enterprises", query_string={"q": "华"})
    assert short.status_code == 422


def test_a_search_answers_its_first_matches_only_and_counts_no_further(client, credit, monkeypatch):
    for name in ("江阴市华宏纺织有限公司", "江阴华宏纺织厂", "华宏纺织", "江阴市华宏纺织品贸易有限公司",
                 "江苏华宏纺织股份有限公司"):
        credit.enterprise(name)
    monkeypatch.setattr(service, "SEARCH_LIMIT", 3)

    def page(number):
        response = client.get(f"{PUBLIC}/enterprises", query_string={"q": "华宏纺织", "page": number, "page_size": 2})
        return [e["enterprise"]["name"] for e in response.get_json()], json.loads(response.headers["X-Pagination"])

    names, pagination = page(1)
    assert names == ["华宏纺织", "江阴华宏纺织厂"]  # the exact name first, then shorter names
    assert pagination["total"] == 3
    assert page(2)[0] == ["江阴市华宏纺织有限公司"]
    assert page(3)[0] == []


# --- the one disclosure rule ----------------------------------------------------------------------------


def test_disclosed_until_defaults_to_the_windows_maximum_by_severity(credit):
    uscc = credit.enterprise()
    decided = days_ago(10)
    for number, (severity, days) in enumerate((("minor", 90), ("general", 365), ("serious", 1095))):
        penalty = credit.penalty(uscc, f"澄市监罚〔2026〕{number + 10}号", severity=severity, decided_on=decided)
        assert penalty.disclosed_until == decided + timedelta(days=days)
        assert penalty.shown_until == windows.day_start(decided + timedelta(days=days))


@pytest.mark.parametrize("severity,offset", [("minor", 91), ("general", 89), ("general", 366), ("serious", 364),
                                             ("serious", 1096)])
def test_an_explicit_disclosed_until_outside_the_window_is_refused(client, admin, credit, severity, offset):
    uscc = credit.enterprise()
    decided = days_ago(400)
    fields = credit.penalty_fields(uscc, "澄市监罚〔2026〕7号", decided_on=decided, severity=severity,
                                   disclosed_until=(decided + timedelta(days=offset)).isoformat())
    response = client.post(f"{ADMIN}/disclosures", headers=admin, json=fields)
    assert response.status_code == 422
    assert response.get_json()["reason"] == "outside_disclosure_window"
    assert list(response.get_json()["errors"]["json"]) == ["disclosed_until"]
    assert db.session.scalar(select(Disclosure.id)) is None


def test_a_minor_penalty_may_be_left_undisclosed_and_a_natural_persons_minor_one_never_is(credit):
    uscc = credit.enterprise()
    decided = days_ago(1)
    quiet = credit.penalty(uscc, "澄市监罚〔2026〕21号", severity="minor", disclosed_until=decided.isoformat(),
                           decided_on=decided)
    assert quiet.shown_until is None and not service.is_shown(quiet)
    person = credit.penalty(None, "澄市监罚〔2026〕22号", severity="minor", category="natural_person",
                            subject_name="张三丰", representative=None, decided_on=decided)
    assert person.disclosed_until == decided and not service.is_shown(person)


def test_a_penalty_one_day_past_its_window_is_absent_from_every_public_answer(client, credit, staff):
    uscc = credit.enterprise("江阴市华宏纺织有限公司")
    credit.penalty(uscc, "澄市监罚〔2025〕364号", decided_on=days_ago(364))  # its last day is tomorrow
    past = credit.penalty(uscc, "澄市监罚〔2025〕366号", decided_on=days_ago(366))  # ended yesterday at 00:00
    assert past.disclosed_until == days_ago(1)
    answers = public_answers(client, uscc, "华宏")
    assert answers["search"][0]["penalties"] == 1
    assert decision_numbers(answers["page"]["penalties"]) == ["澄市监罚〔2025〕364号"]
    assert answers["page"]["totals"]["penalties"] == 1
    assert decision_numbers(answers["disclosures"]) == ["澄市监罚〔2025〕364号"]
    all_public = client.get(f"{PUBLIC}/disclosures", query_string={"type": "penalty"}).get_json()
    assert decision_numbers(all_public) == ["澄市监罚〔2025〕364号"]
    assert "366号" not in body_text(client.get(f"{PUBLIC}/disclosures", query_string={"q": "澄市监罚〔2025〕366号"}))


def test_an_exposure_leaves_the_public_when_its_penalty_window_ends(client, admin, credit, monkeypatch):
    uscc = credit.enterprise()
    penalty = credit.penalty(uscc, "澄市监罚〔2026〕31号", decided_on=days_ago(300))
    published = client.post(f"{ADMIN}/exposures", headers=admin, json={
        "title": "拒不公示年报", "facts": "多次催告仍未报送", "decision_no": "澄市监罚〔2026〕31号"})
    assert published.status_code == 201
    assert [x["decision_no"] for x in client.get(f"{PUBLIC}/exposures").get_json()] == ["澄市监罚〔2026〕31号"]
    one_day_after = penalty.shown_until + timedelta(days=1)
    monkeypatch.setattr(windows, "utcnow", lambda: one_day_after)
    assert client.get(f"{PUBLIC}/exposures").get_json() == []
    assert client.get(f"{PUBLIC}/enterprises/{uscc}").get_json()["exposures"] == []
    listed = client.get(f"{ADMIN}/exposures", headers=admin).get_json()
    assert [(x["id"], x["shown"]) for x in listed] == [(published.get_json()["id"], False)]


def test_an_exposure_needs_a_penalty_disclosed_now_and_unpublishing_takes_it_down(client, admin, credit):
    uscc = credit.enterprise()
    credit.penalty(uscc, "澄市监罚〔2025〕40号", decided_on=days_ago(400))
    credit.penalty(uscc, "澄市监罚〔2026〕41号")
    stale = client.post(f"{ADMIN}/exposures", headers=admin,
                        json={"title": "旧案", "facts": "已过公示期", "decision_no": "澄市监罚〔2025〕40号"})
    assert (stale.status_code, stale.get_json()["reason"]) == (422, "penalty_not_disclosed")
    unknown = client.post(f"{ADMIN}/exposures", headers=admin,
                          json={"title": "无此案", "facts": "无此案情", "decision_no": "不存在"})
    assert (unknown.status_code, unknown.get_json()["reason"]) == (404, "disclosure_not_found")
    exposure = client.post(f"{ADMIN}/exposures", headers=admin,
                           json={"title": "年报造假", "facts": "虚报从业人数", "decision_no": "澄市监罚〔2026〕41号"})
    exposure_id = exposure.get_json()["id"]
    down = client.delete(f"{ADMIN}/exposures/{exposure_id}", headers=admin, json={"reason": "已整改到位"})
    assert down.status_code == 200 and down.get_json()["unpublished_on"] == local_today().isoformat()
    assert client.get(f"{PUBLIC}/exposures").get_json() == []
    again = client.delete(f"{ADMIN}/exposures/{exposure_id}", headers=admin, json={"reason": "重复"})
    assert (again.status_code, again.get_json()["reason"]) == (409, "already_unpublished")


def test_licences_are_shown_while_valid_and_through_their_last_day(client, credit):
    uscc = credit.enterprise()
    credit.licence(uscc, "澄市监许〔2026〕1号", valid_to=local_today())
    credit.licence(uscc, "澄市监许〔2026〕2号", valid_to=days_ago(1))
    credit.licence(uscc, "澄市监许〔2026〕3号", state="invalid")
    credit.licence(uscc, "澄市监许〔2026〕4号")
    page = client.get(f"{PUBLIC}/enterprises/{uscc}").get_json()
    assert decision_numbers(page["licences"]) == ["澄市监许〔2026〕1号", "澄市监许〔2026〕4号"]


# --- repair and void ------------------------------------------------------------------------------------


def test_a_repaired_penalty_leaves_every_public_answer_at_once(client, admin, credit):
    uscc = credit.enterprise("江阴市华宏纺织有限公司")
    penalty = credit.penalty(uscc, "澄市监罚〔2026〕51号", decided_on=days_ago(120))
    client.post(f"{ADMIN}/exposures", headers=admin,
                json={"title": "案例", "facts": "案情", "decision_no": "澄市监罚〔2026〕51号"})
    before = public_answers(client, uscc, "华宏")
    assert before["search"][0]["penalties"] == 1 and len(before["exposures"]) == 1
    repaired = client.post(f"{ADMIN}/disclosures/{penalty.id}/repair", headers=admin,
                           json={"note": "已缴清罚款并补报年报", "evidence": ["缴款凭证 2026-118", "信用承诺书"]})
    assert repaired.status_code == 200
    assert repaired.get_json()["status"] == "repaired" and repaired.get_json()["shown"] is False
    change = repaired.get_json()["status_changes"][0]
    assert (change["from_status"], change["to_status"], change["evidence"]) == ("active", "repaired",
                                                                                 ["缴款凭证 2026-118", "信用承诺书"])
    after = public_answers(client, uscc, "华宏")
    assert after["search"][0]["penalties"] == 0
    assert after["page"]["penalties"] == [] and after["page"]["exposures"] == []
    assert after["disclosures"] == [] and after["exposures"] == []
    again = client.post(f"{ADMIN}/disclosures/{penalty.id}/repair", headers=admin,
                        json={"note": "再次", "evidence": ["x"]})
    assert (again.status_code, again.get_json()["reason"]) == (409, "disclosure_not_active")


def test_repair_is_refused_before_the_minimum_period_with_the_date_it_opens(client, admin, credit):
    uscc = credit.enterprise()
    decided = days_ago(89)
    penalty = credit.penalty(uscc, "澄市监罚〔2026〕52号", decided_on=decided)
    early = client.post(f"{ADMIN}/disclosures/{penalty.id}/repair", headers=admin,
                        json={"note": "已整改", "evidence": ["凭证"]})
    assert early.status_code == 422
    assert early.get_json()["reason"] == "repair_too_early"
    assert early.get_json()["opens_on"] == (decided + timedelta(days=90)).isoformat()
    assert db.session.scalar(select(DisclosureStatusChange.id)) is None
    licence = credit.licence(uscc)
    refused = client.post(f"{ADMIN}/disclosures/{licence.id}/repair", headers=admin,
                          json={"note": "已整改", "evidence": ["凭证"]})
    assert (refused.status_code, refused.get_json()["reason"]) == (422, "not_repairable")


def test_repair_is_for_admins_and_a_department_voids_only_its_own_records(client, staff, credit):
    uscc = credit.enterprise()
    penalty = credit.penalty(uscc, "澄市监罚〔2026〕53号", decided_on=days_ago(200))
    department = staff.headers("department", source=SOURCE)
    other = staff.headers("department", source="tax")
    assert client.post(f"{ADMIN}/disclosures/{penalty.id}/repair", headers=department,
                       json={"note": "已整改", "evidence": ["凭证"]}).status_code == 403
    refused = client.delete(f"{ADMIN}/disclosures/{penalty.id}", headers=other, json={"reason": "撤销"})
    assert (refused.status_code, refused.get_json()["reason"]) == (403, "source_not_allowed")
    voided = client.delete(f"{ADMIN}/disclosures/{penalty.id}", headers=department,
                           json={"reason": "复议决定撤销原处罚"})
    assert (voided.status_code, voided.get_json()["status"]) == (200, "voided")
    assert client.get(f"{PUBLIC}/disclosures").get_json() == []
    assert db.session.scalar(select(AuditRecord.action).where(AuditRecord.action == "disclosure.void"))


# --- persons masked -------------------------------------------------------------------------------------


def test_persons_are_masked_on_every_list_and_never_shown_with_an_id_number(client, admin, credit, residents):
    person = residents.create(name="欧阳娜娜")
    id_number = person.plain["id_number"]
    shop = credit.enterprise("江阴市长泾镇李记小吃店", kind="individual_business", representative="李秀英")
    credit.penalty(shop, "澄市监罚〔2026〕61号", subject_name="江阴市长泾镇李记小吃店", category="individual_business",
                   representative="李秀英")
    credit.penalty(None, "澄市监罚〔2026〕62号", subject_name="欧阳娜娜", category="natural_person",
                   representative=None)
    credit.list_entry("black", id_number=id_number, name="欧阳娜娜")
    credit.list_entry("watch", uscc=shop, name="江阴市长泾镇李记小吃店")
    client.post(f"{ADMIN}/exposures", headers=admin,
                json={"title": "无证经营", "facts": "无证经营被处罚", "decision_no": "澄市监罚〔2026〕62号"})
    answers = [
        client.get(f"{PUBLIC}/enterprises", query_string={"q": "李记"}),
        client.get(f"{PUBLIC}/enterprises/{shop}"),
        client.get(f"{PUBLIC}/disclosures"),
        client.get(f"{PUBLIC}/lists/black"),
        client.get(f"{PUBLIC}/lists/watch"),
        client.get(f"{PUBLIC}/exposures"),
        client.get(f"{ADMIN}/disclosures", headers=admin),
        client.get(f"{ADMIN}/list-entries", headers=admin),
        client.get(f"{ADMIN}/exposures", headers=admin),
        client.get(f"{ADMIN}/enterprises", headers=admin),
    ]
    for response in answers:
        assert response.status_code == 200, response.get_json()
        text = body_text(response)
        for secret in ("欧阳娜娜", "李秀英", id_number, id_number[6:14]):
            assert secret not in text, (response.request.path, secret)
    shown = {item["decision_no"]: item for item in answers[2].get_json()}
    assert shown["澄市监罚〔2026〕62号"]["subject"] == {"name": "欧阳**", "category": "natural_person", "uscc": None}
    assert shown["澄市监罚〔2026〕62号"]["legal_representative"] is None
    assert shown["澄市监罚〔2026〕61号"]["subject"]["name"] == "江阴市长泾镇李记小吃店"
    assert shown["澄市监罚〔2026〕61号"]["legal_representative"] == "李**"
    assert answers[3].get_json()[0]["subject"]["name"] == "欧阳**"
    assert answers[0].get_json()[0]["enterprise"]["legal_representative"] == "李**"
    assert answers[7].get_json()[-1]["masked_id_number"] == id_number[:4] + "*" * 10 + id_number[-4:]
    assert answers[5].get_json()[0]["subject"]["name"] == "欧阳**"


def test_a_legal_persons_representative_is_shown_and_sealed_at_rest(client, credit):
    uscc = credit.enterprise(representative="周建国")
    penalty = credit.penalty(uscc, "澄市监罚〔2026〕63号")
    assert client.get(f"{PUBLIC}/enterprises/{uscc}").get_json()["enterprise"]["legal_representative"] == "周建国"
    stored = db.session.scalar(select(Disclosure.legal_representative_sealed).where(Disclosure.id == penalty.id))
    assert "周建国".encode() not in stored
    facts = db.session.scalar(select(Disclosure.facts_sealed).where(Disclosure.id == penalty.id))
    assert "逾期".encode() not in facts


# --- lists ----------------------------------------------------------------------------------------------


def test_a_removed_entry_leaves_the_public_list_and_stays_on_record_with_who_when_why(client, staff, credit):
    uscc = credit.enterprise()
    department = staff.headers("department", source=SOURCE)
    listed = client.post(f"{ADMIN}/list-entries", headers=department, json={
        "list": "red", "subject_uscc": uscc, "subject_name": "江阴市华宏纺织有限公司", "reason": "连续三年纳税信用A级",
        "listed_on": days_ago(5).isoformat(), "listing_authority": "国家税务总局江阴市税务局", "data_source": SOURCE})
    assert listed.status_code == 201
    entry_id = listed.get_json()["id"]
    assert [e["id"] for e in client.get(f"{PUBLIC}/lists/red").get_json()] == [entry_id]
    removed = client.delete(f"{ADMIN}/list-entries/{entry_id}", headers=department,
                            json={"removal_reason": "发生欠税", "removal_authority": "国家税务总局江阴市税务局"})
    assert removed.status_code == 200
    body = removed.get_json()
    assert (body["removed_on"], body["removal_reason"], body["removed_by_kind"]) == (
        local_today().isoformat(), "发生欠税", "staff")
    assert client.get(f"{PUBLIC}/lists/red").get_json() == []
    assert client.get(f"{PUBLIC}/enterprises/{uscc}").get_json()["list_entries"] == []
    on_record = client.get(f"{ADMIN}/list-entries", headers=department, query_string={"removed": "true"}).get_json()
    assert [e["id"] for e in on_record] == [entry_id]
    again = client.delete(f"{ADMIN}/list-entries/{entry_id}", headers=department,
                          json={"removal_reason": "再次", "removal_authority": "税务局"})
    assert (again.status_code, again.get_json()["reason"]) == (409, "already_removed")


def test_an_unknown_list_is_404(client):
    assert client.get(f"{PUBLIC}/lists/grey").status_code == 404


def test_listing_needs_a_known_enterprise_and_a_department_lists_under_its_own_source(client, staff, credit):
    department = staff.headers("department", source=SOURCE)
    fields = {"list": "black", "subject_uscc": code("91320281MA", 77), "subject_name": "无此企业",
              "reason": "失信", "listed_on": days_ago(1).isoformat(), "listing_authority": "法院",
              "data_source": SOURCE}
    unknown = client.post(f"{ADMIN}/list-entries", headers=department, json=fields)
    assert (unknown.status_code, unknown.get_json()["reason"]) == (422, "enterprise_not_found")
    uscc = credit.enterprise()
    other = client.post(f"{ADMIN}/list-entries", headers=department,
                        json={**fields, "subject_uscc": uscc, "data_source": "courts"})
    assert (other.status_code, other.get_json()["reason"]) == (403, "source_not_allowed")
    assert db.session.scalar(select(ListEntry.id)) is None


# --- black-listed verifiers -----------------------------------------------------------------------------


def test_a_black_listed_verifier_is_refused_on_its_next_request_and_allowed_after_removal(
        client, admin, credit, verifiers):
    shop = verifiers.create("merchant", name="长泾超市")
    bank = verifiers.create("bank", name="江阴农商银行")
    operator = verifiers.operator_headers(shop)
    key = verifiers.api_key_headers(bank)
    for verifier in (shop, bank):
        credit.enterprise(verifier.name, uscc=verifier.uscc)
    offers = "/api/v1/merchant/offers"
    assert client.get(offers, headers=operator).status_code == 200
    assert client.post("/api/v1/verifications", headers=key, json={"token": "x", "purpose": "loan"}).status_code == 400
    entries = [credit.list_entry("black", uscc=verifier.uscc, name=verifier.name) for verifier in (shop, bank)]
    refused = client.get(offers, headers=operator)
    assert (refused.status_code, refused.get_json()["reason"]) == (403, "verifier_suspended")
    refused = client.post("/api/v1/verifications", headers=key, json={"token": "x", "purpose": "loan"})
    assert (refused.status_code, refused.get_json()["reason"]) == (403, "verifier_suspended")
    assert client.get(f"{ADMIN}/verifiers/{shop.id}", headers=admin).get_json()["black_listed"] is True
    for entry in entries:
        removed = client.delete(f"{ADMIN}/list-entries/{entry.id}", headers=admin,
                                json={"removal_reason": "已履行", "removal_authority": "江阴市人民法院"})
        assert removed.status_code == 200
    assert client.get(offers, headers=operator).status_code == 200
    assert client.post("/api/v1/verifications", headers=key, json={"token": "x", "purpose": "loan"}).status_code == 400


def test_red_and_watch_lists_do_not_stop_a_verifier_and_a_new_verifier_starts_black_listed(
        client, credit, verifiers):
    uscc = credit.enterprise("江阴市新开超市")
    credit.list_entry("red", uscc=uscc, name="江阴市新开超市")
    credit.list_entry("watch", uscc=uscc, name="江阴市新开超市")
    assert not service.black_listed(uscc)
    credit.list_entry("black", uscc=uscc, name="江阴市新开超市")
    from backend.residents.models import Town
    from backend.verifiers import service as verifier_service

    db.session.add(Town(name="长泾镇"))
    db.session.commit()
    verifier = verifier_service.create_verifier(None, name="江阴市新开超市", kind="merchant", uscc=uscc, town="长泾镇",
                                                address="长泾镇")
    assert verifier.black_listed and not verifier.may_verify


def test_the_black_list_check_costs_no_query_of_its_own(app, credit, verifiers):
    bank = verifiers.create("bank")
    key = verifiers.api_key_headers(bank)
    credit.enterprise(uscc=bank.uscc)
    credit.list_entry("black", uscc=bank.uscc)
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        from backend.web.access import authenticate

        with app.test_request_context(headers=key):
            principal = authenticate()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert principal.suspended_roles == frozenset({"verifier_system"})
    assert statements and not any("list_entries" in statement for statement in statements)
    assert db.session.get(Verifier, bank.id).black_listed


# --- public paging and limits ---------------------------------------------------------------------------


def test_public_disclosures_filter_by_type_text_authority_and_dates(client, credit):
    uscc = credit.enterprise("江阴市华宏纺织有限公司")
    other = credit.enterprise("江阴市澄江机械有限公司")
    credit.penalty(uscc, "澄市监罚〔2026〕71号", decided_on=days_ago(40))
    credit.penalty(other, "澄市监罚〔2026〕72号", decided_on=days_ago(20), subject_name="江阴市澄江机械有限公司")
    credit.licence(uscc, "澄市监许〔2026〕73号")

    def numbers(**query):
        response = client.get(f"{PUBLIC}/disclosures", query_string=query)
        assert response.status_code == 200, response.get_json()
        return decision_numbers(response.get_json())

    assert numbers(type="licence") == ["澄市监许〔2026〕73号"]
    assert numbers(q="华宏") == ["澄市监罚〔2026〕71号", "澄市监许〔2026〕73号"]
    assert numbers(q=other) == ["澄市监罚〔2026〕72号"]
    assert numbers(q="澄市监罚〔2026〕72号") == ["澄市监罚〔2026〕72号"]
    assert numbers(authority=AUTHORITY_USCC, type="penalty") == ["澄市监罚〔2026〕71号", "澄市监罚〔2026〕72号"]
    assert numbers(authority="江阴市税务局") == []
    assert numbers(**{"from": days_ago(30).isoformat(), "type": "penalty"}) == ["澄市监罚〔2026〕72号"]
    assert numbers(to=days_ago(30).isoformat(), type="penalty") == ["澄市监罚〔2026〕71号"]
    paged = client.get(f"{PUBLIC}/disclosures", query_string={"page_size": 2})
    assert len(paged.get_json()) == 2 and json.loads(paged.headers["X-Pagination"])["total"] == 3


def test_public_queries_share_the_per_ip_limit(app, client):
    change_settings({"limits.public_per_minute": 3})
    paths = [f"{PUBLIC}/enterprises?q=华宏", f"{PUBLIC}/disclosures", f"{PUBLIC}/lists/black"]
    assert [client.get(path).status_code for path in paths] == [200, 200, 200]
    refused = client.get(f"{PUBLIC}/exposures")
    assert (refused.status_code, refused.get_json()["reason"]) == (429, "rate_limited")
    assert int(refused.headers["Retry-After"]) > 0


def test_the_enterprise_page_shows_every_section(client, credit, admin):
    uscc = credit.enterprise("江阴市华宏纺织有限公司")
    credit.licence(uscc)
    credit.penalty(uscc, "澄市监罚〔2026〕81号")
    credit.list_entry("red", uscc=uscc)
    client.post(f"{ADMIN}/exposures", headers=admin,
                json={"title": "案例", "facts": "案情", "decision_no": "澄市监罚〔2026〕81号"})
    page = client.get(f"{PUBLIC}/enterprises/{uscc}").get_json()
    assert page["enterprise"] == {"uscc": uscc, "name": "江阴市华宏纺织有限公司", "kind": "legal_person",
                                  "legal_representative": "周建国", "town": "长泾镇", "address": "长泾镇河塘路 8 号",
                                  "registered_on": "2012-05-18", "status": "operating"}
    penalty = page["penalties"][0]
    assert penalty["fine_amount"] == "5000.00" and penalty["facts"].startswith("逾期")
    assert penalty["disclosed_until"] == (days_ago(30) + timedelta(days=365)).isoformat()
    assert [len(page[name]) for name in ("licences", "penalties", "list_entries", "exposures")] == [1, 1, 1, 1]
    assert page["totals"] == {"licences": 1, "penalties": 1, "list_entries": 1, "exposures": 1}


def test_the_window_rule_is_the_shared_one(credit):
    """The SQL condition and the Python rule agree on every record, now and a day after each window."""
    uscc = credit.enterprise()
    records = [credit.penalty(uscc, f"澄市监罚〔2026〕9{n}号", decided_on=days_ago(days), severity=severity)
               for n, (days, severity) in enumerate([(10, "minor"), (100, "minor"), (364, "general"),
                                                     (366, "general"), (1000, "serious")])]
    records.append(credit.licence(uscc, valid_to=days_ago(1)))
    for moment in (datetime.now(UTC), datetime.now(UTC) + timedelta(days=200)):
        shown = set(db.session.scalars(select(Disclosure.id).where(service.shown_disclosures_clause(moment))))
        assert shown == {r.id for r in records if windows.is_open(r.status, r.shown_until, moment)}


def test_the_demo_shows_the_public_credit_query(runner, client):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    found = client.get(f"{PUBLIC}/enterprises", query_string={"q": "江阴"}).get_json()
    assert len(found) == 5
    black = client.get(f"{PUBLIC}/lists/black").get_json()
    assert [e["subject"]["name"] for e in black] == ["江阴市君山建材贸易有限公司"]
    assert [x["decision_no"] for x in client.get(f"{PUBLIC}/exposures").get_json()] == ["澄环罚〔2026〕76号"]
    shown = {d["decision_no"]: d for d in client.get(f"{PUBLIC}/disclosures").get_json()}
    assert shown["澄公交罚〔2026〕5521号"]["subject"]["name"] == "王**"
    assert len(shown) == 5
