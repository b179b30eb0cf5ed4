"""Shared fixtures: a fresh database per test (SQLite by default, PostgreSQL when asked)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session, SQLModel

import crm_app.models  # noqa: F401  (loads every table)
from crm_app.contacts.search.structures import create_search_structures
from crm_app.db import build_engine, normalise_url, reset_engines
from crm_app.settings import settings

POSTGRES_URL = os.environ.get("CRM_TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("CRM_TEST_REDIS_URL", "")


@pytest.fixture
def engine(tmp_path) -> Iterator[Engine]:
    """A fresh SQLite database file with every table, for one test."""
    eng = build_engine(f"sqlite:///{tmp_path / 'test.db'}")
    _create_schema(eng)
    yield eng
    eng.dispose()


def _create_schema(eng: Engine) -> None:
    SQLModel.metadata.create_all(eng)
    with eng.begin() as conn:
        create_search_structures(conn)


@pytest.fixture
def app_db(tmp_path, monkeypatch) -> Iterator[str]:
    """Point the app's own database (and file folder) at a fresh file with every table and the search index."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setattr(settings, "database_url", url)
    monkeypatch.setattr(settings, "upload_dir", tmp_path / "files")
    reset_engines()
    eng = build_engine(url)
    _create_schema(eng)
    eng.dispose()
    yield url
    reset_engines()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    """A session on the per-test database; the test commits when it wants to."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


def _pg_schema_engine() -> Iterator[Engine]:
    if not POSTGRES_URL:
        pytest.skip("CRM_TEST_POSTGRES_URL is not set: PostgreSQL tests skipped")
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = normalise_url(POSTGRES_URL)
    eng = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    """An empty PostgreSQL schema of its own for one test (skipped without CRM_TEST_POSTGRES_URL)."""
    yield from _pg_schema_engine()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_engine(request, tmp_path) -> Iterator[Engine]:
    """Each engine in turn, with every table: for services that must behave alike on both."""
    if request.param == "sqlite":
        eng = build_engine(f"sqlite:///{tmp_path / 'test.db'}")
        _create_schema(eng)
        yield eng
        eng.dispose()
        return
    for eng in _pg_schema_engine():
        _create_schema(eng)
        yield eng
