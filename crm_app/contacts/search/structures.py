"""The full-text structures the ORM cannot describe (FTS5 table and triggers on SQLite, tsvector columns and GIN
indexes on PostgreSQL), suspending them for bulk loads, and the layout version of the search rows: rebuilding
every row once when it changes (``ensure_search_documents`` at once, ``rebuild_search_rows`` in committed batches
for the background job)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    delete,
    func,
)
from sqlalchemy import insert as core_insert
from sqlmodel import Session, select

from crm_app.contacts.models import Contact, ContactSearch
from crm_app.contacts.name_words import rebuild_name_words
from crm_app.contacts.search.documents import load_documents, reindex_contacts
from crm_app.core.models import AppSetting
from crm_app.core.timeutil import utcnow
from crm_app.db import session_scope

FTS_TABLE = "contact_fts"
FTS_SHADOW_SUFFIXES = ("_data", "_idx", "_content", "_docsize", "_config")
PG_VECTOR_COLUMN = "search_vector"
PG_NAME_VECTOR_COLUMN = "name_vector"
PG_VECTOR_INDEX = "ix_contact_search_vector"
PG_NAME_VECTOR_INDEX = "ix_contact_search_name_vector"


def suspend_index_sync(connection: Connection) -> None:
    """Before loading many ``contact_search`` rows: stop updating the full-text index row by row."""
    if connection.dialect.name == "sqlite":
        _drop_sqlite_triggers(connection)
    elif connection.dialect.name == "postgresql":
        _drop_pg_indexes(connection)


def index_loaded_rows(execute: Callable[[str], Any], select_sql: str) -> None:
    """SQLite, while the index sync is suspended: add the rows ``select_sql`` gives (contact id, name_doc,
    body_doc) to the full-text index now (``execute`` runs one SQL text, e.g. a DB-API cursor's), so a loader can
    index each part as it lands; finish with ``resume_index_sync(connection, rebuild=False)``. Segments are not
    merged meanwhile (the final optimize merges them all in one pass: merging as parts land cost three times
    the indexing itself)."""
    execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('automerge', 0)")
    execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('crisismerge', 64)")
    execute(f"INSERT INTO {FTS_TABLE}(rowid, name_doc, body_doc) {select_sql}")


def resume_index_sync(connection: Connection, *, rebuild: bool = True) -> None:
    """After a bulk load: build the full-text index from ``contact_search`` (unless the loader already indexed
    every row, ``index_loaded_rows``) and keep it in sync again."""
    if connection.dialect.name == "sqlite":
        # Build with few merges, then merge into one segment: fast reads, and no merge debt that later small
        # writes would pay for (each would otherwise take milliseconds), then the default for day-to-day writes.
        if rebuild:
            connection.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('automerge', 16)")
            connection.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
        connection.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')")
        connection.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('automerge', 4)")
        connection.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('crisismerge', 16)")
        _create_sqlite_triggers(connection)
    elif connection.dialect.name == "postgresql":
        _create_pg_index(connection)


# The layout of the search rows: raised whenever what ``documents`` (its ``_document``) or ``filter_tokens`` write
# changes, so that ``ensure_search_documents`` rebuilds, once, the rows earlier code wrote (2: custom dates carry
# their decade, century and millennium; 3: names and cities also hold their other spellings, ``spellings``, and
# the name words fill ``contact_name_word``). Stored in ``app_setting`` by whatever writes every row (a rebuild,
# the bench seed).
DOCUMENTS_VERSION = 3
DOCUMENTS_VERSION_KEY = "search.documents_version"
_REBUILD_LOCK = 7_250_001  # PostgreSQL advisory lock: one process rebuilds, the others wait and find it done


def mark_search_documents_current(session: Session) -> None:
    """Record that every search row has today's layout (``DOCUMENTS_VERSION``)."""
    row = session.get(AppSetting, DOCUMENTS_VERSION_KEY)
    if row is None:
        session.add(AppSetting(key=DOCUMENTS_VERSION_KEY, value=DOCUMENTS_VERSION))
    else:
        row.value = DOCUMENTS_VERSION
        row.updated_at = utcnow()
        session.add(row)
    session.flush()


def ensure_search_documents(session: Session) -> int | None:
    """Rebuild every search row when they were written with another layout than today's (or none was recorded
    and contacts exist, as after an upgrade); returns how many rows were rebuilt, None when nothing was to do.

    In one transaction, for the demo data and the tests; the app queues ``rebuild_search_rows`` at start instead.
    Migrations never rebuild search rows themselves (they would run today's code against an older schema)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_REBUILD_LOCK)))
    if search_documents_current(session):
        return None
    return rebuild_search_index(session)


def search_documents_current(session: Session) -> bool:
    """Whether the search rows have today's layout; a database without contacts (and no layout recorded yet, a new
    one) is recorded as current."""
    row = session.get(AppSetting, DOCUMENTS_VERSION_KEY)
    if row is not None and row.value == DOCUMENTS_VERSION:
        return True
    if row is None and session.connection().execute(select(Contact.id).limit(1)).first() is None:
        mark_search_documents_current(session)
        return True
    return False


def rebuild_search_rows(
    *, engine: Engine | None = None, batch_size: int = 2_000, on_batch: Callable[[int, int], None] | None = None
) -> int:
    """Recompute every contact's search row in batches of contacts by id, each committed, then the vocabulary of
    name words, and record the rows' layout as today's; returns the row count (``on_batch(done, total)`` after
    each batch).

    The background rebuild after an upgrade: meanwhile the list answers from the rows as they stand (each
    replaced as its batch commits), and other writes wait for one batch at most. A batch holds its contacts
    (``FOR SHARE`` on PostgreSQL; SQLite's write lock) so that a contact saved meanwhile keeps the row of its save.
    """
    with session_scope(engine) as s:
        low, high, total = (
            s.connection().execute(select(func.min(Contact.id), func.max(Contact.id), func.count())).one()
        )
    done = 0
    if low is not None:
        for start in range(low, high + 1, batch_size):
            end = start + batch_size - 1
            with session_scope(engine) as s:
                ids = list(
                    s.connection()
                    .execute(select(Contact.id).where(Contact.id.between(start, end)).with_for_update(read=True))
                    .scalars()
                )
                reindex_contacts(s, contact_ids=ids)
            done += len(ids)
            if on_batch is not None:
                on_batch(done, total)
    with session_scope(engine) as s:
        rebuild_name_words(s.connection())
        mark_search_documents_current(s)
    return done


def rebuild_search_index(session: Session, *, batch_size: int = 20_000) -> int:
    """Recompute every contact's search row and the full-text index from scratch (and record their layout as
    today's); returns the row count."""
    session.flush()
    bind = session.connection()
    suspend_index_sync(bind)
    session.execute(delete(ContactSearch))
    low = session.connection().execute(select(func.min(Contact.id))).scalar_one()
    high = session.connection().execute(select(func.max(Contact.id))).scalar_one()
    total = 0
    if low is not None:
        for start in range(low, high + 1, batch_size):
            end = start + batch_size - 1
            rows = load_documents(session, lambda col, start=start, end=end: col.between(start, end))
            if rows:
                session.execute(core_insert(ContactSearch.__table__), rows)
            total += len(rows)
    resume_index_sync(bind)
    rebuild_name_words(bind)
    mark_search_documents_current(session)
    return total


def _create_sqlite_triggers(connection: Connection) -> None:
    cols = "name_doc, body_doc"
    new = "new.name_doc, new.body_doc"
    old = "old.name_doc, old.body_doc"
    statements = (
        f"CREATE TRIGGER IF NOT EXISTS contact_search_ai AFTER INSERT ON contact_search BEGIN "
        f"INSERT INTO {FTS_TABLE}(rowid, {cols}) VALUES (new.contact_id, {new}); END",
        f"CREATE TRIGGER IF NOT EXISTS contact_search_ad AFTER DELETE ON contact_search BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {cols}) VALUES ('delete', old.contact_id, {old}); END",
        f"CREATE TRIGGER IF NOT EXISTS contact_search_au AFTER UPDATE ON contact_search "
        f"WHEN old.name_doc IS NOT new.name_doc OR old.body_doc IS NOT new.body_doc BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {cols}) VALUES ('delete', old.contact_id, {old}); "
        f"INSERT INTO {FTS_TABLE}(rowid, {cols}) VALUES (new.contact_id, {new}); END",
    )
    for statement in statements:
        connection.exec_driver_sql(statement)


def _drop_sqlite_triggers(connection: Connection) -> None:
    for name in ("contact_search_ai", "contact_search_ad", "contact_search_au"):
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")


def _create_pg_index(connection: Connection) -> None:
    """GIN indexes on the whole document and on the names alone (a ranked search reads the name matches of a
    word found mostly elsewhere, an e-mail domain or a tag, without visiting every contact that holds it)."""
    for name, vector in ((PG_VECTOR_INDEX, PG_VECTOR_COLUMN), (PG_NAME_VECTOR_INDEX, PG_NAME_VECTOR_COLUMN)):
        connection.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON contact_search USING gin ({vector})")


def _drop_pg_indexes(connection: Connection) -> None:
    for name in (PG_VECTOR_INDEX, PG_NAME_VECTOR_INDEX):
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def create_search_structures(connection: Connection) -> None:
    """Create what the ORM metadata cannot describe: FTS5 table and triggers, or the tsvector column and index."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        connection.exec_driver_sql(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            "name_doc, body_doc, content='contact_search', content_rowid='contact_id', "
            "tokenize=\"unicode61 remove_diacritics 0 tokenchars '_'\", prefix='1 2 3 4 5 6', columnsize=0)"
        )
        _create_sqlite_triggers(connection)
        connection.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
    elif dialect == "postgresql":
        connection.exec_driver_sql(
            f"ALTER TABLE contact_search ADD COLUMN IF NOT EXISTS {PG_VECTOR_COLUMN} tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, name_doc || ' ' || body_doc)) STORED"
        )
        connection.exec_driver_sql(
            f"ALTER TABLE contact_search ADD COLUMN IF NOT EXISTS {PG_NAME_VECTOR_COLUMN} tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, name_doc)) STORED"
        )
        _create_pg_index(connection)


def drop_search_structures(connection: Connection) -> None:
    """Undo ``create_search_structures`` (the ``contact_search`` table itself stays)."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        _drop_sqlite_triggers(connection)
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif dialect == "postgresql":
        _drop_pg_indexes(connection)
        connection.exec_driver_sql(f"ALTER TABLE contact_search DROP COLUMN IF EXISTS {PG_VECTOR_COLUMN}")
        connection.exec_driver_sql(f"ALTER TABLE contact_search DROP COLUMN IF EXISTS {PG_NAME_VECTOR_COLUMN}")


def is_search_structure(name: str | None, type_: str) -> bool:
    """True for the database objects ``create_search_structures`` makes (schema comparison skips them)."""
    if not name:
        return False
    if type_ == "table":
        return name == FTS_TABLE or (name.startswith(FTS_TABLE) and name[len(FTS_TABLE) :] in FTS_SHADOW_SUFFIXES)
    if type_ == "column":
        return name in (PG_VECTOR_COLUMN, PG_NAME_VECTOR_COLUMN)
    if type_ == "index":
        return name in (PG_VECTOR_INDEX, PG_NAME_VECTOR_INDEX)
    return False


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic ``include_object`` hook: leave the search structures out of autogenerate comparisons."""
    return not (reflected and compare_to is None and is_search_structure(name, type_))
