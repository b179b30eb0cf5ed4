"""Alembic migrations: they go up and down cleanly and build exactly the schema the models describe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.command import downgrade, upgrade
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect
from sqlmodel import SQLModel

import crm_app.models  # noqa: F401  (loads every table)
from crm_app.contacts.search.structures import include_object, is_search_structure
from crm_app.db import build_engine

ROOT = Path(__file__).resolve().parents[1]


def _alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.attributes["skip_logging"] = True
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.connect() as conn:
        upgrade(_alembic_config(conn), revision)
        conn.commit()


def _downgrade(engine: Engine, revision: str = "base") -> None:
    with engine.connect() as conn:
        downgrade(_alembic_config(conn), revision)
        conn.commit()


def _tables(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names()) - {"alembic_version"}
        return {name for name in names if not is_search_structure(name, "table")}


def _differences(engine: Engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
        return compare_metadata(context, SQLModel.metadata)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database: a SQLite file, or a fresh PostgreSQL schema (needs CRM_TEST_POSTGRES_URL)."""
    if request.param == "sqlite":
        engine = build_engine(f"sqlite:///{tmp_path / 'migrations.db'}")
        yield engine
        engine.dispose()
    else:
        yield request.getfixturevalue("pg_engine")


def test_migrations_have_a_single_head() -> None:
    heads = ScriptDirectory.from_config(_alembic_config()).get_heads()
    assert len(heads) == 1, f"several Alembic heads, merge them: {heads}"


def test_migrations_upgrade_downgrade_and_match_the_models(empty_engine: Engine) -> None:
    _upgrade(empty_engine)
    assert _tables(empty_engine) == set(SQLModel.metadata.tables)

    _downgrade(empty_engine)
    assert _tables(empty_engine) == set(), "downgrade to base left tables behind"

    _upgrade(empty_engine)
    differences = _differences(empty_engine)
    assert differences == [], "the models and the migrations differ; run `make migration m=...`:\n" + "\n".join(
        map(str, differences)
    )


@pytest.mark.parametrize("revision", ["c7e9f8e04af5", "58de712029a6"], ids=["before_search", "before_tokens"])
def test_upgrading_an_existing_database_gives_its_contacts_their_filter_tokens(tmp_path: Path, revision: str) -> None:
    """Contacts stored before the search table or its filter tokens existed (SQLite) are found on upgrade."""
    from sqlmodel import Session, text

    from crm_app.contacts.search.filters import ContactFilter
    from crm_app.contacts.search.query import search_contacts
    from crm_app.contacts.search.structures import ensure_search_documents

    engine = build_engine(f"sqlite:///{tmp_path / 'tokens.db'}")
    _upgrade(engine, revision)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO tag (id, name, color) VALUES (1, 'VIP', 'gray')"))
        for contact_id, archived in ((1, None), (2, "2026-01-01 00:00:00")):
            conn.execute(
                text(
                    "INSERT INTO contact (id, kind, first_name, last_name, company_name, display_name, sort_name, "
                    "reference, registration_no, is_supplier, discount_percent, memo, archived_at, custom, version, "
                    "created_at, updated_at) VALUES (:id, 'person', 'Ann', 'Lee', '', 'Ann Lee', 'ann lee', :ref, '', "
                    "0, 0, '', :archived, '{}', 1, "
                    "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                ),
                {"id": contact_id, "ref": f"C-{contact_id}", "archived": archived},
            )
            conn.execute(text("INSERT INTO contact_tag (contact_id, tag_id) VALUES (:id, 1)"), {"id": contact_id})
        if revision == "58de712029a6":
            conn.execute(
                text(
                    "INSERT INTO contact_search (contact_id, name_key, name_doc, body_doc, city_key, "
                    "email_key, phone_key, assigned_key) VALUES (1, 'ann lee', 'ann lee', 'c 1 vip', '', '', "
                    "'', ''), (2, 'ann lee', 'ann lee', 'c 2 vip', '', '', '', '')"
                )
            )
    _upgrade(engine)
    with Session(engine) as session:
        # The migrations leave the rows as they were; the app rebuilds them when it starts (no layout recorded).
        assert ensure_search_documents(session) == 2
        session.commit()
        assert ensure_search_documents(session) is None
        tagged = search_contacts(session, filter=ContactFilter(tag_ids=(1,)))
        archived = search_contacts(session, filter=ContactFilter(tag_ids=(1,), archived="only"))
        assert ([row.id for row in tagged.rows], [row.id for row in archived.rows]) == ([1], [2])
    engine.dispose()


def test_upgrading_folds_stored_sort_names_like_the_search(empty_engine: Engine) -> None:
    """Sort names stored before ``fold`` mapped "ł", "ø", "æ"... get that mapping on upgrade, as new ones have."""
    from sqlalchemy import text

    from crm_app.contacts.texts import sort_key

    names = ("Łukasz Wałęsa", "Søren Kierkegaard", "Ann Lee", "Œuvre Ærø")
    _upgrade(empty_engine, "f2b3c4d5e6f7")
    with empty_engine.begin() as conn:
        for contact_id, name in enumerate(names, start=1):
            old_key = {"Łukasz Wałęsa": "łukasz wałesa", "Søren Kierkegaard": "søren kierkegaard"}.get(name)
            conn.execute(
                text(
                    "INSERT INTO contact (id, kind, first_name, last_name, company_name, display_name, sort_name, "
                    "reference, registration_no, is_supplier, discount_percent, memo, custom, version, "
                    "created_at, updated_at) VALUES (:id, 'person', '', '', '', :name, :key, :ref, '', "
                    "false, 0, '', '{}', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                ),
                {"id": contact_id, "name": name, "key": old_key or name.casefold(), "ref": f"C-{contact_id}"},
            )
    _upgrade(empty_engine)
    with empty_engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT display_name, sort_name FROM contact")).all())
    assert stored == {name: sort_key(name) for name in names}
