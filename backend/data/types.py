"""Column types shared by every domain."""

from datetime import datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from backend.dates.timeutil import as_utc

# The largest Integer column value, id, LIMIT or OFFSET: 32-bit on PostgreSQL, which refuses a larger one.
MAX_DB_INTEGER = 2**31 - 1


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware, on PostgreSQL and SQLite alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC time")
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return None if value is None else as_utc(value)
