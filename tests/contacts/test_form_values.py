"""Contacts follow their type's form: custom values cleaned and audited, required and hidden built-in parts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from crm_app.contacts import service as contacts
from crm_app.contacts.models import Contact
from crm_app.core.errors import ValidationError
from crm_app.core.models import AuditEntry
from crm_app.fields import definitions
from crm_app.fields import values as field_values
from crm_app.fields.schemas import FieldUpdate
from tests.contacts.factories import as_input, organisation, person
from tests.fields.factories import add_field, custom_of


@pytest.fixture
def db(any_engine) -> Iterator[Session]:
    """A session on SQLite, then on PostgreSQL."""
    with Session(any_engine, expire_on_commit=False) as s:
        yield s


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
    reg = definitions.form_for(db, kind="organization").field("registration_no")
    definitions.update_field(db, field_id=reg.id, data=FieldUpdate(required=True), actor_id=None)
    with pytest.raises(ValidationError) as caught:
        contacts.create_contact(db, data=organisation(), actor_id=None)
    assert caught.value.errors == {"registration_no": "Enter the registration number."}
    assert contacts.create_contact(db, data=organisation(registration_no="RCS 1"), actor_id=None).registration_no
    assert contacts.create_contact(db, data=person(), actor_id=None).registration_no == ""


def test_a_required_builtin_list_needs_one_entry(db) -> None:
    phones = definitions.form_for(db, kind="person").field("phones")
    definitions.update_field(db, field_id=phones.id, data=FieldUpdate(required=True), actor_id=None)
    with pytest.raises(ValidationError) as caught:
        contacts.create_contact(db, data=person(phones=[]), actor_id=None)
    assert caught.value.errors == {"phones": "Add at least one phone number."}


def test_a_hidden_builtin_keeps_its_stored_value_when_the_form_sends_it_empty(db) -> None:
    created = contacts.create_contact(db, data=person(registration_no="RCS 9", memo="Likes tea"), actor_id=None)
    memo = definitions.form_for(db, kind="person").field("memo")
    definitions.set_active(db, field_id=memo.id, active=False, actor_id=None)
    form_data = as_input(created, registration_no="", memo="", phones=[], first_name="Annie")
    read = contacts.update_contact(db, contact_id=created.id, data=form_data, actor_id=None)
    assert (read.first_name, read.registration_no, read.memo) == ("Annie", "RCS 9", "Likes tea")
    assert read.phones == []  # phones are shown, so emptying them is a real change


def test_hidden_builtin_lists_keep_their_rows_when_the_form_sends_none(db) -> None:
    created = contacts.create_contact(db, data=person(discount_percent="12.5"), actor_id=None)
    form = definitions.form_for(db, kind="person")
    for key in ("phones", "emails", "addresses", "discount_percent"):
        definitions.set_active(db, field_id=form.field(key).id, active=False, actor_id=None)
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
    assert field_values.hidden_values_after_conversion(db, contact_custom=created.custom, to_kind="organization") == [
        "Birthday"
    ]
    converted = contacts.convert_kind(db, contact_id=created.id, to_kind="organization", actor_id=None)
    assert (converted.custom, converted.hidden_custom) == ({"size": "XL"}, ["Birthday"])
    back = contacts.convert_kind(db, contact_id=created.id, to_kind="person", actor_id=None)
    assert (back.custom, back.hidden_custom) == ({"size": "XL", "birthday": "1990-05-01"}, [])
