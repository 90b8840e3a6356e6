"""Migrations reach head from an empty database, go back to base and up again, and match the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from backend import create_app
from backend.data.extensions import db, only_on_dialect
from tests.conftest import TEST_DATABASE_URL, base_config, create_postgres_database


def differences(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "compare_type": True, "include_object": only_on_dialect(connection.dialect.name)})
            return compare_metadata(context, db.metadata)
    finally:
        engine.dispose()


def round_trip(url: str, instance_path) -> None:
    app = create_app(base_config(url, "chengxin-migrations:", instance_path))
    with app.app_context():
        upgrade()
        assert differences(url) == []
        downgrade(revision="base")
        engine = create_engine(url)
        assert [t for t in inspect(engine).get_table_names() if t != "alembic_version"] == []
        engine.dispose()
        upgrade()
        assert differences(url) == []
        db.session.remove()
        db.engine.dispose()


# SQLAlchemy cannot reflect expression indexes on SQLite, and Alembic cannot compare them there; both say so.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index:UserWarning")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_sqlite_upgrade_downgrade_upgrade(tmp_path):
    round_trip(f"sqlite:///{tmp_path / 'migrations.db'}", tmp_path)


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL not configured: set TEST_DATABASE_URL "
                    "(.ci/run does) to run the migrations on an empty PostgreSQL database")
def test_postgresql_upgrade_downgrade_upgrade(tmp_path):
    url, drop = create_postgres_database(TEST_DATABASE_URL)
    try:
        round_trip(url, tmp_path)
    finally:
        drop()
