"""Set-based writes for work in bulk (imports, synthetic data): temporary tables, fast loading, inserts
that skip rows already present.

PostgreSQL loads rows with COPY (psycopg 3 ``cursor.copy``), tens of times faster than INSERTs; the
embedded SQLite gets batched multi-row INSERTs. Everything runs on the session's connection, inside the
caller's transaction, so a failure anywhere leaves nothing behind.
"""

import zlib
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from itertools import islice

from sqlalchemy import Column, MetaData, Table, select, text, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import TypeDecorator

from backend.data.extensions import db

BATCH = 5000


def dialect() -> str:
    return db.session.get_bind().dialect.name


def temporary_table(name: str, *columns: Column) -> Table:
    """Create a temporary table on the session's connection. ``drop`` it when done (PostgreSQL also
    drops it at commit; the embedded database keeps one connection for many requests)."""
    table = Table(name, MetaData(), *columns, prefixes=["TEMPORARY"], postgresql_on_commit="DROP")
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        table.drop(connection, checkfirst=True)
    table.create(connection)
    return table


def drop(table: Table) -> None:
    table.drop(db.session.connection(), checkfirst=True)


def load(table: Table, rows: Iterable[tuple], columns: tuple[str, ...] | None = None) -> int:
    """Append ``rows`` (tuples in the order of ``columns``, all columns by default) to ``table``."""
    names = columns or tuple(table.c.keys())
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        return _copy(connection, table, names, rows)
    count = 0
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        connection.execute(table.insert(), [dict(zip(names, row, strict=True)) for row in batch])
        count += len(batch)
    return count


# PostgreSQL types of the binary COPY format, by the Python type of a column; binary COPY takes values as
# they are (a datetime costs a fifth of what its text form does).
COPY_TYPES = {int: "int4", str: "text", bool: "bool", datetime: "timestamptz", bytes: "bytea", date: "date",
              Decimal: "numeric"}


def _copy(connection, table: Table, names: tuple[str, ...], rows: Iterable[tuple]) -> int:
    preparer = connection.dialect.identifier_preparer
    statement = "COPY {} ({}) FROM STDIN (FORMAT BINARY)".format(
        preparer.format_table(table), ", ".join(preparer.quote(name) for name in names))
    count = 0
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        copy.set_types([COPY_TYPES[_python_type(table.c[name].type)] for name in names])
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _python_type(column_type) -> type:
    return (column_type.impl if isinstance(column_type, TypeDecorator) else column_type).python_type


def insert_new(table: Table, rows: Iterable[tuple], columns: tuple[str, ...]) -> int:
    """Load ``rows`` into ``table`` through a staging copy, leaving out those that clash with a unique
    key (so the same rows again add nothing); returns how many were added."""
    staging = temporary_table(f"new_{table.name}", *[Column(name, table.c[name].type) for name in columns])
    load(staging, rows, columns)
    analyse(staging)
    # A WHERE clause keeps SQLite from reading ON CONFLICT as the ON of a join.
    rows_to_add = select(*staging.c).where(true())
    added = db.session.execute(insert_skipping_duplicates(table).from_select(list(columns), rows_to_add),
                               execution_options={"preserve_rowcount": True}).rowcount
    drop(staging)
    return added


def bytewise(column):
    """``column`` compared byte by byte (COLLATE "C" on PostgreSQL): sorting a million keys under a
    language's collation costs several times more, and grouping equal keys needs no language."""
    return column.collate("C") if dialect() == "postgresql" else column


def insert_skipping_duplicates(table: Table):
    """An INSERT that leaves out rows clashing with a unique key (``ON CONFLICT DO NOTHING``)."""
    module = postgresql if dialect() == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing()


def analyse(table: Table) -> None:
    """Give the planner the statistics of a freshly loaded temporary table (autovacuum never sees one)."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"ANALYZE {connection.dialect.identifier_preparer.format_table(table)}"))


# Sorts and hash joins over a million staged rows fit in memory with this much, rather than spilling.
WORK_MEM = "256MB"


def roomy_transaction() -> None:
    """Give this transaction's sorts and hashes room for work in bulk, and skip the JIT compilation that
    costs each big statement half a second (PostgreSQL ``SET LOCAL``)."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
        connection.execute(text("SET LOCAL jit = off"))


def one_at_a_time(name: str) -> None:
    """Let one transaction at a time past this point, until it ends (a PostgreSQL advisory lock; the
    embedded database has a single writer anyway)."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(name.encode())})
