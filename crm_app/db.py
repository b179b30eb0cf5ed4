"""Database engine and sessions: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from crm_app.core import changes as _changes  # noqa: F401  (announces committed contact changes)
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
