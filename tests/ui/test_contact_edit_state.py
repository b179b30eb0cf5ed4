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
from crm_app.contacts.models import Contact, Phone
from crm_app.contacts.schemas import AddressIn, ContactIn, PhoneIn
from crm_app.contacts.search import create_search_structures
from crm_app.core.app_settings import update_settings
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


def test_add_phone_follows_the_channel_defaults_and_remove_phone_drops_the_row(staff_token) -> None:
    with session_scope() as db:
        update_settings(db, actor_id=None, channel_defaults={"viber": True})
    editor = new_editor(staff_token)
    assert [(p.whatsapp, p.viber, p.sms) for p in editor.phones] == [(False, True, False)]
    editor.edit_phone(0, "number", "06 12 34 56 78")
    editor.add_phone()
    editor.edit_phone(1, "number", "07 81 22 33 44")
    assert len(editor.phones) == 2 and editor.phones[1].viber is True
    editor.remove_phone(0)
    assert [p.number for p in editor.phones] == ["07 81 22 33 44"]


def test_phone_handlers_ignore_rows_and_keys_the_form_does_not_have(staff_token) -> None:
    editor = new_editor(staff_token)
    before = list(editor.phones)
    editor.edit_phone(5, "number", "0612345678")
    editor.edit_phone("0", "e164", "+33612345678")
    editor.edit_phone({"x": 1}, "number", "0612345678")
    editor.remove_phone(-1)
    assert editor.phones == before
    assert not editor.dirty


def test_make_main_address_moves_the_main_mark_and_the_save_keeps_it(staff_token) -> None:
    contact_id = make_contact(addresses=[AddressIn(city="Kraków", country="PL"), AddressIn(city="Paris", country="FR")])
    editor = open_editor(staff_token, contact_id)
    assert [a.is_main for a in editor.addresses] == [True, False]
    editor.make_main_address(1)
    assert [a.is_main for a in editor.addresses] == [False, True]
    editor.make_main_address(7)
    assert [a.is_main for a in editor.addresses] == [False, True]
    editor.save()
    assert [(a.city, a.is_main) for a in stored(contact_id).addresses] == [("Kraków", False), ("Paris", True)]
    assert [a.is_main for a in open_editor(staff_token, contact_id).addresses] == [False, True]


def test_removing_the_main_address_makes_the_first_left_main(staff_token) -> None:
    editor = new_editor(staff_token)
    editor.add_address()
    editor.add_address()
    editor.edit_address(1, "city", "Paris")
    editor.make_main_address(1)
    editor.remove_address(1)
    assert [a.is_main for a in editor.addresses] == [True]


def test_convert_on_a_new_contact_switches_the_form_and_on_a_saved_one_records_it(staff_token) -> None:
    editor = new_editor(staff_token)
    editor.convert()
    assert editor.kind == "organization" and editor.is_new
    contact_id = make_contact()
    editor = open_editor(staff_token, contact_id)
    result = editor.convert()
    assert "Converted." in toasts(result)
    assert editor.kind == "organization" and editor.company_name == "Ann Smith"
    assert stored(contact_id).kind == "organization"


def test_convert_with_unsaved_edits_asks_to_save_first(staff_token) -> None:
    contact_id = make_contact()
    editor = open_editor(staff_token, contact_id)
    editor.edit_field("first_name", "Anna")
    result = editor.convert()
    assert "Save or discard your changes first." in toasts(result)
    assert stored(contact_id).kind == "person"


def test_save_with_errors_shows_them_by_field_and_writes_nothing(staff_token) -> None:
    editor = new_editor(staff_token)
    editor.edit_field("first_name", "Anna")
    editor.add_phone()
    editor.edit_phone(0, "number", "06 12 34 56 78")
    editor.edit_phone(1, "number", "+999 123")
    editor.edit_field("discount_percent", "101")
    result = editor.save()
    assert "Nothing was saved" in toasts(result)
    assert set(editor.errors) == {"phones.1.number", "discount_percent"}
    assert "country code" in editor.errors["phones.1.number"]
    assert editor.is_new and editor.dirty
    with session_scope() as db:
        assert db.exec(select(Contact)).all() == []
    editor.edit_phone(1, "number", "07 81 22 33 44")
    assert set(editor.errors) == {"discount_percent"}


def test_save_ok_creates_the_contact_and_opens_it(staff_token) -> None:
    editor = new_editor(staff_token)
    editor.edit_field("first_name", "Anna")
    editor.edit_field("last_name", "Wiśniewska")
    editor.edit_phone(0, "number", "+48 601 234 567")
    editor.edit_phone(0, "whatsapp", True)
    editor.add_address()
    editor.edit_address(0, "city", "Kraków")
    editor.type_tag("VI")
    editor.add_typed_tag()
    result = editor.save()
    assert "Contact created." in toasts(result)
    assert editor.contact_id and not editor.dirty and editor.errors == {}
    assert f"/contacts/{editor.contact_id}" in toasts(result)
    saved = stored(editor.contact_id)
    assert (saved.display_name, saved.phones[0].e164, saved.phones[0].whatsapp) == (
        "Anna Wiśniewska",
        "+48601234567",
        True,
    )
    assert [t.name for t in saved.tags] == ["VI"]
    assert editor.reference == saved.reference


def test_save_ok_on_an_existing_contact_bumps_the_version_and_toasts(staff_token) -> None:
    contact_id = make_contact()
    editor = open_editor(staff_token, contact_id)
    editor.edit_field("memo", "Prefers mornings")
    result = editor.save()
    assert "Saved." in toasts(result)
    assert editor.version == 2 and not editor.dirty
    assert stored(contact_id).memo == "Prefers mornings"
