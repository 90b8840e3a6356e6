"""Column types shared by every domain."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, Numeric
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


class Yuan(TypeDecorator):
    """An amount of money in yuan, exact to the fen: NUMERIC(18, 2) on PostgreSQL; on SQLite, whose
    numbers are binary floats, a count of fen in an integer. Python sees ``Decimal`` either way."""

    impl = Numeric(18, 2)
    cache_ok = True
    FEN = Decimal("0.01")

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(BigInteger() if dialect.name == "sqlite" else Numeric(18, 2))

    def process_bind_param(self, value: Decimal | None, dialect):
        if value is None:
            return None
        value = Decimal(value)
        if value != value.quantize(self.FEN):
            raise ValueError("an amount in yuan has at most two decimals")
        return int(value * 100) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(value) / 100 if dialect.name == "sqlite" else Decimal(value)).quantize(self.FEN)
