"""The app's first page loads on desktop and phone without console errors."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import ConsoleMessage, Page

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
