"""The contact file as staff use it: create, find, edit phones and addresses, tag, convert, archive."""

from __future__ import annotations

import re

import pytest
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
    expect(desktop.locator("#range-label")).to_contain_text("of")
    desktop.locator("#contact-search").fill("lemaitre")
    row = desktop.locator(".contact-row", has_text="Zoé Lemaître")
    expect(row).to_be_visible()
    expect(row).to_contain_text("+33 6 12 34 56 78")
    desktop.screenshot(path="test-results/contacts-desktop.png")


def _history(page: Page):
    """The history list, brought into view where the layout puts it behind a tab."""
    tab = page.get_by_role("tab", name=re.compile("^(Feed|History)$"))
    if tab.count() and tab.first.is_visible():
        tab.first.click()
    return page.locator("#history")


def _details(page: Page) -> None:
    """Back to the contact's details where the layout puts the history on a tab of its own."""
    tab = page.get_by_role("tab", name="Details")
    if tab.count() and tab.first.is_visible():
        tab.first.click()


def _change(history, title: str, old: str, new: str) -> None:
    """The history holds an entry for ``title`` showing the old value struck out and the new one."""
    entry = history.locator(".history-entry").filter(has_text=title).filter(has_text=new).first
    expect(entry).to_be_visible()
    expect(entry).to_contain_text(f"{old} → {new}")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_whole_contact_file_workflow(app_server, request, viewport) -> None:
    page: Page = request.getfixturevalue(viewport)
    last = f"Wiśniewska-{viewport}"
    sign_in(page, make_user(app_server, "manager"))
    _new_person(page, "Anna", last)

    # Two phones, one invalid: the error sits under that number and nothing is saved; fixing it clears it.
    page.locator("#add-phone").click()
    phones = page.locator(".phone-number input")
    phones.nth(0).fill("+48 601 234 567")
    phones.nth(1).fill("+999 123")
    page.locator("#save").click()
    second = page.locator(".phone-row").nth(1)
    expect(second.locator(".field-error")).to_contain_text("country code")
    expect(page.locator(".phone-row").nth(0).locator(".field-error")).to_have_count(0)
    assert "/contacts/new" in page.url
    phones.nth(1).fill("+33 7 81 22 33 44")
    expect(second.locator(".field-error")).to_have_count(0)

    # Consents: each ticked channel shows its link at once, on that number only; unticking hides it again.
    for channel in ("whatsapp", "viber", "sms"):
        second.locator(f".consent-{channel}").click()
    expect(second.get_by_role("link", name="WhatsApp ↗")).to_have_attribute("href", "https://wa.me/33781223344")
    expect(second.get_by_role("link", name="Viber ↗")).to_have_attribute("href", "viber://chat?number=%2B33781223344")
    expect(second.get_by_role("link", name="SMS ↗")).to_have_attribute("href", "sms:+33781223344")
    expect(page.locator(".phone-row").nth(0).get_by_role("link", name=re.compile("↗"))).to_have_count(0)
    second.locator(".consent-sms").click()
    expect(second.get_by_role("link", name="SMS ↗")).to_have_count(0)
    second.locator(".consent-sms").click()
    expect(second.get_by_role("link", name="SMS ↗")).to_be_visible()

    # Two addresses, the second made main; a tag and both flags.
    page.locator("#add-address").click()
    page.locator(".address-line1 input").nth(0).fill("ul. Floriańska 3")
    page.locator(".address-city input").nth(0).fill("Kraków")
    page.locator(".address-country input").nth(0).fill("PL")
    page.locator("#add-address").click()
    page.locator(".address-line1 input").nth(1).fill("10 rue de Rivoli")
    page.locator(".address-city input").nth(1).fill("Paris")
    page.locator(".address-country input").nth(1).fill("FR")
    page.locator(".address-main").nth(1).click()
    expect(page.locator(".address-block").nth(1)).to_contain_text("Main")
    page.locator("#tag-input").fill("VIP")
    page.locator("#tag-add").click()
    expect(page.locator(".tag-chip", has_text="VIP")).to_be_visible()
    page.locator("#f-supplier").click()
    page.locator("#f-conflict").click()
    page.screenshot(path=f"test-results/contact-file-filled-{viewport}.png", full_page=True)
    page.locator("#save").click()
    page.wait_for_url(SAVED_URL)
    expect(page.locator("#unsaved")).to_have_count(0)

    # After a reload: the main address stayed switched, the map link, the links and the markers by the name.
    page.reload()
    expect(page.locator("#f-last_name")).to_have_value(last)
    blocks = page.locator(".address-block")
    expect(blocks).to_have_count(2)
    expect(blocks.nth(1).locator(".address-main [role=radio]")).to_have_attribute("data-state", "checked")
    expect(blocks.nth(0).locator(".address-main [role=radio]")).to_have_attribute("data-state", "unchecked")
    expect(blocks.nth(1).get_by_text("Main", exact=True)).to_be_visible()
    map_link = blocks.nth(1).get_by_role("link", name="Show on map")
    expect(map_link).to_have_attribute(
        "href", "https://www.openstreetmap.org/search?query=10%20rue%20de%20Rivoli%2C%20Paris%2C%20France"
    )
    expect(map_link).to_have_attribute("target", "_blank")
    second = page.locator(".phone-row").nth(1)
    expect(second.get_by_role("link", name=re.compile("↗"))).to_have_count(3)
    identity = page.locator("#identity")
    expect(identity).to_contain_text(f"Anna {last}")
    expect(identity.locator(".marker-supplier")).to_be_visible()
    expect(identity.locator(".marker-conflict")).to_be_visible()
    if viewport == "phone":
        # On a phone the reference, assignee and dates are folded away under the header.
        expect(identity.locator("#identity-assigned")).to_be_hidden()
        page.locator("#toggle-details").click()
    expect(identity.locator("#identity-assigned")).to_be_visible()
    expect(page.locator(".tag-chip", has_text="VIP")).to_be_visible()
    expect(page.locator(".tag-chip", has_text="Conflict")).to_be_visible()
    page.screenshot(path=f"test-results/contact-file-saved-{viewport}.png", full_page=True)

    # Edits are recorded with old and new values.
    page.locator("#f-first_name").fill("Anna Maria")
    page.locator("#f-discount_percent").fill("12,5")
    expect(page.locator("#unsaved")).to_be_visible()
    page.locator("#save").click()
    expect(page.locator("#unsaved")).to_have_count(0)
    history = _history(page)
    _change(history, "First name", "Anna", "Anna Maria")
    _change(history, "Discount percent", "0", "12.5")
    expect(history.locator(".history-entry").filter(has_text="Created").filter(has_text=f"Anna {last}")).to_be_visible()

    # Convert to an organisation (after a confirmation naming what is kept hidden): the name moves over and the
    # history says what it was.
    _details(page)
    page.locator("#convert-kind").click()
    expect(page.locator("#convert-summary")).to_contain_text("First name, Last name")
    page.locator("#confirm-convert").click()
    expect(page.locator("#f-company_name")).to_have_value(f"Anna Maria {last}")
    _change(_history(page), "Kind", "person", "organization")

    # Archive and restore.
    _details(page)
    menu_action(page, "#more-actions", "#archive")
    expect(page.locator("#archived-banner")).to_be_visible()
    expect(page.locator("#identity")).to_contain_text("Archived")
    page.screenshot(path=f"test-results/contact-file-archived-{viewport}.png", full_page=True)
    menu_action(page, "#more-actions", "#restore")
    expect(page.locator("#archived-banner")).to_have_count(0)
    history = _history(page)
    expect(history.locator(".history-entry").filter(has_text="Archived")).to_have_count(1)
    expect(history.locator(".history-entry").filter(has_text="Restored")).to_have_count(1)
    page.screenshot(path=f"test-results/contact-file-history-{viewport}.png", full_page=True)


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
    desktop.locator("#f-last_name").evaluate("input => { input.dataset.typedBeforeSave = 'yes'; }")
    desktop.locator("#save").click()
    desktop.wait_for_url(SAVED_URL)
    expect(desktop.locator("#history .feed-entry").first).to_contain_text("Created")
    # The same form stays on screen: typing while the address changes goes into the saved contact's fields.
    expect(desktop.locator("#f-last_name[data-typed-before-save=yes]")).to_have_count(1)
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
