"""The app's first page loads on desktop and phone without console errors."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Page, expect

from crm_app.contacts import service as contacts
from crm_app.contacts.schemas import ContactIn
from tests.e2e.helpers import make_user, sign_in

RESULTS = Path(__file__).resolve().parents[2] / "test-results"


def _open_home(page: Page, screenshot: str) -> list[str]:
    """Open "/", let it settle, save a screenshot; return the console and page errors seen."""
    errors: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            errors.append(f"console: {msg.text} ({msg.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    response = page.goto("/", wait_until="load")
    assert response is not None and response.status == 200
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1000)  # the websocket connects and the first state arrives
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / screenshot), full_page=True)
    assert page.locator("body").inner_text().strip(), "the page shows no text"
    return errors


def test_home_page_loads_on_desktop_without_console_errors(desktop: Page) -> None:
    assert _open_home(desktop, "smoke-desktop.png") == []


def test_home_page_loads_on_phone_without_console_errors(phone: Page) -> None:
    assert _open_home(phone, "smoke-phone.png") == []


def test_a_search_typed_while_the_contact_list_loads_is_kept(app_server, desktop: Page) -> None:
    with app_server.session() as db:
        contacts.create_contact(db, data=ContactIn(first_name="Raceday", last_name="Quickfinger"), actor_id=None)
    sign_in(desktop, make_user(app_server, "staff"))
    for _ in range(3):
        desktop.goto("/contacts?q=nobody-at-all")
        search = desktop.locator("#contact-search")
        search.fill("quickfinger")
        expect(desktop.locator("#range-label")).to_be_visible()
        expect(desktop.locator(".contact-row", has_text="Raceday Quickfinger")).to_be_visible()
        expect(search).to_have_value("quickfinger")
        expect(desktop).to_have_url(re.compile(r"q=quickfinger"))
