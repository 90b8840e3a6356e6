"""``python -m backend.check_config``: what is missing before the first start, all of it at once.

The app itself refuses to start at the first thing missing (``backend.config``); an operator setting up
a host wants the whole list. This reads the environment the way the app does, names every variable that
production needs and lacks, then (when the configuration holds) reaches the database and Redis and checks
that the schema is at the newest migration and the first-start data is loaded. Exit status 0: ready.
"""

import os
import sys

from backend.config import REPLACED_BY_SETTINGS, SECRET_NAMES, ConfigError, build_config, environment_defaults

PRODUCTION_NEEDS = {
    **{name: "secret" for name in SECRET_NAMES},
    "DATABASE_URL": "PostgreSQL: postgresql://user:password@host:5432/chengxin",
    "REDIS_URL": "Redis shared by every host: redis://host:6379/0",
    "WECHAT_APPID": "the mini-program's AppID",
    "WECHAT_SECRET": "the mini-program's AppSecret",
}


def missing_variables(environ: dict) -> list[str]:
    """The problems visible in the variables alone."""
    env = environ.get("CHENGXIN_ENV") or "production"
    problems = [f"{name} is no longer read (the limit is the setting {setting}); unset it"
                for name, setting in REPLACED_BY_SETTINGS.items() if environ.get(name)]
    if env == "production":
        problems += [f"{name} is not set ({what})" for name, what in PRODUCTION_NEEDS.items()
                     if not environ.get(name)]
    return problems


def live_problems(config: dict) -> list[str]:
    """Reach the database and Redis with ``config``; what is not ready there."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, func, select, text

    from backend.config import project_root

    problems = []
    engine = create_engine(config["SQLALCHEMY_DATABASE_URI"], hide_parameters=True)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = MigrationContext.configure(connection).get_current_revision()
            from alembic.config import Config

            alembic_config = Config()
            alembic_config.set_main_option("script_location", str(project_root() / "migrations"))
            head = ScriptDirectory.from_config(alembic_config).get_current_head()
            if current != head:
                problems.append(f"the database schema is at {current or 'nothing'}, not {head}: run `flask db upgrade`")
            else:
                from backend.credit.models import RubricItem
                from backend.reports.models import ReportCategory

                if not connection.scalar(select(func.count()).select_from(RubricItem)):
                    problems.append("the rubric is empty: run `flask credit load-rubric`")
                if not connection.scalar(select(func.count()).select_from(ReportCategory)):
                    problems.append("no report categories: run `flask reports load-categories`")
    except Exception as exc:  # noqa: BLE001 - every failure to reach it is the operator's answer
        problems.append(f"the database cannot be reached: {type(exc).__name__}")
    finally:
        engine.dispose()
    if config["REDIS_URL"]:
        import redis

        try:
            redis.Redis.from_url(config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=2).ping()
        except (redis.RedisError, OSError) as exc:
            problems.append(f"Redis cannot be reached: {type(exc).__name__}")
    return problems


def check(environ: dict | None = None) -> list[str]:
    environ = {**environment_defaults(), **os.environ} if environ is None else dict(environ)
    problems = missing_variables(environ)
    try:
        config = build_config(environ=environ)
    except ConfigError as exc:
        # The app stops at its first objection; those the variables showed are listed already.
        return problems or [str(exc)]
    return problems + live_problems(config)


def main() -> int:
    problems = check()
    if not problems:
        print("ready: the configuration is complete, the database and Redis answer, the schema is current")
        return 0
    print("not ready:")
    for problem in problems:
        print(f"  - {problem}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
