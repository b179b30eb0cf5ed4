"""A contact's custom values checked against its form: parsed by type, required, defaults, hidden ones kept."""

from __future__ import annotations

from crm_app.fields import definitions
from crm_app.fields import values as field_values
from tests.fields.factories import add_field


def test_values_are_parsed_by_type_in_the_users_locale(session) -> None:
    add_field(session, "Budget", "decimal")
    add_field(session, "Seats", "number")
    add_field(session, "Start", "date")
    add_field(session, "Site", "url")
    add_field(session, "Backup phone", "phone")
    add_field(session, "Billing e-mail", "email")
    cleaned, errors = field_values.validate_custom_values(
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
    _, errors = field_values.validate_custom_values(
        session, kind="person", values={"seats": "many", "site": "javascript:alert(1)"}
    )
    assert errors == {
        "custom.seats": "Enter a whole number.",
        "custom.site": "Only http and https links are allowed.",
    }


def test_a_required_field_must_be_filled_and_a_required_checkbox_ticked(session) -> None:
    add_field(session, "Size", required=True)
    add_field(session, "Agreed", "checkbox", required=True)
    _, errors = field_values.validate_custom_values(session, kind="person", values={"size": "  ", "agreed": False})
    assert errors == {"custom.size": "This field is required.", "custom.agreed": "This field is required."}


def test_a_hidden_required_field_is_not_enforced(session) -> None:
    field = add_field(session, "Size", required=True)
    definitions.set_active(session, field_id=field.id, active=False, actor_id=None)
    assert field_values.validate_custom_values(session, kind="person", values={}) == ({}, {})


def test_a_new_contact_gets_the_default_value_unless_one_is_given(session) -> None:
    add_field(session, "Seats", "number", default_value=2)
    assert field_values.validate_custom_values(session, kind="person", values={})[0] == {"seats": 2}
    assert field_values.validate_custom_values(session, kind="person", values={"seats": "5"})[0] == {"seats": 5}
    assert field_values.validate_custom_values(session, kind="person", values={"seats": ""})[0] == {}


def test_a_key_left_out_keeps_its_stored_value_and_an_emptied_one_is_removed(session) -> None:
    add_field(session, "Size")
    add_field(session, "Seats", "number", default_value=2)
    stored = {"size": "XL", "seats": 4}
    assert field_values.validate_custom_values(session, kind="person", values={}, existing=stored)[0] == stored
    cleaned, _ = field_values.validate_custom_values(session, kind="person", values={"size": ""}, existing=stored)
    assert cleaned == {"seats": 4}


def test_values_of_hidden_fields_and_of_the_other_form_are_carried_over_untouched(session) -> None:
    hidden = add_field(session, "Size")
    definitions.set_active(session, field_id=hidden.id, active=False, actor_id=None)
    add_field(session, "Sector", kind="organization")
    stored = {"size": "XL", "sector": "Retail", "legacy": [1, 2]}
    cleaned, errors = field_values.validate_custom_values(
        session, kind="person", values={"size": "XL", "sector": "", "legacy": [1, 2]}, existing=stored
    )
    assert (cleaned, errors) == (stored, {})


def test_a_new_value_for_a_field_not_on_the_form_is_refused(session) -> None:
    add_field(session, "Sector", kind="organization")
    _, errors = field_values.validate_custom_values(session, kind="person", values={"sector": "Retail", "nope": "x"})
    assert errors == {
        "custom.sector": "This field is not on the form (it may have been hidden or deleted).",
        "custom.nope": "This field is not on the form (it may have been hidden or deleted).",
    }


def test_a_flood_of_values_is_refused_in_one_error(session) -> None:
    values = {f"k{n}": "x" for n in range(field_values.MAX_VALUES + 1)}
    cleaned, errors = field_values.validate_custom_values(session, kind="person", values=values, existing={"a": 1})
    assert (cleaned, errors) == ({"a": 1}, {"custom": "Too many values were sent for this form."})


def test_only_values_visible_now_are_reported_when_the_source_form_is_given(session) -> None:
    hidden = add_field(session, "Size", kind="person")
    definitions.set_active(session, field_id=hidden.id, active=False, actor_id=None)
    custom = {"size": "XL"}
    assert field_values.hidden_values_after_conversion(session, contact_custom=custom, to_kind="organization") == [
        "Size"
    ]
    assert (
        field_values.hidden_values_after_conversion(
            session, contact_custom=custom, to_kind="organization", from_kind="person"
        )
        == []
    )
