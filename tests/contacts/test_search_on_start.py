"""After an upgrade, the app rebuilds the contacts' search rows when it starts, once, and only when needed."""

from __future__ import annotations

import logging

from sqlmodel import delete

import crm_app.crm_app as app_module
from crm_app.contacts import service
from crm_app.contacts.models import ContactSearch
from crm_app.contacts.search.filters import ContactFilter
from crm_app.contacts.search.query import search_contacts
from crm_app.contacts.search.structures import DOCUMENTS_VERSION, DOCUMENTS_VERSION_KEY
from crm_app.core.models import AppSetting
from crm_app.db import reset_engines, session_scope
from crm_app.settings import settings
from tests.contacts.factories import person


def _version() -> object:
    with session_scope() as db:
        row = db.get(AppSetting, DOCUMENTS_VERSION_KEY)
        return None if row is None else row.value


def test_the_start_up_task_is_registered_with_the_app():
    assert app_module.search_documents_on_start in app_module.app._lifespan_tasks


def test_a_new_database_is_recorded_as_current_and_an_upgraded_one_is_rebuilt_once(app_db, caplog):
    assert app_module.search_documents_on_start() is None
    assert _version() == DOCUMENTS_VERSION
    with session_scope() as db:
        service.create_contact(db, data=person(first_name="Ann", last_name="Lee"), actor_id=None)
        # As an upgrade leaves it: rows of another layout (here none at all) and no layout recorded.
        db.exec(delete(ContactSearch))
        db.exec(delete(AppSetting).where(AppSetting.key == DOCUMENTS_VERSION_KEY))
    with caplog.at_level(logging.WARNING, logger="crm_app.crm_app"):
        assert app_module.search_documents_on_start() == 1
    assert "Rebuilt the search rows of 1 contacts" in caplog.text
    assert app_module.search_documents_on_start() is None
    with session_scope() as db:
        found = search_contacts(db, filter=ContactFilter(query="lee"))
        assert [row.display_name for row in found.rows] == ["Ann Lee"]


def test_an_unmigrated_database_is_logged_and_does_not_stop_the_app(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(settings, "database_url", f"sqlite:///{tmp_path / 'empty.db'}")
    reset_engines()
    with caplog.at_level(logging.ERROR, logger="crm_app.crm_app"):
        assert app_module.search_documents_on_start() is None
    assert "The search index was not checked at start" in caplog.text
    reset_engines()
