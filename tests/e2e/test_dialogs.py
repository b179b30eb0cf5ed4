"""Every confirmation dialog: Esc and Cancel close it, focus stays inside and comes back, it never outlives its page."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from crm_app.contacts import tags as tag_service
from crm_app.contacts.schemas import ContactIn
from crm_app.contacts.service import create_contact
from crm_app.fields import definitions, layout
from crm_app.fields.schemas import FieldCreate
from tests.e2e.helpers import make_user, menu_action, sign_in


@pytest.fixture(scope="module")
def dialog_data(app_server) -> dict[str, int]:
    """Three contacts, a tag in use, a custom field and a section, each to be deleted (and kept) here."""
    with app_server.session() as db:
        ids = [
            create_contact(
                db, data=ContactIn(first_name=f"Dora{n}", last_name="Dialogtest", tags=["DialogTag"]), actor_id=None
            ).id
            for n in range(3)
        ]
        tag_service.create_tag(db, name="DialogOther", actor_id=None)
        field = definitions.create_field(db, kind="person", data=FieldCreate(label="Dialog probe"), actor_id=None)
        section = layout.create_section(db, kind="person", title="Dialog section", actor_id=None)
    return {"contact": ids[0], "field": field.id, "section": section.id}


def _focus_stays_inside(page: Page, dialog: str) -> None:
    page.wait_for_function("sel => !!document.activeElement?.closest(sel)", arg=dialog, timeout=5_000)
    for _ in range(4):
        page.keyboard.press("Tab")
        assert page.evaluate("sel => !!document.activeElement?.closest(sel)", dialog), "focus left the dialog"


def _open_and_dismiss(page: Page, open_it: Callable[[], None], dialog: str, opener: str) -> None:
    """Open the dialog twice: closed by Esc, then by Cancel; each time the focus returns to ``opener``."""
    for close in ("Escape", "Cancel"):
        open_it()
        expect(page.locator(dialog)).to_be_visible()
        _focus_stays_inside(page, dialog)
        if close == "Escape":
            page.keyboard.press("Escape")
        else:
            page.locator(dialog).get_by_role("button", name="Cancel").click()
        expect(page.locator(dialog)).to_have_count(0)
        expect(page.locator(opener)).to_be_focused()


def test_the_bulk_delete_dialog_closes_by_esc_and_cancel_and_stays_closed_after_leaving(
    app_server, desktop, dialog_data
):
    sign_in(desktop, make_user(app_server, "manager"))
    desktop.goto("/settings")
    desktop.locator("a[href='/contacts'] >> visible=true").first.click()
    desktop.wait_for_url("**/contacts")
    desktop.locator("#contact-search").fill("Dialogtest")
    rows = desktop.locator(".contact-row")
    expect(rows).to_have_count(3)
    rows.nth(0).locator(".row-select").click()
    rows.nth(1).locator(".row-select").click()
    expect(desktop.locator("#selection-count")).to_contain_text("2")

    _open_and_dismiss(desktop, lambda: desktop.locator("#bulk-delete").click(), "#bulk-delete-dialog", "#bulk-delete")

    desktop.locator("#bulk-delete").click()
    expect(desktop.locator("#bulk-delete-summary")).to_have_text(
        "2 contacts and everything that belongs to them are removed for good."
    )
    desktop.screenshot(path="test-results/dialog-bulk-delete-desktop.png")
    desktop.go_back()
    expect(desktop).to_have_url(re.compile(r"/settings/?$"))
    expect(desktop.locator("#bulk-delete-dialog")).to_have_count(0)
    desktop.go_forward()
    expect(desktop).to_have_url(re.compile(r"/contacts/?(\?.*)?$"))
    expect(desktop.locator(".contact-row").first).to_be_visible()
    desktop.wait_for_timeout(500)
    expect(desktop.locator("#bulk-delete-dialog")).to_have_count(0)

    desktop.locator("#contact-search").fill("Dialogtest")
    expect(rows).to_have_count(3)
    rows.nth(0).locator(".row-select").click()
    desktop.locator("#bulk-delete").click()
    expect(desktop.locator("#bulk-delete-summary")).to_have_text(
        "1 contact and everything that belongs to it are removed for good."
    )
    desktop.reload()
    expect(desktop.locator(".contact-row").first).to_be_visible()
    desktop.wait_for_timeout(500)
    expect(desktop.locator("#bulk-delete-dialog")).to_have_count(0)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_contact_delete_dialog_closes_by_esc_and_cancel_and_stays_closed_after_leaving(
    app_server, request, viewport, dialog_data
):
    page: Page = request.getfixturevalue(viewport)
    sign_in(page, make_user(app_server, "manager"))
    page.goto(f"/contacts/{dialog_data['contact']}")
    expect(page.locator("#more-actions")).to_be_visible()

    _open_and_dismiss(page, lambda: menu_action(page, "#more-actions", "#delete"), "#delete-dialog", "#more-actions")

    menu_action(page, "#more-actions", "#delete")
    expect(page.locator("#delete-dialog")).to_be_visible()
    page.screenshot(path=f"test-results/dialog-contact-delete-{viewport}.png")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/contacts/?$"))
    page.go_forward()
    expect(page).to_have_url(re.compile(rf"/contacts/{dialog_data['contact']}/?$"))
    expect(page.locator("#more-actions")).to_be_visible()
    page.wait_for_timeout(500)
    expect(page.locator("#delete-dialog")).to_have_count(0)


def test_the_form_builder_and_tag_dialogs_close_by_esc_and_cancel(app_server, desktop, dialog_data):
    sign_in(desktop, make_user(app_server, "manager"))
    desktop.goto("/settings")
    desktop.locator("a[href='/settings/forms'] >> visible=true").first.click()
    probe = ".field-row[data-key='dialog_probe'] .delete-field"
    expect(desktop.locator(probe)).to_be_visible()
    _open_and_dismiss(desktop, lambda: desktop.locator(probe).click(), "#delete-dialog", probe)
    section = ".form-section[data-section='Dialog section'] .section-delete"
    _open_and_dismiss(desktop, lambda: desktop.locator(section).click(), "#section-delete-dialog", section)

    desktop.locator(probe).click()
    expect(desktop.locator("#delete-dialog")).to_be_visible()
    desktop.go_back()
    expect(desktop).to_have_url(re.compile(r"/settings/?$"))
    desktop.go_forward()
    expect(desktop).to_have_url(re.compile(r"/settings/forms/?$"))
    expect(desktop.locator(probe)).to_be_visible()
    desktop.wait_for_timeout(500)
    expect(desktop.locator("#delete-dialog")).to_have_count(0)

    desktop.goto("/settings/tags")
    rows = desktop.locator(".tag-row")
    tag_delete = ".tag-row:has-text('DialogTag') .delete"
    _open_and_dismiss(desktop, lambda: desktop.locator(tag_delete).click(), "#delete-dialog", tag_delete)
    rows.filter(has_text="DialogTag").locator(".tag-select").click()
    rows.filter(has_text="DialogOther").locator(".tag-select").click()
    _open_and_dismiss(desktop, lambda: desktop.locator("#merge-open").click(), "#merge-dialog", "#merge-open")


def test_an_open_dialog_keeps_one_h1_on_the_page(app_server, desktop, dialog_data):
    sign_in(desktop, make_user(app_server, "manager"))
    desktop.goto(f"/contacts/{dialog_data['contact']}")
    menu_action(desktop, "#more-actions", "#delete")
    expect(desktop.locator("#delete-dialog")).to_be_visible()
    expect(desktop.locator("h1")).to_have_count(1)
    expect(desktop.locator("#delete-dialog h2")).to_have_text("Delete this contact?")
