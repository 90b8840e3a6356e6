"""Verifiers (核验方): admins register merchants, banks and organisations with a valid USCC; their staff join
as operators by a one-time invite; operator rights and bank API keys follow the verifier's live state
(SPEC §1, §4)."""

import random
from datetime import datetime, timedelta

import jwt
import pytest
from sqlalchemy import func, select, update
from stdnum.cn import uscc as uscc_code

from backend.audit.models import AuditRecord
from backend.credit import rubric
from backend.credit import service as credit
from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from backend.residents.models import Town
from backend.verifiers import service
from backend.verifiers.models import ApiKey, Operator, OperatorInvite, Verifier
from backend.web.access import AccessRule, check
from backend.web.errors import DomainError
from tests.conftest import bearer, change_settings

VERIFIERS = "/api/v1/admin/verifiers"
REDEEM = "/api/v1/auth/verifier-invites/redeem"
OFFERS = "/api/v1/merchant/offers"
SETTINGS = "/api/v1/admin/settings"

# GB 32100: the code alphabet leaves out I, O, S, V and Z.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_rng = random.Random(32100)

NEW = {"name": "长泾镇惠民超市", "kind": "merchant", "town": "长泾镇", "address": "长泾镇河塘路 8 号"}


def valid_uscc() -> str:
    """A unified social credit code (统一社会信用代码) of Jiangyin: registered with market regulation (9),
    an enterprise (1), region 320281, a nine-character organisation code and the check character."""
    body = "91320281" + "".join(_rng.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc_code.calc_check_digit(body)


def with_wrong_check(code: str) -> str:
    return code[:-1] + next(c for c in USCC_ALPHABET if c != code[-1])


@pytest.fixture(autouse=True)
def towns():
    """The registry's towns (镇街) a verifier can be placed in."""
    db.session.add_all([Town(name="长泾镇"), Town(name="澄江街道")])
    db.session.commit()


@pytest.fixture
def admin(staff):
    return staff.headers("admin")


def register(client, admin, **changes):
    return client.post(VERIFIERS, json={**NEW, "uscc": valid_uscc(), **changes}, headers=admin)


def new_verifier(client, admin, **changes) -> dict:
    response = register(client, admin, **changes)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def new_invite(client, admin, verifier_id) -> str:
    response = client.post(f"{VERIFIERS}/{verifier_id}/invites", headers=admin)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["invite_code"]


def redeem(client, headers, code):
    return client.post(REDEEM, json={"invite_code": code}, headers=headers)


def join(client, admin, residents, verifier_id, name="cashier") -> dict:
    """Headers of a WeChat user who redeemed an invite of the verifier."""
    headers = residents.headers(name)
    response = redeem(client, headers, new_invite(client, admin, verifier_id))
    assert response.status_code == 200, response.get_json()
    return headers


def suspend(client, admin, verifier_id, reason="涉嫌虚假宣传，暂停核验"):
    return client.post(f"{VERIFIERS}/{verifier_id}/suspend", json={"reason": reason}, headers=admin)


def reinstate(client, admin, verifier_id, reason="整改完成，恢复核验"):
    return client.post(f"{VERIFIERS}/{verifier_id}/reinstate", json={"reason": reason}, headers=admin)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def audit_actions(object_type: str | None = None) -> list[str]:
    statement = select(AuditRecord.action).order_by(AuditRecord.id)
    if object_type:
        statement = statement.where(AuditRecord.object_type == object_type)
    return list(db.session.scalars(statement))


def stored_rows(model) -> str:
    """Every column of every row of ``model``'s table, as text."""
    return repr(db.session.execute(select(model.__table__)).all())


def local_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() == timedelta(hours=8)
    return moment


def as_bank_system(app, key: str):
    """Authenticate a request by its X-API-Key as an endpoint for bank systems does."""
    with app.test_request_context(headers={"X-API-Key": key}):
        return check(AccessRule(frozenset({"verifier_system"})))


def refused_bank_system(app, key: str) -> DomainError:
    with pytest.raises(DomainError) as refused:
        as_bank_system(app, key)
    return refused.value


# -- registering verifiers -----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["merchant", "bank", "organisation"])
def test_admin_registers_each_kind_of_verifier_with_a_valid_uscc(client, admin, kind):
    code = valid_uscc()
    response = client.post(VERIFIERS, json={**NEW, "kind": kind, "uscc": code}, headers=admin)
    assert response.status_code == 201
    body = response.get_json()
    assert {k: body[k] for k in ("name", "kind", "uscc", "town", "address", "status")} == {
        **NEW, "kind": kind, "uscc": code, "status": "active"}
    assert body["status_reason"] is None
    local_time(body["created_at"])
    stored = db.session.get(Verifier, body["id"])
    assert (stored.kind, stored.uscc, stored.town.name) == (kind, code, "长泾镇")
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "verifier.create"))
    assert (record.actor_kind, record.object_type, record.object_id) == ("staff", "verifier", str(body["id"]))
    assert record.after["uscc"] == code


def test_uscc_in_lower_case_with_spaces_is_stored_in_its_standard_form(client, admin):
    code = valid_uscc()
    typed = f"{code[:6]} {code[6:12]}-{code[12:]}".lower()
    response = register(client, admin, uscc=typed)
    assert response.status_code == 201
    assert response.get_json()["uscc"] == code


@pytest.mark.parametrize("wrong", [
    pytest.param(lambda code: with_wrong_check(code), id="wrong-check-character"),
    pytest.param(lambda code: code[:-1], id="17-characters"),
    pytest.param(lambda code: code + "0", id="19-characters"),
    pytest.param(lambda code: "A" + code[1:], id="letter-in-the-first-eight"),
    pytest.param(lambda code: code[:10] + "I" + code[11:], id="letter-outside-the-alphabet"),
])
def test_invalid_uscc_is_422_naming_the_field_and_registers_nothing(client, admin, wrong):
    response = register(client, admin, uscc=wrong(valid_uscc()))
    assert response.status_code == 422
    body = response.get_json()
    assert body["reason"] == "invalid_uscc"
    assert list(body["errors"]["json"]) == ["uscc"]
    assert count(Verifier) == 0
    assert audit_actions("verifier") == []


def test_duplicate_uscc_is_409_uscc_taken(client, admin):
    code = valid_uscc()
    assert register(client, admin, uscc=code).status_code == 201
    for again in (code, code.lower(), f"{code[:9]} {code[9:]}"):
        response = register(client, admin, uscc=again, name="另一家店")
        assert response.status_code == 409
        assert response.get_json()["reason"] == "uscc_taken"
    assert count(Verifier) == 1
    assert audit_actions("verifier") == ["verifier.create"]


def test_unknown_town_is_422_and_registers_nothing(client, admin):
    response = register(client, admin, town="火星镇")
    assert response.status_code == 422
    assert "town" in response.get_json()["errors"]["json"]
    assert count(Verifier) == 0


@pytest.mark.parametrize("changes, field", [
    ({"kind": "bakery"}, "kind"),
    ({"name": None}, "name"),
    ({"address": ""}, "address"),
    ({"status": "suspended"}, "status"),
])
def test_bad_or_unknown_fields_are_422_and_register_nothing(client, admin, changes, field):
    body = {**NEW, "uscc": valid_uscc(), **changes}
    response = client.post(VERIFIERS, json={k: v for k, v in body.items() if v is not None}, headers=admin)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert count(Verifier) == 0


@pytest.mark.parametrize("field", ["name", "address"])
def test_a_blank_name_or_address_is_422(client, admin, field):
    response = register(client, admin, **{field: "   "})
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert count(Verifier) == 0


def test_only_admins_register_verifiers(client, staff, residents):
    for headers in (staff.headers("reviewer"), staff.headers("department"), residents.headers("li")):
        response = register(client, headers)
        assert response.status_code == 403
        assert response.get_json()["reason"] == "role_not_allowed"
    assert count(Verifier) == 0


def test_list_filters_by_kind_town_and_status_and_is_paginated(client, admin):
    shop = new_verifier(client, admin, name="惠民超市")
    bank = new_verifier(client, admin, name="江阴农商银行", kind="bank", town="澄江街道")
    library = new_verifier(client, admin, name="江阴市图书馆", kind="organisation", town="澄江街道")
    assert suspend(client, admin, library["id"]).status_code == 200

    def names(**query):
        response = client.get(VERIFIERS, query_string=query, headers=admin)
        assert response.status_code == 200, response.get_json()
        return [v["name"] for v in response.get_json()]

    assert names() == ["惠民超市", "江阴农商银行", "江阴市图书馆"]
    assert names(kind="bank") == ["江阴农商银行"]
    assert names(town="澄江街道") == ["江阴农商银行", "江阴市图书馆"]
    assert names(town="长泾镇") == ["惠民超市"]
    assert names(status="suspended") == ["江阴市图书馆"]
    assert names(status="active", town="澄江街道") == ["江阴农商银行"]
    assert names(kind="merchant", status="suspended") == []

    page = client.get(VERIFIERS, query_string={"page": 2, "page_size": 2}, headers=admin)
    assert [v["id"] for v in page.get_json()] == [library["id"]]
    assert '"total": 3' in page.headers["X-Pagination"]
    assert shop["id"] < bank["id"]


@pytest.mark.parametrize("query", [{"kind": "bakery"}, {"status": "closed"}, {"uscc": "x"}])
def test_list_refuses_unknown_filter_values(client, admin, query):
    assert client.get(VERIFIERS, query_string=query, headers=admin).status_code == 422


def test_admin_corrects_name_town_and_address_with_an_audit_record(client, admin):
    shop = new_verifier(client, admin)
    changes = {"name": "惠民生活超市", "town": "澄江街道", "address": "澄江中路 18 号"}
    response = client.patch(f"{VERIFIERS}/{shop['id']}", json=changes, headers=admin)
    assert response.status_code == 200
    body = response.get_json()
    assert {k: body[k] for k in changes} == changes
    assert (body["kind"], body["uscc"]) == (shop["kind"], shop["uscc"])
    assert client.get(f"{VERIFIERS}/{shop['id']}", headers=admin).get_json()["town"] == "澄江街道"
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "verifier.update"))
    assert (record.before["name"], record.before["town"]) == ("长泾镇惠民超市", "长泾镇")
    assert (record.after["name"], record.after["town"]) == ("惠民生活超市", "澄江街道")


@pytest.mark.parametrize("changes", [{"kind": "bank"}, {"uscc": "x"}, {"status": "suspended"},
                                     {"town": "火星镇"}, {"name": "x"}])
def test_kind_uscc_and_status_do_not_change_by_patch_and_bad_values_change_nothing(client, admin, changes):
    shop = new_verifier(client, admin)
    response = client.patch(f"{VERIFIERS}/{shop['id']}", json=changes, headers=admin)
    assert response.status_code == 422
    assert list(changes)[0] in response.get_json()["errors"]["json"]
    db.session.rollback()
    assert client.get(f"{VERIFIERS}/{shop['id']}", headers=admin).get_json() == shop
    assert audit_actions("verifier") == ["verifier.create"]


def test_suspend_and_reinstate_record_the_reason_and_are_audited(client, admin):
    shop = new_verifier(client, admin)
    suspended = suspend(client, admin, shop["id"], "涉嫌虚假宣传")
    assert suspended.status_code == 200
    assert (suspended.get_json()["status"], suspended.get_json()["status_reason"]) == ("suspended", "涉嫌虚假宣传")
    reinstated = reinstate(client, admin, shop["id"], "整改完成")
    assert (reinstated.get_json()["status"], reinstated.get_json()["status_reason"]) == ("active", "整改完成")
    records = db.session.scalars(select(AuditRecord).where(AuditRecord.object_type == "verifier")
                                 .order_by(AuditRecord.id)).all()
    assert [(r.action, r.note) for r in records[1:]] == [("verifier.suspend", "涉嫌虚假宣传"),
                                                         ("verifier.reinstate", "整改完成")]
    assert (records[1].before["status"], records[1].after["status"]) == ("active", "suspended")


def test_suspend_needs_a_reason(client, admin):
    shop = new_verifier(client, admin)
    for body in ({}, {"reason": ""}):
        response = client.post(f"{VERIFIERS}/{shop['id']}/suspend", json=body, headers=admin)
        assert response.status_code == 422
        assert "reason" in response.get_json()["errors"]["json"]
    assert db.session.get(Verifier, shop["id"]).status == "active"


@pytest.mark.parametrize("method, suffix, body", [
    ("get", "", None), ("patch", "", {"name": "新名字"}), ("post", "/suspend", {"reason": "测试原因"}),
    ("post", "/reinstate", {"reason": "测试原因"}), ("post", "/invites", None), ("get", "/operators", None),
    ("get", "/api-keys", None), ("post", "/api-keys", {}),
])
def test_unknown_verifier_is_404_verifier_not_found(client, admin, method, suffix, body):
    response = getattr(client, method)(f"{VERIFIERS}/999{suffix}", json=body, headers=admin)
    assert response.status_code == 404
    assert response.get_json()["reason"] == "verifier_not_found"


# -- invites -------------------------------------------------------------------------------------------

def test_invite_expires_after_seven_days_by_default(client, admin):
    shop = new_verifier(client, admin)
    response = client.post(f"{VERIFIERS}/{shop['id']}/invites", headers=admin)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"invite_code", "expires_at"}
    assert abs(local_time(body["expires_at"]) - (utcnow() + timedelta(days=7))) < timedelta(minutes=1)
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "verifier.invite"))
    assert record.object_id == str(shop["id"])
    assert body["invite_code"] not in repr((record.before, record.after, record.note))
    assert record.after["expires_at"] == body["expires_at"], "shown in Asia/Shanghai with +08:00, as the answer"


def test_invite_lifetime_follows_the_setting(client, admin):
    assert client.put(SETTINGS, json={"verifiers.invite_ttl_days": 2}, headers=admin).status_code == 200
    shop = new_verifier(client, admin)
    body = client.post(f"{VERIFIERS}/{shop['id']}/invites", headers=admin).get_json()
    assert abs(local_time(body["expires_at"]) - (utcnow() + timedelta(days=2))) < timedelta(minutes=1)


def test_invite_code_is_stored_only_as_a_hash(client, admin):
    shop = new_verifier(client, admin)
    code = new_invite(client, admin, shop["id"])
    assert len(code) >= 12
    invite = db.session.scalar(select(OperatorInvite))
    assert len(invite.code_hash) == 64 and invite.code_hash != code
    assert code not in stored_rows(OperatorInvite)
    assert code.lower() not in stored_rows(OperatorInvite).lower()
    assert code not in stored_rows(AuditRecord)


def test_redeeming_makes_the_account_an_operator_and_keeps_its_resident_binding_and_credit(client, admin,
                                                                                          residents):
    shop = new_verifier(client, admin)
    zhang = residents.create()
    headers = residents.bound_headers(zhang, "zhang")
    item = rubric.create_item(None, code="T-1", title="志愿服务", points=20, kind="bonus",
                              category="social_contribution")
    credit.grant_event(None, id_number=zhang.plain["id_number"], rubric_code=item.code,
                       occurred_at=utcnow() - timedelta(hours=1), source="credit-office", source_ref="r-1")
    credit_before = client.get("/api/v1/me/credit", headers=headers).get_json()
    assert client.get(OFFERS, headers=headers).get_json()["reason"] == "role_not_allowed"

    response = redeem(client, headers, new_invite(client, admin, shop["id"]))
    assert response.status_code == 200
    body = response.get_json()
    assert body["roles"] == ["operator", "resident"]
    assert body["verifier"]["id"] == shop["id"]
    assert body["operator"]["verifier_id"] == shop["id"]
    assert body["operator"]["removed_at"] is None

    # The same access token, on its very next request:
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["roles"] == ["operator", "resident"]
    assert me["bound"] is True
    assert client.get("/api/v1/me/credit", headers=headers).get_json()["points"] == credit_before["points"]
    assert client.get(OFFERS, headers=headers).status_code == 200
    assert "verifier.operator_joined" in audit_actions("verifier")


def test_a_refresh_lists_the_operator_role_in_the_new_token(client, admin, residents):
    shop = new_verifier(client, admin)
    pair = residents.sign_in("cashier")
    assert pair.roles == ["resident"]
    assert redeem(client, bearer(pair.access_token), new_invite(client, admin, shop["id"])).status_code == 200
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": pair.refresh_token}).get_json()
    assert refreshed["roles"] == ["operator", "resident"]
    claims = jwt.decode(refreshed["access_token"], options={"verify_signature": False})
    assert claims["roles"] == ["operator", "resident"]


def test_an_account_not_yet_bound_can_redeem_and_stays_unbound(client, admin, residents):
    shop = new_verifier(client, admin)
    headers = join(client, admin, residents, shop["id"])
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert (me["roles"], me["bound"]) == (["operator", "resident"], False)


def test_an_invite_works_once(client, admin, residents):
    shop = new_verifier(client, admin)
    code = new_invite(client, admin, shop["id"])
    assert redeem(client, residents.headers("first"), code).status_code == 200
    second = redeem(client, residents.headers("second"), code)
    assert second.status_code == 409
    assert second.get_json()["reason"] == "invite_used"
    assert count(Operator) == 1
    assert client.get("/api/v1/me", headers=residents.headers("second")).get_json()["roles"] == ["resident"]


def test_an_expired_invite_is_410_and_joins_nobody(client, admin, residents):
    shop = new_verifier(client, admin)
    code = new_invite(client, admin, shop["id"])
    db.session.execute(update(OperatorInvite).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    response = redeem(client, residents.headers("late"), code)
    assert response.status_code == 410
    assert response.get_json()["reason"] == "invite_expired"
    assert count(Operator) == 0
    assert db.session.scalar(select(OperatorInvite.used_at)) is None


@pytest.mark.parametrize("code", ["ABCDEFGHJKLM", "not-a-code", "2345"])
def test_an_unknown_invite_is_404_invite_invalid(client, admin, residents, code):
    new_invite(client, admin, new_verifier(client, admin)["id"])
    response = redeem(client, residents.headers("guess"), code)
    assert response.status_code == 404
    assert response.get_json()["reason"] == "invite_invalid"
    assert count(Operator) == 0


def test_an_account_already_operating_a_verifier_is_409_and_the_second_invite_stays_unused(client, admin,
                                                                                           residents):
    shop = new_verifier(client, admin)
    bank = new_verifier(client, admin, kind="bank", name="江阴农商银行")
    headers = join(client, admin, residents, shop["id"])
    code = new_invite(client, admin, bank["id"])
    response = redeem(client, headers, code)
    assert response.status_code == 409
    assert response.get_json()["reason"] == "already_operator"
    assert db.session.scalar(select(OperatorInvite.used_at).where(OperatorInvite.verifier_id == bank["id"])) is None
    assert redeem(client, residents.headers("clerk"), code).status_code == 200


def test_an_invite_of_a_suspended_verifier_cannot_be_redeemed_or_made(client, admin, residents):
    shop = new_verifier(client, admin)
    code = new_invite(client, admin, shop["id"])
    suspend(client, admin, shop["id"])
    response = redeem(client, residents.headers("cashier"), code)
    assert response.status_code == 409
    assert response.get_json()["reason"] == "verifier_suspended"
    assert count(Operator) == 0
    made = client.post(f"{VERIFIERS}/{shop['id']}/invites", headers=admin)
    assert made.status_code == 409
    assert made.get_json()["reason"] == "verifier_suspended"
    assert count(OperatorInvite) == 1
    reinstate(client, admin, shop["id"])
    assert redeem(client, residents.headers("cashier"), code).status_code == 200


@pytest.mark.parametrize("typed", [
    pytest.param(lambda code: code.lower(), id="lower-case"),
    pytest.param(lambda code: " ".join(code[i:i + 4] for i in range(0, len(code), 4)), id="groups-of-four"),
    pytest.param(lambda code: f" {code[:6].lower()}-{code[6:]} ", id="dash-and-spaces"),
])
def test_invite_code_is_accepted_in_lower_case_and_with_spaces(client, admin, residents, typed):
    shop = new_verifier(client, admin)
    response = redeem(client, residents.headers("cashier"), typed(new_invite(client, admin, shop["id"])))
    assert response.status_code == 200, response.get_json()


def test_redeeming_needs_a_wechat_sign_in(client, admin, staff):
    shop = new_verifier(client, admin)
    code = new_invite(client, admin, shop["id"])
    assert client.post(REDEEM, json={"invite_code": code}).status_code == 401
    by_staff = redeem(client, staff.headers("reviewer"), code)
    assert by_staff.status_code == 403
    assert count(Operator) == 0


# -- operators follow the verifier's live state ---------------------------------------------------------

def test_suspension_refuses_the_operator_on_the_next_request_and_reinstatement_restores_it(client, admin,
                                                                                          residents):
    shop = new_verifier(client, admin)
    headers = join(client, admin, residents, shop["id"])
    assert client.get(OFFERS, headers=headers).status_code == 200
    suspend(client, admin, shop["id"])
    refused = client.get(OFFERS, headers=headers)
    assert refused.status_code == 403
    assert refused.get_json()["reason"] == "verifier_suspended"
    assert client.get("/api/v1/me", headers=headers).status_code == 200, "the resident role is untouched"
    reinstate(client, admin, shop["id"])
    assert client.get(OFFERS, headers=headers).status_code == 200


def test_a_removed_operator_is_refused_on_the_next_request_and_stays_a_resident(client, admin, residents):
    shop = new_verifier(client, admin)
    headers = join(client, admin, residents, shop["id"])
    operator_id = db.session.scalar(select(Operator.id))
    response = client.delete(f"{VERIFIERS}/{shop['id']}/operators/{operator_id}", headers=admin)
    assert response.status_code == 200
    assert response.get_json()["removed_at"] is not None
    refused = client.get(OFFERS, headers=headers)
    assert refused.status_code == 403
    assert refused.get_json()["reason"] == "role_not_allowed"
    assert client.get("/api/v1/me", headers=headers).get_json()["roles"] == ["resident"]
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "verifier.operator_removed"))
    assert (record.actor_kind, record.object_id) == ("staff", str(shop["id"]))


def test_a_removed_operator_can_join_again_with_a_new_invite(client, admin, residents):
    shop = new_verifier(client, admin)
    headers = join(client, admin, residents, shop["id"])
    operator_id = db.session.scalar(select(Operator.id))
    client.delete(f"{VERIFIERS}/{shop['id']}/operators/{operator_id}", headers=admin)
    assert redeem(client, headers, new_invite(client, admin, shop["id"])).status_code == 200
    assert client.get(OFFERS, headers=headers).status_code == 200


def test_admin_lists_a_verifiers_operators_past_ones_included(client, admin, residents):
    shop = new_verifier(client, admin)
    other = new_verifier(client, admin, name="另一家店")
    join(client, admin, residents, shop["id"], "first")
    join(client, admin, residents, shop["id"], "second")
    join(client, admin, residents, other["id"], "elsewhere")
    first_id = db.session.scalar(select(Operator.id).order_by(Operator.id))
    client.delete(f"{VERIFIERS}/{shop['id']}/operators/{first_id}", headers=admin)
    response = client.get(f"{VERIFIERS}/{shop['id']}/operators", headers=admin)
    assert response.status_code == 200
    listed = response.get_json()
    assert [o["verifier_id"] for o in listed] == [shop["id"], shop["id"]]
    assert [o["removed_at"] is None for o in listed] == [False, True]
    assert '"total": 2' in response.headers["X-Pagination"]


def test_removing_an_operator_of_another_verifier_is_404_and_removes_nothing(client, admin, residents):
    shop = new_verifier(client, admin)
    other = new_verifier(client, admin, name="另一家店")
    headers = join(client, admin, residents, other["id"])
    operator_id = db.session.scalar(select(Operator.id))
    for path in (f"{VERIFIERS}/{shop['id']}/operators/{operator_id}", f"{VERIFIERS}/{shop['id']}/operators/999"):
        response = client.delete(path, headers=admin)
        assert response.status_code == 404
        assert response.get_json()["reason"] == "operator_not_found"
    assert client.get(OFFERS, headers=headers).status_code == 200


# -- API keys of bank systems ---------------------------------------------------------------------------

def create_key(client, admin, verifier_id, label="信贷审批系统"):
    return client.post(f"{VERIFIERS}/{verifier_id}/api-keys", json={"label": label}, headers=admin)


def new_key(verifier_id, label="信贷审批系统") -> dict:
    """A key made through the service, for tests whose subject is what the key does."""
    key, row = service.create_api_key(None, verifier_id, label)
    return {"api_key": key, "id": row.id, "prefix": row.prefix}


@pytest.fixture
def bank(client, admin):
    return new_verifier(client, admin, kind="bank", name="江阴农商银行", town="澄江街道")


def test_admin_creates_a_banks_api_key_shown_once(client, admin, bank):
    response = create_key(client, admin, bank["id"])
    assert response.status_code == 201
    body = response.get_json()
    assert body["api_key"].startswith(f"cxk_{body['prefix']}_")
    assert len(body["api_key"]) > 40
    assert (body["label"], body["last_used_at"], body["revoked_at"]) == ("信贷审批系统", None, None)
    local_time(body["created_at"])
    listed = client.get(f"{VERIFIERS}/{bank['id']}/api-keys", headers=admin).get_json()
    assert [k["prefix"] for k in listed] == [body["prefix"]]
    assert "api_key" not in listed[0]
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "verifier.api_key_created"))
    assert (record.actor_kind, record.object_id) == ("staff", str(bank["id"]))


def test_an_api_key_is_stored_only_as_a_hash_and_never_listed(client, admin, bank):
    key = new_key(bank["id"])["api_key"]
    assert key.startswith("cxk_")
    secret = key.split("_", 2)[2]
    assert secret not in stored_rows(ApiKey)
    assert secret not in stored_rows(AuditRecord)
    listed = client.get(f"{VERIFIERS}/{bank['id']}/api-keys", headers=admin)
    assert secret not in listed.get_data(as_text=True)
    assert set(listed.get_json()[0]) == {"id", "prefix", "label", "created_at", "last_used_at", "revoked_at"}


@pytest.mark.parametrize("kind", ["merchant", "organisation"])
def test_api_keys_are_for_banks_only(client, admin, kind):
    shop = new_verifier(client, admin, kind=kind)
    response = client.post(f"{VERIFIERS}/{shop['id']}/api-keys", json={}, headers=admin)
    assert response.status_code == 409
    assert response.get_json()["reason"] == "api_keys_for_banks_only"
    assert count(ApiKey) == 0


def test_a_key_authenticates_the_bank_system_and_the_list_shows_when_it_was_last_used(app, client, admin, bank):
    key = new_key(bank["id"])["api_key"]
    before = client.get(f"{VERIFIERS}/{bank['id']}/api-keys", headers=admin).get_json()[0]
    assert before["last_used_at"] is None
    principal = as_bank_system(app, key)
    assert principal.roles == frozenset({"verifier_system"})
    assert principal.extra["verifier_id"] == bank["id"]
    db.session.rollback()
    after = client.get(f"{VERIFIERS}/{bank['id']}/api-keys", headers=admin).get_json()[0]
    assert abs(local_time(after["last_used_at"]) - utcnow()) < timedelta(minutes=1)
    assert local_time(after["created_at"]) <= local_time(after["last_used_at"])


def test_a_key_whose_secret_holds_underscores_authenticates(app, client, admin, bank, monkeypatch):
    monkeypatch.setattr(service.secrets, "token_urlsafe", lambda _n: "a_b_c-" * 7 + "x")
    key = new_key(bank["id"])["api_key"]
    assert as_bank_system(app, key).extra["verifier_id"] == bank["id"]


def test_a_revoked_key_is_401_api_key_revoked(app, client, admin, bank):
    created = new_key(bank["id"])
    response = client.delete(f"{VERIFIERS}/{bank['id']}/api-keys/{created['id']}", headers=admin)
    assert response.status_code == 200
    assert response.get_json()["revoked_at"] is not None
    refused = refused_bank_system(app, created["api_key"])
    assert (refused.status, refused.reason) == (401, "api_key_revoked")
    over_http = client.get(VERIFIERS, headers={"X-API-Key": created["api_key"]})
    assert (over_http.status_code, over_http.get_json()["reason"]) == (401, "api_key_revoked")
    assert "verifier.api_key_revoked" in audit_actions("verifier")


def test_rotation_a_new_key_works_while_the_old_one_is_revoked(app, client, admin, bank):
    old = new_key(bank["id"], "旧密钥")
    new = new_key(bank["id"], "新密钥")
    client.delete(f"{VERIFIERS}/{bank['id']}/api-keys/{old['id']}", headers=admin)
    assert as_bank_system(app, new["api_key"]).extra["verifier_id"] == bank["id"]
    assert refused_bank_system(app, old["api_key"]).reason == "api_key_revoked"
    listed = client.get(f"{VERIFIERS}/{bank['id']}/api-keys", headers=admin).get_json()
    assert [(k["label"], k["revoked_at"] is None) for k in listed] == [("旧密钥", False), ("新密钥", True)]


def test_revoking_an_unknown_key_or_another_verifiers_key_is_404(client, admin, bank):
    other = new_verifier(client, admin, kind="bank", name="江苏银行江阴支行")
    key = new_key(other["id"])
    for path in (f"{VERIFIERS}/{bank['id']}/api-keys/{key['id']}", f"{VERIFIERS}/{bank['id']}/api-keys/999"):
        response = client.delete(path, headers=admin)
        assert response.status_code == 404
        assert response.get_json()["reason"] == "api_key_not_found"
    assert db.session.get(ApiKey, key["id"]).revoked_at is None


def test_garbage_keys_are_401_api_key_invalid(app, client, admin, bank):
    real = new_key(bank["id"])["api_key"]
    prefix = real.split("_")[1]
    for garbage in ("garbage", "cxk_", "cxk_000000000000_secret", f"cxk_{prefix}_wrong-secret",
                    real[:-1] + ("A" if real[-1] != "A" else "B"), "Bearer " + real):
        refused = refused_bank_system(app, garbage)
        assert (refused.status, refused.reason) == (401, "api_key_invalid"), garbage
        over_http = client.get(VERIFIERS, headers={"X-API-Key": garbage})
        assert (over_http.status_code, over_http.get_json()["reason"]) == (401, "api_key_invalid")
        assert real not in over_http.get_data(as_text=True)


def test_a_suspended_banks_key_is_403_verifier_suspended_until_reinstated(app, client, admin, bank):
    key = new_key(bank["id"])["api_key"]
    suspend(client, admin, bank["id"])
    refused = refused_bank_system(app, key)
    assert (refused.status, refused.reason) == (403, "verifier_suspended")
    reinstate(client, admin, bank["id"])
    assert as_bank_system(app, key).roles == frozenset({"verifier_system"})


def test_a_bank_systems_key_opens_no_operator_or_admin_endpoint(client, admin, bank):
    key = new_key(bank["id"])["api_key"]
    for path in (OFFERS, VERIFIERS, "/api/v1/me"):
        response = client.get(path, headers={"X-API-Key": key})
        assert (response.status_code, response.get_json()["reason"]) == (403, "role_not_allowed"), path


def test_each_key_has_its_own_rate_limit_with_retry_after(app, client, admin, bank):
    change_settings({"limits.api_key_per_minute": 3})
    busy = new_key(bank["id"], "busy")["api_key"]
    quiet = new_key(bank["id"], "quiet")["api_key"]
    for _ in range(3):
        as_bank_system(app, busy)
    refused = refused_bank_system(app, busy)
    assert (refused.status, refused.reason) == (429, "rate_limited")
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    over_http = client.get(OFFERS, headers={"X-API-Key": busy})
    assert over_http.status_code == 429
    assert 0 < int(over_http.headers["Retry-After"]) <= 60
    assert as_bank_system(app, quiet).extra["verifier_id"] == bank["id"]


# -- every admin write is audited ------------------------------------------------------------------------

def test_every_verifier_write_is_an_audit_record_by_the_admin(client, staff, residents):
    chief = staff.create("admin", username="chief")
    admin = bearer(staff.token(chief))
    bank = new_verifier(client, admin, kind="bank", name="江阴农商银行")
    client.patch(f"{VERIFIERS}/{bank['id']}", json={"address": "澄江中路 1 号"}, headers=admin)
    join(client, admin, residents, bank["id"])
    operator_id = db.session.scalar(select(Operator.id))
    client.delete(f"{VERIFIERS}/{bank['id']}/operators/{operator_id}", headers=admin)
    key = create_key(client, admin, bank["id"]).get_json()
    client.delete(f"{VERIFIERS}/{bank['id']}/api-keys/{key['id']}", headers=admin)
    suspend(client, admin, bank["id"])
    reinstate(client, admin, bank["id"])
    records = db.session.scalars(select(AuditRecord).where(AuditRecord.object_type == "verifier")
                                 .order_by(AuditRecord.id)).all()
    assert [r.action for r in records] == [
        "verifier.create", "verifier.update", "verifier.invite", "verifier.operator_joined",
        "verifier.operator_removed", "verifier.api_key_created", "verifier.api_key_revoked",
        "verifier.suspend", "verifier.reinstate"]
    assert {r.object_id for r in records} == {str(bank["id"])}
    by_admin = [r for r in records if r.action != "verifier.operator_joined"]
    assert {(r.actor_kind, r.actor_id) for r in by_admin} == {("staff", chief.id)}


def test_over_http_the_verification_endpoint_checks_the_key_before_reading_the_body(app, client, admin, bank):
    change_settings({"limits.api_key_per_minute": 3})
    good, revoked = new_key(bank["id"])["api_key"], new_key(bank["id"])
    service.revoke_api_key(None, bank["id"], revoked["id"])

    def verify(key):
        return client.post("/api/v1/verifications", json={}, headers={"X-API-Key": key})

    assert verify(good).status_code == 422, "authenticated: only the empty body is refused"
    assert verify(revoked["api_key"]).get_json()["reason"] == "api_key_revoked"
    suspend(client, admin, bank["id"])
    suspended = verify(good)
    assert (suspended.status_code, suspended.get_json()["reason"]) == (403, "verifier_suspended")
    reinstate(client, admin, bank["id"])
    assert verify(good).status_code == 422
    limited = verify(good)
    assert (limited.status_code, limited.get_json()["reason"]) == (429, "rate_limited")
    assert 0 < int(limited.headers["Retry-After"]) <= 60
