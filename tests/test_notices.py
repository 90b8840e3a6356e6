"""Notices (订阅消息): every attempt is recorded with its outcome, and none breaks the caller (SPEC §9)."""

import pytest
from sqlalchemy import func, select

from backend.accounts.models import WeChatAccount
from backend.data.extensions import db
from backend.notices import service as notices
from backend.notices.models import NoticeAttempt
from backend.wechat import DevelopmentExchanger, SendResult, get_client

DATA = {"thing1": "门前三包检查", "number2": "5"}


class FakeClient:
    """A WeChat client whose subscribe-message answer the test chooses; it remembers what it was asked."""

    def __init__(self, answer=None, error: Exception | None = None):
        self.answer = answer
        self.error = error
        self.calls = []

    def send_subscribe_message(self, openid, template_id, data, page=None):
        self.calls.append({"openid": openid, "template_id": template_id, "data": dict(data), "page": page})
        if self.error is not None:
            raise self.error
        return self.answer


@pytest.fixture
def account(residents) -> WeChatAccount:
    residents.sign_in("notified")
    return db.session.scalar(select(WeChatAccount).where(
        WeChatAccount.openid == DevelopmentExchanger.openid_for("notified")))


@pytest.fixture
def use_client(monkeypatch):
    def install(client):
        monkeypatch.setattr(notices, "get_client", lambda: client)
        return client

    return install


def stored_attempts() -> list[NoticeAttempt]:
    db.session.expire_all()
    return db.session.scalars(select(NoticeAttempt).order_by(NoticeAttempt.id)).all()


def test_a_notice_through_the_development_exchanger_is_recorded_sent(account):
    exchanger = get_client()
    assert isinstance(exchanger, DevelopmentExchanger)
    attempt = notices.notify(account.id, "penalty_recorded", DATA, page="pages/points/index",
                             object_type="credit_event", object_id=42)
    assert attempt.status == "sent"
    assert exchanger.sent[-1] == {"openid": account.openid, "template_id": "dev-penalty_recorded",
                                  "data": DATA, "page": "pages/points/index"}
    [stored] = stored_attempts()
    assert (stored.account_id, stored.kind, stored.status) == (account.id, "penalty_recorded", "sent")
    assert (stored.object_type, stored.object_id) == ("credit_event", "42")
    assert stored.data == DATA


def test_a_client_that_raises_is_recorded_failed_and_nothing_escapes(account, use_client):
    client = use_client(FakeClient(error=ConnectionResetError("peer went away")))
    attempt = notices.notify(account.id, "report_decided", DATA)
    assert client.calls, "the send was tried"
    assert attempt.status == "failed"
    [stored] = stored_attempts()
    assert stored.status == "failed"
    assert stored.errmsg == "ConnectionResetError"


def test_a_client_without_any_wechat_at_all_is_recorded_failed(account, monkeypatch):
    def no_client():
        raise RuntimeError("WeChat is not configured")

    monkeypatch.setattr(notices, "get_client", no_client)
    assert notices.notify(account.id, "report_decided", DATA).status == "failed"
    assert [a.status for a in stored_attempts()] == ["failed"]


def test_no_subscription_left_is_recorded_as_such(account, use_client):
    use_client(FakeClient(SendResult("no_subscription", 43101, "user refuse to accept the msg")))
    attempt = notices.notify(account.id, "repair_decided", DATA)
    assert attempt.status == "no_subscription"
    [stored] = stored_attempts()
    assert (stored.status, stored.errcode) == ("no_subscription", 43101)
    assert stored.errmsg == "user refuse to accept the msg"


def test_a_refused_send_is_recorded_failed_with_wechat_errcode(account, use_client):
    use_client(FakeClient(SendResult("failed", 40037, "invalid template_id")))
    notices.notify(account.id, "objection_decided", DATA)
    [stored] = stored_attempts()
    assert (stored.status, stored.errcode) == ("failed", 40037)


def test_every_attempt_is_recorded(account, use_client):
    client = use_client(FakeClient(SendResult("sent", 0, "ok")))
    notices.notify(account.id, "report_acknowledged", DATA)
    client.answer = SendResult("no_subscription", 43101, None)
    notices.notify(account.id, "report_acknowledged", DATA)
    client.error = TimeoutError()
    notices.notify(account.id, "report_acknowledged", DATA)
    assert [a.status for a in stored_attempts()] == ["sent", "no_subscription", "failed"]


def test_outside_development_a_notice_without_template_is_not_configured(app, account, use_client,
                                                                         monkeypatch):
    monkeypatch.setitem(app.config, "USE_DEVELOPMENT_WECHAT", False)
    monkeypatch.setitem(app.config, "WECHAT_TEMPLATE_IDS", {"report_decided": "tmpl-report-decided"})
    client = use_client(FakeClient(SendResult("sent", 0, "ok")))
    attempt = notices.notify(account.id, "penalty_recorded", DATA)
    assert attempt.status == "not_configured"
    assert client.calls == []
    [stored] = stored_attempts()
    assert stored.status == "not_configured"
    assert stored.template_id is None


def test_outside_development_a_configured_template_is_sent(app, account, use_client, monkeypatch):
    monkeypatch.setitem(app.config, "USE_DEVELOPMENT_WECHAT", False)
    monkeypatch.setitem(app.config, "WECHAT_TEMPLATE_IDS", {"report_decided": "tmpl-report-decided"})
    client = use_client(FakeClient(SendResult("sent", 0, "ok")))
    assert notices.notify(account.id, "report_decided", DATA).status == "sent"
    assert client.calls[0]["template_id"] == "tmpl-report-decided"
    assert client.calls[0]["openid"] == account.openid
    assert stored_attempts()[0].template_id == "tmpl-report-decided"


def test_an_unknown_notice_kind_is_a_programming_error(account, use_client):
    client = use_client(FakeClient(SendResult("sent", 0, "ok")))
    with pytest.raises(ValueError):
        notices.notify(account.id, "birthday_wishes", DATA)
    assert client.calls == []
    assert stored_attempts() == []


def test_notify_resident_reaches_the_bound_account(residents, use_client):
    resident = residents.create(name="张伟")
    residents.bound_headers(resident, account_name="zhang")
    client = use_client(FakeClient(SendResult("sent", 0, "ok")))
    attempt = notices.notify_resident(resident.id, "penalty_recorded", DATA)
    assert attempt.status == "sent"
    assert client.calls[0]["openid"] == DevelopmentExchanger.openid_for("zhang")


def test_notify_resident_without_binding_sends_nothing(residents, use_client):
    resident = residents.create(name="张伟")
    client = use_client(FakeClient(SendResult("sent", 0, "ok")))
    assert notices.notify_resident(resident.id, "penalty_recorded", DATA) is None
    assert client.calls == []
    assert db.session.scalar(select(func.count()).select_from(NoticeAttempt)) == 0
