"""The contact file renders the form of its type: custom fields, required ones, hidden built-ins."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlmodel import select

from crm_app.contacts import service as contacts
from crm_app.contacts.models import Contact
from crm_app.fields import service as fields
from crm_app.fields.models import FieldDefinition
from crm_app.fields.schemas import FieldCreate, FieldUpdate
from tests.e2e.helpers import make_user, sign_in

SAVED_URL = re.compile(r"/contacts/\d+$")


def test_organisation_form_shows_custom_fields_and_enforces_required_ones(app_server, desktop):
    with app_server.session() as db:
        fields.ensure_builtin_fields(db)
        fields.create_field(
            db,
            kind="organization",
            data=FieldCreate(
                label="Device brand",
                type="select",
                choices=["Apple", "Samsung", "Other"],
                required=True,
                help_text="The brand of the device brought in.",
            ),
            actor_id=None,
        )
        fields.create_field(
            db, kind="organization", data=FieldCreate(label="Site access code", type="text"), actor_id=None
        )
        fields.create_field(db, kind="person", data=FieldCreate(label="Next service", type="date"), actor_id=None)
        reg = db.exec(
            select(FieldDefinition).where(
                FieldDefinition.kind == "organization", FieldDefinition.key == "registration_no"
            )
        ).one()
        fields.update_field(db, field_id=reg.id, data=FieldUpdate(required=True), actor_id=None)
    sign_in(desktop, make_user(app_server, "staff"))
    desktop.goto("/contacts/new?kind=organization")
    desktop.locator("#f-company_name").fill("Atelier Réparation")
    expect(desktop.get_by_text("Device brand")).to_be_visible()
    expect(desktop.get_by_text("The brand of the device brought in.")).to_be_visible()
    expect(desktop.get_by_text("Next service")).to_have_count(0)
    desktop.locator("#c-site_access_code").fill("B-1234#")
    desktop.locator("#save").click()
    expect(desktop.locator(".field-error").first).to_be_visible()
    assert "/contacts/new" in desktop.url
    desktop.locator("#c-device_brand").select_option(label="Samsung")
    desktop.locator("#f-registration_no").fill("FR123456789")
    desktop.locator("#save").click()
    desktop.wait_for_url(SAVED_URL)
    desktop.screenshot(path="test-results/custom-fields-desktop.png", full_page=True)
    with app_server.session() as db:
        stored = db.exec(select(Contact).where(Contact.company_name == "Atelier Réparation")).one()
        assert stored.custom["site_access_code"] == "B-1234#"
        assert stored.custom["device_brand"]
        shown = contacts.get_contact(db, contact_id=stored.id)
    assert shown.registration_no == "FR123456789"
    expect(desktop.locator("#c-device_brand")).to_have_value(stored.custom["device_brand"])


def test_person_form_hides_registration_number_and_takes_a_date(app_server, phone):
    sign_in(phone, make_user(app_server, "staff"))
    phone.goto("/contacts/new?kind=person")
    phone.locator("#f-first_name").fill("Lucie")
    expect(phone.locator("#f-registration_no")).to_have_count(0)
    date_input = phone.locator("#c-next_service")
    if date_input.count():
        date_input.fill("2027-03-15")
    phone.locator("#save").click()
    phone.wait_for_url(SAVED_URL)
    phone.screenshot(path="test-results/custom-fields-phone.png", full_page=True)
