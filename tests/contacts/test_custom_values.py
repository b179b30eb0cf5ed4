"""Stored custom values follow their field's definition: the contacts package answers the fields' events."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from crm_app.contacts import service as contacts
from crm_app.contacts.search.filters import ContactFilter, CustomFilter
from crm_app.contacts.search.query import search_contacts
from crm_app.core import events
from crm_app.fields import choices as field_choices
from crm_app.fields import stored_values
from crm_app.fields.events import FieldDeleting, FieldValuesCounting
from tests.contacts.factories import person
from tests.fields.factories import add_field, custom_of


@pytest.fixture
def db(any_engine) -> Iterator[Session]:
    """A session on SQLite, then on PostgreSQL."""
    with Session(any_engine, expire_on_commit=False) as s:
        yield s


def found(session: Session, query: str) -> list[int]:
    return [row.id for row in search_contacts(session, filter=ContactFilter(query=query)).rows]


def test_deleting_a_field_removes_the_value_a_contact_holds_and_the_contact_is_still_found(db) -> None:
    code = add_field(db, "Site access code", searchable=True)
    ann = contacts.create_contact(
        db, data=person(first_name="Ann", last_name="Lee", custom={"site_access_code": "Wombat42"}), actor_id=None
    )
    db.commit()
    assert found(db, "wombat42") == [ann.id]
    deletion = stored_values.delete_field(db, field_id=code.id, actor_id=None, confirm=True)
    db.commit()
    assert (deletion.deleted, deletion.contacts_with_value) == (True, 1)
    stored = contacts.get_contact(db, contact_id=ann.id)
    assert (stored.custom, stored.hidden_custom, stored.version) == ({}, [], 2)
    assert (found(db, "wombat42"), found(db, "ann lee")) == ([], [ann.id])


def test_a_type_change_rewrites_the_value_a_contact_holds_and_the_contact_is_found_by_its_option(db) -> None:
    brand = add_field(db, "Brand", searchable=True)
    ann = contacts.create_contact(db, data=person(first_name="Ann", custom={"brand": "Grundig"}), actor_id=None)
    db.commit()
    changed = stored_values.change_field_type(
        db, field_id=brand.id, new_type="select", actor_id=None, choices=["Grundig", "Philips"]
    )
    db.commit()
    grundig = next(choice.id for choice in changed.choices if choice.label == "Grundig")
    assert custom_of(db, ann.id) == {"brand": grundig}
    wanted = ContactFilter(custom=(CustomFilter(key="brand", values=(grundig,)),))
    assert [row.id for row in search_contacts(db, filter=wanted).rows] == [ann.id]
    field_choices.rename_choice(db, field_id=brand.id, choice_id=grundig, label="Telefunken", actor_id=None)
    db.commit()
    assert custom_of(db, ann.id) == {"brand": grundig}
    assert (found(db, "telefunken"), found(db, "grundig")) == ([ann.id], [])


def test_the_fields_events_count_and_remove_the_values_of_the_kinds_named(db) -> None:
    add_field(db, "Size")
    held = contacts.create_contact(db, data=person(custom={"size": "XL"}), actor_id=None)
    counting = FieldValuesCounting("size", ("person",))
    events.publish(db, counting)
    elsewhere = FieldValuesCounting("size", ("organization",))
    events.publish(db, elsewhere)
    assert (counting.count, elsewhere.count) == (1, 0)
    deleting = FieldDeleting("size", ("person",), searchable=False)
    events.publish(db, deleting)
    assert (deleting.removed, custom_of(db, held.id)) == (1, {})
