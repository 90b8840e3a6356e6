"""create_app and its configuration checks (SPEC §10): production refuses to start half-configured."""

import json

import pytest

from backend import create_app
from backend.config import VARIABLES, ConfigError, build_config, project_root
from tests.conftest import new_key

ROOT = project_root()

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


def test_complete_production_configuration_is_accepted(tmp_path):
    config = build_config(environ=PRODUCTION, instance_path=tmp_path)
    assert config["CHENGXIN_ENV"] == "production"
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert config["USE_DEVELOPMENT_WECHAT"] is False


def test_environment_defaults_to_production(tmp_path):
    environ = {k: v for k, v in PRODUCTION.items() if k != "CHENGXIN_ENV"}
    assert build_config(environ=environ, instance_path=tmp_path)["CHENGXIN_ENV"] == "production"


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATA_ENCRYPTION_KEY", "LOOKUP_HASH_KEY"])
def test_production_refuses_to_start_without_each_secret(tmp_path, missing):
    environ = {k: v for k, v in PRODUCTION.items() if k != missing}
    with pytest.raises(ConfigError, match=missing):
        build_config(environ=environ, instance_path=tmp_path)
    assert not (tmp_path / "secrets.json").exists(), "production must never generate secrets"


def test_production_refuses_sqlite(tmp_path):
    with pytest.raises(ConfigError, match="PostgreSQL"):
        build_config(environ={**PRODUCTION, "DATABASE_URL": "sqlite:///x.db"}, instance_path=tmp_path)


def test_production_refuses_to_start_without_a_database(tmp_path):
    environ = {k: v for k, v in PRODUCTION.items() if k != "DATABASE_URL"}
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        build_config(environ=environ, instance_path=tmp_path)


def test_production_refuses_to_start_without_redis(tmp_path):
    environ = {k: v for k, v in PRODUCTION.items() if k != "REDIS_URL"}
    with pytest.raises(ConfigError, match="Redis"):
        build_config(environ=environ, instance_path=tmp_path)


@pytest.mark.parametrize("missing", ["WECHAT_APPID", "WECHAT_SECRET"])
def test_production_refuses_to_start_without_wechat_credentials(tmp_path, missing):
    environ = {k: v for k, v in PRODUCTION.items() if k != missing}
    with pytest.raises(ConfigError, match="WeChat"):
        build_config(environ=environ, instance_path=tmp_path)


def test_create_app_itself_refuses_an_incomplete_production_setup(tmp_path, monkeypatch):
    for name in PRODUCTION:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CHENGXIN_ENV", "production")
    with pytest.raises(ConfigError):
        create_app({"INSTANCE_PATH": str(tmp_path)})


def test_short_or_malformed_keys_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        build_config(environ={**PRODUCTION, "SECRET_KEY": "short"}, instance_path=tmp_path)
    with pytest.raises(ConfigError, match="DATA_ENCRYPTION_KEY"):
        build_config(environ={**PRODUCTION, "DATA_ENCRYPTION_KEY": "dG9vIHNob3J0"}, instance_path=tmp_path)


def test_unknown_environment_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="CHENGXIN_ENV"):
        build_config(environ={**PRODUCTION, "CHENGXIN_ENV": "staging"}, instance_path=tmp_path)


def test_development_generates_its_secrets_once_and_keeps_them(tmp_path):
    first = build_config(environ={"CHENGXIN_ENV": "development"}, instance_path=tmp_path)
    second = build_config(environ={"CHENGXIN_ENV": "development"}, instance_path=tmp_path)
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert first["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'chengxin.db'}"
    stored = json.loads((tmp_path / "secrets.json").read_text())
    assert stored["DATA_ENCRYPTION_KEY"] == first["DATA_ENCRYPTION_KEY"]
    assert (tmp_path / "secrets.json").stat().st_mode & 0o077 == 0
    assert first["USE_DEVELOPMENT_WECHAT"] is True


def test_database_url_overrides_the_embedded_default(tmp_path):
    config = build_config(environ={"CHENGXIN_ENV": "development", "DATABASE_URL": "sqlite:///other.db"},
                          instance_path=tmp_path)
    assert config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///other.db"


def test_the_development_exchanger_never_exists_in_production(tmp_path):
    assert build_config(environ=PRODUCTION, instance_path=tmp_path)["USE_DEVELOPMENT_WECHAT"] is False


def test_readme_lists_every_configuration_variable_with_its_default():
    with open(ROOT / "README.md", encoding="utf-8") as handle:
        readme = handle.read()
    for name, (default, _description) in VARIABLES.items():
        assert f"`{name}`" in readme, f"README lacks {name}"
        assert default in readme, f"README lacks the default of {name}"


def test_testing_app_is_built(app):
    assert app.config["TESTING"] is True
    assert app.config["CHENGXIN_ENV"] == "testing"


# -- trusted proxies (SPEC §12) ----------------------------------------------------------------------------


def production_app(tmp_path, **changes):
    from backend.web.ratelimits import client_ip

    app = create_app({**PRODUCTION, "INSTANCE_PATH": str(tmp_path), **changes})
    app.add_url_rule("/client-address", "client_address", lambda: client_ip())
    return app.test_client()


def address_seen(client, forwarded_for: str | None) -> str:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.get("/client-address", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.9"}).get_data(
        as_text=True)


def test_without_trusted_proxies_production_ignores_x_forwarded_for(tmp_path):
    client = production_app(tmp_path)
    assert address_seen(client, "203.0.113.1") == "10.0.0.9"
    assert address_seen(client, "203.0.113.2, 203.0.113.3") == "10.0.0.9"


@pytest.mark.parametrize(("proxies", "forwarded_for", "seen"), [
    ("1", "203.0.113.5", "203.0.113.5"),
    ("1", "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # what the client wrote itself is ignored
    ("2", "6.6.6.6, 203.0.113.5, 10.0.0.8", "203.0.113.5"),
])
def test_trusted_proxies_believe_that_many_entries_from_the_right(tmp_path, proxies, forwarded_for, seen):
    assert address_seen(production_app(tmp_path, TRUSTED_PROXIES=proxies), forwarded_for) == seen


@pytest.mark.parametrize("value", ["-1", "many", "11", "1.5"])
def test_trusted_proxies_must_be_a_small_whole_number(tmp_path, value):
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        build_config(environ={**PRODUCTION, "TRUSTED_PROXIES": value}, instance_path=tmp_path)


def test_a_client_rotating_x_forwarded_for_is_limited_all_the_same(client):
    from tests.conftest import change_settings

    change_settings({"limits.public_per_minute": 2})
    answers = [client.get("/api/v1/public/rubric", headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
               for i in range(3)]
    assert answers == [200, 200, 429]


# -- unsafe production values ------------------------------------------------------------------------------


@pytest.mark.parametrize("base", ["http://api.weixin.qq.com", "ftp://api.weixin.qq.com", "https://",
                                  "api.weixin.qq.com"])
def test_production_refuses_a_wechat_api_base_that_is_not_https(tmp_path, base):
    with pytest.raises(ConfigError, match="WECHAT_API_BASE"):
        build_config(environ={**PRODUCTION, "WECHAT_API_BASE": base}, instance_path=tmp_path)


def test_an_https_wechat_api_base_is_accepted(tmp_path):
    config = build_config(environ={**PRODUCTION, "WECHAT_API_BASE": "https://wx-proxy.internal/"},
                          instance_path=tmp_path)
    assert config["WECHAT_API_BASE"] == "https://wx-proxy.internal"


def test_the_encryption_and_look_up_hash_keys_must_differ(tmp_path):
    same = new_key()
    for env in (PRODUCTION, {"CHENGXIN_ENV": "testing", "DATABASE_URL": "sqlite://", "SECRET_KEY": "s" * 48}):
        with pytest.raises(ConfigError, match="LOOKUP_HASH_KEY must differ from DATA_ENCRYPTION_KEY"):
            build_config(environ={**env, "DATA_ENCRYPTION_KEY": same, "LOOKUP_HASH_KEY": same},
                         instance_path=tmp_path)


@pytest.mark.parametrize(("variable", "setting"), [
    ("RATELIMIT_PUBLIC", "limits.public_per_minute"),
    ("RATELIMIT_STAFF_LOGIN_FAILURES", "limits.staff_login_failures_per_15_minutes"),
    ("RATELIMIT_API_KEY", "limits.api_key_per_minute"),
])
def test_the_former_rate_limit_variables_are_refused_naming_their_setting(tmp_path, variable, setting):
    with pytest.raises(ConfigError, match=rf"{variable} is no longer read.*{setting}"):
        build_config(environ={**PRODUCTION, variable: "100 per minute"}, instance_path=tmp_path)


def test_the_local_virtualenv_defaults_to_development_and_the_environment_still_wins(tmp_path, monkeypatch):
    # `make` writes CHENGXIN_ENV=development into the virtualenv it creates; production installs elsewhere.
    from backend import config

    defaults = tmp_path / "chengxin.env"
    defaults.write_text("# written by make\nCHENGXIN_ENV=development\n")
    monkeypatch.setattr(config, "ENVIRONMENT_DEFAULTS", defaults)
    monkeypatch.delenv("CHENGXIN_ENV", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert build_config(instance_path=tmp_path)["CHENGXIN_ENV"] == "development"
    monkeypatch.setenv("CHENGXIN_ENV", "production")
    with pytest.raises(ConfigError):
        build_config(instance_path=tmp_path)
    # Without the file (any other Python environment), unset means production.
    defaults.unlink()
    monkeypatch.delenv("CHENGXIN_ENV")
    with pytest.raises(ConfigError):
        build_config(instance_path=tmp_path)
