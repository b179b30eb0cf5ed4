"""The contact file editor's handlers, called the way the browser calls them, by a signed-in staff member."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import reflex as rx
from reflex.istate.data import RouterData
from sqlmodel import SQLModel, select

import crm_app.crm_app  # noqa: F401  (builds the state tree of the real app)
from crm_app.auth import service as auth_service
from crm_app.contacts import service as contacts
from crm_app.contacts.models import Phone
from crm_app.contacts.schemas import ContactIn, PhoneIn
from crm_app.contacts.search import create_search_structures
from crm_app.db import build_engine, reset_engines, session_scope
from crm_app.settings import settings
from crm_app.ui.state.contact_edit import ContactEditState
from crm_app.ui.state.session import _validate

PASSWORD = "staff-password-long-77"


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    """Point the app's own database at a fresh file with every table and the search index."""
    url = f"sqlite:///{tmp_path / 'editor.db'}"
    monkeypatch.setattr(settings, "database_url", url)
    reset_engines()
    engine = build_engine(url)
    SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        create_search_structures(conn)
    engine.dispose()
    yield url
    reset_engines()


def _token(role: str) -> str:
    email = f"{role}@example.com"
    with session_scope() as db:
        auth_service.create_user(
            db, email=email, name=f"{role.title()} One", role=role, password=PASSWORD, actor_id=None
        )
    with session_scope() as db:
        _user, token = auth_service.sign_in(db, email=email, password=PASSWORD)
    return token


@pytest.fixture
def staff_token(app_db) -> str:
    return _token("staff")


def _editor(token: str, path: str) -> ContactEditState:
    """The editor state of one tab signed in with ``token`` that opened ``path``."""
    root = rx.State()
    state = root.get_substate(ContactEditState.get_full_name().split(".")[1:])
    state.token = token
    pathname, _, query = path.partition("?")
    params = dict(part.split("=", 1) for part in query.split("&") if part)
    state.router = RouterData.from_router_data({"pathname": pathname, "asPath": path, "query": params})
    state._current = _validate(token)  # what @requires sets before a handler runs; load itself links live channels
    result = state._open_page()
    assert result is None, result
    return state


def new_editor(token: str, kind: str = "person") -> ContactEditState:
    """A staff member's tab on /contacts/new for ``kind``."""
    state = _editor(token, f"/contacts/new?kind={kind}")
    assert state.is_new and state.kind == kind
    return state


def open_editor(token: str, contact_id: int) -> ContactEditState:
    """A staff member's tab on an existing contact."""
    state = _editor(token, f"/contacts/{contact_id}")
    assert state.contact_id == contact_id
    return state


def stored(contact_id: int):
    with session_scope() as db:
        return contacts.get_contact(db, contact_id=contact_id)


def make_contact(**values: Any) -> int:
    data = {"kind": "person", "first_name": "Ann", "last_name": "Smith", **values}
    with session_scope() as db:
        return contacts.create_contact(db, data=ContactIn(**data), actor_id=None).id


def toasts(result: Any) -> str:
    return repr(result)


# ---------------------------------------------------------------- phones


def test_reopening_and_saving_a_contact_keeps_its_phone_as_typed(staff_token) -> None:
    contact_id = make_contact(phones=[PhoneIn(number="06.12.34.56.78")])
    editor = open_editor(staff_token, contact_id)
    assert editor.phones[0].number == "+33 6 12 34 56 78"
    editor.edit_field("last_name", "Smith-Jones")
    editor.save()
    assert editor.errors == {}
    with session_scope() as db:
        assert [p.raw for p in db.exec(select(Phone)).all()] == ["06.12.34.56.78"]
    assert stored(contact_id).last_name == "Smith-Jones"


def test_ticking_a_consent_shows_its_link_at_once_and_unticking_hides_it(staff_token) -> None:
    contact_id = make_contact(phones=[PhoneIn(number="06 12 34 56 78", whatsapp=True)])
    editor = open_editor(staff_token, contact_id)
    assert editor.phones[0].whatsapp_link == "https://wa.me/33612345678"
    editor.edit_phone(0, "whatsapp", False)
    editor.edit_phone(0, "viber", True)
    editor.edit_phone(0, "sms", "on")
    row = editor.phones[0]
    assert (row.whatsapp_link, row.viber_link, row.sms_link) == (
        "",
        "viber://chat?number=%2B33612345678",
        "sms:+33612345678",
    )
    assert row.tel_link == "tel:+33612345678"
    assert editor.dirty


def test_a_typed_number_gets_its_links_before_save_and_loses_them_while_invalid(staff_token) -> None:
    editor = new_editor(staff_token)
    editor.edit_phone(0, "sms", True)
    assert editor.phones[0].sms_link == ""
    editor.edit_phone(0, "number", "07 81 22 33 44")
    assert (editor.phones[0].tel_link, editor.phones[0].sms_link) == ("tel:+33781223344", "sms:+33781223344")
    editor.edit_phone(0, "number", "+999 123")
    assert dataclasses.astuple(editor.phones[0])[-4:] == ("", "", "", "")
