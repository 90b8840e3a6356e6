"""WeChat sign-in (微信登录) with the development exchanger, and where it may exist (SPEC §1, §9, §10)."""

from datetime import timedelta

import jwt
import pytest
from sqlalchemy import func, select

from backend.accounts.models import WeChatAccount
from backend.auth.models import RefreshToken, TokenFamily
from backend.config import ConfigError, build_config
from backend.data.cache import SharedStore
from backend.data.extensions import db
from backend.wechat import DevelopmentExchanger, WeChatClient, build_client
from tests.conftest import bearer, new_key

PRODUCTION = {
    "CHENGXIN_ENV": "production",
    "DATABASE_URL": "postgresql://chengxin@db.internal/chengxin",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "SECRET_KEY": "s" * 48,
    "DATA_ENCRYPTION_KEY": new_key(),
    "LOOKUP_HASH_KEY": new_key(),
    "WECHAT_APPID": "wx0123456789abcdef",
    "WECHAT_SECRET": "0123456789abcdef0123456789abcdef",
}


def wechat_login(client, code):
    return client.post("/api/v1/auth/wechat-login", json={"code": code})


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_first_sign_in_creates_the_wechat_account(client):
    response = wechat_login(client, "dev-alice")
    assert response.status_code == 200
    account = db.session.scalar(select(WeChatAccount))
    assert account.openid == DevelopmentExchanger.openid_for("alice")
    assert account.resident_id is None
    assert count(WeChatAccount) == 1


def test_the_same_openid_signs_in_to_the_same_account(client):
    first = wechat_login(client, "dev-alice").get_json()
    second = wechat_login(client, "dev-alice").get_json()
    assert count(WeChatAccount) == 1
    claims = [jwt.decode(body["access_token"], options={"verify_signature": False})
              for body in (first, second)]
    assert claims[0]["uid"] == claims[1]["uid"]
    assert claims[0]["fam"] != claims[1]["fam"], "each sign-in is its own token family"
    me = client.get("/api/v1/me", headers=bearer(second["access_token"])).get_json()
    assert me["account_id"] == claims[0]["uid"]


def test_different_wechat_users_get_different_accounts(client):
    wechat_login(client, "dev-alice")
    wechat_login(client, "dev-bob")
    openids = set(db.session.scalars(select(WeChatAccount.openid)))
    assert openids == {DevelopmentExchanger.openid_for("alice"), DevelopmentExchanger.openid_for("bob")}


def test_tokens_list_the_resident_role(client):
    body = wechat_login(client, "dev-alice").get_json()
    assert body["roles"] == ["resident"]
    assert body["token_type"] == "Bearer"  # noqa: S105 - the scheme's name, not a secret
    assert body["expires_in"] == 7200
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["roles"] == ["resident"]
    assert claims["knd"] == "wechat"
    me = client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.get_json()["roles"] == ["resident"]
    assert me.get_json()["bound"] is False


def test_wechat_refresh_token_lives_thirty_days(client):
    wechat_login(client, "dev-alice")
    family = db.session.scalar(select(TokenFamily))
    assert family.principal_kind == "wechat"
    assert family.expires_at - family.created_at == timedelta(days=30)
    token = db.session.scalar(select(RefreshToken))
    assert token.expires_at - token.issued_at >= timedelta(days=30) - timedelta(seconds=1)


@pytest.mark.parametrize("code", ["not-a-wechat-code", "dev-", "dev-phone-13800138000", "dev-a b"])
def test_invalid_login_code_is_401_and_nothing_is_written(client, code):
    response = wechat_login(client, code)
    assert response.status_code == 401
    body = response.get_json()
    assert body["reason"] == "wechat_code_invalid"
    assert body["message"]
    assert code not in response.get_data(as_text=True)
    assert count(WeChatAccount) == 0
    assert count(TokenFamily) == 0
    assert count(RefreshToken) == 0


def test_login_without_a_code_is_422(client):
    response = client.post("/api/v1/auth/wechat-login", json={})
    assert response.status_code == 422
    assert "code" in response.get_json()["errors"]["json"]
    assert count(WeChatAccount) == 0


# -- the development exchanger exists only in development and testing ----------------------------------

def test_testing_without_credentials_uses_the_development_exchanger(app):
    assert isinstance(build_client(app.config, SharedStore(None, "t:")), DevelopmentExchanger)


def test_production_never_uses_the_development_exchanger(tmp_path):
    config = build_config(environ=PRODUCTION, instance_path=tmp_path)
    client = build_client(config, SharedStore(None, "prod:"))
    assert isinstance(client, WeChatClient)
    assert not isinstance(client, DevelopmentExchanger)
    assert client.appid == PRODUCTION["WECHAT_APPID"]


def test_production_ignores_a_stray_development_switch(tmp_path):
    config = {**build_config(environ=PRODUCTION, instance_path=tmp_path), "USE_DEVELOPMENT_WECHAT": True}
    assert isinstance(build_client(config, SharedStore(None, "prod:")), WeChatClient)


def test_production_without_wechat_credentials_fails_rather_than_falling_back():
    config = {"CHENGXIN_ENV": "production", "USE_DEVELOPMENT_WECHAT": True, "WECHAT_APPID": None,
              "WECHAT_SECRET": None, "WECHAT_API_BASE": "https://api.weixin.qq.com"}
    with pytest.raises(ConfigError):
        build_client(config, SharedStore(None, "prod:"))


def test_development_with_credentials_talks_to_wechat(tmp_path):
    environ = {**PRODUCTION, "CHENGXIN_ENV": "development"}
    config = build_config(environ=environ, instance_path=tmp_path)
    assert isinstance(build_client(config, SharedStore(None, "dev:")), WeChatClient)
