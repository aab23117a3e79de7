"""Database engine, sessions and the column types every model shares."""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING)


class _SQLiteText(sqlite.DATETIME):
    """SQLite's DATETIME column with no conversion of its own: UTCDateTime does it in C."""

    def bind_processor(self, dialect: Any) -> None:
        return None

    def result_processor(self, dialect: Any, coltype: Any) -> None:
        return None


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An instant stored as UTC; SQLite drops offsets, so they are stripped and restored here.

    On SQLite the value is the text SQLAlchemy's own DATETIME writes ("YYYY-MM-DD
    HH:MM:SS.ffffff", so stored rows and comparisons are unchanged), made by `isoformat` and
    read by `fromisoformat`: a tenth of the cost of the generic formatting, on every row.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return _SQLiteText()
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given where an instant is needed")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None).isoformat(" ", "microseconds")
        return value

    def process_result_value(self, value: Any, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            if len(value) >= 19 and value[-6] not in "+-" and value[-1] != "Z":
                # The text this type writes, with no offset: read it as UTC in one C call
                # (a tenth of parsing and then `replace(tzinfo=UTC)`, on every instant read).
                return dt.datetime.fromisoformat(value + "+00:00")
            value = dt.datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


# Set on every new SQLite connection: foreign keys enforced, readers never blocked by the
# writer, and a commit that survives a process crash (a power cut may lose the last ones).
SQLITE_PRAGMAS = ("PRAGMA foreign_keys=ON", "PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")


# How long a SQLite writer waits for another's lock before "database is locked". Writers keep
# their transactions to well under a second (ingest parts of 500 records), so this is margin.
SQLITE_BUSY_TIMEOUT_S = 30


def make_engine(url: str, sqlite_mmap_mb: int = 0, **kwargs: Any) -> Engine:
    """Create an engine; for a SQLite file, create its folder and turn on WAL and foreign keys.

    `sqlite_mmap_mb` > 0 has SQLite read through a memory map of that size instead of a read()
    per page: a fifth of a citizen lookup's CPU on a file of 1 000 000 dossiers. The web app
    asks for it ([web] sqlite_mmap_mb); bulk writers do not, since mapped pages count in their
    RSS.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_S})
    else:
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        pragmas = [*SQLITE_PRAGMAS, f"PRAGMA mmap_size={sqlite_mmap_mb * 1024 * 1024}"]

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
            cursor = dbapi_connection.cursor()
            for pragma in pragmas:
                cursor.execute(pragma)
            cursor.close()

        event.listen(engine, "savepoint", _begin_before_savepoint)

    return engine


def _begin_before_savepoint(connection: Any, name: str) -> None:
    """Open the real transaction before SQLAlchemy's first SAVEPOINT on a SQLite connection.

    Python's sqlite3 driver emits BEGIN only before an INSERT, UPDATE or DELETE. A SAVEPOINT
    issued first therefore runs in autocommit mode, where SQLite starts a transaction of its
    own and RELEASE commits it (SQLite's SAVEPOINT documentation; SQLAlchemy's SQLite dialect
    notes the driver's broken SAVEPOINT). An ingest batch written inside a savepoint was then
    committed at once, before the cursor written after it: killed in between, the next run
    redid the batch. IMMEDIATE takes the write lock now, waiting for it as any writer does,
    since a savepoint here always wraps writes.
    """
    driver = connection.connection.dbapi_connection
    if not driver.in_transaction:
        driver.execute("BEGIN IMMEDIATE")


def refresh_statistics(connection: Any, tables: Sequence[str]) -> None:
    """Let PostgreSQL's planner see a bulk load now, not at the next autovacuum.

    Before the first ANALYZE the planner takes a freshly filled table for empty and scans it
    whole for each lookup of a thousand codes: re-reading 30 000 dossiers just loaded took
    15 s instead of 0.3 s. SQLite needs no statistics to use its indexes; this is a no-op there.
    """
    if connection.dialect.name == "postgresql":
        for table in tables:
            connection.exec_driver_sql(f"ANALYZE {table}")


def insert_rows(session: Session, table: str, columns: Sequence[str],
                rows: Sequence[tuple[Any, ...]]) -> None:
    """Add rows of driver-ready values (already converted by their columns' types) in bulk.

    On PostgreSQL by COPY: an executemany there runs one statement per row, and a batch's
    thousands of history lines and name words then cost more than its dossiers; COPY of the
    same rows took a fifth of the time. Elsewhere one executemany of driver SQL. A refused
    row raises SQLAlchemy's DBAPIError subclass (IntegrityError, DataError) either way, so a
    caller's record-by-record replay still works.
    """
    connection = session.connection()
    dialect = connection.dialect
    names = ", ".join(columns)
    if dialect.name == "postgresql":
        statement = f"COPY {table} ({names}) FROM STDIN"
        driver = connection.connection.dbapi_connection
        try:
            with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
                for row in rows:
                    copy.write_row(row)
        except dialect.dbapi.Error as exc:
            raise DBAPIError.instance(statement, None, exc, dialect.dbapi.Error) from exc
        return
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    connection.exec_driver_sql(
        f"INSERT INTO {table} ({names}) VALUES ({', '.join([marker] * len(columns))})", rows)


class DriverQuery:
    """A fixed SELECT run on the driver's own cursor, its values converted by the columns' types.

    SQLAlchemy's execution of a cached statement (context, result, row objects) costs about
    50 µs, more than ten times what SQLite needs to find a dossier by its indexed code; the
    citizen lookup runs two such statements on the busiest public route. Here the statement is
    compiled once per dialect and each row comes back as a named tuple of the values
    SQLAlchemy would have given. Only parameters that need no conversion may be bound (checked
    at compile time); driver errors are raised as SQLAlchemy's own (OperationalError, ...), so
    callers handle them as they would any other statement's, and `before_cursor_execute`
    listeners are called as for any statement.
    """

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self.Row = namedtuple(  # type: ignore[misc]
            "Row", [column.key for column in statement.selected_columns])
        self._compiled: dict[str, tuple[str, Any, list[Any]]] = {}

    def _prepared(self, dialect: Any) -> tuple[str, Any, list[Any]]:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            for name, bind in compiled.binds.items():
                if bind.type.dialect_impl(dialect).bind_processor(dialect) is not None:
                    raise TypeError(f"parameter {name!r} needs conversion; use execute()")
            order = compiled.positiontup if compiled.positional else None
            processors = [column.type.dialect_impl(dialect).result_processor(dialect, None)
                          for column in self.statement.selected_columns]
            found = self._compiled[dialect.name] = (compiled.string, order, processors)
        return found

    def rows(self, connection: Any, params: dict[str, Any]) -> list[Any]:
        """Every row of the statement with these parameters, converted."""
        dialect = connection.dialect
        sql, order, processors = self._prepared(dialect)
        bound = tuple(params[name] for name in order) if order is not None else params
        cursor = connection.connection.cursor()
        # Listeners of SQLAlchemy's statement hook still see the statement, as for execute().
        for listener in connection.dispatch.before_cursor_execute:
            listener(connection, cursor, sql, bound, None, False)
        try:
            cursor.execute(sql, bound)
            fetched = cursor.fetchall()
        except dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(sql, bound, exc, dialect.loaded_dbapi.Error) from exc
        finally:
            cursor.close()
        make = self.Row._make
        return [make([value if convert is None or value is None else convert(value)
                      for convert, value in zip(processors, row, strict=True)])
                for row in fetched]

    def first(self, connection: Any, params: dict[str, Any]) -> Any:
        """The first row, or None."""
        found = self.rows(connection, params)
        return found[0] if found else None


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory used by web requests, jobs and the CLI."""
    return sessionmaker(engine, expire_on_commit=False)


def error_line(exc: BaseException) -> str:
    """An error in one line: a driver's own message, without SQLAlchemy's SQL and link lines."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}"
