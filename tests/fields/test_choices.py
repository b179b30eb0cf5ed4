"""The options of a choice field: stable ids, unique labels, renamed, reordered, offered or not."""

from __future__ import annotations

import pytest

from crm_app.contacts import service as contacts
from crm_app.core.errors import ValidationError
from crm_app.fields import choices as field_choices
from crm_app.fields import values as field_values
from tests.contacts.factories import person
from tests.fields.factories import add_field, audit_entries


def test_choices_are_added_renamed_reordered_and_deactivated(session) -> None:
    field = add_field(session, "Colour", "select", choices=["Red", "Green"])
    field = field_choices.add_choice(session, field_id=field.id, label="Blue", actor_id=None)
    field = field_choices.rename_choice(session, field_id=field.id, choice_id="red", label="Crimson", actor_id=None)
    field = field_choices.move_choice(session, field_id=field.id, choice_id="blue", direction="up", actor_id=None)
    field = field_choices.set_choice_active(session, field_id=field.id, choice_id="green", active=False, actor_id=None)
    assert [(c.id, c.label, c.active) for c in field.choices] == [
        ("red", "Crimson", True),
        ("blue", "Blue", True),
        ("green", "Green", False),
    ]
    kinds = [e.kind for e in audit_entries(session)]
    assert kinds == ["created", "choice_added", "choice_renamed", "choice_moved", "choice_deactivated"]


def test_a_choice_label_must_stay_unique_in_its_list(session) -> None:
    field = add_field(session, "Colour", "select", choices=["Red", "Green"])
    with pytest.raises(ValidationError):
        field_choices.add_choice(session, field_id=field.id, label="green", actor_id=None)
    with pytest.raises(ValidationError):
        field_choices.rename_choice(session, field_id=field.id, choice_id="red", label="GREEN", actor_id=None)


def test_a_new_choice_never_takes_the_id_of_an_old_one(session) -> None:
    field = add_field(session, "Colour", "select", choices=["Red"])
    field_choices.rename_choice(session, field_id=field.id, choice_id="red", label="Crimson", actor_id=None)
    field = field_choices.add_choice(session, field_id=field.id, label="Red", actor_id=None)
    assert [c.id for c in field.choices] == ["red", "red_2"]


def test_only_choice_fields_have_options(session) -> None:
    field = add_field(session, "Size")
    with pytest.raises(ValidationError):
        field_choices.add_choice(session, field_id=field.id, label="Big", actor_id=None)


def test_renaming_a_choice_keeps_the_values_that_use_it(db) -> None:
    field = add_field(db, "Colour", "select", choices=["Red", "Green"])
    created = contacts.create_contact(db, data=person(custom={"colour": "Red"}), actor_id=None)
    assert created.custom == {"colour": "red"}
    field_choices.rename_choice(db, field_id=field.id, choice_id="red", label="Crimson", actor_id=None)
    read = contacts.get_contact(db, contact_id=created.id)
    assert read.custom == {"colour": "red"}
    assert field_values.custom_changes(db, kind="person", old={}, new=read.custom) == [("colour", "", "Crimson")]


def test_a_deactivated_choice_is_refused_for_new_values_but_kept_where_it_is_held(session) -> None:
    field = add_field(session, "Colour", "multi_select", choices=["Red", "Green"])
    held = {"colour": ["red", "green"]}
    field_choices.set_choice_active(session, field_id=field.id, choice_id="green", active=False, actor_id=None)
    cleaned, errors = field_values.validate_custom_values(
        session, kind="person", values={"colour": ["red", "green"]}, existing=held
    )
    assert (cleaned, errors) == (held, {})
    cleaned, errors = field_values.validate_custom_values(
        session, kind="person", values={"colour": ["green"]}, existing={}
    )
    assert errors == {"custom.colour": "“Green” is no longer an option: choose another one."}
