"""Personal credit reports (个人信用积分评价报告, SPEC §7a): issuing a frozen snapshot with its limits, the
JSON and PDF downloads, the signed snapshot checked offline with the JWKS, revocation by the resident and
by the office, and the public check by verification code with the query record it leaves."""

import base64
import json
import re
from datetime import datetime, timedelta

import jwt
import pytest
from sqlalchemy import func, select

from backend.audit.models import AuditRecord
from backend.codes import keys
from backend.codes.models import SigningKey
from backend.credit import rubric
from backend.credit import service as credit
from backend.credit.models import RubricItem
from backend.credit_reports import service as reports
from backend.credit_reports.models import CreditReport
from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from backend.printing import pdf
from backend.privacy import readback_codes
from backend.privacy.sealing import open_sealed
from backend.query_records.models import QueryRecord
from tests.conftest import change_settings
from tests.pdf_checks import glyph_problems, text_of

REPORTS = "/api/v1/me/credit/reports"
CHECK = "/api/v1/public/credit-reports/check"
JWKS = "/api/v1/.well-known/jwks.json"
RECORDS = "/api/v1/me/query-records"
SETTINGS = "/api/v1/admin/settings"
CODE_SHAPE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}")


# -- helpers ---------------------------------------------------------------------------------------------


def refused(response, status: int, reason: str) -> dict:
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["reason"] == reason, body
    return body


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def item(code: str, points: int, severity: str | None = None, **extra):
    if db.session.scalar(select(RubricItem.id).where(RubricItem.code == code)) is None:
        kind = "bonus" if points > 0 else "penalty"
        rubric.create_item(None, code=code, category=extra.pop("category", "social_contribution"),
                           title=extra.pop("title", f"条目 {code}"), points=points, kind=kind,
                           severity=severity or ("general" if kind == "penalty" else None), **extra)


def grant(resident, code: str, ref: str, *, days_ago: float = 1):
    return credit.grant_event(None, id_number=resident.plain["id_number"], rubric_code=code,
                              occurred_at=utcnow() - timedelta(days=days_ago), source="tests",
                              source_ref=ref).event


def issue(client, headers, purpose="求职") -> dict:
    response = client.post(REPORTS, json={"purpose": purpose}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def check(client, code: str, **kwargs):
    return client.post(CHECK, json={"code": code}, **kwargs)


def pdf_of(client, headers, body) -> bytes:
    response = client.get(f"{REPORTS}/{body['report_no']}.pdf", headers={
        **headers, "X-Verification-Code": body["verification_code"]})
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/pdf"
    return response.data


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def offline_check(token: str, jwks: dict) -> dict:
    """The receiver's offline check, as the guide writes it: the key by kid from the JWKS, the algorithm
    pinned, expiry and issuer checked, and the token's kind (typ) must be a report's."""
    keyset = jwt.PyJWKSet.from_dict(jwks)
    key = keyset[jwt.get_unverified_header(token)["kid"]]
    decoded = jwt.decode_complete(token, key, algorithms=["EdDSA"], issuer="chengxin",
                                  options={"require": ["exp", "iat", "report_no", "stars"]})
    if decoded["header"].get("typ") != "chengxin-report+jwt":
        raise jwt.InvalidTokenError("not a Chengxin credit report")
    return decoded["payload"]


def later(monkeypatch, days: float) -> None:
    """Move the reports' and keys' clocks ``days`` ahead."""
    moved = utcnow() + timedelta(days=days)
    monkeypatch.setattr(reports, "utcnow", lambda: moved)
    monkeypatch.setattr(keys, "utcnow", lambda: moved)


# -- fixtures --------------------------------------------------------------------------------------------


@pytest.fixture
def resident(residents):
    return residents.create(name="欧阳明华")


@pytest.fixture
def me(residents, resident):
    return residents.bound_headers(resident)


@pytest.fixture
def admin(staff):
    return staff.headers("admin")


# -- issuing ---------------------------------------------------------------------------------------------


def test_issuing_answers_the_report_number_code_times_and_signed_snapshot(client, me, resident):
    before = utcnow().replace(microsecond=0)
    body = issue(client, me, "  求职  ")
    assert set(body) == {"report_no", "verification_code", "issued_at", "valid_until", "signed_snapshot"}
    assert re.fullmatch(r"XY-\d{8}-[0-9A-HJKMNP-TV-Z]{6}", body["report_no"])
    assert CODE_SHAPE.fullmatch(body["verification_code"])
    issued, until = datetime.fromisoformat(body["issued_at"]), datetime.fromisoformat(body["valid_until"])
    assert issued.utcoffset() == timedelta(hours=8) and before <= issued <= utcnow()
    assert until - issued == timedelta(days=30)
    header = jwt.get_unverified_header(body["signed_snapshot"])
    assert header["typ"] == keys.REPORT_TYP and header["alg"] == "EdDSA"
    claims = claims_of(body["signed_snapshot"])
    assert claims["report_no"] == body["report_no"] and claims["purpose"] == "求职"
    assert claims["exp"] == int(until.timestamp()) and claims["iat"] == int(issued.timestamp())
    assert claims["subject"] == {"masked_name": "欧阳**", "masked_id_number": resident.plain["id_number"][:4]
                                 + "*" * 10 + resident.plain["id_number"][-4:]}


def test_the_code_is_stored_only_as_its_digest_and_the_snapshot_sealed(client, me, resident):
    body = issue(client, me, "入学申请")
    row = db.session.scalar(select(CreditReport))
    code = readback_codes.normalise(body["verification_code"])
    assert row.code_digest == readback_codes.digest("credit-report", code)
    stored = json.dumps([str(value) for value in db.session.execute(
        select(CreditReport.__table__)).one()], ensure_ascii=False)
    assert code not in stored and body["verification_code"] not in stored
    assert "入学申请".encode() not in row.snapshot_sealed
    assert body["signed_snapshot"].encode() not in row.snapshot_sealed
    assert open_sealed("credit_report.snapshot", row.snapshot_sealed) == body["signed_snapshot"]


@pytest.mark.parametrize("purpose", ["求", "", "   ", "求" * 51, None, 7])
def test_a_purpose_outside_two_to_fifty_characters_is_refused_and_nothing_written(client, me, purpose):
    refused(client.post(REPORTS, json={"purpose": purpose}, headers=me), 422, "invalid_input")
    assert count(CreditReport) == 0


def test_fifty_characters_of_purpose_are_accepted(client, me):
    assert claims_of(issue(client, me, "贷" * 50)["signed_snapshot"])["purpose"] == "贷" * 50


def test_five_reports_a_day_then_429_and_nothing_written(client, me):
    for number in range(5):
        issue(client, me, f"用途{number}")
    response = client.post(REPORTS, json={"purpose": "第六份"}, headers=me)
    refused(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 0
    assert count(CreditReport) == 5


def test_the_daily_limit_is_a_setting(client, me, admin):
    assert client.put(SETTINGS, json={"limits.credit_reports_per_day": 1}, headers=admin).status_code == 200
    issue(client, me)
    refused(client.post(REPORTS, json={"purpose": "再来一份"}, headers=me), 429, "rate_limited")


def test_the_validity_is_a_setting(client, me, admin):
    assert client.put(SETTINGS, json={"credit_reports.validity_days": 90}, headers=admin).status_code == 200
    body = issue(client, me)
    issued, until = datetime.fromisoformat(body["issued_at"]), datetime.fromisoformat(body["valid_until"])
    assert until - issued == timedelta(days=90)


def test_only_bound_active_residents_issue_reports(client, residents, me, resident, staff):
    refused(client.post(REPORTS, json={"purpose": "求职"}, headers=residents.headers("stranger")), 403, "not_bound")
    refused(client.post(REPORTS, json={"purpose": "求职"}, headers=staff.headers("admin")), 403, "role_not_allowed")
    plain = resident.plain
    residents.create(name=plain["name"], id_number=plain["id_number"], phone=plain["phone"], town=plain["town"],
                     village=plain["village"], household_no=plain["household_no"], status="moved")
    refused(client.post(REPORTS, json={"purpose": "求职"}, headers=me), 403, "resident_not_active")
    assert count(CreditReport) == 0


# -- what the snapshot says ------------------------------------------------------------------------------


def test_the_snapshot_summarises_counting_events_and_lists_penalties_that_count_or_are_disclosed(
        client, me, resident):
    item("VOL", 40, category="social_contribution", title="志愿服务")
    item("ECO", 5, category="environment", title="垃圾分类示范户")
    item("MINOR", -5, "minor", category="environment", title="乱倒垃圾")
    item("GEN", -20, "general", category="public_order", title="无理缠访闹访")
    item("SER", -50, "serious", category="environment", title="非法排污")
    grant(resident, "VOL", "vol", days_ago=10)
    grant(resident, "ECO", "eco", days_ago=20)
    grant(resident, "MINOR", "minor-now", days_ago=30)  # counts; a minor penalty is never disclosed
    grant(resident, "MINOR", "minor-old", days_ago=400)  # neither counts nor disclosed: left out
    grant(resident, "SER", "serious-old", days_ago=800)  # counted 2 years, disclosed 3: still disclosed
    repaired = grant(resident, "GEN", "repaired", days_ago=100)
    credit.repair(repaired.id, None, "已修复")
    db.session.commit()

    snapshot = client.get(f"{REPORTS}/{issue(client, me)['report_no']}", headers=me).get_json()["snapshot"]
    assert snapshot["points"] == 1000 + 40 + 5 - 5
    assert (snapshot["stars"], snapshot["level_name"]) == (4, "诚信优秀")
    assert snapshot["ceiling"] is None
    assert snapshot["categories"] == [
        {"category": "social_contribution", "name": "社会贡献", "bonus_events": 1, "bonus_points": 40,
         "penalty_events": 0, "penalty_points": 0},
        {"category": "environment", "name": "生态环境", "bonus_events": 1, "bonus_points": 5,
         "penalty_events": 1, "penalty_points": -5},
    ]
    listed = {(p["title"], p["status"], p["counts"], p["disclosed_until"] is not None)
              for p in snapshot["penalties"]}
    assert listed == {("乱倒垃圾", "active", True, False), ("非法排污", "expired", False, True)}
    serious = next(p for p in snapshot["penalties"] if p["title"] == "非法排污")
    assert serious["occurred_on"] == (utcnow() - timedelta(days=800)).astimezone(
        datetime.fromisoformat(snapshot["issued_at"]).tzinfo).date().isoformat()
    assert snapshot["household"] == {"is_credit_household": True}
    assert snapshot["issuer"] == "江阴市信用办"


def test_a_direct_grading_ceiling_is_named(client, me, resident):
    item("DUI", -50, "serious", caps_stars_at=2, title="醉酒驾驶机动车")
    grant(resident, "DUI", "dui")
    snapshot = client.get(f"{REPORTS}/{issue(client, me)['report_no']}", headers=me).get_json()["snapshot"]
    assert snapshot["ceiling"] == {"stars": 2, "rubric_code": "DUI", "title": "醉酒驾驶机动车"}
    assert snapshot["stars"] == 2 and snapshot["household"] == {"is_credit_household": False}


def test_the_snapshot_does_not_change_when_later_events_arrive(client, me, resident):
    item("VOL", 40)
    body = issue(client, me)
    url = f"{REPORTS}/{body['report_no']}"
    before = client.get(url, headers=me).get_json()
    grant(resident, "VOL", "after-1")
    item("BAD", -100, "serious")
    grant(resident, "BAD", "after-2")
    after = client.get(url, headers=me).get_json()
    assert after["snapshot"] == before["snapshot"] and after["signed_snapshot"] == body["signed_snapshot"]
    assert (after["stars"], after["snapshot"]["points"]) == (3, 1000)
    answer = check(client, body["verification_code"]).get_json()
    assert (answer["stars"], answer["level_name"]) == (3, "诚信良好")
    assert credit.get_account(resident.id).points == 940


# -- list, JSON and PDF ----------------------------------------------------------------------------------


def test_the_resident_lists_their_reports_newest_first_with_status(client, me):
    first, second = issue(client, me, "求职"), issue(client, me, "贷款")
    client.post(f"{REPORTS}/{first['report_no']}/revoke", headers=me)
    response = client.get(REPORTS, headers=me)
    assert response.status_code == 200
    listed = response.get_json()
    assert [r["report_no"] for r in listed] == [second["report_no"], first["report_no"]]
    assert [(r["purpose"], r["status"]) for r in listed] == [("贷款", "valid"), ("求职", "revoked")]
    assert set(listed[0]) == {"report_no", "purpose", "issued_at", "valid_until", "status", "stars",
                              "level_name", "revoked_at"}
    assert json.loads(response.headers["X-Pagination"])["total"] == 2


def test_another_residents_report_is_not_found(client, residents, me):
    body = issue(client, me)
    other = residents.bound_headers(residents.create(name="李娜"))
    for path in (f"{REPORTS}/{body['report_no']}", f"{REPORTS}/{body['report_no']}.pdf"):
        refused(client.get(path, headers={**other, "X-Verification-Code": body["verification_code"]}), 404,
                "credit_report_not_found")
    refused(client.post(f"{REPORTS}/{body['report_no']}/revoke", headers=other), 404, "credit_report_not_found")
    refused(client.get(f"{REPORTS}/XY-20990101-ZZZZZZ", headers=me), 404, "credit_report_not_found")
    assert client.get(REPORTS, headers=other).get_json() == []
    assert db.session.scalar(select(CreditReport.revoked_at)) is None


def test_the_pdf_shows_the_masked_name_id_number_stars_office_and_code(client, me, resident):
    item("VOL", 40, title="志愿服务：年度志愿服务满 50 小时")
    grant(resident, "VOL", "vol")
    body = issue(client, me, "申请诚信贷款")
    data = pdf_of(client, me, body)
    assert data.startswith(b"%PDF-")
    text = text_of(data)
    id_number = resident.plain["id_number"]
    for shown in ("个人信用积分评价报告", "欧阳**", id_number[:4] + "*" * 10 + id_number[-4:], "★★★★☆",
                  "诚信优秀", "1040", "江阴市信用办", body["verification_code"], body["report_no"], "申请诚信贷款"):
        assert shown.replace(" ", "") in text, shown
    assert "欧阳明华" not in text and id_number not in text
    assert len(data) < 80_000


def test_the_pdf_draws_its_chinese_with_real_glyphs(client, me):
    assert glyph_problems(pdf_of(client, me, issue(client, me))) == []


def test_the_pdf_qr_opens_the_check_page_with_the_code_in_its_fragment(app, client, me, monkeypatch):
    body = issue(client, me)
    code = readback_codes.normalise(body["verification_code"])
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://credit.example.cn")
    drawn = []
    original = pdf.Document.qr

    def spy(self, x, y, side, data):
        drawn.append(data)
        return original(self, x, y, side, data)

    monkeypatch.setattr(pdf.Document, "qr", spy)
    text = text_of(pdf_of(client, me, body))
    assert drawn == [f"https://credit.example.cn/check#{code}"]
    assert "https://credit.example.cn/check" in text


def test_the_pdf_needs_the_reports_own_code(client, me):
    body, other = issue(client, me), issue(client, me)
    url = f"{REPORTS}/{body['report_no']}.pdf"
    refused(client.get(url, headers=me), 422, "verification_code_required")
    refused(client.get(url, headers={**me, "X-Verification-Code": other["verification_code"]}), 422,
            "verification_code_mismatch")
    refused(client.get(url, headers={**me, "X-Verification-Code": "not a code"}), 422, "verification_code_mismatch")
    sloppy = body["verification_code"].lower().replace("-", " ")
    assert client.get(url, headers={**me, "X-Verification-Code": sloppy}).status_code == 200


# -- signed snapshot, offline ----------------------------------------------------------------------------


def test_a_receiver_checks_the_signed_snapshot_offline_with_the_jwks(client, me):
    body = issue(client, me)
    claims = offline_check(body["signed_snapshot"], client.get(JWKS).get_json())
    snapshot = client.get(f"{REPORTS}/{body['report_no']}", headers=me).get_json()["snapshot"]
    assert {key: value for key, value in claims.items() if key not in ("iss", "iat", "exp")} == snapshot


def test_a_tampered_snapshot_or_signature_fails_the_offline_check(client, me):
    token = issue(client, me)["signed_snapshot"]
    jwks = client.get(JWKS).get_json()
    header, payload, signature = token.split(".")
    claims = claims_of(token)
    claims["stars"] = 5
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    for forged in (f"{header}.{forged_payload}.{signature}", f"{header}.{payload}.{flipped}"):
        with pytest.raises(jwt.InvalidSignatureError):
            offline_check(forged, jwks)


def test_an_expired_report_fails_the_offline_check(client, me, monkeypatch):
    with monkeypatch.context() as patched:
        patched.setattr(reports, "utcnow", lambda: utcnow() - timedelta(days=31))
        token = issue(client, me)["signed_snapshot"]
    with pytest.raises(jwt.ExpiredSignatureError):
        offline_check(token, client.get(JWKS).get_json())


def test_a_credit_code_is_refused_as_a_report_and_a_report_as_a_credit_code(client, me, verifiers):
    jwks = client.get(JWKS).get_json()
    code_token = client.post("/api/v1/me/credit-code", json={"scope": "basic"}, headers=me).get_json()["token"]
    # Both are authentic: the same keys signed them. Only their kind tells them apart.
    jwt.decode(code_token, jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(code_token)["kid"]],
               algorithms=["EdDSA"])
    with pytest.raises(jwt.InvalidTokenError):
        offline_check(code_token, jwks)
    report_token = issue(client, me)["signed_snapshot"]
    cashier = verifiers.operator_headers(verifiers.create("merchant"), "cashier")
    refused(client.post("/api/v1/verifications", json={"token": report_token, "purpose": "discount"},
                        headers=cashier), 400, "code_invalid")


def test_a_rotated_key_stays_published_until_its_last_report_has_expired(app, client, me, monkeypatch):
    body = issue(client, me)
    kid = jwt.get_unverified_header(body["signed_snapshot"])["kid"]
    assert app.test_cli_runner().invoke(args=["keys", "rotate"]).exit_code == 0
    retired = db.session.get(SigningKey, kid)
    assert retired.published_until < utcnow() + timedelta(days=1)  # what the codes alone would need

    def published() -> set[str]:
        return {key["kid"] for key in client.get(JWKS).get_json()["keys"]}

    with monkeypatch.context() as patched:
        later(patched, 29)
        assert kid in published()
        offline_check(body["signed_snapshot"], client.get(JWKS).get_json())
    with monkeypatch.context() as patched:
        later(patched, 31)
        assert kid not in published()


# -- revoking --------------------------------------------------------------------------------------------


def test_the_resident_revokes_a_report_and_its_check_answers_revoked(client, me):
    body = issue(client, me)
    response = client.post(f"{REPORTS}/{body['report_no']}/revoke", headers=me)
    assert response.status_code == 200
    revoked = response.get_json()
    assert (revoked["status"], revoked["revoked_by"], revoked["revocation_reason"]) == ("revoked", "resident", None)
    assert check(client, body["verification_code"]).get_json()["status"] == "revoked"
    again = client.post(f"{REPORTS}/{body['report_no']}/revoke", headers=me).get_json()
    assert again["revoked_at"] == revoked["revoked_at"]
    revocations = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "credit_report.revoke")).all()
    assert len(revocations) == 1
    record = revocations[0]
    assert (record.action, record.object_id, record.actor_kind) == ("credit_report.revoke", body["report_no"],
                                                                     "wechat")


def test_an_admin_revokes_a_report_with_a_reason_that_is_recorded(client, me, admin, staff):
    body = issue(client, me)
    url = f"/api/v1/admin/credit-reports/{body['report_no']}/revoke"
    refused(client.post(url, json={"reason": " "}, headers=admin), 422, "invalid_input")
    refused(client.post(url, json={"reason": "冒用他人身份"}, headers=staff.headers("reviewer")), 403,
            "role_not_allowed")
    assert db.session.scalar(select(CreditReport.revoked_at)) is None
    response = client.post(url, json={"reason": "报告用于冒名贷款，经核实撤销"}, headers=admin)
    assert response.status_code == 200, response.get_json()
    assert set(response.get_json()) == {"report_no", "status", "revoked_at", "revoked_by"}
    assert response.get_json()["revoked_by"] == "office"
    mine = client.get(f"{REPORTS}/{body['report_no']}", headers=me).get_json()
    assert (mine["status"], mine["revoked_by"], mine["revocation_reason"]) == (
        "revoked", "office", "报告用于冒名贷款，经核实撤销")
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "credit_report.revoke"))
    assert (record.actor_kind, record.object_id) == ("staff", body["report_no"])
    assert "冒名" not in json.dumps([record.before, record.after, record.note], ensure_ascii=False)
    assert check(client, body["verification_code"]).get_json()["status"] == "revoked"
    refused(client.post("/api/v1/admin/credit-reports/XY-20990101-ZZZZZZ/revoke", json={"reason": "不存在"},
                        headers=admin), 404, "credit_report_not_found")


# -- the public check ------------------------------------------------------------------------------------


def test_the_public_check_answers_the_status_and_nothing_more(client, me):
    body = issue(client, me, "入学")
    response = check(client, body["verification_code"])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    answer = response.get_json()
    assert answer == {"status": "valid", "issued_at": body["issued_at"], "masked_name": "欧阳**", "stars": 3,
                      "level_name": "诚信良好", "purpose": "入学"}


def test_the_check_reads_codes_back_tolerantly(client, me):
    code = issue(client, me)["verification_code"]
    canonical = code.replace("-", "")
    sloppy = " ".join(canonical[i:i + 5] for i in range(0, 20, 5)).lower().replace("1", "l").replace("0", "o")
    assert check(client, sloppy).status_code == 200
    assert check(client, canonical).status_code == 200


def test_an_expired_report_checks_as_expired(client, me, monkeypatch):
    code = issue(client, me)["verification_code"]
    later(monkeypatch, 30.01)
    assert check(client, code).get_json()["status"] == "expired"


def test_each_check_is_a_query_record_the_resident_sees(client, me):
    body = issue(client, me)
    check(client, body["verification_code"])
    check(client, body["verification_code"])
    records = client.get(RECORDS, headers=me).get_json()
    assert len(records) == 2
    assert records[0]["actor_label"] == "公开核验"
    assert body["report_no"] in records[0]["purpose"]


def test_unknown_and_malformed_codes_are_404_and_422_and_leave_no_record(client, me):
    body = issue(client, me)
    real = readback_codes.normalise(body["verification_code"])
    near_miss = real[:-1] + ("0" if real[-1] != "0" else "1")
    unknown = [refused(check(client, code), 404, "report_unknown") for code in
               (near_miss, readback_codes.new_code(), readback_codes.display(readback_codes.new_code()))]
    assert len({json.dumps(answer, sort_keys=True) for answer in unknown}) == 1
    malformed = [refused(check(client, code), 422, "report_code_malformed") for code in
                 ("", real[:-1], real + "0", real[:-1] + "U", "🙂" * 20, "x" * 10_000)]
    assert len({json.dumps(answer, sort_keys=True) for answer in malformed}) == 1
    assert real not in json.dumps(malformed)
    refused(client.post(CHECK, json={"code": 12345678901234567890}), 422, "invalid_input")
    refused(client.post(CHECK, json={}), 422, "invalid_input")
    assert count(QueryRecord) == 0


def test_a_near_miss_does_the_same_work_as_a_wild_guess(app, client, me):
    """Well-formed codes are looked up by keyed digest only: one character off an issued code, or nothing
    like it, the database sees the same statements and the caller the same answer, so neither timing nor
    message tells which codes exist. (Counted statements rather than timed requests: a timing bound is
    either too loose to catch an early-exit comparison or too tight for a busy machine.)"""
    from sqlalchemy import event

    real = readback_codes.normalise(issue(client, me)["verification_code"])
    near = real[:-1] + next(c for c in readback_codes.ALPHABET if c != real[-1])
    wild = readback_codes.new_code()

    def work(code: str) -> tuple[list[str], dict]:
        statements = []

        def seen(_conn, _cursor, statement, parameters, _context, _many):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            response = check(client, code)
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        assert response.status_code == 404
        return statements, response.get_json()

    near_statements, near_body = work(near)
    wild_statements, wild_body = work(wild)
    assert near_statements == wild_statements
    assert near_body == wild_body and near_body["reason"] == "report_unknown"
    assert not any(real in statement or near in statement for statement in near_statements)


def test_the_check_is_rate_limited_per_ip(app, client, me):
    code = issue(client, me)["verification_code"]
    change_settings({"limits.public_per_minute": 3})
    for _ in range(3):
        assert check(client, code).status_code == 200
    response = check(client, code)
    refused(response, 429, "rate_limited")
    assert "Retry-After" in response.headers
    assert check(client, code, environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code == 200


def test_the_code_never_goes_in_a_url(client, me):
    code = issue(client, me)["verification_code"]
    assert client.get(CHECK, query_string={"code": code}).status_code == 405
    assert client.post(CHECK, query_string={"code": code}, json={}).status_code == 422


# -- the check page --------------------------------------------------------------------------------------


def test_the_check_page_is_served_with_strict_headers_and_no_inline_script(client):
    page = client.get("/check")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "核验" in html and 'lang="zh-CN"' in html
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attributes and not body.strip() for attributes, body in scripts)
    assert not re.search(r"\son[a-z]+\s*=", html)  # no inline event handlers
    for asset, mimetype in (("/check/check.js", "text/javascript"), ("/check/check.css", "text/css")):
        response = client.get(asset)
        assert response.status_code == 200 and response.mimetype == mimetype
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"] == csp


def test_the_check_script_reads_the_code_from_the_fragment_and_posts_it(client):
    script = client.get("/check/check.js").get_data(as_text=True)
    assert "location.hash" in script and "/api/v1/public/credit-reports/check" in script
    assert "method: 'POST'" in script and "innerHTML" not in script
    assert "replaceState" in script  # the code leaves the address bar once read


# -- demo data -------------------------------------------------------------------------------------------


def test_the_demo_holds_one_issued_report_whose_code_checks(runner, client):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    found = re.search(r"Credit report of the bound resident: (XY-\S+), verification code (\S+)", result.output)
    assert found, result.output
    assert count(CreditReport) == 1
    answer = check(client, found.group(2)).get_json()
    assert answer["status"] == "valid" and answer["purpose"] == "求职"


# -- the guide's worked example --------------------------------------------------------------------------


def test_the_guides_worked_example_verifies_and_a_changed_token_does_not():
    """The receivers' page carries a real signed report and its key set: its example must hold."""
    from backend.config import project_root

    page = (project_root() / "miniprogram_api_docs" / "en" / "credit-report-checks.md").read_text(encoding="utf-8")
    token = "".join(re.findall(r'^    "([A-Za-z0-9_.-]+)"$', page.split("SIGNED_SNAPSHOT = (")[1].split(")")[0], re.M))
    jwks = json.loads(re.search(r"^JWKS = (\{.*?\]\})$", page, re.M | re.S).group(1))
    kid = jwt.get_unverified_header(token)["kid"]
    decoded = jwt.decode_complete(token, jwt.PyJWKSet.from_dict(jwks)[kid], algorithms=["EdDSA"], issuer="chengxin",
                                  options={"verify_exp": False})
    assert decoded["header"]["typ"] == "chengxin-report+jwt"
    assert decoded["payload"]["report_no"] == "XY-20261203-WFJ2S1" and decoded["payload"]["stars"] == 3
    header, payload, signature = token.split(".")
    changed = payload[:40] + ("A" if payload[40] != "A" else "B") + payload[41:]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(f"{header}.{changed}.{signature}", jwt.PyJWKSet.from_dict(jwks)[kid], algorithms=["EdDSA"],
                   options={"verify_exp": False})
