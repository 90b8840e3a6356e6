"""Migrations reach head from an empty database, go back to base and up again, and match the models."""

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from backend import create_app
from backend.data.extensions import db, only_on_dialect
from backend.privacy.id_numbers import with_check_digit
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


ID_NUMBER = with_check_digit("32028119800101001")


def carry_data_through(url: str, instance_path) -> None:
    """Rows written before 0007–0009 come out of them as the app now reads them, and back again."""
    from sqlalchemy import select, text

    from backend.credit import rubric
    from backend.credit import service as credit
    from backend.credit.models import CreditEvent
    from backend.data.import_files import Row
    from backend.query_records.models import QueryRecord
    from backend.residents import service as residents
    from backend.settings import service as settings
    from backend.staff import service as staff
    from backend.web.access import ADMIN, Principal

    app = create_app(base_config(url, "chengxin-migrations:", instance_path))
    with app.app_context():
        upgrade()
        residents.import_residents(None, [Row(2, {"name": "张伟", "id_number": ID_NUMBER, "phone": "",
                                                  "town": "长泾镇", "village": "蒋家村", "household_no": "H-1",
                                                  "status": "active"})])
        resident_id = residents.find_by_id_number(ID_NUMBER).id
        rubric.create_item(None, code="SC-T1", category="social_contribution", title="志愿服务", points=5,
                           kind="bonus")
        credit.grant_event(None, id_number=ID_NUMBER, rubric_code="SC-T1",
                           occurred_at=datetime(2026, 1, 5, 2, tzinfo=UTC), source="tests", source_ref="T-1",
                           note="证人：李娜")
        clerk = staff.create_staff(None, username="wang", display_name="王小明", password="correct horse battery",
                                   role="department", source="market-regulation")
        settings.update(Principal(kind="system", id=0, roles=frozenset({ADMIN})), {"limits.binding_per_day": 3})
        clerk_id = clerk.id
        db.session.remove()  # the migrations run on their own connection

        downgrade(revision="0006")
        connection = db.session.connection()
        assert connection.execute(text("SELECT note FROM credit_events")).scalar() == "证人：李娜"
        assert connection.execute(text("SELECT key FROM setting_values")).scalar() == "binding.daily_attempts"
        old_rows = (("apikey", 1, "bank", "江阴农商银行"), ("wechat", 2, "bank", "江阴农商银行"),
                    ("staff", clerk_id, "department", "王小明"))
        for kind, actor_id, role, label in old_rows:
            connection.execute(text(
                "INSERT INTO query_records (resident_id, at, actor_kind, actor_id, actor_role, actor_label, purpose, "
                "scope) VALUES (:resident, :at, :kind, :actor, :role, :label, 'loan', 'detailed')"),
                {"resident": resident_id, "at": datetime(2026, 1, 5, tzinfo=UTC).replace(tzinfo=None), "kind": kind,
                 "actor": actor_id, "role": role, "label": label})
        db.session.commit()
        db.session.remove()

        upgrade()
        event = db.session.scalar(select(CreditEvent))
        assert event.note == "证人：李娜" and "李娜".encode() not in event.note_sealed and event.note_hash
        assert settings.get("limits.binding_per_day") == 3
        readers = {(r.actor_kind, r.actor_role, r.actor_label) for r in db.session.scalars(select(QueryRecord))}
        assert readers == {("apikey", "verifier_system", "江阴农商银行"), ("wechat", "operator", "江阴农商银行"),
                           ("staff", "department", "market-regulation")}
        db.session.remove()
        db.engine.dispose()


def test_sqlite_data_moves_with_the_migrations(tmp_path):
    carry_data_through(f"sqlite:///{tmp_path / 'data.db'}", tmp_path)


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL not configured: set TEST_DATABASE_URL "
                    "(.ci/run does) to run the data migrations on PostgreSQL")
def test_postgresql_data_moves_with_the_migrations(tmp_path):
    url, drop = create_postgres_database(TEST_DATABASE_URL)
    try:
        carry_data_through(url, tmp_path)
    finally:
        drop()
