"""The API app on a fresh database of its own, for the route tests."""

from __future__ import annotations

import pytest
from sqlmodel import SQLModel
from starlette.testclient import TestClient

from crm_app.api.routes import build_api
from crm_app.contacts.search.structures import create_search_structures
from crm_app.db import build_engine, reset_engines
from crm_app.settings import settings


@pytest.fixture
def client(tmp_path, monkeypatch):
    """The API app on a fresh database (every table, the search index), with a private upload folder."""
    url = f"sqlite:///{tmp_path / 'api.db'}"
    monkeypatch.setattr(settings, "database_url", url)
    monkeypatch.setattr(settings, "upload_dir", tmp_path / "files")
    reset_engines()
    engine = build_engine(url)
    SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        create_search_structures(conn)
    engine.dispose()
    with TestClient(build_api(), base_url=f"http://localhost:{settings.port}") as c:
        yield c
    reset_engines()
