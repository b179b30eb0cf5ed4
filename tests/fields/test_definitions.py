"""Form definitions: the built-in parts and custom fields of each form, keys, labels, defaults, showing and hiding."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from crm_app.contacts import service as contacts
from crm_app.core.errors import NotFoundError, ValidationError
from crm_app.fields import definitions, layout
from crm_app.fields.models import FieldDefinition
from crm_app.fields.schemas import FieldCreate, FieldUpdate
from tests.contacts.factories import as_input, make_user, person
from tests.fields.factories import add_field, audit_entries, keys


def test_form_for_sets_up_the_builtin_fields_of_both_forms_once(session) -> None:
    definitions.form_for(session, kind="person")
    definitions.form_for(session, kind="organization")
    count = session.exec(select(func.count()).select_from(FieldDefinition)).one()
    assert count == 2 * len(definitions.BUILTINS)


def test_registration_number_is_shown_for_organisations_and_hidden_for_people_by_default(session) -> None:
    people = definitions.form_for(session, kind="person")
    organisations = definitions.form_for(session, kind="organization")
    assert "registration_no" not in keys(people)
    assert "registration_no" in keys(organisations)
    for key in ("phones", "emails", "addresses", "memo"):
        assert key in keys(people) and key in keys(organisations)


def test_hidden_fields_are_listed_only_when_asked(session) -> None:
    hidden = definitions.form_for(session, kind="person", include_inactive=True).field("registration_no")
    assert hidden is not None and hidden.active is False and hidden.builtin is True


def test_builtin_fields_say_whether_they_can_be_required(session) -> None:
    form = definitions.form_for(session, kind="organization")
    assert form.field("registration_no").can_require is True
    assert form.field("discount_percent").can_require is False


def test_form_for_refuses_an_unknown_kind(session) -> None:
    with pytest.raises(ValidationError):
        definitions.form_for(session, kind="robot")


def test_create_field_makes_the_key_from_the_label(session) -> None:
    assert add_field(session, "Date of birth", "date").key == "date_of_birth"
    assert add_field(session, "Größe (cm)", "number").key == "grosse_cm"
    assert add_field(session, "2nd phone", "phone").key == "field_2nd_phone"


def test_a_key_already_used_on_the_form_gets_a_numbered_suffix(session) -> None:
    assert add_field(session, "Size").key == "size"
    assert add_field(session, "Size?").key == "size_2"
    assert definitions.suggest_key(session, kind="person", label="Size!") == "size_3"


def test_a_key_never_takes_the_name_of_a_builtin_field(session) -> None:
    assert add_field(session, "Memo.").key == "memo_2"
    assert definitions.slugify_key("Phones") == "phones_2"
    assert definitions.slugify_key("日本") == "field"


def test_the_same_key_can_exist_on_both_forms(session) -> None:
    assert add_field(session, "Size", kind="person").key == "size"
    assert add_field(session, "Size", kind="organization").key == "size"


def test_a_key_typed_before_the_first_save_is_used(session) -> None:
    assert add_field(session, "Date of birth", "date", key="dob").key == "dob"


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("2fast", "Use up to 60 lower-case letters, digits and underscores, starting with a letter."),
        ("Has Space", "Use up to 60 lower-case letters, digits and underscores, starting with a letter."),
        ("memo", "This key is reserved for a built-in field: choose another one."),
        ("first_name", "This key is reserved for a built-in field: choose another one."),
        ("size", "Another field of this form already uses this key."),
    ],
)
def test_a_typed_key_is_checked(session, key, message) -> None:
    add_field(session, "Size")
    with pytest.raises(ValidationError) as caught:
        add_field(session, "Other", key=key)
    assert caught.value.errors == {"key": message}


def test_the_key_cannot_change_after_the_first_save(session) -> None:
    field = add_field(session, "Size")
    with pytest.raises(ValidationError) as caught:
        definitions.update_field(session, field_id=field.id, data=FieldUpdate(key="height"), actor_id=None)
    assert caught.value.errors == {"key": "The key cannot change once the field is saved."}
    assert (
        definitions.update_field(session, field_id=field.id, data=FieldUpdate(key="size"), actor_id=None).key == "size"
    )


def test_create_field_reports_every_problem_at_once(session) -> None:
    with pytest.raises(ValidationError) as caught:
        definitions.create_field(
            session, kind="person", data=FieldCreate(label=" ", type="colour", help_text="x" * 501), actor_id=None
        )
    assert caught.value.errors == {
        "label": "Enter a name.",
        "type": "Choose a field type from the list.",
        "help_text": "Keep the help text under 500 characters.",
    }


def test_create_field_refuses_a_label_already_on_the_form(session) -> None:
    add_field(session, "Size")
    with pytest.raises(ValidationError) as caught:
        add_field(session, "size")
    assert caught.value.errors == {"label": "Another field of this form is already called “Size”."}
    with pytest.raises(ValidationError):
        add_field(session, "Phones")


def test_create_field_gives_choices_stable_ids_and_refuses_duplicates(session) -> None:
    field = add_field(session, "Colour", "select", choices=["Red", "Dark blue", "", "Rouge é"])
    assert [(c.id, c.label, c.active) for c in field.choices] == [
        ("red", "Red", True),
        ("dark_blue", "Dark blue", True),
        ("rouge_e", "Rouge é", True),
    ]
    with pytest.raises(ValidationError) as caught:
        add_field(session, "Shade", "select", choices=["Red", "red"])
    assert caught.value.errors == {"choices.1": "“red” is already in the list."}


def test_a_default_value_is_read_in_the_managers_locale_and_checked(session) -> None:
    field = definitions.create_field(
        session,
        kind="person",
        data=FieldCreate(label="Budget", type="decimal", default_value="1 234,5"),
        actor_id=None,
        locale="fr",
    )
    assert field.default_value == "1234.5"
    with pytest.raises(ValidationError) as caught:
        add_field(session, "Start", "date", default_value="soon")
    assert caught.value.errors == {"default_value": "Use a date like 2026-11-23."}


def test_a_field_cannot_go_into_a_section_of_the_other_form(session) -> None:
    section = layout.create_section(session, kind="organization", title="Billing", actor_id=None)
    with pytest.raises(ValidationError) as caught:
        add_field(session, "Size", section_id=section.id)
    assert caught.value.errors == {"section_id": "This section does not exist (it may have been deleted)."}


def test_update_field_changes_only_what_is_given_and_audits_each_change(session) -> None:
    user = make_user(session, role="manager")
    field = add_field(session, "Size", help_text="In cm", show_in_list=True)
    updated = definitions.update_field(
        session, field_id=field.id, data=FieldUpdate(label="Height", required=True), actor_id=user.id
    )
    assert (updated.label, updated.required, updated.help_text, updated.show_in_list) == ("Height", True, "In cm", True)
    changes = [(e.kind, e.field, e.old, e.new, e.actor_id) for e in audit_entries(session)[1:]]
    assert changes == [
        ("changed", "label", "Size", "Height", user.id),
        ("changed", "required", False, True, user.id),
    ]


def test_a_default_can_be_cleared(session) -> None:
    field = add_field(session, "Size", "number", default_value="3")
    assert field.default_value == 3
    cleared = definitions.update_field(session, field_id=field.id, data=FieldUpdate(default_value=None), actor_id=None)
    assert cleared.default_value is None


def test_a_builtin_field_can_be_required_hidden_and_renamed_but_not_given_a_default(session) -> None:
    form = definitions.form_for(session, kind="organization")
    reg = form.field("registration_no")
    assert definitions.update_field(session, field_id=reg.id, data=FieldUpdate(required=True), actor_id=None).required
    with pytest.raises(ValidationError):
        definitions.update_field(session, field_id=reg.id, data=FieldUpdate(default_value="X"), actor_id=None)
    discount = form.field("discount_percent")
    with pytest.raises(ValidationError) as caught:
        definitions.update_field(session, field_id=discount.id, data=FieldUpdate(required=True), actor_id=None)
    assert caught.value.errors == {"required": "This built-in field cannot be made required."}
    assert definitions.set_active(session, field_id=discount.id, active=False, actor_id=None).active is False


def test_a_missing_field_is_reported_as_not_found(session) -> None:
    with pytest.raises(NotFoundError):
        definitions.update_field(session, field_id=999, data=FieldUpdate(label="X"), actor_id=None)


def test_deactivating_a_field_keeps_its_values_and_reactivating_brings_them_back(db) -> None:
    field = add_field(db, "Size")
    created = contacts.create_contact(db, data=person(custom={"size": "XL"}), actor_id=None)
    definitions.set_active(db, field_id=field.id, active=False, actor_id=None)
    hidden = contacts.update_contact(db, contact_id=created.id, data=as_input(created, custom={}), actor_id=None)
    assert (hidden.custom, hidden.hidden_custom) == ({}, ["Size"])
    definitions.set_active(db, field_id=field.id, active=True, actor_id=None)
    assert contacts.get_contact(db, contact_id=created.id).custom == {"size": "XL"}
    kinds = [(e.kind, e.old, e.new) for e in audit_entries(db)[1:]]
    assert kinds == [("deactivated", True, False), ("activated", False, True)]


def test_a_key_shared_by_both_forms_must_keep_one_type(session) -> None:
    add_field(session, "Size", "number", kind="organization")
    with pytest.raises(ValidationError) as caught:
        add_field(session, "Size", kind="person", key="size")
    assert caught.value.errors == {
        "key": "The organisation form uses this key for a whole number field: choose the same type or another key."
    }
    assert add_field(session, "Size", kind="person").key == "size_2"
    assert add_field(session, "Headcount", "number", kind="person", key="size").key == "size"
