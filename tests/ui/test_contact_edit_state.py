"""The contact file editor's handlers, called the way the browser calls them, by a signed-in staff member."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import reflex as rx
from sqlmodel import select

import crm_app.crm_app  # noqa: F401  (builds the state tree of the real app)
from crm_app.auth import service as auth_service
from crm_app.contacts import service as contacts
from crm_app.contacts.models import Contact, Phone
from crm_app.contacts.schemas import AddressIn, ContactIn, PhoneIn
from crm_app.core.app_settings import update_settings
from crm_app.db import session_scope
from crm_app.fields import choices as field_choices
from crm_app.fields import definitions, layout
from crm_app.fields.schemas import FieldCreate, FieldUpdate
from crm_app.ui.state.contact_edit import ContactEditState
from crm_app.ui.state.session import user_of_token
from tests.tabs import router, sign_in_tab

PASSWORD = "staff-password-long-77"


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
    root.router = router(path)
    sign_in_tab(state, token)
    state._current = user_of_token(token)  # what @requires sets before a handler runs; load itself links live channels
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


def test_a_number_typed_on_a_contact_whose_main_address_is_abroad_links_to_that_country(staff_token) -> None:
    contact_id = make_contact(addresses=[AddressIn(city="Kraków", country="PL")])
    editor = open_editor(staff_token, contact_id)
    editor.add_phone()
    editor.edit_phone(len(editor.phones) - 1, "number", "601 000 000")
    assert editor.phones[-1].tel_link == "tel:+48601000000"
    editor.save()
    assert "+48601000000" in [p.e164 for p in stored(contact_id).phones]


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


# ---------------------------------------------------------------- the form of the contact's type


def add_field(kind: str, label: str, type_: str = "text", **values: Any):
    with session_scope() as db:
        return definitions.create_field(
            db, kind=kind, data=FieldCreate(label=label, type=type_, **values), actor_id=None
        )


def form_field(kind: str, key: str):
    with session_scope() as db:
        return definitions.form_for(db, kind=kind, include_inactive=True).field(key)


def card_keys(editor: ContactEditState) -> list[tuple[str, list[str]]]:
    return [(card.title, [part.key for part in card.parts]) for card in editor.form_cards]


def part(editor: ContactEditState, key: str):
    return next(p for card in editor.form_cards for p in card.parts if p.key == key)


def test_a_new_contact_starts_with_each_fields_default_value(staff_token) -> None:
    size = add_field("person", "Shoe size", "number", default_value="42")
    add_field("person", "Newsletter", "checkbox", default_value="yes")
    colour = add_field("person", "Colour", "select", choices=["Red", "Blue"])
    with session_scope() as db:
        definitions.update_field(db, field_id=colour.id, data=FieldUpdate(default_value="Blue"), actor_id=None)
    add_field("person", "Notes", "text")
    editor = new_editor(staff_token)
    assert editor.custom_text["shoe_size"] == "42"
    assert editor.custom_text["colour"] == form_field("person", "colour").default_value
    assert editor.custom_check["newsletter"] is True
    assert editor.custom_text.get("notes", "") == ""
    assert size.default_value == 42
    editor.edit_field("first_name", "Lou")
    editor.save()
    assert stored(editor.contact_id).custom == {"shoe_size": 42, "newsletter": True, "colour": "blue"}


def test_an_existing_contact_is_not_given_defaults_it_does_not_hold(staff_token) -> None:
    contact_id = make_contact()
    add_field("person", "Shoe size", "number", default_value="42")
    editor = open_editor(staff_token, contact_id)
    assert editor.custom_text["shoe_size"] == ""


def test_switching_type_on_the_creation_form_gives_the_new_forms_defaults(staff_token) -> None:
    add_field("organization", "Seats", "number", default_value="5")
    editor = new_editor(staff_token)
    editor.edit_field("kind", "organization")
    assert editor.custom_text["seats"] == "5"


def test_the_form_follows_the_managers_order_and_sections(staff_token) -> None:
    add_field("person", "Gate code", "text")
    with session_scope() as db:
        workshop = layout.create_section(db, kind="person", title="Workshop", actor_id=None)
        form = definitions.form_for(db, kind="person", include_inactive=True)
        layout.move_field_to(db, field_id=form.field("memo").id, section_id=None, position=0, actor_id=None)
        layout.move_field_to(
            db, field_id=form.field("discount_percent").id, section_id=workshop.id, position=0, actor_id=None
        )
        layout.move_field_to(db, field_id=form.field("gate_code").id, section_id=workshop.id, position=1, actor_id=None)
        definitions.update_field(db, field_id=form.field("emails").id, data=FieldUpdate(required=True), actor_id=None)
    editor = new_editor(staff_token)
    assert card_keys(editor) == [
        ("", ["memo"]),
        ("", ["phones"]),
        ("", ["emails"]),
        ("", ["addresses"]),
        ("", ["is_supplier", "acquisition_channel_id", "assigned_user_id"]),
        ("Workshop", ["discount_percent", "gate_code"]),
    ]
    assert part(editor, "emails").required is True
    assert part(editor, "phones").required is False
    assert (part(editor, "discount_percent").label, part(editor, "discount_percent").sub) == (
        "Personal discount (%)",
        True,
    )
    assert part(editor, "memo").wide and not part(editor, "assigned_user_id").wide


def test_a_hidden_builtin_is_left_out_and_a_renamed_one_keeps_the_managers_label(staff_token) -> None:
    with session_scope() as db:
        form = definitions.form_for(db, kind="organization", include_inactive=True)
        definitions.set_active(db, field_id=form.field("addresses").id, active=False, actor_id=None)
        definitions.update_field(
            db, field_id=form.field("registration_no").id, data=FieldUpdate(label="SIRET"), actor_id=None
        )
    editor = new_editor(staff_token, "organization")
    keys = [key for _title, keys in card_keys(editor) for key in keys]
    assert "addresses" not in keys and "registration_no" in keys
    assert part(editor, "registration_no").label == "SIRET"


def test_switching_type_keeps_the_values_the_other_form_lacks_and_gives_them_back(staff_token) -> None:
    add_field("person", "Shoe size", "number")
    add_field("person", "Hobby", "text")
    add_field("organization", "Hobby", "text")
    editor = new_editor(staff_token)
    editor.edit_custom("shoe_size", "44")
    editor.edit_custom("hobby", "Chess")
    editor.edit_field("kind", "organization")
    assert editor.kept_aside == ["Shoe size"]
    assert editor.custom_text["hobby"] == "Chess"
    assert "shoe_size" not in editor._custom_payload()
    editor.edit_field("kind", "person")
    assert editor.kept_aside == []
    assert (editor.custom_text["shoe_size"], editor.custom_text["hobby"]) == ("44", "Chess")


def test_values_kept_aside_survive_a_reload_through_the_draft(staff_token) -> None:
    add_field("person", "Shoe size", "number")
    editor = new_editor(staff_token)
    editor.edit_field("first_name", "Lou")
    editor.edit_custom("shoe_size", "44")
    editor.edit_field("kind", "organization")
    draft = editor.draft
    reopened = new_editor(staff_token)
    reopened._restore_draft(draft)
    assert reopened.kind == "organization" and reopened.kept_aside == ["Shoe size"]
    reopened.edit_field("kind", "person")
    assert reopened.custom_text["shoe_size"] == "44"


def test_a_deactivated_choice_the_contact_holds_is_listed_marked_inactive(staff_token) -> None:
    brand = add_field("person", "Brand", "select", choices=["Apple", "Samsung"])
    tags = add_field("person", "Interests", "multi_select", choices=["Golf", "Tennis"])
    contact_id = make_contact(custom={"brand": "samsung", "interests": ["tennis"]})
    with session_scope() as db:
        field_choices.set_choice_active(db, field_id=brand.id, choice_id="samsung", active=False, actor_id=None)
        field_choices.set_choice_active(db, field_id=tags.id, choice_id="tennis", active=False, actor_id=None)
    editor = open_editor(staff_token, contact_id)
    assert editor.custom_text["brand"] == "samsung"
    assert [(o.value, o.label) for o in part(editor, "brand").choices] == [
        ("apple", "Apple"),
        ("samsung", "Samsung (inactive)"),
    ]
    assert [o.label for o in part(editor, "interests").choices] == ["Golf", "Tennis (inactive)"]
    editor.edit_field("last_name", "Jones")
    editor.save()
    assert editor.errors == {}
    assert stored(contact_id).custom == {"brand": "samsung", "interests": ["tennis"]}
    assert [o.value for o in part(new_editor(staff_token), "brand").choices] == ["apple"]


def test_converting_names_the_values_the_other_form_hides_before_it_converts(staff_token) -> None:
    contact_id = make_contact()
    editor = open_editor(staff_token, contact_id)
    assert editor.ask_convert() is None
    assert editor.confirm_convert and editor.convert_hidden == ["First name", "Last name"]
    assert stored(contact_id).kind == "person"
    editor.cancel_convert()
    assert not editor.confirm_convert and stored(contact_id).kind == "person"
    editor.ask_convert()
    assert "Converted." in toasts(editor.convert())
    assert not editor.confirm_convert and stored(contact_id).kind == "organization"
    assert editor.ask_convert() is None
    assert editor.convert_hidden == ["Company name"]


def test_converting_a_new_contact_switches_its_form_without_asking(staff_token) -> None:
    editor = new_editor(staff_token)
    assert editor.ask_convert() is None
    assert editor.kind == "organization" and not editor.confirm_convert


def test_discarding_a_new_contact_with_typed_values_asks_first(staff_token) -> None:
    editor = new_editor(staff_token)
    editor.edit_field("first_name", "Anna")
    assert editor.discard() is None
    assert editor.confirm_discard and editor.first_name == "Anna"
    editor.cancel_discard()
    assert not editor.confirm_discard and editor.first_name == "Anna"
    editor.discard()
    assert "/contacts" in repr(editor.confirm_discard_new())
    assert not editor.confirm_discard


def test_discarding_edits_of_a_saved_contact_needs_no_confirmation(staff_token) -> None:
    contact_id = make_contact()
    editor = open_editor(staff_token, contact_id)
    editor.edit_field("first_name", "Anna")
    editor.discard()
    assert not editor.confirm_discard and editor.first_name == "Ann"


def test_a_new_person_opened_from_an_empty_search_has_the_searched_words_as_names(staff_token) -> None:
    editor = _editor(staff_token, "/contacts/new?kind=person&name=Jane%20van%20Berg")
    assert (editor.first_name, editor.last_name, editor.dirty) == ("Jane", "van Berg", False)
    editor = _editor(staff_token, "/contacts/new?kind=organization&name=Acme")
    assert (editor.company_name, editor.first_name) == ("", "")


def test_the_avatar_shows_the_initials_of_the_name_typed(staff_token) -> None:
    editor = new_editor(staff_token, "organization")
    editor.edit_field("company_name", "Acme Tools")
    assert editor.initials == "AT"


def test_the_header_offers_call_message_on_a_consented_channel_and_directions(staff_token) -> None:
    contact_id = make_contact(
        phones=[PhoneIn(number="06 12 34 56 78"), PhoneIn(number="06 98 76 54 32", whatsapp=True)],
        addresses=[AddressIn(line1="1 rue A", city="Paris", country="FR"), AddressIn(city="Lyon", is_main=True)],
    )
    editor = open_editor(staff_token, contact_id)
    assert editor.quick_call == "tel:+33612345678"
    assert editor.quick_message == "https://wa.me/33698765432"
    assert editor.quick_directions == "https://www.openstreetmap.org/search?query=Lyon"
    editor.toggle_details()
    assert editor.show_details


def test_a_contact_without_phone_or_address_has_no_one_tap_actions(staff_token) -> None:
    editor = open_editor(staff_token, make_contact())
    assert (editor.quick_call, editor.quick_message, editor.quick_directions) == ("", "", "")
