"""Rate limits (SPEC §10): every limit counts an attempt before it is evaluated, so parallel requests never
get more than the limit evaluated and a committed action is never answered with a refusal; the keys sit
under REDIS_PREFIX and name nobody in clear; the limits are settings with the defaults of the SPEC, and
daily ones reset at 00:00 Asia/Shanghai."""

from datetime import datetime
from types import SimpleNamespace

import pytest
import redis
from sqlalchemy import select

from backend.accounts import service as accounts_service
from backend.accounts.models import WeChatAccount
from backend.data.extensions import db
from backend.staff import service as staff_service
from backend.verifiers import service as verifiers_service
from backend.verifiers.models import Operator
from backend.web import ratelimits
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, Counter, Staff, change_settings, send_at_once

LOGIN = "/api/v1/auth/staff-login"
WECHAT_LOGIN = "/api/v1/auth/wechat-login"
IDENTITY = "/api/v1/me/identity"
RUBRIC = "/api/v1/public/rubric"
VERIFY = "/api/v1/verifications"
PNG = "/api/v1/me/credit-code.png"
CODE = "/api/v1/me/credit-code"
REDEEM = "/api/v1/auth/verifier-invites/redeem"
BURST = 30

parallel = pytest.mark.skipif(
    not TEST_DATABASE_URL,
    reason="PostgreSQL not configured: set TEST_DATABASE_URL and TEST_REDIS_URL (.ci/run does) for the "
           "parallel rate-limit tests")


def statuses(answers) -> list[int]:
    return sorted(status for status, _body, _headers in answers)


def assert_limited(status, body, headers, window_seconds: int) -> None:
    assert (status, body["reason"]) == (429, "rate_limited")
    assert 0 < int(headers["Retry-After"]) <= window_seconds


# -- parallel bursts -------------------------------------------------------------------------------------


@parallel
def test_a_burst_of_failed_staff_logins_checks_no_more_passwords_than_the_limit(app, staff, monkeypatch):
    staff.create("admin", username="lili")
    checked = Counter(staff_service.verify_password)
    monkeypatch.setattr(staff_service, "verify_password", checked)

    answers = send_at_once(app, [("POST", LOGIN, {"json": {"username": "lili", "password": "wrong password"}})]
                           * BURST)

    assert checked.calls == 5
    assert statuses(answers) == [401] * 5 + [429] * (BURST - 5)
    for status, body, headers in answers:
        if status == 429:
            assert_limited(status, body, headers, 15 * 60)


@parallel
def test_a_burst_of_bindings_checks_no_more_than_the_daily_limit_and_the_binding_made_answers_200(
        app, residents, monkeypatch):
    zhang = residents.create(name="张伟", phone=None)
    headers = residents.headers("zhang")
    checked = Counter(accounts_service._bind)
    monkeypatch.setattr(accounts_service, "_bind", checked)
    body = {"name": "张伟", "id_number": zhang.plain["id_number"]}

    answers = send_at_once(app, [("POST", IDENTITY, {"json": body, "headers": headers})] * BURST)

    assert checked.calls == 5
    assert statuses(answers) == [200] + [409] * 4 + [429] * (BURST - 5)
    assert {body["reason"] for status, body, _h in answers if status == 409} == {"already_bound"}
    db.session.rollback()
    assert db.session.scalars(select(WeChatAccount.resident_id)).all() == [zhang.id]


@parallel
def test_a_burst_of_public_requests_from_one_address_gets_the_limit_and_no_more(app):
    change_settings({"limits.public_per_minute": 5})
    answers = send_at_once(app, [("GET", RUBRIC, {})] * 20)
    assert statuses(answers) == [200] * 5 + [429] * 15


@parallel
def test_a_burst_of_wrong_api_keys_checks_no_more_keys_than_the_limit(app, verifiers, monkeypatch):
    verifiers.api_key_headers(verifiers.create("bank"))
    change_settings({"limits.wrong_api_keys_per_minute": 5})
    checked = Counter(verifiers_service._api_key_row)
    monkeypatch.setattr(verifiers_service, "_api_key_row", checked)
    wrong = {"X-API-Key": "cxk_000000000000_" + "x" * 43}

    answers = send_at_once(app, [("POST", VERIFY, {"json": {}, "headers": wrong})] * BURST)

    assert checked.calls == 5
    assert statuses(answers) == [401] * 5 + [429] * (BURST - 5)


# -- where the limits apply ------------------------------------------------------------------------------


def test_wechat_sign_in_is_limited_per_account_not_only_per_address(client):
    change_settings({"limits.wechat_sign_in_per_minute": 3})
    for _ in range(3):
        assert client.post(WECHAT_LOGIN, json={"code": "dev-alice"}).status_code == 200
    refused = client.post(WECHAT_LOGIN, json={"code": "dev-alice"})
    assert_limited(refused.status_code, refused.get_json(), refused.headers, 60)
    assert client.post(WECHAT_LOGIN, json={"code": "dev-bob"}).status_code == 200


def test_wrong_api_keys_are_limited_per_address_and_then_even_a_right_key_waits(client, verifiers):
    change_settings({"limits.wrong_api_keys_per_minute": 3})
    right = verifiers.api_key_headers(verifiers.create("bank"))
    guesser = {"REMOTE_ADDR": "198.51.100.7"}
    for guess in ("cxk_000000000000_guess", "not-a-key", right["X-API-Key"] + "x"):
        response = client.post(VERIFY, json={}, headers={"X-API-Key": guess}, environ_base=guesser)
        assert response.status_code == 401
    refused = client.post(VERIFY, json={}, headers=right, environ_base=guesser)
    assert_limited(refused.status_code, refused.get_json(), refused.headers, 60)
    elsewhere = client.post(VERIFY, json={}, headers=right, environ_base={"REMOTE_ADDR": "198.51.100.8"})
    assert elsewhere.status_code == 422, "another address with the right key gets to the body check"


def test_right_api_keys_do_not_count_as_wrong_ones(client, verifiers):
    change_settings({"limits.wrong_api_keys_per_minute": 2})
    right = verifiers.api_key_headers(verifiers.create("bank"))
    for _ in range(5):
        assert client.post(VERIFY, json={}, headers=right).status_code == 422


def test_the_qr_png_is_limited_per_account(client, residents):
    change_settings({"limits.credit_code_png_per_minute": 2})
    me = residents.bound_headers(residents.create())
    for _ in range(2):
        assert client.get(PNG, headers=me).status_code == 200
    refused = client.get(PNG, headers=me)
    assert_limited(refused.status_code, refused.get_json(), refused.headers, 60)
    assert client.post(CODE, json={}, headers=me).status_code == 201, "the code itself is not limited"
    neighbour = residents.bound_headers(residents.create(name="李娜", phone=None))
    assert client.get(PNG, headers=neighbour).status_code == 200


def test_invite_redemption_has_its_own_limit_per_account(client, residents, verifiers):
    change_settings({"limits.invite_redemptions_per_hour": 2})
    shop = verifiers.create("merchant")
    headers = residents.headers("shopkeeper")
    for _ in range(2):
        assert client.post(REDEEM, json={"invite_code": "WRONGCODE234"}, headers=headers).status_code == 404
    code, _invite = verifiers_service.create_invite(None, shop.id)
    refused = client.post(REDEEM, json={"invite_code": code}, headers=headers)
    assert_limited(refused.status_code, refused.get_json(), refused.headers, 3600)
    assert db.session.scalars(select(Operator)).all() == []


def test_a_daily_limit_resets_at_midnight_in_china_and_says_so(client, residents, monkeypatch):
    change_settings({"limits.binding_per_day": 1})
    zhang = residents.create(name="张伟", phone=None)
    headers = residents.headers("zhang")
    wrong = {"name": "张卫", "id_number": zhang.plain["id_number"]}

    def at(text):
        moment = datetime.fromisoformat(text).timestamp()
        monkeypatch.setattr(ratelimits, "time", SimpleNamespace(time=lambda: moment))

    at("2026-03-01T23:59:30+08:00")
    assert client.post(IDENTITY, json=wrong, headers=headers).status_code == 404
    refused = client.post(IDENTITY, json=wrong, headers=headers)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"
    at("2026-03-02T00:00:01+08:00")
    assert client.post(IDENTITY, json=wrong, headers=headers).status_code == 404


# -- the keys --------------------------------------------------------------------------------------------


def test_rate_limit_keys_sit_under_the_prefix_and_name_nobody_in_clear(app, client, residents, staff):
    username = "keyed-lili"
    staff.create("admin", username=username)
    address = "203.0.113.77"
    client.post(LOGIN, json={"username": username, "password": "wrong password"}, environ_base={"REMOTE_ADDR": address})
    zhang = residents.create(name="张伟", phone=None)
    headers = residents.headers("zhang")
    client.post(IDENTITY, json={"name": "张卫", "id_number": zhang.plain["id_number"]}, headers=headers,
                environ_base={"REMOTE_ADDR": address})
    account_id = db.session.scalar(select(WeChatAccount.id))
    clear = (username, address, f"binding:{account_id}:", f"/{account_id}/")

    if TEST_REDIS_URL:
        store = redis.Redis.from_url(TEST_REDIS_URL)
        everything = [key.decode() for key in store.scan_iter(match="*", count=1000)]
        ours = [key for key in everything if key.startswith(app.config["REDIS_PREFIX"] + "rl:")]
        assert len(ours) >= 3, "the public, login-failure and binding counters"
        assert not [key for key in everything if any(part in key for part in clear)]
    else:
        keys = list(app.extensions["chengxin.limiter"].storage.storage)
        assert len(keys) >= 3
        assert not [key for key in keys if any(part in key for part in clear)]
    assert ratelimits.subject_hash(address) != ratelimits.subject_hash(username)


def test_the_subject_hash_is_keyed_by_the_configuration(app, monkeypatch):
    first = ratelimits.subject_hash("203.0.113.77")
    monkeypatch.setitem(app.config, "LOOKUP_HASH_KEY_BYTES", bytes(32))
    assert ratelimits.subject_hash("203.0.113.77") != first
    assert "203" not in first


# -- failures give their count back ----------------------------------------------------------------------


def test_successful_staff_logins_give_back_what_they_counted(client, staff):
    change_settings({"limits.staff_login_failures_per_15_minutes": 2})
    staff.create("admin", username="lili")
    for _ in range(6):
        assert client.post(LOGIN, json={"username": "lili", "password": Staff.PASSWORD}).status_code == 200
    assert client.post(LOGIN, json={"username": "lili", "password": "wrong"}).status_code == 401
