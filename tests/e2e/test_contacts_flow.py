"""The contact file as staff use it: create, find, edit phones and addresses, tag, convert, archive."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.helpers import make_user, menu_action, sign_in

SAVED_URL = re.compile(r"/contacts/\d+$")


def _new_person(page: Page, first: str, last: str) -> None:
    page.goto("/contacts")
    page.locator("#new-person").click()
    page.wait_for_url("**/contacts/new**")
    page.locator("#f-first_name").fill(first)
    page.locator("#f-last_name").fill(last)


def test_create_a_person_with_a_phone_and_find_it_after_reload(app_server, desktop):
    sign_in(desktop, make_user(app_server, "staff"))
    _new_person(desktop, "Zoé", "Lemaître")
    desktop.locator(".phone-number input").first.fill("06 12 34 56 78")
    desktop.locator("#save").click()
    desktop.wait_for_url(SAVED_URL)
    expect(desktop.locator("#reference")).to_contain_text("C-")
    desktop.goto("/contacts")
    desktop.reload()
    desktop.locator("#contact-search").fill("lemaitre")
    row = desktop.locator(".contact-row", has_text="Zoé Lemaître")
    expect(row).to_be_visible()
    expect(row).to_contain_text("+33 6 12 34 56 78")
    desktop.screenshot(path="test-results/contacts-desktop.png")


def test_contact_file_full_workflow_on_desktop(app_server, desktop):
    page = desktop
    sign_in(page, make_user(app_server, "manager"))
    _new_person(page, "Anna", "Wiśniewska")
    page.locator("#add-phone").click()
    phones = page.locator(".phone-number input")
    phones.nth(0).fill("+48 601 234 567")
    phones.nth(1).fill("+999 123")
    page.locator("#save").click()
    expect(page.locator(".field-error").first).to_contain_text("country code")
    phones.nth(1).fill("+33 7 81 22 33 44")
    page.locator(".phone-row").nth(1).locator(".consent-whatsapp").click()
    page.locator("#add-address").click()
    page.locator(".address-city input").nth(0).fill("Kraków")
    page.locator("#add-address").click()
    page.locator(".address-city input").nth(1).fill("Paris")
    page.locator(".address-main").nth(1).click()
    page.locator("#tag-input").fill("VIP")
    page.locator("#tag-add").click()
    expect(page.locator(".tag-chip", has_text="VIP")).to_be_visible()
    page.locator("#save").click()
    page.wait_for_url(SAVED_URL)
    expect(page.locator(".phone-row").nth(1).get_by_text("WhatsApp ↗")).to_be_visible()
    expect(page.locator(".phone-row").nth(0).get_by_text("WhatsApp ↗")).to_have_count(0)

    page.locator("#f-first_name").fill("Anna Maria")
    expect(page.locator("#unsaved")).to_be_visible()
    page.locator("#save").click()
    expect(page.locator("#unsaved")).to_have_count(0)
    history = page.locator("#history")
    expect(history).to_contain_text("Anna Maria")
    expect(history).to_contain_text("First name")

    page.locator("#convert-kind").click()
    expect(page.locator("#f-company_name")).to_have_value("Anna Maria Wiśniewska")

    menu_action(page, "#more-actions", "#archive")
    expect(page.locator("#archived-banner")).to_be_visible()
    menu_action(page, "#more-actions", "#restore")
    expect(page.locator("#archived-banner")).to_have_count(0)
    expect(history).to_contain_text("Archived")
    page.screenshot(path="test-results/contact-file-page.png", full_page=True)


def test_contact_file_on_a_phone(app_server, phone):
    sign_in(phone, make_user(app_server, "staff"))
    _new_person(phone, "Hugo", "Martin")
    phone.locator(".phone-number input").first.fill("0612345679")
    phone.locator("#save").click()
    phone.wait_for_url(SAVED_URL)
    call = phone.locator("a[href^='tel:']").first
    expect(call).to_have_attribute("href", "tel:+33612345679")
    phone.screenshot(path="test-results/contact-file-phone.png", full_page=True)
    phone.goto("/contacts")
    expect(phone.locator(".contact-card", has_text="Hugo Martin")).to_be_visible()
    phone.screenshot(path="test-results/contacts-phone.png")


def test_leaving_with_unsaved_edits_asks_first_and_delete_asks_to_confirm(app_server, desktop):
    sign_in(desktop, make_user(app_server, "manager"))
    _new_person(desktop, "Marek", "Nowicki")
    desktop.locator("#save").click()
    desktop.wait_for_url(SAVED_URL)
    desktop.locator("#f-last_name").fill("Nowicki-Zając")
    expect(desktop.locator("#unsaved")).to_be_visible()
    dialogs = []
    desktop.once("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    desktop.locator("a[href='/contacts']").first.click()
    desktop.wait_for_timeout(500)
    assert dialogs and "unsaved" in dialogs[0].lower()
    assert SAVED_URL.search(desktop.url)
    desktop.locator("#save").click()
    expect(desktop.locator("#unsaved")).to_have_count(0)
    menu_action(desktop, "#more-actions", "#delete")
    desktop.locator("#confirm-delete").click()
    desktop.wait_for_url("**/contacts")
    desktop.locator("#contact-search").fill("Nowicki")
    expect(desktop.get_by_text("No contacts match.")).to_be_visible()


def test_bad_input_gets_clear_messages_and_scripts_stay_text(app_server, desktop):
    sign_in(desktop, make_user(app_server, "staff"))
    _new_person(desktop, "x" * 10_000, "")
    desktop.locator("#f-memo").fill("<script>window.__pwned = 1</script>\nשלום 👋")
    desktop.locator("#f-discount_percent").fill("101")
    desktop.locator("#save").click()
    errors = desktop.locator(".field-error")
    expect(errors.first).to_be_visible()
    expect(desktop.get_by_text("under 200 characters", exact=False).first).to_be_visible()
    expect(desktop.get_by_text("between 0 and 100", exact=False).first).to_be_visible()
    assert "/contacts/new" in desktop.url
    desktop.locator("#f-first_name").fill("Safe")
    desktop.locator("#f-discount_percent").fill("12,5")
    desktop.locator("#save").click()
    desktop.wait_for_url(SAVED_URL)
    expect(desktop.locator("#f-memo")).to_have_value("<script>window.__pwned = 1</script>\nשלום 👋")
    assert desktop.evaluate("() => window.__pwned === undefined")
    expect(desktop.locator("#f-discount_percent")).to_have_value("12.5")
