"""Database engine and sessions: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from crm_app.settings import settings


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # Autocommit at the driver level; SQLAlchemy emits BEGIN itself (see _sqlite_begin).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _sqlite_begin(conn) -> None:
    # BEGIN IMMEDIATE: a read-then-write transaction waits for the lock instead of failing.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def build_engine(url: str) -> Engine:
    """Create an engine with this project's connection settings for the URL's dialect."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


_ENGINES: dict[str, Engine] = {}


def get_engine(url: str | None = None) -> Engine:
    """The shared engine for ``url`` (default: the configured database)."""
    key = url or settings.database_url
    if key not in _ENGINES:
        _ENGINES[key] = build_engine(key)
    return _ENGINES[key]


def reset_engines() -> None:
    """Dispose of every cached engine (tests switch databases)."""
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


_REQUIRED = object()


@cache
def scalar_defaults(table: Table) -> dict[str, Any]:
    """The columns of ``table`` whose default is a constant, with it (what an insert that leaves them out gets)."""
    return {c.name: c.default.arg for c in table.columns if c.default is not None and c.default.is_scalar}


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """``INSERT`` many rows as one driver-level executemany.

    Values go through each column's own bind processing, as ``session.execute(insert(table), rows)`` does,
    but column by column instead of SQLAlchemy's per-row parameter dictionaries (which cost as much as the
    write itself for imports of thousands of rows). Names that are no column are left out, as there. A
    column a row leaves out gets its default when that is a constant; one whose default is computed, or that
    has none, must be given by every row that names any value for it (ValueError, nothing written).
    """
    if not rows:
        return
    first = rows[0].keys()
    uniform = all(row.keys() == first for row in rows)
    named = dict.fromkeys(name for row in (rows[:1] if uniform else rows) for name in row if name in table.c)
    defaulted = (column.name for column in table.columns if column.name not in named and column.default is not None)
    names = [*named, *defaulted]
    dialect = session.get_bind().dialect
    preparer = dialect.identifier_preparer
    constants = scalar_defaults(table)
    columns: list[Any] = []
    for name in names:
        column = table.c[name]
        if uniform and name in named:
            values = list(map(itemgetter(name), rows))
        else:
            default = constants.get(name, _REQUIRED)
            values = [row.get(name, default) for row in rows]
            if any(value is _REQUIRED for value in values):
                raise ValueError(f"insert_rows: every row needs a value for {table.name}.{name}")
        process = column.type._cached_bind_processor(dialect)
        columns.append(values if process is None else list(map(process, values)))
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {preparer.format_table(table)} ({', '.join(preparer.quote(name) for name in names)}) "
        f"VALUES ({', '.join([mark] * len(names))})"
    )
    session.connection().exec_driver_sql(sql, list(zip(*columns, strict=True)))
