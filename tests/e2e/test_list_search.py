"""The list's search box: focused on opening, "/" brings it back, and a search that finds nothing offers a way on."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from crm_app.contacts import service as contacts
from crm_app.contacts.schemas import ContactIn
from tests.e2e.helpers import make_user, sign_in


@pytest.fixture(scope="module")
def searchable(app_server) -> None:
    with app_server.session() as db:
        contacts.create_contact(db, data=ContactIn(first_name="Sara", last_name="Searchbox"), actor_id=None)


def test_the_search_box_is_focused_and_slash_brings_the_focus_back(app_server, desktop, searchable):
    sign_in(desktop, make_user(app_server, "staff"))
    search = desktop.locator("#contact-search")
    expect(search).to_be_focused()
    expect(desktop.locator("#range-label")).to_be_visible()
    search.fill("Searchbox/")
    expect(search).to_have_value("Searchbox/")
    desktop.locator("h1").first.click()
    expect(search).not_to_be_focused()
    desktop.keyboard.press("/")
    expect(search).to_be_focused()
    expect(search).to_have_value("Searchbox/")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_search_that_finds_nothing_offers_to_create_or_clear(app_server, request, viewport, searchable):
    page: Page = request.getfixturevalue(viewport)
    sign_in(page, make_user(app_server, "staff"))
    expect(page.locator("#range-label")).to_be_visible()
    if viewport == "phone":
        expect(page.locator("#contact-search")).not_to_be_focused()
    page.locator("#contact-search").fill("Zyxwvu  Qwertyan")
    empty = page.locator("#empty-state")
    expect(empty).to_be_visible()
    expect(page.locator("#range-label")).to_have_count(0)
    expect(page.locator("#create-searched")).to_have_text("Create “Zyxwvu Qwertyan”")
    page.screenshot(path=f"test-results/list-empty-search-{viewport}.png")
    page.locator("#clear-search").click()
    expect(page.locator("#contact-search")).to_have_value("")
    expect(page.locator("#range-label")).to_be_visible()
    page.locator("#contact-search").fill("Zyxwvu Qwertyan")
    page.locator("#create-searched").click()
    expect(page).to_have_url(re.compile(r"/contacts/new\?"))
    expect(page.locator("#f-first_name")).to_have_value("Zyxwvu")
    expect(page.locator("#f-last_name")).to_have_value("Qwertyan")
