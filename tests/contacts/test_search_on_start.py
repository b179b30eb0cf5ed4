"""After an upgrade, the app queues the rebuild of the contacts' search rows when it starts, once, and only when
needed; the worker rebuilds them batch by batch while the list answers from the rows as they stand."""

from __future__ import annotations

import logging

from sqlmodel import delete, select

import crm_app.crm_app as app_module
from crm_app.contacts import service
from crm_app.contacts.models import ContactSearch
from crm_app.contacts.search.filters import ContactFilter
from crm_app.contacts.search.query import search_contacts
from crm_app.contacts.search.structures import (
    DOCUMENTS_VERSION,
    DOCUMENTS_VERSION_KEY,
    rebuild_search_rows,
    search_documents_current,
)
from crm_app.core.models import AppSetting
from crm_app.db import reset_engines, session_scope
from crm_app.jobs import queue, worker
from crm_app.settings import settings
from tests.contacts.factories import person


def _version() -> object:
    with session_scope() as db:
        row = db.get(AppSetting, DOCUMENTS_VERSION_KEY)
        return None if row is None else row.value


def test_the_start_up_task_is_registered_with_the_app():
    assert app_module.search_documents_on_start in app_module.app._lifespan_tasks


def test_a_new_database_is_recorded_as_current_and_an_upgraded_one_is_rebuilt_once_in_the_background(app_db, caplog):
    assert app_module.search_documents_on_start() is None
    assert _version() == DOCUMENTS_VERSION
    with session_scope() as db:
        service.create_contact(db, data=person(first_name="Ann", last_name="Lee"), actor_id=None)
        # As an upgrade leaves it: rows of another layout (here none at all) and no layout recorded.
        db.exec(delete(ContactSearch))
        db.exec(delete(AppSetting).where(AppSetting.key == DOCUMENTS_VERSION_KEY))
    job_id = app_module.search_documents_on_start()
    assert job_id is not None
    assert app_module.search_documents_on_start() == job_id  # every process starting finds the same job
    assert _version() is None
    with caplog.at_level(logging.WARNING, logger="crm_app.contacts.jobs"):
        assert worker.run_until_idle() == 1
    assert "Rebuilt the search rows of 1 contacts" in caplog.text
    with session_scope() as db:
        assert queue.get_job(db, job_id=job_id).progress == {"done": 1, "total": 1}
    assert _version() == DOCUMENTS_VERSION
    assert app_module.search_documents_on_start() is None
    with session_scope() as db:
        found = search_contacts(db, filter=ContactFilter(query="lee"))
        assert [row.display_name for row in found.rows] == ["Ann Lee"]


def _rows(engine) -> list[tuple]:
    with session_scope(engine) as db:
        columns = (ContactSearch.contact_id, ContactSearch.name_doc, ContactSearch.body_doc)
        return sorted(tuple(row) for row in db.exec(select(*columns)).all())


def test_the_background_rebuild_writes_the_rows_a_full_rebuild_writes_batch_by_batch(any_engine):
    with session_scope(any_engine) as db:
        for first in ("Ann", "Bob", "Cid", "Dan", "Eve"):
            service.create_contact(db, data=person(first_name=first, last_name="Lee"), actor_id=None)
    expected = _rows(any_engine)
    with session_scope(any_engine) as db:
        old_layout = [row for row in db.exec(select(ContactSearch)).all() if row.contact_id % 2]
        for row in old_layout:
            row.body_doc = "written by an earlier version"
            db.add(row)
        db.exec(delete(AppSetting).where(AppSetting.key == DOCUMENTS_VERSION_KEY))
    seen: list[tuple[int, int, int]] = []

    def on_batch(done: int, total: int) -> None:
        with session_scope(any_engine) as db:
            found = search_contacts(db, filter=ContactFilter(query="lee"), page_size=10)
        seen.append((done, total, len(found.rows)))

    assert rebuild_search_rows(engine=any_engine, batch_size=2, on_batch=on_batch) == 5
    assert seen == [(2, 5, 5), (4, 5, 5), (5, 5, 5)]  # the list answers from the rows as they stand meanwhile
    assert _rows(any_engine) == expected
    with session_scope(any_engine) as db:
        assert search_documents_current(db)
        assert search_contacts(db, filter=ContactFilter(query="earlier")).rows == []


def test_an_unmigrated_database_is_logged_and_does_not_stop_the_app(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(settings, "database_url", f"sqlite:///{tmp_path / 'empty.db'}")
    reset_engines()
    with caplog.at_level(logging.ERROR, logger="crm_app.crm_app"):
        assert app_module.search_documents_on_start() is None
    assert "The search index was not checked at start" in caplog.text
    reset_engines()
