"""Deleting a field and changing its type reach the values stored on contacts: counted, converted or removed."""

from __future__ import annotations

import pytest

from crm_app.contacts import custom_values
from crm_app.contacts.models import Contact
from crm_app.contacts.search.filters import ContactFilter, CustomFilter
from crm_app.contacts.search.query import search_contacts
from crm_app.core.errors import ValidationError
from crm_app.fields import definitions, stored_values
from crm_app.fields.models import FieldDefinition
from tests.fields.factories import add_field, audit_entries, custom_of, stored_contact


def test_delete_without_confirmation_only_counts_the_contacts_holding_a_value(db) -> None:
    field = add_field(db, "Size")
    stored_contact(db, {"size": "XL"})
    stored_contact(db, {"size": "S", "other": 1})
    stored_contact(db, {"other": 1})
    stored_contact(db, {"size": None})
    stored_contact(db, {"size": "XL"}, kind="organization")
    result = stored_values.delete_field(db, field_id=field.id, actor_id=None)
    assert (result.contacts_with_value, result.deleted, result.label) == (3, False, "Size")
    assert db.get(FieldDefinition, field.id) is not None


def test_confirmed_delete_removes_the_key_from_every_contact_and_the_field(db) -> None:
    field = add_field(db, "Size")
    holders = [stored_contact(db, {"size": "XL", "other": 1}), stored_contact(db, {"size": "S"})]
    bystander = stored_contact(db, {"other": 2})
    result = stored_values.delete_field(db, field_id=field.id, actor_id=None, confirm=True)
    assert (result.contacts_with_value, result.deleted) == (2, True)
    assert [custom_of(db, c.id) for c in holders] == [{"other": 1}, {}]
    assert custom_of(db, bystander.id) == {"other": 2}
    assert [db.get(Contact, c.id).version for c in holders] == [2, 2]
    assert db.get(FieldDefinition, field.id) is None
    entry = audit_entries(db)[-1]
    assert (entry.kind, entry.old["key"], entry.new) == ("deleted", "size", {"values_removed": 2})


def test_delete_leaves_the_values_of_the_other_forms_field_with_the_same_key(db) -> None:
    field = add_field(db, "Size", kind="person")
    add_field(db, "Size", kind="organization")
    person_row = stored_contact(db, {"size": "XL"})
    org_row = stored_contact(db, {"size": "Big"}, kind="organization")
    assert stored_values.delete_field(db, field_id=field.id, actor_id=None).contacts_with_value == 1
    stored_values.delete_field(db, field_id=field.id, actor_id=None, confirm=True)
    assert (custom_of(db, person_row.id), custom_of(db, org_row.id)) == ({}, {"size": "Big"})


def test_builtin_fields_cannot_be_deleted(session) -> None:
    memo = definitions.form_for(session, kind="person").field("memo")
    with pytest.raises(ValidationError):
        stored_values.delete_field(session, field_id=memo.id, actor_id=None, confirm=True)


def test_a_type_change_is_refused_with_the_count_of_values_that_would_not_convert(db) -> None:
    field = add_field(db, "Seats")
    rows = [stored_contact(db, {"seats": value}) for value in ("12", "1,200", "a dozen", "12.5")]
    with pytest.raises(stored_values.TypeChangeRefused) as caught:
        stored_values.change_field_type(db, field_id=field.id, new_type="number", actor_id=None)
    assert caught.value.check.failing == 2
    assert caught.value.check.values == 4
    assert caught.value.check.examples == ["a dozen", "12.5"]
    assert caught.value.message == (
        "2 stored values do not fit a whole number field, so the type was not changed. Correct or clear them first."
    )
    assert caught.value.errors["type"] == caught.value.message
    assert [custom_of(db, r.id)["seats"] for r in rows] == ["12", "1,200", "a dozen", "12.5"]
    assert db.get(FieldDefinition, field.id).type == "text"


def test_a_type_change_converts_every_stored_value_when_all_fit(db) -> None:
    field = add_field(db, "Seats")
    rows = [stored_contact(db, {"seats": value, "keep": "me"}) for value in ("12", "1,200")]
    untouched = stored_contact(db, {"keep": "me"})
    changed = stored_values.change_field_type(db, field_id=field.id, new_type="number", actor_id=None)
    assert changed.type == "number"
    assert [custom_of(db, r.id) for r in rows] == [{"seats": 12, "keep": "me"}, {"seats": 1200, "keep": "me"}]
    assert [db.get(Contact, r.id).version for r in rows] == [2, 2]
    assert (custom_of(db, untouched.id), db.get(Contact, untouched.id).version) == ({"keep": "me"}, 1)
    entry = audit_entries(db)[-1]
    assert (entry.kind, entry.old["type"], entry.new["type"], entry.new["converted"]) == (
        "type_changed",
        "text",
        "number",
        2,
    )


def test_values_turned_into_choices_are_found_by_the_list_filter_and_the_search(db) -> None:
    field = add_field(db, "Brand", searchable=True)
    rows = [stored_contact(db, {"brand": value}) for value in ("Apple", "Samsung")]
    changed = stored_values.change_field_type(
        db, field_id=field.id, new_type="select", actor_id=None, choices=["Apple", "Samsung"]
    )
    apple = next(choice.id for choice in changed.choices if choice.label == "Apple")
    wanted = ContactFilter(custom=(CustomFilter(key="brand", values=(apple,)),))
    assert [row.id for row in search_contacts(db, filter=wanted).rows] == [rows[0].id]
    found = search_contacts(db, filter=ContactFilter(query="samsung")).rows
    assert [row.id for row in found] == [rows[1].id]


def test_the_type_change_scan_reads_the_values_in_batches(db, monkeypatch) -> None:
    monkeypatch.setattr(custom_values, "SCAN_BATCH", 2)
    field = add_field(db, "Seats", "number")
    rows = [stored_contact(db, {"seats": n}) for n in range(5)]
    assert stored_values.check_type_change(db, field_id=field.id, new_type="decimal").values == 5
    stored_values.change_field_type(db, field_id=field.id, new_type="decimal", actor_id=None)
    assert [custom_of(db, r.id)["seats"] for r in rows] == ["0", "1", "2", "3", "4"]


@pytest.mark.parametrize(
    ("old_type", "new_type", "stored", "expected"),
    [
        ("text", "long_text", "Blue door", "Blue door"),
        ("number", "decimal", 7, "7"),
        ("decimal", "number", "7", 7),
        ("date", "text", "2026-11-23", "2026-11-23"),
    ],
)
def test_type_changes_that_lose_nothing_are_allowed(session, old_type, new_type, stored, expected) -> None:
    field = add_field(session, "Thing", old_type)
    row = stored_contact(session, {"thing": stored})
    stored_values.change_field_type(session, field_id=field.id, new_type=new_type, actor_id=None)
    assert custom_of(session, row.id) == {"thing": expected}


def test_single_choice_becomes_multiple_choice_and_back_when_one_option_is_chosen(db) -> None:
    field = add_field(db, "Colour", "select", choices=["Red", "Green"])
    row = stored_contact(db, {"colour": "green"})
    stored_values.change_field_type(db, field_id=field.id, new_type="multi_select", actor_id=None)
    assert custom_of(db, row.id) == {"colour": ["green"]}
    other = stored_contact(db, {"colour": ["red", "green"]})
    with pytest.raises(stored_values.TypeChangeRefused) as caught:
        stored_values.change_field_type(db, field_id=field.id, new_type="select", actor_id=None)
    assert caught.value.check.failing == 1
    assert caught.value.message.startswith("1 stored value does not fit a single choice field")
    assert custom_of(db, other.id) == {"colour": ["red", "green"]}


def test_text_becomes_a_choice_when_the_new_options_match_every_value(session) -> None:
    field = add_field(session, "Tier")
    rows = [stored_contact(session, {"tier": value}) for value in ("Gold", "silver")]
    changed = stored_values.change_field_type(
        session, field_id=field.id, new_type="select", choices=["Gold", "Silver"], actor_id=None
    )
    assert [c.id for c in changed.choices] == ["gold", "silver"]
    assert [custom_of(session, r.id) for r in rows] == [{"tier": "gold"}, {"tier": "silver"}]


def test_a_default_that_cannot_convert_is_reported_and_dropped(session) -> None:
    field = add_field(session, "Seats", default_value="a few")
    check = stored_values.check_type_change(session, field_id=field.id, new_type="number")
    assert (check.allowed, check.default_lost) == (True, True)
    assert (
        stored_values.change_field_type(session, field_id=field.id, new_type="number", actor_id=None).default_value
        is None
    )


def test_a_builtin_field_has_no_type_to_change(session) -> None:
    memo = definitions.form_for(session, kind="person").field("memo")
    with pytest.raises(ValidationError):
        stored_values.change_field_type(session, field_id=memo.id, new_type="text", actor_id=None)
