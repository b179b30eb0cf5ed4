"""The contact list as staff use it all day: search any way, filters in the URL, bulk actions, phone cards."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from crm_app.contacts import service as contacts
from crm_app.contacts.models import Contact, ContactTag, Tag
from crm_app.contacts.schemas import AddressIn, ContactIn, EmailIn, PhoneIn
from tests.e2e.helpers import make_user, sign_in


@pytest.fixture(scope="module")
def listed(app_server):
    """About thirty contacts with recognisable names, phones, cities and flags."""
    with app_server.session() as db:
        contacts.create_contact(
            db,
            data=ContactIn(
                first_name="Agnieszka",
                last_name="Wiśniewska",
                phones=[PhoneIn(number="+33 6 12 34 56 78")],
                addresses=[AddressIn(city="Kraków", country="PL", is_main=True)],
                tags=["ListVIP"],
            ),
            actor_id=None,
        )
        contacts.create_contact(
            db,
            data=ContactIn(
                kind="organization",
                company_name="Pièces Lefèbvre",
                is_supplier=True,
                phones=[PhoneIn(number="+33 4 78 00 00 01")],
                addresses=[AddressIn(city="Lyon", is_main=True)],
            ),
            actor_id=None,
        )
        for n in range(30):
            contacts.create_contact(
                db, data=ContactIn(first_name=f"Bulk{n:02d}", last_name="Listperson"), actor_id=None
            )
    return True


def test_find_a_contact_by_a_phone_typed_differently_and_without_accents(app_server, desktop, listed):
    sign_in(desktop, make_user(app_server, "staff"))
    search = desktop.locator("#contact-search")
    for typed in ("0612345678", "06 12 34 56 78", "+33 6 12", "5678", "wisniewska"):
        search.fill(typed)
        expect(desktop.locator(".contact-row", has_text="Agnieszka Wiśniewska")).to_be_visible()
    search.fill("lefebvre")
    expect(desktop.locator(".contact-row", has_text="Pièces Lefèbvre")).to_be_visible()
    expect(desktop.locator(".contact-card")).to_have_count(0)  # nor the phone cards on a desktop


def test_a_search_is_ranked_until_a_column_is_chosen(app_server, desktop):
    with app_server.session() as db:
        for data in (
            ContactIn(first_name="Aaron", last_name="Abbot", emails=[EmailIn(address="rankquest@example.com")]),
            ContactIn(first_name="Aaron", last_name="Rankquest"),
            ContactIn(kind="organization", company_name="Rankquest Garage"),
        ):
            contacts.create_contact(db, data=data, actor_id=None)
    sign_in(desktop, make_user(app_server, "staff"))
    desktop.locator("#contact-search").fill("rankquest")
    rows = desktop.locator(".contact-row")
    ranked = ["Rankquest Garage", "Aaron Rankquest", "Aaron Abbot"]  # name starts with it, a word does, e-mail
    for n, name in enumerate(ranked):
        expect(rows.nth(n)).to_contain_text(name)
    expect(rows.first.locator("td").last).to_have_text(re.compile(r"ago$"))  # "5 seconds ago", drawn as text
    desktop.locator(".sort-name").click()
    expect(desktop).to_have_url(re.compile(r"sort=name"))
    for n, name in enumerate(sorted(ranked)):
        expect(rows.nth(n)).to_contain_text(name)
    desktop.locator("#sort-relevance").click()
    expect(desktop).not_to_have_url(re.compile(r"sort="))
    for n, name in enumerate(ranked):
        expect(rows.nth(n)).to_contain_text(name)
    expect(desktop.locator("#sort-relevance")).to_have_count(0)


def test_suppliers_button_and_combined_filters_survive_a_reload(app_server, desktop, listed):
    sign_in(desktop, make_user(app_server, "staff"))
    desktop.locator("#filter-suppliers").click()
    expect(desktop.locator(".contact-row")).to_have_count(1)
    expect(desktop.locator(".contact-row")).to_contain_text("Pièces Lefèbvre")
    desktop.locator("#open-filters").click()
    desktop.locator("#filter-kind").select_option("organization")
    desktop.keyboard.press("Escape")
    expect(desktop).to_have_url(re.compile(r"(?=.*supplier=1)(?=.*kind=organization)"))
    desktop.reload()
    expect(desktop.locator(".contact-row")).to_have_count(1)
    expect(desktop.locator("#filter-suppliers")).to_be_visible()
    desktop.screenshot(path="test-results/list-filters-desktop.png")


def test_bulk_tag_three_contacts_across_two_pages(app_server, desktop, listed):
    sign_in(desktop, make_user(app_server, "staff"))
    desktop.goto("/contacts?q=Listperson&size=25")
    rows = desktop.locator(".contact-row")
    expect(rows).to_have_count(25)
    rows.nth(0).locator(".row-select").click()
    rows.nth(1).locator(".row-select").click()
    desktop.locator("#next-page").click()
    expect(rows).to_have_count(5)
    rows.nth(0).locator(".row-select").click()
    expect(desktop.locator("#selection-count")).to_contain_text("3")
    desktop.locator("#bulk-tag").fill("Bulked")
    desktop.locator("#bulk-add-tag").click()
    expect(desktop.locator("[data-sonner-toast]", has_text="Tag added to 3 contacts.")).to_be_visible()
    expect(desktop.locator("#selection-count")).to_have_text("3 selected")
    with app_server.session() as db:
        tag = db.exec(select(Tag).where(Tag.name == "Bulked")).one()
        assert len(db.exec(select(ContactTag).where(ContactTag.tag_id == tag.id)).all()) == 3


def test_the_tags_column_sorts_by_first_tag_and_back(app_server, desktop, listed):
    sign_in(desktop, make_user(app_server, "staff"))
    desktop.goto("/contacts?q=Listperson&size=25")
    expect(desktop.locator(".contact-row")).to_have_count(25)
    desktop.locator(".sort-tags").click()
    expect(desktop).to_have_url(re.compile(r"sort=tags"))
    first_tags = desktop.locator(".contact-row").first.locator("td").nth(6)
    expect(first_tags).to_have_text("")
    desktop.locator(".sort-tags").click()
    expect(desktop).to_have_url(re.compile(r"sort=tags&dir=desc"))
    expect(desktop.locator(".contact-row").first.locator("td").nth(6)).not_to_have_text("")


def test_a_bulk_tag_on_all_matching_shows_progress_and_reaches_an_open_profile_off_the_page(
    app_server, browser, desktop, listed
):
    with app_server.session() as db:
        last = db.exec(select(Contact).where(Contact.first_name == "Bulk00")).one()
    other = browser.new_context(base_url=app_server.url, viewport={"width": 1280, "height": 800}).new_page()
    try:
        sign_in(other, make_user(app_server, "staff"))
        other.goto(f"/contacts/{last.id}")
        expect(other.locator("#f-last_name")).to_have_value("Listperson")
        sign_in(desktop, make_user(app_server, "staff"))
        desktop.goto("/contacts?q=Listperson&size=25")
        expect(desktop.locator(".contact-row")).to_have_count(25)
        desktop.locator("#select-page").click()
        desktop.locator("#select-all-matching").click()
        expect(desktop.locator("#selection-count")).to_contain_text("30")
        desktop.locator("#bulk-tag").fill("Everyone")
        desktop.locator("#bulk-add-tag").click()
        expect(desktop.locator("[data-sonner-toast]", has_text="Tag added to 30 contacts.")).to_be_visible()
        expect(desktop.locator("#bulk-progress")).to_have_count(0)
        expect(other.locator(".tag-chip", has_text="Everyone")).to_be_visible(timeout=10_000)
    finally:
        other.context.close()


def test_phone_shows_cards_with_tap_to_call(app_server, phone, listed):
    sign_in(phone, make_user(app_server, "staff"))
    phone.locator("#contact-search").fill("Agnieszka")
    card = phone.locator(".contact-card", has_text="Agnieszka Wiśniewska")
    expect(card).to_be_visible()
    expect(card.locator("a[href^='tel:']")).to_have_attribute("href", "tel:+33612345678")
    expect(card.locator("a[href^='tel:']")).to_contain_text("+33 6 12 34 56 78")
    phone.locator("#contact-search").fill("Pièces")
    expect(phone.locator(".contact-card")).to_have_count(1)
    expect(phone.locator(".contact-row")).to_have_count(0)  # the desktop table is not drawn at all on a phone
    phone.locator("#contact-search").fill("Agnieszka")
    expect(card).to_be_visible()
    phone.screenshot(path="test-results/list-cards-phone.png")
    phone.locator("#open-filters").click()
    expect(phone.locator("#filters-drawer")).to_be_visible()
    phone.screenshot(path="test-results/list-filters-phone.png")


def test_archived_contacts_are_hidden_by_default(app_server, desktop, listed):
    with app_server.session() as db:
        target = db.exec(select(Contact).where(Contact.first_name == "Bulk29")).one()
        contacts.archive_contact(db, contact_id=target.id, actor_id=None)
    sign_in(desktop, make_user(app_server, "staff"))
    desktop.locator("#contact-search").fill("Bulk29")
    expect(desktop.get_by_text("No contacts match.")).to_be_visible()
    desktop.goto("/contacts?q=Bulk29&archived=include")
    expect(desktop.locator(".contact-row", has_text="Bulk29")).to_be_visible()
