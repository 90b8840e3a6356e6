"""Statements built once per process, for the few paths that run on every request or every scan.

Building a SQLAlchemy statement and its cache key anew, and running it through the ORM's execution layer,
costs more CPU than PostgreSQL takes to answer a primary-key read (bench/README.md, "Credit-code
verification": 2.2 ms against 0.4 ms for the same read built once). A ``Prepared`` statement is built on
first use with ``bindparam`` placeholders, compiled once per dialect by the engine's cache, and executed as
Core on the session's own connection and transaction: its rows are plain rows, nothing is loaded into the
session. Use it where a path is hot and reads or writes columns, not objects; everywhere else the ordinary
``db.session.execute(select(...))`` reads better."""

from collections.abc import Callable

from sqlalchemy import Table, bindparam
from sqlalchemy.engine import Result
from sqlalchemy.sql import Executable

from backend.data.extensions import db


class Prepared:
    """A statement ``build`` makes on first use; ``execute(**params)`` runs it in the session's transaction."""

    def __init__(self, build: Callable[[], Executable]):
        self._build = build
        self._statement: Executable | None = None

    @property
    def statement(self) -> Executable:
        if self._statement is None:  # two threads may both build it: the same statement, harmless
            self._statement = self._build()
        return self._statement

    def execute(self, **params) -> Result:
        session = db.session
        if session.autoflush:  # as the session's own execute would (not inside ``no_autoflush``)
            session.flush()
        return session.connection().execute(self.statement, params)


def placeholders(table: Table, columns, prefix: str = "") -> dict:
    """``{column: bindparam}`` for an ``INSERT``'s values, each placeholder typed as its column; ``prefix``
    keeps two tables' parameters apart in one statement."""
    return {name: bindparam(prefix + name, type_=table.c[name].type) for name in columns}
