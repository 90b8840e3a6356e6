"""The WeChat client against a real local HTTP server standing in for WeChat (SPEC §9)."""

import http.client
import logging
import socket
import threading

import pytest

from backend.data.cache import SharedStore, store
from backend.wechat import DevelopmentExchanger, WeChatClient, get_client, reset_client
from backend.wechat.errors import (
    PhoneCodeInvalid,
    WeChatBusy,
    WeChatCodeInvalid,
    WeChatError,
    WeChatHighRiskUser,
    WeChatRateLimited,
    WeChatUnavailable,
)
from tests.conftest import TEST_REDIS_URL
from tests.wechat_standin import Answer, WeChatStandIn

APPID = "wx-test-appid"
SECRET = "app-secret-0f9e8d7c6b5a"  # noqa: S105 - a made-up AppSecret to look for in logs
LOGIN = "/sns/jscode2session"
ACCESS = "/cgi-bin/stable_token"
PHONE = "/wxa/business/getuserphonenumber"
SEND = "/cgi-bin/message/subscribe/send"
TEXT_CHECK = "/wxa/msg_sec_check"


@pytest.fixture
def wechat():
    standin = WeChatStandIn().start()
    yield standin
    standin.stop()


def new_client(base_url: str, shared=None, timeout: float = 2.0) -> WeChatClient:
    return WeChatClient(base_url, APPID, SECRET, shared or store(), timeout=timeout)


@pytest.fixture
def wx(wechat):
    return new_client(wechat.base_url)


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def all_logs(caplog, monkeypatch):
    """Every log record at DEBUG, from every logger, including ones an earlier logging setup disabled."""
    for logger in list(logging.root.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            monkeypatch.setattr(logger, "disabled", False)
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "urllib", "http.client", "backend"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def worker_store() -> SharedStore:
    """The shared store as another worker process would see it: its own connection to the same Redis."""
    shared = store()
    return shared if shared.embedded else SharedStore(TEST_REDIS_URL, shared.prefix)


# -- sign-in: jscode2session ----------------------------------------------------------------------

def test_login_code_exchanged_for_openid_and_unionid(wechat, wx):
    wechat.script(LOGIN, {"openid": "o-alice", "unionid": "u-alice", "session_key": "sk-alice"})

    session = wx.code_to_session("code-123")

    assert (session.openid, session.unionid, session.session_key) == ("o-alice", "u-alice", "sk-alice")
    [request] = wechat.to(LOGIN)
    assert request.method == "GET"
    assert request.query == {"appid": APPID, "secret": SECRET, "js_code": "code-123",
                             "grant_type": "authorization_code"}


def test_login_without_unionid_gives_none(wechat, wx):
    wechat.script(LOGIN, {"openid": "o-bob", "session_key": "sk-bob"})

    assert wx.code_to_session("code").unionid is None


@pytest.mark.parametrize(("errcode", "error", "status", "reason"), [
    (40029, WeChatCodeInvalid, 401, "wechat_code_invalid"),
    (40163, WeChatCodeInvalid, 401, "wechat_code_invalid"),
    (45011, WeChatRateLimited, 429, "wechat_rate_limited"),
    (40226, WeChatHighRiskUser, 403, "wechat_high_risk_user"),
    (-1, WeChatBusy, 503, "wechat_busy"),
    (40013, WeChatError, 502, "wechat_error"),
])
def test_login_errcodes_map_to_clear_errors(wechat, wx, errcode, error, status, reason):
    wechat.script(LOGIN, {"errcode": errcode, "errmsg": f"failed for code-xyz with {SECRET}"})

    with pytest.raises(error) as caught:
        wx.code_to_session("code-xyz")

    assert type(caught.value) is error
    assert (caught.value.status, caught.value.reason, caught.value.errcode) == (status, reason, errcode)
    shown = str(caught.value) + repr(caught.value.body())
    assert SECRET not in shown and "code-xyz" not in shown


def test_wechat_rate_limit_tells_the_client_when_to_retry(app, wechat, wx):
    wechat.script(LOGIN, {"errcode": 45011, "errmsg": "api minute-quota reach limit"})
    with pytest.raises(WeChatRateLimited) as caught:
        wx.code_to_session("code")

    with app.test_request_context("/api/v1/auth/wechat", method="POST"):
        body, status, headers = app.extensions["chengxin.api"].handle_domain_error(caught.value)

    assert status == 429 and body["reason"] == "wechat_rate_limited"
    assert headers["Retry-After"] == "60"


def test_login_when_wechat_unreachable():
    with pytest.raises(WeChatUnavailable) as caught:
        new_client(closed_port_url()).code_to_session("code")

    assert (caught.value.status, caught.value.reason) == (503, "wechat_unavailable")


def test_login_when_wechat_too_slow(wechat):
    wechat.script(LOGIN, Answer(json={"openid": "o", "session_key": "k"}, delay=1.0))

    with pytest.raises(WeChatUnavailable):
        new_client(wechat.base_url, timeout=0.2).code_to_session("code")


@pytest.mark.parametrize("answer", [
    Answer(raw=b"<html>gateway error</html>"),
    Answer(raw=b"[1, 2]"),
    Answer(json={"errcode": 0}, status=502),
])
def test_login_when_wechat_answers_garbage(wechat, wx, answer):
    wechat.script(LOGIN, answer)

    with pytest.raises(WeChatUnavailable):
        wx.code_to_session("code")


def test_login_answer_without_openid_is_an_error_that_hides_the_session_key(wechat, wx, all_logs):
    wechat.script(LOGIN, {"session_key": "sk-orphan-9931"})

    with pytest.raises(WeChatError) as caught:
        wx.code_to_session("code")

    assert "sk-orphan-9931" not in str(caught.value)
    assert all_logs.records
    assert "sk-orphan-9931" not in all_logs.text


# -- access token: stable_token -------------------------------------------------------------------

def test_access_token_fetched_once_then_served_from_the_shared_cache(wechat, wx):
    assert wx.access_token() == "token-1"
    assert wx.access_token() == "token-1"

    [request] = wechat.to(ACCESS)
    assert request.method == "POST"
    assert request.body == {"grant_type": "client_credential", "appid": APPID, "secret": SECRET,
                            "force_refresh": False}


def test_access_token_shared_by_every_worker(wechat, wx):
    wx.access_token()

    other_worker = new_client(wechat.base_url, shared=worker_store())

    assert other_worker.access_token() == "token-1"
    assert len(wechat.to(ACCESS)) == 1


def test_access_token_cached_a_little_shorter_than_wechat_keeps_it(wechat, wx):
    wx.access_token()

    shared = store()
    ttl = shared.client.ttl(shared.key("wechat", "access_token", APPID))
    assert 6800 <= ttl <= 6900
    assert shared.get(shared.key("wechat", "access_token_refresh", APPID)) is None


def test_one_refresher_when_many_workers_need_a_token_at_once(wechat):
    wechat.token_delay = 0.3
    workers = [new_client(wechat.base_url, shared=worker_store()) for _ in range(10)]
    start = threading.Barrier(len(workers))
    tokens, failures = [], []

    def ask(worker):
        start.wait()
        try:
            tokens.append(worker.access_token())
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=ask, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert failures == []
    assert tokens == ["token-1"] * 10
    assert len(wechat.to(ACCESS)) == 1


def test_access_token_still_works_when_the_shared_store_is_down(wechat):
    broken = SharedStore(closed_port_url().replace("http", "redis") + "/0", "chengxin-broken:")
    wx = new_client(wechat.base_url, shared=broken)

    wechat.script(PHONE, {"errcode": 0, "phone_info": {"purePhoneNumber": "13800138000"}})

    assert wx.access_token() == "token-1"
    assert wx.phone_number("phone-code") == "13800138000"


@pytest.mark.parametrize("errcode", [40001, 42001, 40014])
def test_rejected_access_token_refreshed_once_and_call_retried(wechat, wx, errcode):
    wx.access_token()
    wechat.script(PHONE, {"errcode": errcode, "errmsg": "access_token expired"},
                  {"errcode": 0, "phone_info": {"purePhoneNumber": "13800138000", "countryCode": "86"}})

    assert wx.phone_number("phone-code") == "13800138000"

    assert [request.query["access_token"] for request in wechat.to(PHONE)] == ["token-1", "token-2"]
    assert [request.body["force_refresh"] for request in wechat.to(ACCESS)] == [False, True]
    assert wx.access_token() == "token-2"


def test_access_token_rejected_twice_is_refreshed_only_once(wechat, wx):
    wechat.script(PHONE, {"errcode": 40001}, {"errcode": 40001})

    with pytest.raises(WeChatError) as caught:
        wx.phone_number("phone-code")

    assert caught.value.reason == "wechat_error"
    assert len(wechat.to(PHONE)) == 2
    assert len(wechat.to(ACCESS)) == 2


def test_refused_credentials_are_an_error_without_the_secret(wechat, wx):
    wechat.script(ACCESS, {"errcode": 40125, "errmsg": f"invalid appsecret {SECRET}"})

    with pytest.raises(WeChatError) as caught:
        wx.access_token()

    assert caught.value.status == 502 and SECRET not in str(caught.value)


# -- phone number: getuserphonenumber -------------------------------------------------------------

def test_phone_number_from_phone_code(wechat, wx):
    wechat.script(PHONE, {"errcode": 0, "errmsg": "ok", "phone_info": {
        "phoneNumber": "+86 13912345678", "purePhoneNumber": "13912345678", "countryCode": "86"}})

    assert wx.phone_number("phone-code-1") == "13912345678"

    [request] = wechat.to(PHONE)
    assert request.body == {"code": "phone-code-1"}
    assert request.query == {"access_token": "token-1"}


def test_invalid_phone_code(wechat, wx):
    wechat.script(PHONE, {"errcode": 40029, "errmsg": "invalid code"})

    with pytest.raises(PhoneCodeInvalid) as caught:
        wx.phone_number("phone-code-1")

    assert (caught.value.status, caught.value.reason) == (422, "phone_code_invalid")


# -- notices: subscribe/send ----------------------------------------------------------------------

def test_subscribe_message_sent(wechat, wx):
    data = {"thing1": "乱倒垃圾", "time2": {"value": "2024年05月01日 10:00"}}

    result = wx.send_subscribe_message("o-alice", "tmpl-penalty", data, page="pages/events/index")

    assert (result.status, result.errcode) == ("sent", 0)
    [request] = wechat.to(SEND)
    assert request.body == {"touser": "o-alice", "template_id": "tmpl-penalty", "page": "pages/events/index",
                            "data": {"thing1": {"value": "乱倒垃圾"}, "time2": {"value": "2024年05月01日 10:00"}}}


def test_subscribe_message_without_subscription_is_reported_not_retried(wechat, wx):
    wechat.script(SEND, {"errcode": 43101, "errmsg": "user refuse to accept the msg"})

    result = wx.send_subscribe_message("o-alice", "tmpl-penalty", {"thing1": "x"})

    assert (result.status, result.errcode) == ("no_subscription", 43101)
    assert len(wechat.to(SEND)) == 1


def test_subscribe_message_refused_is_failed_not_raised(wechat, wx):
    wechat.script(SEND, {"errcode": 47003, "errmsg": "argument invalid! data.thing1.value invalid"})

    result = wx.send_subscribe_message("o-alice", "tmpl-penalty", {"thing1": "x"})

    assert (result.status, result.errcode) == ("failed", 47003)
    assert "argument invalid" in result.errmsg


def test_subscribe_message_when_wechat_unreachable_is_failed_not_raised():
    result = new_client(closed_port_url()).send_subscribe_message("o-alice", "tmpl", {"thing1": "x"})

    assert (result.status, result.errmsg) == ("failed", "wechat_unavailable")


# -- text screening: msg_sec_check v2 -------------------------------------------------------------

@pytest.mark.parametrize("suggest", ["pass", "review", "risky"])
def test_text_check_verdicts(wechat, wx, suggest):
    wechat.script(TEXT_CHECK, {"errcode": 0, "errmsg": "ok", "result": {"suggest": suggest, "label": 100}})

    assert wx.check_text("o-alice", "村口有人倾倒建筑垃圾", scene=3) == suggest

    [request] = wechat.to(TEXT_CHECK)
    assert request.body == {"openid": "o-alice", "scene": 3, "version": 2, "content": "村口有人倾倒建筑垃圾"}


def test_text_check_when_wechat_unreachable_is_unavailable():
    assert new_client(closed_port_url()).check_text("o-alice", "some report text") == "unavailable"


def test_text_check_when_wechat_busy_is_unavailable(wechat, wx):
    wechat.script(TEXT_CHECK, {"errcode": -1, "errmsg": "system error"})

    assert wx.check_text("o-alice", "some report text") == "unavailable"


# -- the development exchanger --------------------------------------------------------------------

def test_development_login_code_signs_in_as_that_test_user():
    session = DevelopmentExchanger().code_to_session("dev-alice")

    assert (session.openid, session.unionid) == ("dev-openid-alice", None)
    assert session.session_key


@pytest.mark.parametrize("code", ["alice", "dev-", "dev-phone-13800138000", "real-wechat-code", ""])
def test_development_other_codes_are_invalid_like_wechat(code):
    with pytest.raises(WeChatCodeInvalid) as caught:
        DevelopmentExchanger().code_to_session(code)

    assert (caught.value.status, caught.value.reason) == (401, "wechat_code_invalid")


def test_development_phone_code_yields_that_phone():
    assert DevelopmentExchanger().phone_number("dev-phone-13800138000") == "13800138000"


@pytest.mark.parametrize("code", ["dev-phone-", "dev-phone-12ab", "13800138000", "dev-alice"])
def test_development_other_phone_codes_are_invalid(code):
    with pytest.raises(PhoneCodeInvalid):
        DevelopmentExchanger().phone_number(code)


def test_development_subscribe_messages_are_kept_as_sent():
    exchanger = DevelopmentExchanger()

    result = exchanger.send_subscribe_message("dev-openid-alice", "tmpl", {"thing1": "x"})

    assert result.status == "sent"
    assert list(exchanger.sent) == [{"openid": "dev-openid-alice", "template_id": "tmpl",
                                     "data": {"thing1": "x"}, "page": None}]


@pytest.mark.parametrize(("content", "verdict"), [
    ("an ordinary report", "pass"), ("[review] borderline", "review"), ("[risky] abuse", "risky"),
    ("[unavailable] screening down", "unavailable"),
])
def test_development_text_check_follows_markers(content, verdict):
    assert DevelopmentExchanger().check_text("dev-openid-alice", content) == verdict


# -- the app's client -----------------------------------------------------------------------------

@pytest.fixture
def app_client_reset(app):
    reset_client()
    yield
    reset_client()


def test_app_uses_the_development_exchanger_in_testing_without_credentials(app, app_client_reset):
    assert app.config["USE_DEVELOPMENT_WECHAT"]
    assert isinstance(get_client(), DevelopmentExchanger)
    assert get_client() is get_client()


def test_app_uses_wechat_when_credentials_are_configured(app, wechat, monkeypatch, app_client_reset):
    monkeypatch.setitem(app.config, "WECHAT_APPID", APPID)
    monkeypatch.setitem(app.config, "WECHAT_SECRET", SECRET)
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", wechat.base_url)
    monkeypatch.setitem(app.config, "USE_DEVELOPMENT_WECHAT", False)
    wechat.script(LOGIN, {"openid": "o-alice", "session_key": "sk"})

    client = get_client()

    assert isinstance(client, WeChatClient)
    assert client.code_to_session("code").openid == "o-alice"
    assert SECRET not in repr(client)


# -- secrets stay secret --------------------------------------------------------------------------

def test_session_key_and_secret_appear_in_no_log(wechat, wx, all_logs, capfd, monkeypatch):
    session_key = "SESSION-KEY-7f3a9c1e5b2d"
    # Even with http.client's own debug printing switched on globally, nothing may leak.
    monkeypatch.setattr(http.client.HTTPConnection, "debuglevel", 1)
    wechat.script(LOGIN, {"errcode": 40029, "errmsg": f"invalid code code-1 {SECRET}"},
                  {"openid": "o-alice", "session_key": session_key})
    wechat.script(PHONE, {"errcode": 0, "phone_info": {"purePhoneNumber": "13800138000"}})

    with pytest.raises(WeChatCodeInvalid):
        wx.code_to_session("code-1")
    session = wx.code_to_session("code-2")
    wx.phone_number("phone-code")

    assert session.session_key == session_key
    assert all_logs.records, "the client logs its calls"
    logged = all_logs.text + "".join(f"{record.getMessage()} {record.args!r}" for record in all_logs.records)
    printed = "".join(capfd.readouterr())
    for secret in (session_key, SECRET, "code-1", "code-2", "phone-code", "token-1"):
        assert secret not in logged
        assert secret not in printed
    assert session_key not in repr(session) and session_key not in str(session)
