"""Counters in the database: where the limits that guard sign-in, binding, reports, uploads and claims
count while Redis cannot be reached (SPEC §12, ``backend.web.ratelimits``).

Each counter is one row, added to in one statement (``INSERT … ON CONFLICT DO UPDATE … RETURNING``, on
PostgreSQL and SQLite alike) on a connection of its own that commits at once: the count holds whatever
becomes of the request that made it, and parallel requests on any host never read the same count.
A row lives until its window has passed; expired rows are removed as new ones are counted.

On SQLite a request's transaction that has read would fail to write after another connection wrote (its
snapshot is stale): so there the request's session ends its read-only transaction before counting (it
reads again afterwards), and a session that has already written counts in its own transaction instead.
Limits are counted before anything is written, so that second case does not arise in the app.
"""

from datetime import timedelta

from sqlalchemy import Integer, String, delete, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from backend.data.extensions import Base, db
from backend.data.types import UTCDateTime
from backend.dates.timeutil import utcnow


class Counter(Base):
    __tablename__ = "rate_limit_counters"

    # The limit's name, a keyed hash of the subject and the window: never an account id or an address.
    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    expires_at: Mapped[object] = mapped_column(UTCDateTime(timezone=True), nullable=False, index=True)


_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


_WROTE = "chengxin.wrote"


@event.listens_for(Session, "after_flush")
def _note_write(session, _context):
    session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_write(session, transaction):
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


def increment(key: str, expires_in: float, amount: int = 1) -> int:
    """Add ``amount`` to the counter ``key`` (made, living ``expires_in`` seconds, when missing) and
    return its new value; committed at once."""
    if db.engine.dialect.name == "sqlite":
        session = db.session()
        if session.info.get(_WROTE) or session.new or session.dirty or session.deleted:
            return _add(session.connection(), key, expires_in, amount)
        session.commit()  # nothing written: only ends the stale read
    with db.engine.begin() as connection:
        return _add(connection, key, expires_in, amount)


def _add(connection, key: str, expires_in: float, amount: int) -> int:
    table = Counter.__table__
    now = utcnow()
    insert = _INSERTS[connection.dialect.name](table).values(
        key=key, count=amount, expires_at=now + timedelta(seconds=expires_in))
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.key], set_={"count": table.c.count + amount}).returning(table.c.count)
    count = connection.execute(statement).scalar_one()
    connection.execute(delete(table).where(table.c.expires_at < now))
    return count
