"""An admin manages accounts; the new user starts with a one-time password."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.helpers import make_user, sign_in


def test_admin_creates_a_user_who_must_choose_a_password(app_server, desktop, browser):
    sign_in(desktop, make_user(app_server, "admin"))
    desktop.goto("/settings/users")
    desktop.get_by_placeholder("Name").fill("Anna Kowalska")
    desktop.get_by_placeholder("E-mail").fill("anna.kowalska@example.com")
    desktop.locator("select[name=role]").select_option("manager")
    desktop.locator("#add-user").click()
    one_time = desktop.locator("#one-time-password")
    expect(one_time).to_be_visible()
    password = one_time.inner_text()
    assert len(password) >= 10
    expect(desktop.locator(".user-row", has_text="anna.kowalska@example.com")).to_be_visible()
    desktop.screenshot(path="test-results/users-desktop.png")

    other = browser.new_context(base_url=app_server.url, viewport={"width": 390, "height": 844})
    page = other.new_page()
    page.goto("/signin")
    page.locator("#email").fill("anna.kowalska@example.com")
    page.locator("#password").fill(password)
    page.locator("#signin-submit").click()
    page.wait_for_url("**/change-password")
    other.close()


def test_a_staff_user_cannot_open_user_management(app_server, desktop):
    sign_in(desktop, make_user(app_server, "staff"))
    desktop.goto("/settings/users")
    expect(desktop.get_by_text("You don't have permission to do that.").first).to_be_visible()
    expect(desktop.locator(".user-row")).to_have_count(0)
