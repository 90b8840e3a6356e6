"""The README's backup and restore (SPEC §12), run once: ``pg_dump`` of a database with data in every
domain, ``pg_restore`` into a fresh database, the same rows in every table; the keys are not in the dump,
and the restored database is read with the keys kept apart from it (and is useless without them)."""

import uuid
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text

from backend import create_app
from backend.credit import service as credit
from backend.credit.default_rubric import load_default_rubric
from backend.credit.models import CreditEvent
from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from backend.privacy.sealing import DecryptionError, open_sealed
from backend.residents import service as residents_service
from tests.conftest import Residents, Staff, base_config, new_key
from tests.services import PrivatePostgres, postgres_binaries


@pytest.fixture
def private_postgres():
    if postgres_binaries() is None:
        pytest.skip("PostgreSQL's binaries (initdb, pg_dump, pg_restore) are not installed under /usr/lib/postgresql")
    server = PrivatePostgres()
    server.init()
    yield server
    server.stop()
    server.remove()


def counts(url: str, tables: list) -> dict:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        found = {table.name: connection.scalar(select(func.count()).select_from(table)) for table in tables}
        found["alembic_version"] = connection.scalar(text("SELECT version_num FROM alembic_version"))
    engine.dispose()
    return found


def test_backup_and_restore_into_a_fresh_database_keeps_every_row(private_postgres, tmp_path):
    source_url = private_postgres.create_database("chengxin")
    config = {**base_config(source_url, f"chengxin-backup-{uuid.uuid4().hex[:8]}:", tmp_path / "instance"),
              "REDIS_URL": None}
    source = create_app(config)
    with source.app_context():
        upgrade()
        load_default_rubric()
        people = Residents(source)
        created = [people.create(name=f"备份{n}") for n in range(5)]
        id_number = created[0].plain["id_number"]
        created_ids = [resident.id for resident in created]
        credit.grant_event(None, id_number=id_number, rubric_code=db.session.scalar(
            text("SELECT code FROM rubric_items WHERE kind = 'bonus' ORDER BY id LIMIT 1")),
            occurred_at=utcnow() - timedelta(days=1), source="office", source_ref="backup-1")
        Staff(source).headers("admin")
        tables = list(db.metadata.sorted_tables)
        db.session.remove()
        db.engine.dispose()

    dump = private_postgres.dump("chengxin")
    restored_url = private_postgres.restore(dump, "chengxin_restored")

    before, after = counts(source_url, tables), counts(restored_url, tables)
    assert after == before
    assert before["residents"] == 5 and before["credit_events"] == 1 and before["staff_members"] == 1
    raw = dump.read_bytes()
    for name in ("SECRET_KEY", "DATA_ENCRYPTION_KEY", "LOOKUP_HASH_KEY"):
        assert config[name].encode() not in raw

    # With the keys kept apart, the restored database answers as the old one did.
    restored = create_app({**config, "DATABASE_URL": restored_url, "SQLALCHEMY_DATABASE_URI": restored_url})
    with restored.app_context():
        resident = residents_service.find_by_id_number(id_number)
        assert resident is not None and open_sealed("name", resident.name_sealed) == "备份0"
        ledger = db.session.scalar(select(func.sum(CreditEvent.points)))
        assert credit.get_account(resident.id).points == credit.get_account(created_ids[1]).points + ledger
        sealed_name = resident.name_sealed
        db.session.remove()
        db.engine.dispose()
    # Without them it finds no one, and opens nothing.
    stranger = create_app({**config, "DATABASE_URL": restored_url, "SQLALCHEMY_DATABASE_URI": restored_url,
                           "DATA_ENCRYPTION_KEY": new_key(), "LOOKUP_HASH_KEY": new_key()})
    with stranger.app_context():
        assert residents_service.find_by_id_number(id_number) is None
        with pytest.raises(DecryptionError):
            open_sealed("name", sealed_name)
        db.session.remove()
        db.engine.dispose()
