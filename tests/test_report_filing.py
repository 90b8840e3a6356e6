"""Filing reports (SPEC §5): categories, report numbers, sealed subjects, bad input refused with nothing
written, the daily limit, duplicate groups, WeChat's text screening, anonymous receipts that lead nowhere,
retries, and what the reporter follows."""

import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.accounts.models import WeChatAccount
from backend.audit.models import AuditRecord
from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from backend.privacy.id_numbers import with_check_digit
from backend.reports.models import Report, ReportStep
from backend.settings import service as settings
from backend.uploads.models import Upload
from backend.web.access import Principal
from backend.wechat import reset_client
from tests.reporting import (
    REPORTS,
    UPLOADS,
    load_rubric_and_categories,
    report_body,
    upload_id,
)
from tests.wechat_standin import Answer, WeChatStandIn

PUBLIC_CATEGORIES = "/api/v1/public/report-categories"
ADMIN_CATEGORIES = "/api/v1/admin/report-categories"
STATUS = "/api/v1/public/reports/status"
SYSTEM = Principal(kind="system", id=0, roles=frozenset({"admin"}), name="tests")
PERSON_ID = with_check_digit("32028119800101001")  # not in the registry, but a valid number


@pytest.fixture(autouse=True)
def world(app):
    load_rubric_and_categories()


@pytest.fixture
def me(residents):
    return residents.bound_headers(residents.create(name="李明"))


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def valid_id(residents) -> str:
    return residents.id_number(born="19750505")


# -- categories ------------------------------------------------------------------------------------------


def test_categories_are_public_with_their_rubric_item_and_department(client):
    body = client.get(PUBLIC_CATEGORIES).get_json()
    codes = [c["code"] for c in body]
    assert codes == ["food_safety", "production_safety", "environment", "public_order", "fraud", "village_rules",
                     "finance", "other"]
    food = body[0]
    assert (food["name"], food["rubric_code"], food["department_source"]) == ("食品安全", "SF-02",
                                                                             "market-regulation")


def test_admins_manage_categories_and_each_change_is_audited(client, staff):
    admin = staff.headers("admin")
    created = client.post(ADMIN_CATEGORIES, json={"code": "rental_fire", "name": "出租房消防",
                                                  "rubric_code": "SF-03", "department_source": "fire-rescue"},
                          headers=admin)
    assert created.status_code == 201
    changed = client.patch(f"{ADMIN_CATEGORIES}/rental_fire", json={"active": False}, headers=admin)
    assert changed.get_json()["active"] is False
    assert "rental_fire" not in [c["code"] for c in client.get(PUBLIC_CATEGORIES).get_json()]
    actions = db.session.scalars(select(AuditRecord.action).where(AuditRecord.object_type == "report_category")).all()
    assert actions.count("report_category.create") == 9 and "report_category.update" in actions


@pytest.mark.parametrize(("rubric_code", "status", "reason"), [
    ("SC-01", 422, "rubric_item_wrong_kind"),  # a bonus
    ("NOPE-1", 404, "rubric_item_not_found"),
])
def test_a_category_must_name_a_penalty_item(client, staff, rubric_code, status, reason):
    response = client.post(ADMIN_CATEGORIES, json={"code": "bad_one", "name": "坏", "rubric_code": rubric_code,
                                                   "department_source": "x-y"}, headers=staff.headers("admin"))
    assert (response.status_code, response.get_json()["reason"]) == (status, reason)


# -- filing ----------------------------------------------------------------------------------------------


def test_a_real_name_report_gets_a_readable_number_and_no_receipt(client, me):
    response = client.post(REPORTS, json=report_body(), headers=me)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    today = utcnow().astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d")
    assert body == {"report_no": f"JB-{today}-0001", "status": "submitted"}
    second = client.post(REPORTS, json=report_body(), headers=me).get_json()
    assert second["report_no"] == f"JB-{today}-0002"


def test_a_subject_id_number_and_the_texts_are_sealed_at_rest(client, me, residents):
    number = valid_id(residents)
    body = report_body(category="village_rules", subject={"type": "person", "name": "王五", "id_number": number},
                       description="在村道上私搭乱建违章棚屋，多次劝阻不听。")
    assert client.post(REPORTS, json=body, headers=me).status_code == 201
    report = db.session.scalar(select(Report))
    stored = " ".join(repr(getattr(report, column.key)) for column in Report.__table__.columns)
    for clear in (number, "王五", "私搭乱建", "河塘路"):
        assert clear not in stored
    assert report.subject_id_number_hash and report.subject_id_number_sealed


def test_real_name_reporting_needs_a_bound_identity(client, residents):
    unbound = residents.headers("not-bound-yet")
    response = client.post(REPORTS, json=report_body(), headers=unbound)
    assert (response.status_code, response.get_json()["reason"]) == (403, "not_bound")
    assert client.post(REPORTS, json=report_body(anonymous=True), headers=unbound).status_code == 201


BAD_INPUT = {
    "description of 9 characters": ({"description": "一二三四五六七八九"}, 422, "invalid_input"),
    "description of 2,001 characters": ({"description": "举" * 2001}, 422, "invalid_input"),
    "occurred_at in the future": ({"occurred_at": (utcnow() + timedelta(days=2)).isoformat()}, 422, "invalid_input"),
    "malformed USCC": ({"subject": {"type": "enterprise", "name": "某公司", "uscc": "91320281MA1XXXXXX1"}}, 422,
                       "invalid_uscc"),
    "malformed ID number": ({"subject": {"type": "person", "name": "王五", "id_number": "320281198001010011"}}, 422,
                            "invalid_id_number"),
    "ten attachments": ({"attachments": [f"u{i}" for i in range(10)]}, 422, "invalid_input"),
    "unknown upload": ({"attachments": ["no-such-upload"]}, 404, "upload_not_found"),
    "unknown category": ({"category": "no_such"}, 404, "category_not_found"),
    "unknown town": ({"location": {"town": "火星镇"}}, 422, "unknown_town"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_gets_a_clear_4xx_and_nothing_is_written(client, me, case):
    changes, status, reason = BAD_INPUT[case]
    response = client.post(REPORTS, json=report_body(**changes), headers=me)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["reason"] == reason
    assert response.get_json()["message"]
    assert count(Report) == 0 and count(ReportStep) == 0


def test_another_users_upload_is_404_and_nothing_is_written(client, me, residents):
    theirs = upload_id(client, residents.headers("the-neighbour"))
    response = client.post(REPORTS, json=report_body(attachments=[theirs]), headers=me)
    assert (response.status_code, response.get_json()["reason"]) == (404, "upload_not_found")
    assert count(Report) == 0
    assert db.session.get(Upload, theirs).attached_to is None


def test_an_upload_attached_twice_is_409_and_nothing_is_written(client, me):
    photo = upload_id(client, me)
    assert client.post(REPORTS, json=report_body(attachments=[photo]), headers=me).status_code == 201
    response = client.post(REPORTS, json=report_body(attachments=[photo]), headers=me)
    assert (response.status_code, response.get_json()["reason"]) == (409, "upload_used")
    assert count(Report) == 1


def test_attachments_are_attached_to_the_report(client, me):
    photos = [upload_id(client, me) for _ in range(2)]
    assert client.post(REPORTS, json=report_body(attachments=photos), headers=me).status_code == 201
    report = db.session.scalar(select(Report))
    rows = db.session.scalars(select(Upload).where(Upload.id.in_(photos))).all()
    assert {(u.attached_to, u.attached_id) for u in rows} == {("report", report.id)}


def test_the_sixth_report_of_a_day_is_429_and_not_written(client, me):
    for _ in range(5):
        assert client.post(REPORTS, json=report_body(), headers=me).status_code == 201
    response = client.post(REPORTS, json=report_body(), headers=me)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert count(Report) == 5


def test_a_changed_daily_limit_applies(client, me):
    settings.update(SYSTEM, {"limits.reports_per_day": 1})
    assert client.post(REPORTS, json=report_body(), headers=me).status_code == 201
    assert client.post(REPORTS, json=report_body(anonymous=True), headers=me).status_code == 429


# -- duplicate groups ------------------------------------------------------------------------------------


def test_reports_on_the_same_subject_and_category_form_a_group_the_reporter_never_sees(client, me, residents):
    other = residents.bound_headers(residents.create(name="赵六"))
    number = valid_id(residents)
    subject = {"type": "person", "name": "王五", "id_number": number}
    first = client.post(REPORTS, json=report_body(category="village_rules", subject=subject), headers=me).get_json()
    second = client.post(REPORTS, json=report_body(category="village_rules", subject=subject),
                         headers=other).get_json()
    elsewhere = client.post(REPORTS, json=report_body(category="environment", subject=subject), headers=other)
    by_no = {r.report_no: r for r in db.session.scalars(select(Report))}
    assert by_no[second["report_no"]].duplicate_of_id == by_no[first["report_no"]].id
    assert by_no[elsewhere.get_json()["report_no"]].duplicate_of_id is None
    view = client.get(f"/api/v1/me/reports/{second['report_no']}", headers=other).get_json()
    assert first["report_no"] not in str(view)


def test_without_codes_the_same_name_in_the_same_town_is_a_duplicate(client, me, residents):
    residents.create(name="陈一", town="澄江街道", village="君山社区")
    subject = {"type": "person", "name": "钱七"}
    client.post(REPORTS, json=report_body(category="environment", subject=subject), headers=me)
    client.post(REPORTS, json=report_body(category="environment", subject=subject), headers=me)
    client.post(REPORTS, json=report_body(category="environment", subject=subject, location={"town": "澄江街道"}),
                headers=me)
    rows = db.session.scalars(select(Report).order_by(Report.id)).all()
    assert [r.duplicate_of_id for r in rows] == [None, rows[0].id, None]


def test_a_report_after_the_window_starts_a_new_group(client, me):
    subject = {"type": "enterprise", "name": "某厂", "uscc": _uscc()}
    client.post(REPORTS, json=report_body(subject=subject), headers=me)
    first = db.session.scalar(select(Report))
    first.filed_at = utcnow() - timedelta(days=31)
    db.session.commit()
    client.post(REPORTS, json=report_body(subject=subject), headers=me)
    latest = db.session.scalar(select(Report).order_by(Report.id.desc()))
    assert latest.duplicate_of_id is None


def _uscc() -> str:
    from stdnum.cn import uscc

    body = "91320281MA1M9XY00"
    return body + uscc.calc_check_digit(body)


# -- WeChat's text screening, against the local stand-in ---------------------------------------------------


TEXT_CHECK = "/wxa/msg_sec_check"


@pytest.fixture
def wechat(app, monkeypatch):
    standin = WeChatStandIn().start()
    monkeypatch.setitem(app.config, "WECHAT_APPID", "wx-test-appid")
    monkeypatch.setitem(app.config, "WECHAT_SECRET", "app-secret-for-tests")
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", standin.base_url)
    monkeypatch.setitem(app.config, "USE_DEVELOPMENT_WECHAT", False)
    yield standin
    standin.stop()
    reset_client()


def _use_wechat():
    reset_client()


@pytest.mark.parametrize(("suggest", "screening"), [("pass", "pass"), ("review", "review")])
def test_screened_text_is_accepted_and_review_is_flagged(client, me, wechat, suggest, screening):
    _use_wechat()
    wechat.script(TEXT_CHECK, {"errcode": 0, "result": {"suggest": suggest, "label": 100}})
    assert client.post(REPORTS, json=report_body(), headers=me).status_code == 201
    assert db.session.scalar(select(Report)).screening == screening
    [sent] = wechat.to(TEXT_CHECK)
    assert sent.body["version"] == 2 and "过期食材" in sent.body["content"]
    assert sent.body["openid"].startswith("dev-openid-")


def test_risky_text_is_refused_and_nothing_is_written(client, me, wechat):
    _use_wechat()
    wechat.script(TEXT_CHECK, {"errcode": 87014, "errmsg": "risky content"})
    response = client.post(REPORTS, json=report_body(), headers=me)
    assert (response.status_code, response.get_json()["reason"]) == (422, "content_risky")
    assert count(Report) == 0


@pytest.mark.parametrize("answer", [Answer(status=502, raw=b"bad gateway"), Answer(json={"errcode": -1})])
def test_wechat_down_the_report_is_accepted_and_flagged(client, me, wechat, answer):
    _use_wechat()
    wechat.script(TEXT_CHECK, answer)
    assert client.post(REPORTS, json=report_body(), headers=me).status_code == 201
    assert db.session.scalar(select(Report)).screening == "unavailable"


# -- anonymous receipts ----------------------------------------------------------------------------------


def file_anonymously(client, headers, **changes) -> dict:
    response = client.post(REPORTS, json=report_body(anonymous=True, **changes), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_an_anonymous_report_answers_a_receipt_stored_only_as_its_hmac(client, me):
    body = file_anonymously(client, me)
    receipt = body["receipt_code"]
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}", receipt)
    report = db.session.scalar(select(Report))
    canonical = receipt.replace("-", "")
    from backend.privacy.readback_codes import digest

    assert report.receipt_hash == digest("receipt", canonical)
    stored = " ".join(repr(getattr(report, c.key)) for c in Report.__table__.columns)
    assert canonical not in stored and receipt not in stored


def test_the_receipt_reads_back_tolerant_of_case_spaces_hyphens_and_look_alikes(client, me):
    receipt = file_anonymously(client, me)["receipt_code"]
    sloppy = receipt.lower().replace("-", " ").replace("1", "l").replace("0", "o")
    response = client.post(STATUS, json={"receipt": sloppy})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["anonymous"], body["reward"]) == ("submitted", True, None)
    assert [step["step"] for step in body["history"]] == ["filed"]


@pytest.mark.parametrize("receipt", ["ABCD-EFGH-JKMN-PQRS-TVWX", "not a receipt", "0" * 20])
def test_an_unknown_receipt_is_404(client, me, receipt):
    file_anonymously(client, me)
    response = client.post(STATUS, json={"receipt": receipt})
    assert (response.status_code, response.get_json()["reason"]) == (404, "receipt_unknown")


def test_receipt_look_ups_are_rate_limited_per_ip(client, me):
    settings.update(SYSTEM, {"limits.receipt_lookups_per_hour": 3})
    for _ in range(3):
        assert client.post(STATUS, json={"receipt": "ABCD-EFGH-JKMN-PQRS-TVWX"}).status_code == 404
    response = client.post(STATUS, json={"receipt": "ABCD-EFGH-JKMN-PQRS-TVWX"})
    assert response.status_code == 429 and response.headers["Retry-After"]


def test_a_retry_with_the_same_client_request_id_returns_the_same_receipt(app, client, me):
    first = file_anonymously(client, me, client_request_id="req-7f3a9c1e5b2d")
    again = file_anonymously(client, me, client_request_id="req-7f3a9c1e5b2d")
    assert again == first
    assert count(Report) == 1
    other = file_anonymously(client, me, client_request_id="req-other-request")
    assert other["receipt_code"] != first["receipt_code"]
    shared = app.extensions["chengxin.store"]
    keys = [k for k in shared.client.scan_iter(match=f"{app.config['REDIS_PREFIX']}reports:retry:*")]
    assert len(keys) == 2
    assert all(0 < shared.client.ttl(k) <= 600 for k in keys)
    held = b"".join(shared.client.get(k) for k in keys)
    assert first["receipt_code"].encode() not in held and first["receipt_code"].replace("-", "").encode() not in held


def test_a_refused_filing_leaves_its_request_id_free_for_the_retry(client, me):
    bad = client.post(REPORTS, json=report_body(anonymous=True, client_request_id="req-0123456789",
                                                category="no_such"), headers=me)
    assert bad.status_code == 404
    assert file_anonymously(client, me, client_request_id="req-0123456789")["receipt_code"]


# -- no link to the account, anywhere --------------------------------------------------------------------

DISTINCT_ACCOUNT_ID = 987654


def _dump_database() -> dict[str, set[str]]:
    db.session.expire_all()
    dump = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table)).all()
        dump[table.name] = {repr(tuple(row)) for row in rows}
    return dump


def _dump_store(app) -> dict[str, bytes]:
    """Every key and value of the shared store and of the rate-limit storage."""
    shared = app.extensions["chengxin.store"]
    found = {}
    for key in shared.client.scan_iter(count=1000):
        value = shared.client.dump(key)
        if value is not None:  # None: the key expired meanwhile
            found[repr(key)] = repr(value)
    limiter_storage = app.extensions["chengxin.limiter"].limiter.storage
    memory = getattr(limiter_storage, "storage", None)
    if isinstance(memory, dict):
        for key, value in memory.items():
            found[f"limiter:{key}"] = repr(value)
    return found


def test_an_anonymous_filing_leaves_no_link_to_the_account_in_any_table_or_store(app, client, residents, caplog):
    """Reads every table a filing touches and every Redis key (and the rate-limit storage) before and after an
    anonymous filing with attachments, and finds neither the account id nor the openid in what changed."""
    resident = residents.create(name="孙八")
    openid = "dev-openid-anon-reporter-5e1d"
    db.session.add(WeChatAccount(id=DISTINCT_ACCOUNT_ID, openid=openid))
    db.session.commit()
    from backend.auth import service as auth

    headers = {"Authorization": f"Bearer {auth.sign_in('wechat', DISTINCT_ACCOUNT_ID).access_token}"}
    from backend.accounts import service as accounts
    from backend.wechat import get_client

    accounts.bind_identity(get_client(), DISTINCT_ACCOUNT_ID, name=resident.plain["name"],
                           id_number=resident.plain["id_number"],
                           phone_code=f"dev-phone-{resident.plain['phone']}")
    tables_before, store_before = _dump_database(), _dump_store(app)
    caplog.set_level(logging.DEBUG)
    from flask import request, request_finished

    from backend.web.access import caller_may_be_logged

    loggable = []

    def note(sender, response, **extra):
        loggable.append((request.path, caller_may_be_logged()))

    request_finished.connect(note, app)

    photos = [upload_id(client, headers) for _ in range(2)]
    filed = file_anonymously(client, headers, attachments=photos, client_request_id="req-anon-0001",
                             subject={"type": "person", "name": "王五", "id_number": PERSON_ID})

    tables_after, store_after = _dump_database(), _dump_store(app)
    changed_rows = {name: rows - tables_before.get(name, set()) for name, rows in tables_after.items()}
    touched = {name for name, rows in changed_rows.items() if rows}
    assert {"reports", "report_steps", "uploads", "report_numbers"} <= touched
    for name, rows in changed_rows.items():
        for row in rows:
            assert str(DISTINCT_ACCOUNT_ID) not in row, f"{name} holds the account id: {row}"
            assert openid not in row, f"{name} holds the openid"
    changed_keys = {key: value for key, value in store_after.items() if store_before.get(key) != value}
    assert changed_keys, "the daily limits and the retry were counted in the store"
    for key, value in changed_keys.items():
        assert str(DISTINCT_ACCOUNT_ID) not in key and openid not in key, key
        assert str(DISTINCT_ACCOUNT_ID).encode() not in value.encode() and openid not in value
    report = db.session.scalar(select(Report))
    assert (report.reporter_account_id, report.reporter_resident_id) == (None, None)
    assert all((u.owner_kind, u.owner_id) == (None, None) for u in db.session.scalars(select(Upload)))
    logged = caplog.text + " ".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert str(DISTINCT_ACCOUNT_ID) not in logged and openid not in logged
    assert filed["receipt_code"] not in logged
    request_finished.disconnect(note, app)
    # Request logging is told to leave the caller out of filing and upload requests.
    assert loggable == [(UPLOADS, False), (UPLOADS, False), (REPORTS, False)]


def test_the_database_refuses_an_anonymous_report_linked_to_an_account(client, me):
    file_anonymously(client, me)
    report = db.session.scalar(select(Report))
    report.reporter_account_id = db.session.scalar(select(WeChatAccount.id))
    with pytest.raises(Exception, match="(?i)check|constraint"):
        db.session.commit()
    db.session.rollback()


# -- the reporter's views --------------------------------------------------------------------------------


def test_my_reports_list_only_my_real_name_reports(client, me, residents):
    mine = client.post(REPORTS, json=report_body(), headers=me).get_json()
    file_anonymously(client, me)
    client.post(REPORTS, json=report_body(), headers=residents.bound_headers(residents.create(name="周九")))
    listed = client.get("/api/v1/me/reports", headers=me).get_json()
    assert [r["report_no"] for r in listed] == [mine["report_no"]]
    view = client.get(f"/api/v1/me/reports/{mine['report_no']}", headers=me).get_json()
    assert (view["status"], view["anonymous"], view["category"]["code"]) == ("submitted", False, "food_safety")
    assert view["subject"]["masked_name"] == "某某小吃店"
    assert [h["step"] for h in view["history"]] == ["filed"]


def test_another_residents_report_is_404(client, me, residents):
    mine = client.post(REPORTS, json=report_body(), headers=me).get_json()
    other = residents.bound_headers(residents.create(name="吴十"))
    response = client.get(f"/api/v1/me/reports/{mine['report_no']}", headers=other)
    assert (response.status_code, response.get_json()["reason"]) == (404, "report_not_found")
