"""Small steps shared by the browser tests."""

from __future__ import annotations

import itertools

from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from crm_app.auth import service as auth_service

PASSWORD = "correct-horse-battery-9"
_counter = itertools.count(1)


def make_user(app_server, role: str = "staff", *, password: str = PASSWORD, name: str | None = None) -> str:
    """Create an active user with a known password; return the e-mail."""
    n = next(_counter)
    email = f"{role}{n}@example.com"
    with app_server.session() as db:
        auth_service.create_user(
            db, email=email, name=name or f"{role.capitalize()} {n}", role=role, password=password, actor_id=None
        )
    return email


def sign_in(page: Page, email: str, password: str = PASSWORD, *, expect_path: str = "/contacts") -> None:
    """Sign in through the sign-in page and wait for the landing page."""
    page.goto("/signin")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#signin-submit").click()
    page.wait_for_url(f"**{expect_path}**", timeout=20_000)
    expect(page.locator("#user-menu >> visible=true")).to_be_visible()


def menu_action(page: Page, trigger: str, item: str, attempts: int = 3) -> None:
    """Open a menu and pick an item; re-open when a re-render closed the menu first."""
    for _ in range(attempts):
        page.locator(trigger).click()
        target = page.locator(item)
        try:
            target.wait_for(state="visible", timeout=3_000)
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
            continue
        target.click()
        return
    raise AssertionError(f"menu item {item} never appeared under {trigger}")
