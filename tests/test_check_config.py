"""``python -m backend.check_config`` tells an operator everything missing before the first start."""

import secrets

from backend import check_config
from backend.credit.default_rubric import load_default_rubric
from backend.reports.categories import load_defaults
from tests.conftest import new_key
from tests.services import free_port


def keys() -> dict:
    return {"SECRET_KEY": secrets.token_urlsafe(48), "DATA_ENCRYPTION_KEY": new_key(), "LOOKUP_HASH_KEY": new_key()}


def test_an_empty_production_environment_names_every_missing_variable():
    problems = check_config.check({})
    for name in ("SECRET_KEY", "DATA_ENCRYPTION_KEY", "LOOKUP_HASH_KEY", "DATABASE_URL", "REDIS_URL",
                 "WECHAT_APPID", "WECHAT_SECRET"):
        assert any(problem.startswith(f"{name} is not set") for problem in problems), name
    assert len(problems) == 7


def test_a_complete_environment_whose_services_do_not_answer_says_so(tmp_path):
    port = free_port()
    environ = {**keys(), "DATABASE_URL": f"postgresql://chengxin@127.0.0.1:{port}/chengxin",
               "REDIS_URL": f"redis://127.0.0.1:{port}/0", "WECHAT_APPID": "wx0123456789abcdef",
               "WECHAT_SECRET": "s" * 32}
    problems = check_config.check(environ)
    assert problems == ["the database cannot be reached: OperationalError",
                        "Redis cannot be reached: ConnectionError"]


def test_an_old_variable_and_a_bad_key_are_named():
    assert check_config.check({**keys(), "CHENGXIN_ENV": "testing", "DATABASE_URL": "sqlite://",
                               "RATELIMIT_PUBLIC": "10/minute"}) == [
        "RATELIMIT_PUBLIC is no longer read (the limit is the setting limits.public_per_minute); unset it"]
    assert check_config.check({**keys(), "CHENGXIN_ENV": "testing", "DATABASE_URL": "sqlite://",
                               "LOOKUP_HASH_KEY": "short"}) == ["LOOKUP_HASH_KEY must be 32 bytes in urlsafe base64"]


def test_the_schema_and_first_start_data_are_checked_then_ready(app, database_url, monkeypatch, capsys):
    environ = {**keys(), "CHENGXIN_ENV": "testing", "DATABASE_URL": database_url}
    assert check_config.check(environ) == ["the rubric is empty: run `flask credit load-rubric`",
                                           "no report categories: run `flask reports load-categories`"]
    load_default_rubric()
    load_defaults()
    assert check_config.check(environ) == []
    for name in list(check_config.os.environ):
        if name.startswith(("CHENGXIN_", "DATABASE_", "REDIS_", "WECHAT_")) or name in environ:
            monkeypatch.delenv(name)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert check_config.main() == 0
    assert capsys.readouterr().out.startswith("ready")
    monkeypatch.setenv("CHENGXIN_ENV", "production")
    assert check_config.main() == 1
    assert "REDIS_URL is not set" in capsys.readouterr().out
