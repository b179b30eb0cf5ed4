"""The contact file renders the form of its type: custom fields, required ones, built-ins where managers put them."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from crm_app.contacts import service as contacts
from crm_app.contacts.models import Contact
from crm_app.fields import definitions, layout, stored_values
from crm_app.fields.schemas import FieldCreate, FieldUpdate
from tests.e2e.helpers import make_user, sign_in

SAVED_URL = re.compile(r"/contacts/\d+$")
OWN_FIELDS = {
    "organization": ("device_brand", "site_access_code", "warranty_plan"),
    "person": ("next_service", "visit_date"),
}
OWN_SECTIONS = ("Company",)


def _start_clean(app_server) -> None:
    """Remove the fields and sections this module creates (other modules share the server)."""
    with app_server.session() as db:
        for kind, keys in OWN_FIELDS.items():
            form = definitions.form_for(db, kind=kind, include_inactive=True)
            for key in keys:
                found = form.field(key)
                if found is not None:
                    stored_values.delete_field(db, field_id=found.id, actor_id=None, confirm=True)
            for section in form.sections:
                if section.id is not None and section.title in OWN_SECTIONS:
                    layout.delete_section(db, section_id=section.id, actor_id=None)


def _stored(app_server, **where) -> Contact:
    with app_server.session() as db:
        stmt = select(Contact)
        for name, value in where.items():
            stmt = stmt.where(getattr(Contact, name) == value)
        return db.exec(stmt).one()


def _custom_field(page: Page, key: str):
    """The block of one custom field: its label, input, help and error."""
    return page.locator(".custom-field").filter(has=page.locator(f"#c-{key}"))


def test_organisation_form_shows_custom_fields_and_enforces_required_ones(app_server, desktop):
    _start_clean(app_server)
    with app_server.session() as db:
        definitions.ensure_builtin_fields(db)
        definitions.create_field(
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
        definitions.create_field(
            db, kind="organization", data=FieldCreate(label="Site access code", type="text"), actor_id=None
        )
        definitions.create_field(db, kind="person", data=FieldCreate(label="Next service", type="date"), actor_id=None)
        reg = definitions.form_for(db, kind="organization").field("registration_no")
        definitions.update_field(db, field_id=reg.id, data=FieldUpdate(required=True), actor_id=None)
    try:
        sign_in(desktop, make_user(app_server, "staff"))
        desktop.goto("/contacts/new?kind=organization")
        desktop.locator("#f-company_name").fill("Atelier Réparation")
        expect(desktop.get_by_text("Device brand")).to_be_visible()
        expect(desktop.get_by_text("The brand of the device brought in.")).to_be_visible()
        expect(desktop.get_by_text("Next service")).to_have_count(0)
        expect(desktop.locator("label[for='f-registration_no'] .required-mark")).to_be_visible()
        desktop.locator("#c-site_access_code").fill("B-1234#")
        desktop.locator("#save").click()
        expect(_custom_field(desktop, "device_brand").locator(".field-error")).to_contain_text("required")
        assert "/contacts/new" in desktop.url
        desktop.locator("#c-device_brand").select_option(label="Samsung")
        desktop.locator("#f-registration_no").fill("FR123456789")
        desktop.locator("#save").click()
        desktop.wait_for_url(SAVED_URL)
        desktop.screenshot(path="test-results/custom-fields-desktop.png", full_page=True)
        stored = _stored(app_server, company_name="Atelier Réparation")
        assert stored.custom["site_access_code"] == "B-1234#"
        assert stored.custom["device_brand"]
        with app_server.session() as db:
            shown = contacts.get_contact(db, contact_id=stored.id)
        assert shown.registration_no == "FR123456789"
        expect(desktop.locator("#c-device_brand")).to_have_value(stored.custom["device_brand"])
    finally:
        with app_server.session() as db:
            reg = definitions.form_for(db, kind="organization").field("registration_no")
            definitions.update_field(db, field_id=reg.id, data=FieldUpdate(required=False), actor_id=None)


def test_person_form_hides_registration_number_and_takes_a_date(app_server, phone):
    with app_server.session() as db:
        if definitions.form_for(db, kind="person").field("next_service") is None:
            definitions.create_field(
                db, kind="person", data=FieldCreate(label="Next service", type="date"), actor_id=None
            )
    sign_in(phone, make_user(app_server, "staff"))
    phone.goto("/contacts/new?kind=person")
    phone.locator("#f-first_name").fill("Lucie")
    expect(phone.locator("#f-registration_no")).to_have_count(0)
    date_input = phone.locator("#c-next_service")
    expect(date_input).to_be_visible()
    date_input.fill("2027-03-15")
    phone.locator("#save").click()
    phone.wait_for_url(SAVED_URL)
    expect(phone.locator("#c-next_service")).to_have_value("2027-03-15")
    assert _stored(app_server, first_name="Lucie").custom["next_service"] == "2027-03-15"
    phone.screenshot(path="test-results/custom-fields-phone.png", full_page=True)


def _add_field_in_builder(page: Page, label: str, type_: str, *, choices: str = "", required: bool = False) -> None:
    page.locator("#add-field").click()
    expect(page.locator("#add-dialog")).to_be_visible()
    page.locator("#field-label").fill(label)
    page.locator("#field-type").select_option(type_)
    if choices:
        page.locator("#field-choices").fill(choices)
    if required:
        page.locator("#field-required").click()
        expect(page.locator("#field-required")).to_have_attribute("data-state", "checked")
    page.locator("#field-save").click()
    expect(page.locator("#add-dialog")).to_have_count(0)


def test_fields_a_manager_adds_reach_an_open_form_live_and_the_required_one_is_enforced(app_server, desktop, phone):
    _start_clean(app_server)
    staff, manager = phone, desktop
    sign_in(staff, make_user(app_server, "staff"))
    staff.goto("/contacts/new?kind=organization")
    staff.locator("#f-company_name").fill("Garage Dupont")
    staff.locator("#f-memo").fill("Opens at 7")
    expect(staff.locator("#c-warranty_plan")).to_have_count(0)

    # The manager adds a required single-choice field to Organisation and a date field to Person, in the browser.
    sign_in(manager, make_user(app_server, "manager"))
    manager.goto("/settings/forms")
    manager.locator("#tab-organization").click()
    expect(manager.locator(".field-row[data-key='registration_no']")).to_be_visible()
    _add_field_in_builder(manager, "Warranty plan", "select", choices="Basic\nPremium", required=True)
    expect(manager.locator(".field-row[data-key='warranty_plan']")).to_contain_text("Required")
    manager.locator("#tab-person").click()
    expect(manager.locator(".field-row[data-key='warranty_plan']")).to_have_count(0)
    _add_field_in_builder(manager, "Visit date", "date")
    expect(manager.locator(".field-row[data-key='visit_date']")).to_contain_text("Date")

    # The staff member's open form gains the field without a reload and keeps what was typed.
    plan = _custom_field(staff, "warranty_plan")
    expect(plan).to_be_visible()
    expect(plan.locator("label .required-mark")).to_be_visible()
    expect(staff.locator("#form-notice")).to_be_visible()
    expect(staff.locator("#f-company_name")).to_have_value("Garage Dupont")
    expect(staff.locator("#f-memo")).to_have_value("Opens at 7")
    expect(staff.locator("#c-visit_date")).to_have_count(0)

    # Saving without it: the error shows next to the field and nothing is saved; filled in, it saves.
    staff.locator("#save").click()
    expect(plan.locator(".field-error")).to_contain_text("This field is required.")
    assert "/contacts/new" in staff.url
    staff.screenshot(path="test-results/custom-fields-live-required-phone.png", full_page=True)
    staff.locator("#c-warranty_plan").select_option(label="Premium")
    expect(plan.locator(".field-error")).to_have_count(0)
    staff.locator("#save").click()
    staff.wait_for_url(SAVED_URL)
    expect(staff.locator("#c-warranty_plan")).to_have_value("premium")
    saved = _stored(app_server, company_name="Garage Dupont")
    assert saved.custom["warranty_plan"] == "premium" and saved.memo == "Opens at 7"

    # The person form has the date field the manager added.
    staff.goto("/contacts/new?kind=person")
    staff.locator("#f-first_name").fill("Paul")
    expect(staff.locator("#c-warranty_plan")).to_have_count(0)
    staff.locator("#c-visit_date").fill("2027-05-02")
    staff.locator("#save").click()
    staff.wait_for_url(SAVED_URL)
    assert _stored(app_server, first_name="Paul").custom["visit_date"] == "2027-05-02"
    staff.screenshot(path="test-results/custom-fields-live-phone.png", full_page=True)


@contextlib.contextmanager
def _rearranged_organisation_form(app_server) -> Iterator[None]:
    """Memo first, the registration number required in a "Company" section; put back afterwards."""
    with app_server.session() as db:
        form = definitions.form_for(db, kind="organization", include_inactive=True)
        top = [f.key for f in form.sections[0].fields]
        section = layout.create_section(db, kind="organization", title="Company", actor_id=None)
        layout.move_field_to(db, field_id=form.field("memo").id, section_id=None, position=0, actor_id=None)
        reg = form.field("registration_no")
        layout.move_field_to(db, field_id=reg.id, section_id=section.id, position=0, actor_id=None)
        definitions.update_field(db, field_id=reg.id, data=FieldUpdate(required=True), actor_id=None)
    try:
        yield
    finally:
        with app_server.session() as db:
            layout.delete_section(db, section_id=section.id, actor_id=None)
            form = definitions.form_for(db, kind="organization", include_inactive=True)
            for position, key in enumerate(top):
                layout.move_field_to(db, field_id=form.field(key).id, section_id=None, position=position, actor_id=None)
            definitions.update_field(db, field_id=reg.id, data=FieldUpdate(required=False), actor_id=None)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_profile_shows_the_builtin_parts_in_the_managers_order_and_sections(app_server, request, viewport):
    _start_clean(app_server)
    page: Page = request.getfixturevalue(viewport)
    with _rearranged_organisation_form(app_server):
        sign_in(page, make_user(app_server, "staff"))
        page.goto("/contacts/new?kind=organization")
        page.locator("#f-company_name").fill(f"Ordered {viewport}")
        parts = page.locator(".form-part")
        expect(parts.first).to_have_attribute("data-part", "memo")
        order = parts.evaluate_all("els => els.map(e => e.dataset.part)")
        assert order.index("memo") < order.index("phones") < order.index("registration_no")
        company = page.locator(".form-card[data-section='Company']")
        expect(company.locator(".section-title")).to_have_text("Company")
        expect(company.locator("#f-registration_no")).to_be_visible()
        expect(company.locator("label[for='f-registration_no'] .required-mark")).to_be_visible()
        page.screenshot(path=f"test-results/custom-fields-order-{viewport}.png", full_page=True)
        page.locator("#save").click()
        expect(company.locator(".field-error")).to_contain_text("Enter the registration number.")
        company.locator("#f-registration_no").fill("RCS 42")
        page.locator("#save").click()
        page.wait_for_url(SAVED_URL)
        assert _stored(app_server, company_name=f"Ordered {viewport}").registration_no == "RCS 42"
