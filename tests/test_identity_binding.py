"""Binding a WeChat account to a registry resident (实名绑定), unbinding, and who sees what (SPEC §1, §2)."""

import pytest
from sqlalchemy import select

from backend.accounts.models import WeChatAccount
from backend.audit.models import AuditRecord
from backend.data.extensions import db
from backend.privacy.id_numbers import with_check_digit
from backend.settings import service as settings
from backend.staff import service as staff_service
from tests.conftest import bearer

# 32028119800101101X: a Jiangyin ID number whose check character is X.
ID_NUMBER = with_check_digit("32028119800101101")
PHONE = "13812345678"


def bind(client, headers, resident, **changes):
    """POST /me/identity with the resident's true details, changed by ``changes`` (None drops a field)."""
    body = {"name": resident.plain["name"], "id_number": resident.plain["id_number"]}
    if resident.plain["phone"]:
        body["phone_code"] = f"dev-phone-{resident.plain['phone']}"
    body.update(changes)
    return client.post("/api/v1/me/identity", json={k: v for k, v in body.items() if v is not None},
                       headers=headers)


def me(client, headers):
    return client.get("/api/v1/me", headers=headers)


def bound_resident_ids() -> list:
    bound = select(WeChatAccount.resident_id).where(WeChatAccount.resident_id.is_not(None))
    return list(db.session.scalars(bound))


def admin_principal(staff):
    admin = staff.create("admin")
    return staff_service.principal_from_claims({"uid": admin.id, "fam": None})


@pytest.fixture
def zhang(residents):
    return residents.create(name="张伟", id_number=ID_NUMBER, phone=PHONE)


# -- success ------------------------------------------------------------------------------------------

def test_binding_succeeds_and_shows_only_masked_data(client, residents, zhang):
    headers = residents.headers("zhang")
    response = bind(client, headers, zhang)
    assert response.status_code == 200
    body = response.get_json()
    assert body["bound"] is True
    assert body["resident"]["id"] == zhang.id
    assert body["resident"]["masked_name"] == "张*"
    assert body["resident"]["masked_id_number"] == "3202**********101X"
    assert body["resident"]["masked_phone"] == "138****5678"
    text = response.get_data(as_text=True)
    for secret in (ID_NUMBER, PHONE, "张伟"):
        assert secret not in text
    assert bound_resident_ids() == [zhang.id]


def test_me_shows_the_bound_resident_masked(client, residents, zhang):
    headers = residents.headers("zhang")
    assert me(client, headers).get_json()["bound"] is False
    bind(client, headers, zhang)
    response = me(client, headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["bound"] is True
    assert body["bound_at"].endswith("+08:00")
    assert body["roles"] == ["resident"]
    assert body["resident"] == {
        "id": zhang.id, "masked_name": "张*", "masked_id_number": "3202**********101X",
        "masked_phone": "138****5678", "town": "长泾镇", "village": "蒋家村",
        "household_no": zhang.plain["household_no"], "status": "active"}
    text = response.get_data(as_text=True)
    for secret in (ID_NUMBER, PHONE, "张伟"):
        assert secret not in text


def test_binding_is_audited_without_personal_data(client, residents, zhang):
    bind(client, residents.headers("zhang"), zhang)
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "identity.bind"))
    assert record.object_id == str(zhang.id)
    assert ID_NUMBER not in str((record.before, record.after, record.note))


def test_binding_accepts_the_id_number_with_a_lower_case_x(client, residents, zhang):
    response = bind(client, residents.headers("zhang"), zhang, id_number=ID_NUMBER.lower())
    assert response.status_code == 200


def test_resident_without_a_registry_phone_binds_without_a_phone_code(client, residents):
    resident = residents.create(name="李娜", phone=None)
    response = bind(client, residents.headers("lina"), resident)
    assert response.status_code == 200
    assert response.get_json()["resident"]["masked_phone"] is None
    assert bound_resident_ids() == [resident.id]


# -- refusals: one 404 for every mismatch ---------------------------------------------------------------

def test_binding_refused_for_an_unknown_id_number(client, residents, zhang):
    other = residents.id_number(born="19900505")
    response = bind(client, residents.headers("zhang"), zhang, id_number=other)
    assert response.status_code == 404
    body = response.get_json()
    assert body["reason"] == "identity_not_found"
    assert body["message"]
    assert bound_resident_ids() == []


def test_wrong_name_gets_the_same_answer_as_an_unknown_resident(client, residents, zhang):
    headers = residents.headers("zhang")
    unknown = bind(client, headers, zhang, id_number=residents.id_number(born="19900505"))
    wrong_name = bind(client, headers, zhang, name="张卫")
    assert wrong_name.status_code == unknown.status_code == 404
    assert wrong_name.get_json() == unknown.get_json()
    assert bound_resident_ids() == []


def test_wrong_phone_gets_the_same_answer_as_an_unknown_resident(client, residents, zhang):
    headers = residents.headers("zhang")
    unknown = bind(client, headers, zhang, id_number=residents.id_number(born="19900505"))
    wrong_phone = bind(client, headers, zhang, phone_code="dev-phone-13900000000")
    assert wrong_phone.status_code == 404
    assert wrong_phone.get_json() == unknown.get_json()
    assert bound_resident_ids() == []


def test_registry_phone_without_a_phone_code_gets_the_same_answer_as_an_unknown_resident(client, residents,
                                                                                        zhang):
    headers = residents.headers("zhang")
    unknown = bind(client, headers, zhang, id_number=residents.id_number(born="19900505"))
    no_code = bind(client, headers, zhang, phone_code=None)
    assert no_code.status_code == 404
    assert no_code.get_json() == unknown.get_json()
    assert bound_resident_ids() == []


def test_an_unusable_phone_code_reveals_nothing_about_the_identity(client, residents, zhang):
    """The answer to a bad phone code must not tell a stranger that this name and ID number are registered."""
    headers = residents.headers("zhang")
    unknown = bind(client, headers, zhang, id_number=residents.id_number(born="19900505"),
                   phone_code="expired-phone-code")
    known = bind(client, headers, zhang, phone_code="expired-phone-code")
    assert known.status_code == unknown.status_code
    assert known.get_json() == unknown.get_json()
    assert bound_resident_ids() == []


@pytest.mark.parametrize("bad_id_number, label", [
    (ID_NUMBER[:-1] + ("1" if ID_NUMBER[-1] != "1" else "2"), "bad check digit"),
    (ID_NUMBER[:-1], "17 characters"),
    (ID_NUMBER + "1", "19 characters"),
    (with_check_digit("32028119800230101"), "30 February"),
    (with_check_digit("32028119801301101"), "month 13"),
    (with_check_digit("99999919800101101"), "unknown region"),
])
def test_malformed_id_number_is_422_naming_the_field_without_repeating_it(client, residents, zhang,
                                                                         bad_id_number, label):
    response = bind(client, residents.headers("zhang"), zhang, id_number=bad_id_number)
    assert response.status_code == 422, label
    body = response.get_json()
    assert "id_number" in body["errors"]["json"]
    assert "id_number" in body["message"]
    assert body["reason"] == "invalid_input"
    assert bad_id_number not in response.get_data(as_text=True)
    assert bound_resident_ids() == []


@pytest.mark.parametrize("status", ["moved", "deceased"])
def test_binding_refused_for_a_resident_who_is_not_active(client, residents, status):
    resident = residents.create(name="王芳", status=status)
    response = bind(client, residents.headers("wang"), resident)
    assert response.status_code == 403
    assert response.get_json()["reason"] == "resident_not_active"
    assert bound_resident_ids() == []


def test_a_moved_resident_with_a_wrong_name_still_gets_404(client, residents):
    resident = residents.create(name="王芳", status="moved")
    response = bind(client, residents.headers("wang"), resident, name="王方")
    assert response.status_code == 404
    assert response.get_json()["reason"] == "identity_not_found"


def test_a_second_wechat_account_cannot_bind_an_already_bound_resident(client, residents, zhang):
    assert bind(client, residents.headers("first"), zhang).status_code == 200
    response = bind(client, residents.headers("second"), zhang)
    assert response.status_code == 409
    assert response.get_json()["reason"] == "already_bound"
    holder = db.session.scalar(select(WeChatAccount).where(WeChatAccount.resident_id == zhang.id))
    assert holder.openid.endswith("first")


def test_an_already_bound_account_cannot_bind_again(client, residents, zhang):
    other = residents.create(name="李娜", phone=None)
    headers = residents.headers("zhang")
    assert bind(client, headers, zhang).status_code == 200
    again = bind(client, headers, zhang)
    assert again.status_code == 409
    assert again.get_json()["reason"] == "already_bound"
    another = bind(client, headers, other)
    assert another.status_code == 409
    assert another.get_json()["reason"] == "already_bound"
    assert bound_resident_ids() == [zhang.id]


def test_binding_needs_a_wechat_sign_in(client, staff, zhang):
    anonymous = client.post("/api/v1/me/identity", json={"name": "张伟", "id_number": ID_NUMBER})
    assert anonymous.status_code == 401
    as_admin = client.post("/api/v1/me/identity", json={"name": "张伟", "id_number": ID_NUMBER},
                           headers=staff.headers("admin"))
    assert as_admin.status_code == 403


# -- the daily limit ------------------------------------------------------------------------------------

def test_sixth_binding_attempt_of_the_day_is_rate_limited_and_binds_nothing(client, residents, zhang):
    assert settings.get("limits.binding_per_day") == 5
    headers = residents.headers("zhang")
    for _ in range(5):
        assert bind(client, headers, zhang, name="张卫").status_code == 404
    sixth = bind(client, headers, zhang)  # even the right details wait now
    assert sixth.status_code == 429
    assert sixth.get_json()["reason"] == "rate_limited"
    assert 0 < int(sixth.headers["Retry-After"]) <= 24 * 3600
    assert bound_resident_ids() == []
    assert me(client, headers).get_json()["bound"] is False


def test_binding_limit_follows_the_setting(client, residents, staff, zhang):
    settings.update(admin_principal(staff), {"limits.binding_per_day": 2})
    headers = residents.headers("zhang")
    for _ in range(2):
        assert bind(client, headers, zhang, name="张卫").status_code == 404
    third = bind(client, headers, zhang)
    assert third.status_code == 429
    assert third.get_json()["reason"] == "rate_limited"
    assert "Retry-After" in third.headers
    assert bound_resident_ids() == []


def test_binding_limit_is_counted_per_account(client, residents, zhang):
    spent = residents.headers("spent")
    for _ in range(5):
        bind(client, spent, zhang, name="张卫")
    assert bind(client, spent, zhang).status_code == 429
    assert bind(client, residents.headers("fresh"), zhang).status_code == 200


# -- unbinding ------------------------------------------------------------------------------------------

def test_resident_unbinds_and_me_shows_unbound(client, residents, zhang):
    headers = residents.headers("zhang")
    bind(client, headers, zhang)
    response = client.delete("/api/v1/me/identity", headers=headers)
    assert response.status_code == 204
    body = me(client, headers).get_json()
    assert body["bound"] is False
    assert body["resident"] is None
    assert bound_resident_ids() == []
    assert db.session.scalar(select(AuditRecord).where(AuditRecord.action == "identity.unbind")) is not None


def test_unbinding_twice_is_403_not_bound(client, residents, zhang):
    headers = residents.headers("zhang")
    bind(client, headers, zhang)
    client.delete("/api/v1/me/identity", headers=headers)
    again = client.delete("/api/v1/me/identity", headers=headers)
    assert again.status_code == 403
    assert again.get_json()["reason"] == "not_bound"


def test_unbound_resident_can_be_bound_by_another_account(client, residents, zhang):
    old = residents.headers("old")
    bind(client, old, zhang)
    client.delete("/api/v1/me/identity", headers=old)
    assert bind(client, residents.headers("new"), zhang).status_code == 200


def test_admin_unbinds_a_resident_with_an_audit_record_and_the_old_sign_in_ends(client, residents, staff,
                                                                                zhang):
    pair = residents.sign_in("lost-phone")
    old = bearer(pair.access_token)
    bind(client, old, zhang)
    admin = staff.create("admin", username="boss")
    response = client.post(f"/api/v1/admin/residents/{zhang.id}/unbind", json={"reason": "居民手机遗失"},
                           headers=bearer(staff.token(admin)))
    assert response.status_code == 200
    assert response.get_json()["id"] == zhang.id
    assert response.get_json()["masked_id_number"] == "3202**********101X"
    assert bound_resident_ids() == []
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "identity.admin_unbind"))
    assert (record.actor_kind, record.actor_id) == ("staff", admin.id)
    assert record.object_id == str(zhang.id)
    assert record.note == "居民手机遗失"
    assert me(client, old).status_code == 401
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": pair.refresh_token})
    assert refreshed.status_code == 401
    assert bind(client, residents.headers("new-phone"), zhang).status_code == 200


def test_admin_unbind_of_a_resident_without_binding_is_404(client, staff, zhang):
    headers = staff.headers("admin")
    response = client.post(f"/api/v1/admin/residents/{zhang.id}/unbind", json={"reason": "居民手机遗失"},
                           headers=headers)
    assert response.status_code == 404
    assert response.get_json()["reason"] == "not_bound"
    assert db.session.scalar(select(AuditRecord).where(AuditRecord.action == "identity.admin_unbind")) is None
    unknown = client.post("/api/v1/admin/residents/999999/unbind", json={"reason": "居民手机遗失"},
                          headers=headers)
    assert unknown.status_code == 404


def test_admin_unbind_needs_a_reason(client, residents, staff, zhang):
    bind(client, residents.headers("zhang"), zhang)
    response = client.post(f"/api/v1/admin/residents/{zhang.id}/unbind", json={},
                           headers=staff.headers("admin"))
    assert response.status_code == 422
    assert "reason" in response.get_json()["errors"]["json"]
    assert bound_resident_ids() == [zhang.id]


def test_only_admins_unbind_others(client, residents, staff, zhang):
    headers = residents.headers("zhang")
    bind(client, headers, zhang)
    for who in (staff.headers("reviewer"), headers):
        response = client.post(f"/api/v1/admin/residents/{zhang.id}/unbind", json={"reason": "居民手机遗失"},
                               headers=who)
        assert response.status_code == 403
    assert bound_resident_ids() == [zhang.id]


# -- one resident never sees another's data --------------------------------------------------------------

def test_a_resident_sees_only_their_own_profile_and_query_records(client, residents, staff):
    a = residents.create(name="欧阳娜娜", phone="13911112222")
    b = residents.create(name="李四", phone="13733334444", village="璜塘村")
    a_headers = residents.bound_headers(a)
    b_headers = residents.bound_headers(b)
    client.get(f"/api/v1/admin/residents/{b.id}", headers=staff.headers("admin"))

    a_me = me(client, a_headers).get_json()
    assert a_me["resident"]["id"] == a.id
    assert a_me["resident"]["masked_name"] == "欧阳**"
    a_text = me(client, a_headers).get_data(as_text=True)
    assert "李*" not in a_text and "137****4444" not in a_text

    a_records = client.get("/api/v1/me/query-records", headers=a_headers)
    b_records = client.get("/api/v1/me/query-records", headers=b_headers)
    assert a_records.status_code == b_records.status_code == 200
    assert a_records.get_json() == []
    assert [r["purpose"] for r in b_records.get_json()] == ["registry look-up"]


def test_query_records_need_a_bound_identity(client, residents):
    response = client.get("/api/v1/me/query-records", headers=residents.headers("nobody"))
    assert response.status_code == 403
    assert response.get_json()["reason"] == "not_bound"
