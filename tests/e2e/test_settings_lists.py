"""Manager settings of the contact file: phone types, campaigns, tags, contact defaults; staff are kept out."""

from __future__ import annotations

import contextlib

from playwright.sync_api import Page, expect

from crm_app.contacts import lists as list_service
from crm_app.contacts import tags as tag_service
from crm_app.contacts.schemas import ContactIn
from crm_app.contacts.service import create_contact, ensure_system_tags
from crm_app.core.app_settings import get_settings, update_settings
from crm_app.core.errors import DomainError
from tests.e2e.helpers import make_user, sign_in

SETTINGS_PAGES = {
    "/settings/phone-types": "#new-phone-type",
    "/settings/campaigns": "#new-campaign",
    "/settings/tags": "#new-tag",
    "/settings/contacts": "#default-sms",
}


def _tag_counts(app_server) -> dict[str, int]:
    with app_server.session() as db:
        usage = tag_service.tag_usage(db)
        return {tag.name: usage.get(tag.id, 0) for tag in tag_service.list_tags(db)}


def _add(page: Page, input_id: str, button_id: str, name: str) -> None:
    page.locator(f"#{input_id}").fill(name)
    page.locator(f"#{button_id}").click()


def _rename(page: Page, row, new_name: str) -> None:
    row.locator(".rename").click()
    page.locator("#rename-input").fill(new_name)
    page.locator("#rename-save").click()


def test_a_manager_adds_phone_types_and_campaigns(app_server, desktop):
    sign_in(desktop, make_user(app_server, "manager"))
    desktop.goto("/settings")
    for href in SETTINGS_PAGES:
        expect(desktop.locator(f"a[href='{href}']")).to_be_visible()
    desktop.screenshot(path="test-results/settings-index-desktop.png")

    desktop.locator("a[href='/settings/phone-types']").click()
    desktop.wait_for_url("**/settings/phone-types")
    _add(desktop, "new-phone-type", "add-phone-type", "Fax")
    rows = desktop.locator(".phone-type-row")
    expect(rows.filter(has_text="Fax")).to_be_visible()
    expect(desktop.locator("#new-phone-type")).to_have_value("")
    _add(desktop, "new-phone-type", "add-phone-type", "fax")
    expect(desktop.locator(".add-error")).to_contain_text("already exists")
    _add(desktop, "new-phone-type", "add-phone-type", "Pager")
    expect(rows).to_have_count(2)
    _rename(desktop, rows.filter(has_text="Pager"), "Beeper")
    expect(rows.filter(has_text="Beeper")).to_be_visible()
    rows.filter(has_text="Beeper").locator(".move-up").click()
    expect(rows.first).to_contain_text("Beeper")
    desktop.screenshot(path="test-results/settings-phone-types-desktop.png", full_page=True)
    with app_server.session() as db:
        names = [p.name for p in list_service.list_phone_types(db)]
    assert names.index("Beeper") < names.index("Fax")

    desktop.goto("/settings/campaigns")
    _add(desktop, "new-campaign", "add-campaign", "Trade fair")
    expect(desktop.locator(".campaign-row").filter(has_text="Trade fair")).to_be_visible()
    _add(desktop, "new-campaign", "add-campaign", "Newspaper")
    expect(desktop.locator(".campaign-row").filter(has_text="Newspaper")).to_be_visible()
    campaign = desktop.locator(".campaign-row").filter(has_text="Trade fair")
    expect(campaign).to_be_visible()
    campaign.locator(".campaign-active").click()
    expect(campaign).to_contain_text("Inactive")
    desktop.screenshot(path="test-results/settings-campaigns-desktop.png", full_page=True)
    with app_server.session() as db:
        channels = {c.name: c.active for c in list_service.list_channels(db, include_inactive=True)}
    assert (channels["Trade fair"], channels["Newspaper"]) == (False, True)


def test_a_manager_renames_recolours_merges_and_deletes_tags(app_server, desktop):
    with app_server.session() as db:
        ensure_system_tags(db)
        for first, tags in (
            ("Ada", ["Lead"]),
            ("Bea", ["Lead", "Prospect"]),
            ("Cyd", ["Prospect"]),
            ("Dan", ["Hot"]),
            ("Eve", ["Obsolete"]),
        ):
            create_contact(db, data=ContactIn(first_name=first, last_name="Tagged", tags=tags), actor_id=None)

    sign_in(desktop, make_user(app_server, "manager"))
    desktop.goto("/settings/tags")
    rows = desktop.locator(".tag-row")
    _rename(desktop, rows.filter(has_text="Hot"), "Warm")
    expect(rows.filter(has_text="Warm")).to_be_visible()
    expect(rows.filter(has_text="Hot")).to_have_count(0)

    prospect = rows.filter(has_text="Prospect")
    prospect.locator(".tag-color").click()
    desktop.locator(".swatch-green").click()
    expect(prospect.locator(".tag-name")).to_have_attribute("data-accent-color", "green")

    conflict = rows.filter(has_text="Conflict")
    expect(conflict.locator(".tag-lock")).to_be_visible()
    expect(conflict.locator(".delete")).to_have_count(0)
    expect(conflict.locator(".tag-select")).to_be_disabled()

    rows.filter(has_text="Lead").locator(".tag-select").click()
    rows.filter(has_text="Warm").locator(".tag-select").click()
    expect(desktop.locator("#merge-bar")).to_contain_text("2")
    desktop.locator("#merge-target").select_option(label="Prospect")
    desktop.screenshot(path="test-results/settings-tags-desktop.png", full_page=True)
    desktop.locator("#merge-open").click()
    expect(desktop.locator("#merge-summary")).to_contain_text("3 contacts")
    expect(desktop.locator("#merge-summary")).to_contain_text("Prospect")
    desktop.screenshot(path="test-results/settings-tags-merge-desktop.png")
    desktop.locator("#merge-confirm").click()
    expect(rows.filter(has_text="Lead")).to_have_count(0)
    expect(rows.filter(has_text="Warm")).to_have_count(0)
    expect(rows.filter(has_text="Prospect")).to_contain_text("4 contacts")

    rows.filter(has_text="Obsolete").locator(".delete").click()
    expect(desktop.locator("#delete-summary")).to_contain_text("1 contact has this tag")
    desktop.locator("#delete-confirm").click()
    expect(rows.filter(has_text="Obsolete")).to_have_count(0)

    counts = _tag_counts(app_server)
    assert counts["Prospect"] == 4
    assert not {"Lead", "Hot", "Warm", "Obsolete"} & set(counts)
    with app_server.session() as db:
        assert {t.name: t.color for t in tag_service.list_tags(db)}["Prospect"] == "green"


def test_sms_turned_on_by_default_ticks_sms_on_a_new_contact(app_server, desktop):
    sign_in(desktop, make_user(app_server, "manager"))
    try:
        desktop.goto("/settings/contacts")
        sms = desktop.locator("#default-sms")
        expect(sms).not_to_be_checked()
        sms.click()
        expect(sms).to_be_checked()
        expect(desktop.locator("#default-viber")).not_to_be_checked()
        desktop.screenshot(path="test-results/settings-contacts-desktop.png", full_page=True)
        with app_server.session() as db:
            assert get_settings(db).channel_defaults["sms"] is True

        desktop.goto("/contacts/new?kind=person")
        first_phone = desktop.locator(".phone-row").first
        expect(first_phone.locator(".consent-sms")).to_be_checked()
        expect(first_phone.locator(".consent-whatsapp")).not_to_be_checked()
    finally:
        with app_server.session() as db:
            update_settings(db, actor_id=None, channel_defaults={"sms": False})


def test_the_settings_pages_fit_a_phone(app_server, phone):
    with app_server.session() as db:
        with contextlib.suppress(DomainError):
            list_service.create_channel(db, name="Word of mouth", actor_id=None)
        with contextlib.suppress(DomainError):
            list_service.create_phone_type(db, name="Satellite", actor_id=None)
        create_contact(db, data=ContactIn(first_name="Fay", last_name="Phone", tags=["Phone tag"]), actor_id=None)
    sign_in(phone, make_user(app_server, "manager"))
    phone.goto("/settings/tags")
    expect(phone.locator(".tag-row").filter(has_text="Phone tag")).to_be_visible()
    phone.locator(".tag-row").filter(has_text="Phone tag").locator(".tag-select").click()
    expect(phone.locator("#merge-bar")).to_be_visible()
    phone.screenshot(path="test-results/settings-tags-phone.png", full_page=True)
    phone.goto("/settings/contacts")
    expect(phone.locator("#default-sms")).to_be_visible()
    phone.screenshot(path="test-results/settings-contacts-phone.png", full_page=True)
    phone.goto("/settings/campaigns")
    expect(phone.locator(".campaign-row").first).to_be_visible()
    phone.screenshot(path="test-results/settings-campaigns-phone.png", full_page=True)
    phone.goto("/settings/phone-types")
    phone.locator(".phone-type-row").filter(has_text="Satellite").locator(".rename").click()
    expect(phone.locator("#rename-input")).to_have_value("Satellite")
    phone.screenshot(path="test-results/settings-phone-types-phone.png", full_page=True)


def test_staff_do_not_see_the_tiles_and_are_refused_on_the_pages(app_server, desktop):
    with app_server.session() as db:
        before = _tag_counts(app_server)
        phone_types = [p.name for p in list_service.list_phone_types(db)]
    sign_in(desktop, make_user(app_server, "staff"))
    desktop.goto("/settings")
    expect(desktop.locator("a[href='/account']")).to_be_visible()
    for href in SETTINGS_PAGES:
        expect(desktop.locator(f"a[href='{href}']")).to_have_count(0)

    for path, control in SETTINGS_PAGES.items():
        desktop.goto(path)
        expect(desktop.locator("#no-access")).to_be_visible()
        expect(desktop.get_by_text("You don't have permission to do that.").first).to_be_visible()
        expect(desktop.locator(control)).to_have_count(0)
    expect(desktop.locator(".tag-row")).to_have_count(0)
    desktop.screenshot(path="test-results/settings-refused-desktop.png")

    assert _tag_counts(app_server) == before
    with app_server.session() as db:
        assert [p.name for p in list_service.list_phone_types(db)] == phone_types
