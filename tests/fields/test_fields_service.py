"""Form definitions per contact type: fields, sections, choices, stored values, type changes, contact integration."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from crm_app.contacts import service as contacts
from crm_app.contacts.models import Contact
from crm_app.contacts.search.filters import ContactFilter, CustomFilter
from crm_app.contacts.search.query import search_contacts
from crm_app.core.errors import NotFoundError, ValidationError
from crm_app.core.models import AuditEntry
from crm_app.fields import service
from crm_app.fields.models import FieldDefinition
from crm_app.fields.schemas import FieldCreate, FieldUpdate
from tests.contacts.factories import as_input, make_user, organisation, person

_refs = itertools.count(1)


@pytest.fixture
def db(any_engine) -> Iterator[Session]:
    """A session on SQLite, then on PostgreSQL."""
    with Session(any_engine, expire_on_commit=False) as s:
        yield s


def add_field(session: Session, label: str, type_: str = "text", kind: str = "person", **values: Any):
    """A custom field created through the service."""
    return service.create_field(session, kind=kind, data=FieldCreate(label=label, type=type_, **values), actor_id=None)


def stored_contact(session: Session, custom: dict[str, Any], kind: str = "person") -> Contact:
    """A contact row written directly, holding exactly these custom values."""
    contact = Contact(kind=kind, first_name="Ann", display_name="Ann", reference=f"T-{next(_refs)}", custom=custom)
    session.add(contact)
    session.flush()
    return contact


def custom_of(session: Session, contact_id: int) -> dict[str, Any]:
    session.expire_all()
    return session.get(Contact, contact_id).custom


def keys(form) -> list[str]:
    return [f.key for f in form.fields]


def section_keys(form) -> list[tuple[str, list[str]]]:
    return [(s.title, [f.key for f in s.fields]) for s in form.sections]


def audit_entries(session: Session, entity: str = "field_definition") -> list[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id)
    return list(session.exec(stmt).all())


# ---------------------------------------------------------------- built-in fields and the form


def test_form_for_sets_up_the_builtin_fields_of_both_forms_once(session) -> None:
    service.form_for(session, kind="person")
    service.form_for(session, kind="organization")
    count = session.exec(select(func.count()).select_from(FieldDefinition)).one()
    assert count == 2 * len(service.BUILTINS)


def test_registration_number_is_shown_for_organisations_and_hidden_for_people_by_default(session) -> None:
    people = service.form_for(session, kind="person")
    organisations = service.form_for(session, kind="organization")
    assert "registration_no" not in keys(people)
    assert "registration_no" in keys(organisations)
    for key in ("phones", "emails", "addresses", "memo"):
        assert key in keys(people) and key in keys(organisations)


def test_hidden_fields_are_listed_only_when_asked(session) -> None:
    hidden = service.form_for(session, kind="person", include_inactive=True).field("registration_no")
    assert hidden is not None and hidden.active is False and hidden.builtin is True


def test_builtin_fields_say_whether_they_can_be_required(session) -> None:
    form = service.form_for(session, kind="organization")
    assert form.field("registration_no").can_require is True
    assert form.field("discount_percent").can_require is False


def test_form_for_refuses_an_unknown_kind(session) -> None:
    with pytest.raises(ValidationError):
        service.form_for(session, kind="robot")


# ---------------------------------------------------------------- creating fields and keys


def test_create_field_makes_the_key_from_the_label(session) -> None:
    assert add_field(session, "Date of birth", "date").key == "date_of_birth"
    assert add_field(session, "Größe (cm)", "number").key == "grosse_cm"
    assert add_field(session, "2nd phone", "phone").key == "field_2nd_phone"


def test_a_key_already_used_on_the_form_gets_a_numbered_suffix(session) -> None:
    assert add_field(session, "Size").key == "size"
    assert add_field(session, "Size?").key == "size_2"
    assert service.suggest_key(session, kind="person", label="Size!") == "size_3"


def test_a_key_never_takes_the_name_of_a_builtin_field(session) -> None:
    assert add_field(session, "Memo.").key == "memo_2"
    assert service.slugify_key("Phones") == "phones_2"
    assert service.slugify_key("日本") == "field"


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
        service.update_field(session, field_id=field.id, data=FieldUpdate(key="height"), actor_id=None)
    assert caught.value.errors == {"key": "The key cannot change once the field is saved."}
    assert service.update_field(session, field_id=field.id, data=FieldUpdate(key="size"), actor_id=None).key == "size"


def test_create_field_reports_every_problem_at_once(session) -> None:
    with pytest.raises(ValidationError) as caught:
        service.create_field(
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
    field = service.create_field(
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
    section = service.create_section(session, kind="organization", title="Billing", actor_id=None)
    with pytest.raises(ValidationError) as caught:
        add_field(session, "Size", section_id=section.id)
    assert caught.value.errors == {"section_id": "This section does not exist (it may have been deleted)."}


# ---------------------------------------------------------------- changing fields


def test_update_field_changes_only_what_is_given_and_audits_each_change(session) -> None:
    user = make_user(session, role="manager")
    field = add_field(session, "Size", help_text="In cm", show_in_list=True)
    updated = service.update_field(
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
    cleared = service.update_field(session, field_id=field.id, data=FieldUpdate(default_value=None), actor_id=None)
    assert cleared.default_value is None


def test_a_builtin_field_can_be_required_hidden_and_renamed_but_not_given_a_default(session) -> None:
    form = service.form_for(session, kind="organization")
    reg = form.field("registration_no")
    assert service.update_field(session, field_id=reg.id, data=FieldUpdate(required=True), actor_id=None).required
    with pytest.raises(ValidationError):
        service.update_field(session, field_id=reg.id, data=FieldUpdate(default_value="X"), actor_id=None)
    discount = form.field("discount_percent")
    with pytest.raises(ValidationError) as caught:
        service.update_field(session, field_id=discount.id, data=FieldUpdate(required=True), actor_id=None)
    assert caught.value.errors == {"required": "This built-in field cannot be made required."}
    assert service.set_active(session, field_id=discount.id, active=False, actor_id=None).active is False


def test_a_missing_field_is_reported_as_not_found(session) -> None:
    with pytest.raises(NotFoundError):
        service.update_field(session, field_id=999, data=FieldUpdate(label="X"), actor_id=None)


# ---------------------------------------------------------------- order and sections


def test_move_field_swaps_it_with_its_neighbour(session) -> None:
    a, b = add_field(session, "Alpha"), add_field(session, "Beta")
    form = service.move_field(session, field_id=b.id, direction="up", actor_id=None)
    assert keys(form)[-2:] == ["beta", "alpha"]
    form = service.move_field(session, field_id=b.id, direction="down", actor_id=None)
    assert keys(form)[-2:] == ["alpha", "beta"]
    assert [f.position for f in form.sections[0].fields] == list(range(len(form.sections[0].fields)))
    assert a.id != b.id


def test_moving_past_the_edge_of_a_group_enters_the_neighbour_section(session) -> None:
    alpha = add_field(session, "Alpha")
    section = service.create_section(session, kind="person", title="Details", actor_id=None)
    beta = add_field(session, "Beta", section_id=section.id)
    form = service.move_field(session, field_id=alpha.id, direction="down", actor_id=None)
    assert section_keys(form)[1] == ("Details", ["alpha", "beta"])
    form = service.move_field(session, field_id=alpha.id, direction="up", actor_id=None)
    assert section_keys(form)[0][1][-1] == "alpha"
    assert section_keys(form)[1] == ("Details", ["beta"])
    last = service.move_field(session, field_id=beta.id, direction="down", actor_id=None)
    assert section_keys(last)[1] == ("Details", ["beta"])


def test_move_field_refuses_a_direction_other_than_up_or_down(session) -> None:
    field = add_field(session, "Alpha")
    with pytest.raises(ValidationError):
        service.move_field(session, field_id=field.id, direction="left", actor_id=None)


def test_move_field_to_puts_a_field_into_a_section_at_a_position(session) -> None:
    section = service.create_section(session, kind="person", title="Details", actor_id=None)
    beta = add_field(session, "Beta", section_id=section.id)
    gamma = add_field(session, "Gamma", section_id=section.id)
    alpha = add_field(session, "Alpha")
    form = service.move_field_to(session, field_id=alpha.id, section_id=section.id, position=1, actor_id=None)
    assert section_keys(form)[1] == ("Details", ["beta", "alpha", "gamma"])
    form = service.move_field_to(session, field_id=gamma.id, section_id=section.id, position=0, actor_id=None)
    assert section_keys(form)[1] == ("Details", ["gamma", "beta", "alpha"])
    form = service.move_field_to(session, field_id=beta.id, section_id=None, position=0, actor_id=None)
    assert keys(form)[0] == "beta"
    assert beta.id and gamma.id


def test_builtin_fields_can_be_reordered_per_form(session) -> None:
    memo = service.form_for(session, kind="person").field("memo")
    service.move_field_to(session, field_id=memo.id, section_id=None, position=0, actor_id=None)
    assert keys(service.form_for(session, kind="person"))[0] == "memo"
    assert keys(service.form_for(session, kind="organization"))[0] == "phones"


def test_sections_are_created_renamed_and_moved(session) -> None:
    first = service.create_section(session, kind="person", title="Details", actor_id=None)
    second = service.create_section(session, kind="person", title="Billing", actor_id=None)
    service.rename_section(session, section_id=first.id, title="Personal details", actor_id=None)
    form = service.move_section(session, section_id=second.id, direction="up", actor_id=None)
    assert [s.title for s in form.sections] == ["", "Billing", "Personal details"]
    assert service.form_for(session, kind="organization").sections[1:] == []


def test_deleting_a_section_moves_its_fields_to_the_end_of_the_untitled_group(session) -> None:
    section = service.create_section(session, kind="person", title="Details", actor_id=None)
    add_field(session, "Beta", section_id=section.id)
    add_field(session, "Gamma", section_id=section.id)
    add_field(session, "Alpha")
    form = service.delete_section(session, section_id=section.id, actor_id=None)
    assert len(form.sections) == 1
    assert keys(form)[-3:] == ["alpha", "beta", "gamma"]
    assert [f.position for f in form.fields] == list(range(len(form.fields)))


def test_a_section_needs_a_title(session) -> None:
    with pytest.raises(ValidationError) as caught:
        service.create_section(session, kind="person", title="  ", actor_id=None)
    assert caught.value.errors == {"title": "Enter a name."}


# ---------------------------------------------------------------- choices


def test_choices_are_added_renamed_reordered_and_deactivated(session) -> None:
    field = add_field(session, "Colour", "select", choices=["Red", "Green"])
    field = service.add_choice(session, field_id=field.id, label="Blue", actor_id=None)
    field = service.rename_choice(session, field_id=field.id, choice_id="red", label="Crimson", actor_id=None)
    field = service.move_choice(session, field_id=field.id, choice_id="blue", direction="up", actor_id=None)
    field = service.set_choice_active(session, field_id=field.id, choice_id="green", active=False, actor_id=None)
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
        service.add_choice(session, field_id=field.id, label="green", actor_id=None)
    with pytest.raises(ValidationError):
        service.rename_choice(session, field_id=field.id, choice_id="red", label="GREEN", actor_id=None)


def test_a_new_choice_never_takes_the_id_of_an_old_one(session) -> None:
    field = add_field(session, "Colour", "select", choices=["Red"])
    service.rename_choice(session, field_id=field.id, choice_id="red", label="Crimson", actor_id=None)
    field = service.add_choice(session, field_id=field.id, label="Red", actor_id=None)
    assert [c.id for c in field.choices] == ["red", "red_2"]


def test_only_choice_fields_have_options(session) -> None:
    field = add_field(session, "Size")
    with pytest.raises(ValidationError):
        service.add_choice(session, field_id=field.id, label="Big", actor_id=None)


def test_renaming_a_choice_keeps_the_values_that_use_it(db) -> None:
    field = add_field(db, "Colour", "select", choices=["Red", "Green"])
    created = contacts.create_contact(db, data=person(custom={"colour": "Red"}), actor_id=None)
    assert created.custom == {"colour": "red"}
    service.rename_choice(db, field_id=field.id, choice_id="red", label="Crimson", actor_id=None)
    read = contacts.get_contact(db, contact_id=created.id)
    assert read.custom == {"colour": "red"}
    assert service.custom_changes(db, kind="person", old={}, new=read.custom) == [("colour", "", "Crimson")]


def test_a_deactivated_choice_is_refused_for_new_values_but_kept_where_it_is_held(session) -> None:
    field = add_field(session, "Colour", "multi_select", choices=["Red", "Green"])
    held = {"colour": ["red", "green"]}
    service.set_choice_active(session, field_id=field.id, choice_id="green", active=False, actor_id=None)
    cleaned, errors = service.validate_custom_values(
        session, kind="person", values={"colour": ["red", "green"]}, existing=held
    )
    assert (cleaned, errors) == (held, {})
    cleaned, errors = service.validate_custom_values(session, kind="person", values={"colour": ["green"]}, existing={})
    assert errors == {"custom.colour": "“Green” is no longer an option: choose another one."}


# ---------------------------------------------------------------- validating contact values


def test_values_are_parsed_by_type_in_the_users_locale(session) -> None:
    add_field(session, "Budget", "decimal")
    add_field(session, "Seats", "number")
    add_field(session, "Start", "date")
    add_field(session, "Site", "url")
    add_field(session, "Backup phone", "phone")
    add_field(session, "Billing e-mail", "email")
    cleaned, errors = service.validate_custom_values(
        session,
        kind="person",
        values={
            "budget": "1 234,5",
            "seats": "1 200",
            "start": "23/11/2026",
            "site": "example.com",
            "backup_phone": "06 12 34 56 78",
            "billing_e_mail": "Bills@Example.COM",
        },
        locale="fr",
    )
    assert errors == {}
    assert cleaned == {
        "budget": "1234.5",
        "seats": 1200,
        "start": "2026-11-23",
        "site": "https://example.com",
        "backup_phone": "+33612345678",
        "billing_e_mail": "Bills@example.com",
    }


def test_each_bad_value_gets_its_own_error_keyed_by_custom_and_the_key(session) -> None:
    add_field(session, "Seats", "number")
    add_field(session, "Site", "url")
    _, errors = service.validate_custom_values(
        session, kind="person", values={"seats": "many", "site": "javascript:alert(1)"}
    )
    assert errors == {
        "custom.seats": "Enter a whole number.",
        "custom.site": "Only http and https links are allowed.",
    }


def test_a_required_field_must_be_filled_and_a_required_checkbox_ticked(session) -> None:
    add_field(session, "Size", required=True)
    add_field(session, "Agreed", "checkbox", required=True)
    _, errors = service.validate_custom_values(session, kind="person", values={"size": "  ", "agreed": False})
    assert errors == {"custom.size": "This field is required.", "custom.agreed": "This field is required."}


def test_a_hidden_required_field_is_not_enforced(session) -> None:
    field = add_field(session, "Size", required=True)
    service.set_active(session, field_id=field.id, active=False, actor_id=None)
    assert service.validate_custom_values(session, kind="person", values={}) == ({}, {})


def test_a_new_contact_gets_the_default_value_unless_one_is_given(session) -> None:
    add_field(session, "Seats", "number", default_value=2)
    assert service.validate_custom_values(session, kind="person", values={})[0] == {"seats": 2}
    assert service.validate_custom_values(session, kind="person", values={"seats": "5"})[0] == {"seats": 5}
    assert service.validate_custom_values(session, kind="person", values={"seats": ""})[0] == {}


def test_a_key_left_out_keeps_its_stored_value_and_an_emptied_one_is_removed(session) -> None:
    add_field(session, "Size")
    add_field(session, "Seats", "number", default_value=2)
    stored = {"size": "XL", "seats": 4}
    assert service.validate_custom_values(session, kind="person", values={}, existing=stored)[0] == stored
    cleaned, _ = service.validate_custom_values(session, kind="person", values={"size": ""}, existing=stored)
    assert cleaned == {"seats": 4}


def test_values_of_hidden_fields_and_of_the_other_form_are_carried_over_untouched(session) -> None:
    hidden = add_field(session, "Size")
    service.set_active(session, field_id=hidden.id, active=False, actor_id=None)
    add_field(session, "Sector", kind="organization")
    stored = {"size": "XL", "sector": "Retail", "legacy": [1, 2]}
    cleaned, errors = service.validate_custom_values(
        session, kind="person", values={"size": "XL", "sector": "", "legacy": [1, 2]}, existing=stored
    )
    assert (cleaned, errors) == (stored, {})


def test_a_new_value_for_a_field_not_on_the_form_is_refused(session) -> None:
    add_field(session, "Sector", kind="organization")
    _, errors = service.validate_custom_values(session, kind="person", values={"sector": "Retail", "nope": "x"})
    assert errors == {
        "custom.sector": "This field is not on the form (it may have been hidden or deleted).",
        "custom.nope": "This field is not on the form (it may have been hidden or deleted).",
    }


def test_a_flood_of_values_is_refused_in_one_error(session) -> None:
    values = {f"k{n}": "x" for n in range(service.MAX_VALUES + 1)}
    cleaned, errors = service.validate_custom_values(session, kind="person", values=values, existing={"a": 1})
    assert (cleaned, errors) == ({"a": 1}, {"custom": "Too many values were sent for this form."})


def test_custom_display_formats_the_shown_values_in_form_order(session) -> None:
    section = service.create_section(session, kind="person", title="Money", actor_id=None)
    add_field(session, "Budget", "decimal", section_id=section.id)
    add_field(session, "Colour", "select", choices=["Red"])
    hidden = add_field(session, "Size")
    service.set_active(session, field_id=hidden.id, active=False, actor_id=None)
    custom = {"budget": "1234.5", "colour": "red", "size": "XL"}
    shown = service.custom_display(session, kind="person", custom=custom, locale="fr")
    assert list(shown.items()) == [("colour", "Red"), ("budget", "1\u202f234,5")]


# ---------------------------------------------------------------- deactivation and contacts


def test_deactivating_a_field_keeps_its_values_and_reactivating_brings_them_back(db) -> None:
    field = add_field(db, "Size")
    created = contacts.create_contact(db, data=person(custom={"size": "XL"}), actor_id=None)
    service.set_active(db, field_id=field.id, active=False, actor_id=None)
    hidden = contacts.update_contact(db, contact_id=created.id, data=as_input(created, custom={}), actor_id=None)
    assert (hidden.custom, hidden.hidden_custom) == ({}, ["Size"])
    service.set_active(db, field_id=field.id, active=True, actor_id=None)
    assert contacts.get_contact(db, contact_id=created.id).custom == {"size": "XL"}
    kinds = [(e.kind, e.old, e.new) for e in audit_entries(db)[1:]]
    assert kinds == [("deactivated", True, False), ("activated", False, True)]


# ---------------------------------------------------------------- delete


def test_delete_without_confirmation_only_counts_the_contacts_holding_a_value(db) -> None:
    field = add_field(db, "Size")
    stored_contact(db, {"size": "XL"})
    stored_contact(db, {"size": "S", "other": 1})
    stored_contact(db, {"other": 1})
    stored_contact(db, {"size": None})
    stored_contact(db, {"size": "XL"}, kind="organization")
    result = service.delete_field(db, field_id=field.id, actor_id=None)
    assert (result.contacts_with_value, result.deleted, result.label) == (3, False, "Size")
    assert db.get(FieldDefinition, field.id) is not None


def test_confirmed_delete_removes_the_key_from_every_contact_and_the_field(db) -> None:
    field = add_field(db, "Size")
    holders = [stored_contact(db, {"size": "XL", "other": 1}), stored_contact(db, {"size": "S"})]
    bystander = stored_contact(db, {"other": 2})
    result = service.delete_field(db, field_id=field.id, actor_id=None, confirm=True)
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
    assert service.delete_field(db, field_id=field.id, actor_id=None).contacts_with_value == 1
    service.delete_field(db, field_id=field.id, actor_id=None, confirm=True)
    assert (custom_of(db, person_row.id), custom_of(db, org_row.id)) == ({}, {"size": "Big"})


def test_builtin_fields_cannot_be_deleted(session) -> None:
    memo = service.form_for(session, kind="person").field("memo")
    with pytest.raises(ValidationError):
        service.delete_field(session, field_id=memo.id, actor_id=None, confirm=True)


# ---------------------------------------------------------------- type changes


def test_a_type_change_is_refused_with_the_count_of_values_that_would_not_convert(db) -> None:
    field = add_field(db, "Seats")
    rows = [stored_contact(db, {"seats": value}) for value in ("12", "1,200", "a dozen", "12.5")]
    with pytest.raises(service.TypeChangeRefused) as caught:
        service.change_field_type(db, field_id=field.id, new_type="number", actor_id=None)
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
    changed = service.change_field_type(db, field_id=field.id, new_type="number", actor_id=None)
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
    changed = service.change_field_type(
        db, field_id=field.id, new_type="select", actor_id=None, choices=["Apple", "Samsung"]
    )
    apple = next(choice.id for choice in changed.choices if choice.label == "Apple")
    wanted = ContactFilter(custom=(CustomFilter(key="brand", values=(apple,)),))
    assert [row.id for row in search_contacts(db, filter=wanted).rows] == [rows[0].id]
    found = search_contacts(db, filter=ContactFilter(query="samsung")).rows
    assert [row.id for row in found] == [rows[1].id]


def test_the_type_change_scan_reads_the_values_in_batches(db, monkeypatch) -> None:
    monkeypatch.setattr(service, "SCAN_BATCH", 2)
    field = add_field(db, "Seats", "number")
    rows = [stored_contact(db, {"seats": n}) for n in range(5)]
    assert service.check_type_change(db, field_id=field.id, new_type="decimal").values == 5
    service.change_field_type(db, field_id=field.id, new_type="decimal", actor_id=None)
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
    service.change_field_type(session, field_id=field.id, new_type=new_type, actor_id=None)
    assert custom_of(session, row.id) == {"thing": expected}


def test_single_choice_becomes_multiple_choice_and_back_when_one_option_is_chosen(db) -> None:
    field = add_field(db, "Colour", "select", choices=["Red", "Green"])
    row = stored_contact(db, {"colour": "green"})
    service.change_field_type(db, field_id=field.id, new_type="multi_select", actor_id=None)
    assert custom_of(db, row.id) == {"colour": ["green"]}
    other = stored_contact(db, {"colour": ["red", "green"]})
    with pytest.raises(service.TypeChangeRefused) as caught:
        service.change_field_type(db, field_id=field.id, new_type="select", actor_id=None)
    assert caught.value.check.failing == 1
    assert caught.value.message.startswith("1 stored value does not fit a single choice field")
    assert custom_of(db, other.id) == {"colour": ["red", "green"]}


def test_text_becomes_a_choice_when_the_new_options_match_every_value(session) -> None:
    field = add_field(session, "Tier")
    rows = [stored_contact(session, {"tier": value}) for value in ("Gold", "silver")]
    changed = service.change_field_type(
        session, field_id=field.id, new_type="select", choices=["Gold", "Silver"], actor_id=None
    )
    assert [c.id for c in changed.choices] == ["gold", "silver"]
    assert [custom_of(session, r.id) for r in rows] == [{"tier": "gold"}, {"tier": "silver"}]


def test_a_default_that_cannot_convert_is_reported_and_dropped(session) -> None:
    field = add_field(session, "Seats", default_value="a few")
    check = service.check_type_change(session, field_id=field.id, new_type="number")
    assert (check.allowed, check.default_lost) == (True, True)
    assert service.change_field_type(session, field_id=field.id, new_type="number", actor_id=None).default_value is None


def test_a_builtin_field_has_no_type_to_change(session) -> None:
    memo = service.form_for(session, kind="person").field("memo")
    with pytest.raises(ValidationError):
        service.change_field_type(session, field_id=memo.id, new_type="text", actor_id=None)


# ---------------------------------------------------------------- contact integration


def test_create_contact_stores_the_cleaned_custom_values(db) -> None:
    add_field(db, "Budget", "decimal")
    read = contacts.create_contact(db, data=person(custom={"budget": "1 234,5"}), actor_id=None, locale="fr")
    assert read.custom == {"budget": "1234.5"}
    assert custom_of(db, read.id) == {"budget": "1234.5"}


def test_create_contact_refuses_a_missing_required_value_along_with_other_errors_and_writes_nothing(db) -> None:
    add_field(db, "Size", required=True)
    with pytest.raises(ValidationError) as caught:
        contacts.create_contact(db, data=person(first_name="", last_name=""), actor_id=None)
    assert caught.value.errors["custom.size"] == "This field is required."
    assert "first_name" in caught.value.errors
    assert db.exec(select(func.count()).select_from(Contact)).one() == 0


def test_a_required_builtin_registration_number_is_enforced_for_organisations_only(db) -> None:
    reg = service.form_for(db, kind="organization").field("registration_no")
    service.update_field(db, field_id=reg.id, data=FieldUpdate(required=True), actor_id=None)
    with pytest.raises(ValidationError) as caught:
        contacts.create_contact(db, data=organisation(), actor_id=None)
    assert caught.value.errors == {"registration_no": "Enter the registration number."}
    assert contacts.create_contact(db, data=organisation(registration_no="RCS 1"), actor_id=None).registration_no
    assert contacts.create_contact(db, data=person(), actor_id=None).registration_no == ""


def test_a_required_builtin_list_needs_one_entry(db) -> None:
    phones = service.form_for(db, kind="person").field("phones")
    service.update_field(db, field_id=phones.id, data=FieldUpdate(required=True), actor_id=None)
    with pytest.raises(ValidationError) as caught:
        contacts.create_contact(db, data=person(phones=[]), actor_id=None)
    assert caught.value.errors == {"phones": "Add at least one phone number."}


def test_a_hidden_builtin_keeps_its_stored_value_when_the_form_sends_it_empty(db) -> None:
    created = contacts.create_contact(db, data=person(registration_no="RCS 9", memo="Likes tea"), actor_id=None)
    memo = service.form_for(db, kind="person").field("memo")
    service.set_active(db, field_id=memo.id, active=False, actor_id=None)
    form_data = as_input(created, registration_no="", memo="", phones=[], first_name="Annie")
    read = contacts.update_contact(db, contact_id=created.id, data=form_data, actor_id=None)
    assert (read.first_name, read.registration_no, read.memo) == ("Annie", "RCS 9", "Likes tea")
    assert read.phones == []  # phones are shown, so emptying them is a real change


def test_hidden_builtin_lists_keep_their_rows_when_the_form_sends_none(db) -> None:
    created = contacts.create_contact(db, data=person(discount_percent="12.5"), actor_id=None)
    form = service.form_for(db, kind="person")
    for key in ("phones", "emails", "addresses", "discount_percent"):
        service.set_active(db, field_id=form.field(key).id, active=False, actor_id=None)
    form_data = as_input(created, phones=[], emails=[], addresses=[], discount_percent="0", last_name="Jones")
    read = contacts.update_contact(db, contact_id=created.id, data=form_data, actor_id=None)
    assert read.last_name == "Jones"
    assert [p.e164 for p in read.phones] == ["+33612345678"]
    assert [e.address for e in read.emails] == ["ann@example.com"]
    assert [a.city for a in read.addresses] == ["Paris"]
    assert read.discount_percent == "12.5"


def test_update_contact_audits_each_changed_custom_value_with_shown_values(db) -> None:
    add_field(db, "Colour", "select", choices=["Red", "Green"])
    add_field(db, "Budget", "decimal")
    created = contacts.create_contact(db, data=person(custom={"colour": "red", "budget": "10"}), actor_id=None)
    data = as_input(created, custom={"colour": "green", "budget": "10"})
    read = contacts.update_contact(db, contact_id=created.id, data=data, actor_id=None)
    assert read.custom == {"colour": "green", "budget": "10"}
    assert read.version == 2
    stmt = select(AuditEntry).where(AuditEntry.contact_id == created.id, AuditEntry.kind == "field_changed")
    changed = [(e.field, e.old, e.new) for e in db.exec(stmt)]
    assert changed == [("custom.colour", "Red", "Green")]


def test_saving_unchanged_custom_values_changes_nothing(db) -> None:
    add_field(db, "Budget", "decimal")
    created = contacts.create_contact(db, data=person(custom={"budget": "10.50"}), actor_id=None)
    read = contacts.update_contact(
        db, contact_id=created.id, data=as_input(created, custom=created.custom), actor_id=None
    )
    assert read.version == 1


def test_converting_a_contact_keeps_shared_values_and_reports_the_hidden_ones(db) -> None:
    add_field(db, "Size", kind="person")
    add_field(db, "Birthday", "date", kind="person")
    add_field(db, "Size", kind="organization")
    created = contacts.create_contact(db, data=person(custom={"size": "XL", "birthday": "1990-05-01"}), actor_id=None)
    assert service.hidden_values_after_conversion(db, contact_custom=created.custom, to_kind="organization") == [
        "Birthday"
    ]
    converted = contacts.convert_kind(db, contact_id=created.id, to_kind="organization", actor_id=None)
    assert (converted.custom, converted.hidden_custom) == ({"size": "XL"}, ["Birthday"])
    back = contacts.convert_kind(db, contact_id=created.id, to_kind="person", actor_id=None)
    assert (back.custom, back.hidden_custom) == ({"size": "XL", "birthday": "1990-05-01"}, [])


def test_a_key_shared_by_both_forms_must_keep_one_type(session) -> None:
    add_field(session, "Size", "number", kind="organization")
    with pytest.raises(ValidationError) as caught:
        add_field(session, "Size", kind="person", key="size")
    assert caught.value.errors == {
        "key": "The organisation form uses this key for a whole number field: choose the same type or another key."
    }
    assert add_field(session, "Size", kind="person").key == "size_2"
    assert add_field(session, "Headcount", "number", kind="person", key="size").key == "size"


def test_only_values_visible_now_are_reported_when_the_source_form_is_given(session) -> None:
    hidden = add_field(session, "Size", kind="person")
    service.set_active(session, field_id=hidden.id, active=False, actor_id=None)
    custom = {"size": "XL"}
    assert service.hidden_values_after_conversion(session, contact_custom=custom, to_kind="organization") == ["Size"]
    assert (
        service.hidden_values_after_conversion(
            session, contact_custom=custom, to_kind="organization", from_kind="person"
        )
        == []
    )


# ---------------------------------------------------------------- audit


def test_every_definition_change_is_versioned_in_the_audit_history(session) -> None:
    manager = make_user(session, name="Maria", role="manager")
    field = service.create_field(
        session, kind="person", data=FieldCreate(label="Size", help_text="In cm"), actor_id=manager.id
    )
    service.update_field(session, field_id=field.id, data=FieldUpdate(help_text="In metres"), actor_id=manager.id)
    section = service.create_section(session, kind="person", title="Details", actor_id=manager.id)
    service.move_field_to(session, field_id=field.id, section_id=section.id, position=0, actor_id=manager.id)
    created = audit_entries(session)[0]
    assert (created.kind, created.actor_id, created.new["label"], created.new["key"]) == (
        "created",
        manager.id,
        "Size",
        "size",
    )
    history = service.field_history(session, field_id=field.id)
    assert [(h.kind, h.field, h.actor_name) for h in history] == [
        ("moved", "", "Maria"),
        ("changed", "help_text", "Maria"),
        ("created", "", "Maria"),
    ]
    assert history[1].old == '"In cm"' and history[1].new == '"In metres"'
    sections = audit_entries(session, "form_section")
    assert [(e.kind, e.new) for e in sections] == [("created", "Details")]
    assert len(service.field_history(session)) == 4


def test_form_history_names_each_field_and_section_of_that_form_newest_first(session) -> None:
    manager = make_user(session, name="Maria", role="manager")
    size = service.create_field(session, kind="person", data=FieldCreate(label="Size"), actor_id=manager.id)
    service.create_field(session, kind="organization", data=FieldCreate(label="Seats"), actor_id=manager.id)
    service.update_field(session, field_id=size.id, data=FieldUpdate(required=True), actor_id=manager.id)
    section = service.create_section(session, kind="person", title="Details", actor_id=manager.id)
    service.rename_section(session, section_id=section.id, title="Workshop", actor_id=manager.id)
    history = service.form_history(session, kind="person")
    assert [(h.entity, h.subject, h.kind, h.field, h.old, h.new, h.actor_name) for h in history] == [
        ("section", "Workshop", "renamed", "title", "Details", "Workshop", "Maria"),
        ("section", "Workshop", "created", "title", None, "Details", "Maria"),
        ("field", "Size", "changed", "required", False, True, "Maria"),
        ("field", "Size", "created", "", None, history[-1].new, "Maria"),
    ]
    assert [h.subject for h in service.form_history(session, kind="organization")] == ["Seats"]


def test_form_history_keeps_naming_a_deleted_field_and_respects_the_limit(session) -> None:
    old = add_field(session, "Old code")
    service.update_field(session, field_id=old.id, data=FieldUpdate(help_text="Gone soon"), actor_id=None)
    service.delete_field(session, field_id=old.id, actor_id=None, confirm=True)
    history = service.form_history(session, kind="person")
    assert [(h.subject, h.kind) for h in history] == [
        ("Old code", "deleted"),
        ("Old code", "changed"),
        ("Old code", "created"),
    ]
    assert history[0].new == {"values_removed": 0}
    assert len(service.form_history(session, kind="person", limit=2)) == 2
    assert service.form_history(session, kind="organization") == []
