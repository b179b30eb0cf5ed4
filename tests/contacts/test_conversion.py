"""What converting a contact to the other type hides: names, hidden built-in parts and custom values."""

from __future__ import annotations

import pytest

from crm_app.contacts import service as contacts
from crm_app.contacts.conversion import hidden_by_conversion
from crm_app.core.errors import NotFoundError, ValidationError
from crm_app.fields import definitions
from crm_app.fields.schemas import FieldCreate
from tests.contacts.factories import organisation, person


def test_a_person_becoming_an_organisation_hides_the_names_and_person_only_values(session) -> None:
    definitions.create_field(session, kind="person", data=FieldCreate(label="Birthday", type="date"), actor_id=None)
    created = contacts.create_contact(session, data=person(custom={"birthday": "1990-05-01"}), actor_id=None)
    assert hidden_by_conversion(session, contact_id=created.id, to_kind="organization") == [
        "First name",
        "Last name",
        "Birthday",
    ]
    assert hidden_by_conversion(session, contact_id=created.id, to_kind="person") == []


def test_an_organisation_becoming_a_person_hides_the_company_name_and_registration_number(session) -> None:
    created = contacts.create_contact(session, data=organisation(registration_no="RCS 123"), actor_id=None)
    assert hidden_by_conversion(session, contact_id=created.id, to_kind="person") == [
        "Company name",
        "Registration number",
    ]


def test_empty_values_are_not_reported(session) -> None:
    created = contacts.create_contact(session, data=organisation(), actor_id=None)
    assert hidden_by_conversion(session, contact_id=created.id, to_kind="person") == ["Company name"]


def test_an_unknown_contact_or_type_is_refused(session) -> None:
    created = contacts.create_contact(session, data=organisation(), actor_id=None)
    with pytest.raises(ValidationError):
        hidden_by_conversion(session, contact_id=created.id, to_kind="robot")
    with pytest.raises(NotFoundError):
        hidden_by_conversion(session, contact_id=10**6, to_kind="person")
