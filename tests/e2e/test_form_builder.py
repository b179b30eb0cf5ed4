"""Settings → Contact forms: a manager shapes the person and organisation forms; staff are kept out."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlmodel import select

from crm_app.contacts.models import Contact
from crm_app.contacts.schemas import ContactIn
from crm_app.contacts.service import create_contact
from crm_app.fields import definitions, layout, stored_values
from crm_app.fields.schemas import FormRead
from tests.e2e.helpers import make_user, sign_in

OWN_FIELDS = {
    "organization": ("device_brand", "site_access_code"),
    "person": ("next_service", "old_code", "gate_code"),
}


def _form(app_server, kind: str) -> FormRead:
    with app_server.session() as db:
        return definitions.form_for(db, kind=kind, include_inactive=True)


def _keys(app_server, kind: str) -> list[str]:
    return [f.key for f in _form(app_server, kind).fields]


def _start_clean(app_server) -> None:
    """Remove the fields this module creates (other modules share the server) and restore the built-ins."""
    with app_server.session() as db:
        for kind, keys in OWN_FIELDS.items():
            form = definitions.form_for(db, kind=kind, include_inactive=True)
            for key in keys:
                found = form.field(key)
                if found is not None:
                    stored_values.delete_field(db, field_id=found.id, actor_id=None, confirm=True)
            for section in form.sections:
                if section.id is not None and section.title == "Workshop":
                    layout.delete_section(db, section_id=section.id, actor_id=None)
        person = definitions.form_for(db, kind="person", include_inactive=True)
        definitions.set_active(db, field_id=person.field("registration_no").id, active=False, actor_id=None)


def _row(page: Page, key: str):
    return page.locator(f".field-row[data-key='{key}']")


def _move_up(page: Page, app_server, kind: str, key: str) -> str:
    """Click a field's "Move up" and wait until it sits above its former neighbour; return that neighbour's key."""
    keys = _keys(app_server, kind)
    above = keys[keys.index(key) - 1]
    _row(page, key).locator(".move-up").click()
    expect(page.locator(f".field-row[data-key='{key}'] + .field-row[data-key='{above}']")).to_have_count(1)
    return above


def _add_field(page: Page, label: str, type_: str, *, choices: str = "", required: bool = False) -> None:
    page.locator("#add-field").click()
    expect(page.locator("#add-dialog")).to_be_visible()
    page.locator("#field-label").fill(label)
    page.locator("#field-type").select_option(type_)
    if choices:
        page.locator("#field-choices").fill(choices)
    if required:
        page.locator("#field-required").click()
        expect(page.locator("#field-required")).to_have_attribute("data-state", "checked")


def _save_field(page: Page) -> None:
    page.locator("#field-save").click()
    expect(page.locator("#add-dialog")).to_have_count(0)


def test_a_manager_shapes_the_organisation_and_person_forms(app_server, desktop):
    _start_clean(app_server)
    page = desktop
    sign_in(page, make_user(app_server, "manager"))
    page.goto("/settings")
    page.locator("a[href='/settings/forms']").click()
    page.wait_for_url("**/settings/forms")
    expect(_row(page, "phones")).to_be_visible()

    # Organisation: a required single-choice field; the key follows the label before the first save.
    page.locator("#tab-organization").click()
    expect(_row(page, "registration_no")).not_to_contain_text("Hidden")
    _add_field(page, "Device brand", "select", choices="Apple\nSamsung\nOther", required=True)
    expect(page.locator("#field-key")).to_have_value("device_brand")
    page.locator("#field-help").fill("The brand of the device brought in.")
    page.screenshot(path="test-results/form-builder-add-desktop.png")
    _save_field(page)
    brand = _row(page, "device_brand")
    expect(brand).to_contain_text("Single choice")
    expect(brand).to_contain_text("Required")
    latest = page.locator("#form-history .history-row").first
    expect(latest).to_contain_text("Device brand — Field added")
    expect(latest).to_contain_text("Single choice")
    expect(latest).to_contain_text("Manager")
    created = _form(app_server, "organization").field("device_brand")
    assert created is not None and created.type == "select" and created.required
    assert [c.label for c in created.choices] == ["Apple", "Samsung", "Other"]
    assert created.help_text == "The brand of the device brought in."

    # Reorder: one place up puts it before the field that was above it.
    above = _move_up(page, app_server, "organization", "device_brand")
    keys = _keys(app_server, "organization")
    assert keys.index("device_brand") == keys.index(above) - 1

    # Drag and drop on a desktop: dropped on the upper half of the first row, it becomes the first field.
    # (A tall window keeps both rows on screen: a scroll between press and move would drag another row.)
    first = keys[0]
    page.set_viewport_size({"width": 1280, "height": 1400})
    # On a loaded machine the browser can miss a fast synthetic drag: one more try before failing.
    first_row = page.locator("#form-fields .field-row").first
    for attempt in range(2):
        brand.drag_to(_row(page, first), target_position={"x": 60, "y": 6})
        try:
            expect(first_row).to_have_attribute("data-key", "device_brand", timeout=10_000)
            break
        except AssertionError:
            if attempt:
                raise
    assert _keys(app_server, "organization")[:2] == ["device_brand", first]
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path="test-results/form-builder-organisation-desktop.png", full_page=True)

    # Edit: the key is read-only now; a choice is added to the list.
    brand.locator(".edit-field").click()
    expect(page.locator("#edit-dialog")).to_be_visible()
    expect(page.locator("#edit-key")).to_have_value("device_brand")
    expect(page.locator("#edit-key")).to_have_attribute("readonly", "")
    page.locator("#new-choice").fill("Huawei")
    page.locator("#add-choice").click()
    expect(page.locator("#choices .choice-row")).to_have_count(4)
    page.screenshot(path="test-results/form-builder-edit-desktop.png")
    page.locator("#edit-cancel").click()
    expect(page.locator("#edit-dialog")).to_have_count(0)
    labels = [c.label for c in _form(app_server, "organization").field("device_brand").choices]
    assert labels == ["Apple", "Samsung", "Other", "Huawei"]

    # Person: a date field in a new section.
    page.locator("#tab-person").click()
    expect(_row(page, "device_brand")).to_have_count(0)
    page.locator("#new-section").fill("Workshop")
    page.locator("#add-section").click()
    expect(page.locator(".form-section[data-section='Workshop']")).to_be_visible()
    _add_field(page, "Next service", "date")
    page.locator("#field-section").select_option(label="Workshop")
    _save_field(page)
    expect(page.locator(".form-section[data-section='Workshop'] .field-row")).to_have_attribute(
        "data-key", "next_service"
    )
    person = _form(app_server, "person")
    workshop = next(s for s in person.sections if s.title == "Workshop")
    assert [f.key for f in workshop.fields] == ["next_service"]
    assert workshop.fields[0].type == "date"

    # The built-in registration number: shown, then hidden again on the person form.
    registration = _row(page, "registration_no")
    expect(registration).to_contain_text("Hidden")
    registration.locator(".field-active").click()
    expect(registration).not_to_contain_text("Hidden")
    assert _form(app_server, "person").field("registration_no").active is True
    registration.locator(".field-active").click()
    expect(registration).to_contain_text("Hidden")
    assert _form(app_server, "person").field("registration_no").active is False

    # Deactivate and reactivate a custom field.
    service = _row(page, "next_service")
    service.locator(".field-active").click()
    expect(service).to_contain_text("Inactive")
    assert _form(app_server, "person").field("next_service").active is False
    page.screenshot(path="test-results/form-builder-person-desktop.png", full_page=True)
    service.locator(".field-active").click()
    expect(service).not_to_contain_text("Inactive")
    assert _form(app_server, "person").field("next_service").active is True

    # A type change that would lose a value is refused with the count; delete shows the count first.
    _add_field(page, "Old code", "text")
    _save_field(page)
    expect(_row(page, "old_code")).to_be_visible()

    # Dragged onto a section's heading, a field becomes the first of that section.
    workshop_block = page.locator(".form-section[data-section='Workshop']")
    page.set_viewport_size({"width": 1280, "height": 1400})
    _row(page, "old_code").drag_to(workshop_block.locator(".section-header"))
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(workshop_block.locator(".field-row").first).to_have_attribute("data-key", "old_code")
    workshop = next(s for s in _form(app_server, "person").sections if s.title == "Workshop")
    assert [f.key for f in workshop.fields] == ["old_code", "next_service"]
    with app_server.session() as db:
        holder = create_contact(
            db, data=ContactIn(kind="person", first_name="Olga", custom={"old_code": "AB-12"}), actor_id=None
        )
    old_code = _row(page, "old_code")
    old_code.locator(".edit-field").click()
    page.locator("#edit-type").select_option("number")
    page.locator("#change-type").click()
    expect(page.locator("#type-message")).to_contain_text("1 stored value")
    page.locator("#edit-cancel").click()
    assert _form(app_server, "person").field("old_code").type == "text"

    old_code.locator(".delete-field").click()
    expect(page.locator("#delete-summary")).to_contain_text("1 contact")
    page.screenshot(path="test-results/form-builder-delete-desktop.png")
    page.locator("#delete-confirm").click()
    expect(_row(page, "old_code")).to_have_count(0)
    assert _form(app_server, "person").field("old_code") is None
    history = page.locator("#form-history .history-row")
    expect(history.first).to_contain_text("Old code — Field deleted")
    expect(history.first).to_contain_text("1 value erased")
    expect(history.filter(has_text="Old code — Moved")).to_contain_text("Workshop · 1")
    expect(history.filter(has_text="Next service — Taken off the form")).to_have_count(1)
    expect(history.filter(has_text="Registration number — Put back on the form")).to_have_count(1)
    page.locator("#form-history").scroll_into_view_if_needed()
    page.screenshot(path="test-results/form-builder-history-desktop.png")
    with app_server.session() as db:
        assert "old_code" not in (db.exec(select(Contact).where(Contact.id == holder.id)).one().custom or {})


def test_the_form_builder_works_on_a_phone_and_open_editors_follow(app_server, phone, desktop):
    _start_clean(app_server)
    sign_in(desktop, make_user(app_server, "staff"))
    desktop.goto("/contacts/new?kind=person")
    desktop.locator("#f-first_name").fill("Paula")
    sign_in(phone, make_user(app_server, "manager"))
    phone.goto("/settings/forms")
    expect(_row(phone, "phones")).to_be_visible()
    phone.screenshot(path="test-results/form-builder-phone.png", full_page=True)
    _add_field(phone, "Gate code", "text")
    expect(phone.locator("#field-key")).to_have_value("gate_code")
    phone.screenshot(path="test-results/form-builder-add-phone.png")
    _save_field(phone)
    gate = _row(phone, "gate_code")
    expect(gate).to_be_visible()
    expect(desktop.locator("#c-gate_code")).to_be_visible()
    expect(desktop.locator("#f-first_name")).to_have_value("Paula")
    above = _move_up(phone, app_server, "person", "gate_code")
    keys = _keys(app_server, "person")
    assert keys.index("gate_code") == keys.index(above) - 1
    gate.locator(".edit-field").click()
    phone.locator("#edit-list").click()
    phone.screenshot(path="test-results/form-builder-edit-phone.png")
    phone.locator("#edit-save").click()
    expect(phone.locator("#edit-dialog")).to_have_count(0)
    expect(gate).to_contain_text("List column")
    assert _form(app_server, "person").field("gate_code").show_in_list is True


def test_staff_see_the_refusal_and_no_controls(app_server, desktop):
    sign_in(desktop, make_user(app_server, "staff"))
    desktop.goto("/settings")
    expect(desktop.locator("a[href='/settings/forms']")).to_have_count(0)
    desktop.goto("/settings/forms")
    expect(desktop.locator("#no-access")).to_be_visible()
    expect(desktop.get_by_text("You don't have permission to do that.")).to_be_visible()
    expect(desktop.locator("#add-field")).to_have_count(0)
    expect(desktop.locator(".field-row")).to_have_count(0)
    desktop.screenshot(path="test-results/form-builder-staff-desktop.png")
