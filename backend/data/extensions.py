"""The app's extension objects, created once and bound in ``create_app``."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from backend.data.types import MAX_DB_INTEGER

# Stable constraint names keep Alembic migrations identical on PostgreSQL and SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


READ_REPLICA = "replica"


class Session(FlaskSession):
    """A session that reads from the read replica (``DATABASE_READ_URL``) while ``read_from_replica``
    says so: only public read-only endpoints ask (``AccessRule.replica``). Whatever it writes (a flush)
    still goes to the primary, and without a replica everything does (SPEC §12)."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and self.info.get(READ_REPLICA) and not self._flushing:
            engine = self._db.engines.get(READ_REPLICA)
            if engine is not None:
                return engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def read_from_replica() -> None:
    """Let this request's session read from the replica (a public read-only endpoint)."""
    db.session.info[READ_REPLICA] = True


class Database(SQLAlchemy):
    def paginate(self, select, *, page=None, per_page=None, **kwargs):
        """Pages past the last row are empty; a huge page number is one of them, not an OFFSET the
        database cannot hold."""
        if page is not None and per_page:
            page = min(page, MAX_DB_INTEGER // per_page)
        return super().paginate(select, page=page, per_page=per_page, **kwargs)


db = Database(model_class=Base, session_options={"class_": Session})
migrate = Migrate()
# The API and the rate limiter hold per-app state, so create_app makes one of each per app.


def only_on_dialect(dialect_name: str):
    """An Alembic ``include_object`` that leaves out schema objects made for another database only (an
    index with ``info={"only_on": "postgresql"}``, created with ``ddl_if``), so the comparison of models
    and migrations holds on every database."""

    def include(object_, name, type_, reflected, compare_to) -> bool:
        only_on = (getattr(object_, "info", None) or {}).get("only_on")
        return only_on is None or only_on == dialect_name

    return include
