"""Signing in and out as staff would, on a desktop and a phone."""

from __future__ import annotations

import contextlib
import re

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect
from sqlmodel import select

from crm_app.auth import service as auth_service
from crm_app.auth.models import User
from crm_app.contacts import service as contacts
from crm_app.contacts.schemas import ContactIn, PhoneIn
from tests.e2e.helpers import PASSWORD, make_user, sign_in

# After signing in the page is loaded afresh (the socket reconnects with the new cookie): the server may add a slash.
LIST_URL = re.compile(r".*/contacts/?$")


def test_pages_need_a_session_and_a_wrong_password_is_refused(app_server, desktop):
    email = make_user(app_server, "staff")
    desktop.goto("/contacts")
    desktop.wait_for_url("**/signin**")
    desktop.locator("#email").fill(email)
    desktop.locator("#password").fill("wrong-password-123")
    desktop.locator("#signin-submit").click()
    expect(desktop.locator("#signin-error")).to_contain_text("E-mail or password is incorrect")
    desktop.locator("#password").fill(PASSWORD)
    desktop.locator("#signin-submit").click()
    desktop.wait_for_url(LIST_URL)
    expect(desktop.get_by_role("heading", name="Contacts")).to_be_visible()


def test_one_time_password_forces_a_new_password(app_server, phone):
    with app_server.session() as db:
        _user, one_time = auth_service.create_user(
            db, email="newcomer@example.com", name="New Comer", role="staff", password=None, actor_id=None
        )
    phone.goto("/signin")
    phone.locator("#email").fill("newcomer@example.com")
    phone.locator("#password").fill(one_time)
    phone.locator("#signin-submit").click()
    phone.wait_for_url("**/change-password")
    phone.goto("/contacts")
    phone.wait_for_url("**/change-password")
    phone.locator("#current_password").fill(one_time)
    phone.locator("#new_password").fill("short")
    phone.locator("#confirm_password").fill("short")
    phone.locator("#change-password-submit").click()
    expect(phone.get_by_text("at least 10 characters", exact=False).first).to_be_visible()
    phone.locator("#new_password").fill("a-long-and-private-pass")
    phone.locator("#confirm_password").fill("a-long-and-private-pass")
    phone.locator("#change-password-submit").click()
    phone.wait_for_url(LIST_URL)
    phone.screenshot(path="test-results/contacts-phone-after-password.png")


def test_viewer_sees_no_edit_controls(app_server, desktop):
    with app_server.session() as db:
        contact = contacts.create_contact(
            db,
            data=ContactIn(
                kind="person", first_name="Vivienne", last_name="Readonly", phones=[PhoneIn(number="+33 6 11 22 33 44")]
            ),
            actor_id=None,
        )
    email = make_user(app_server, "viewer")
    sign_in(desktop, email)
    expect(desktop.get_by_role("heading", name="Contacts")).to_be_visible()
    expect(desktop.locator("#new-person")).to_have_count(0)
    desktop.goto(f"/contacts/{contact.id}")
    expect(desktop.locator("#f-first_name")).to_have_value("Vivienne")
    expect(desktop.locator("#f-first_name")).to_have_attribute("readonly", "")
    expect(desktop.locator("#f-memo")).to_have_attribute("readonly", "")
    expect(desktop.locator("#history")).to_be_visible()
    for control in ("#save", "#add-phone", "#add-email", "#add-address", "#tag-input", "#comment-body", "#task-title"):
        expect(desktop.locator(control)).to_have_count(0)
    desktop.screenshot(path="test-results/contact-viewer-desktop.png")


def test_manager_and_staff_see_different_menus(app_server, desktop):
    manager = make_user(app_server, "manager")
    sign_in(desktop, manager)
    desktop.goto("/settings")
    expect(desktop.get_by_text("Contact forms", exact=True)).to_be_visible()
    expect(desktop.get_by_text("Tags", exact=True)).to_be_visible()
    expect(desktop.get_by_text("Users", exact=True)).to_have_count(0)
    expect(desktop.locator(".nav-link >> visible=true")).to_have_count(4)
    expect(desktop.locator(".nav-link >> visible=true", has_text="Imports")).to_have_count(1)
    desktop.locator("#user-menu >> visible=true").click()
    desktop.locator("#sign-out").click()
    desktop.wait_for_url("**/signin**")
    staff = make_user(app_server, "staff")
    sign_in(desktop, staff)
    desktop.goto("/settings")
    expect(desktop.get_by_text("My account", exact=True)).to_be_visible()
    expect(desktop.get_by_text("Phone types", exact=True)).to_have_count(0)
    for entry in ("Contact forms", "Tags", "Users"):
        expect(desktop.get_by_text(entry, exact=True)).to_have_count(0)
    expect(desktop.locator(".nav-link >> visible=true")).to_have_count(3)
    expect(desktop.locator(".nav-link >> visible=true", has_text="Imports")).to_have_count(0)


def test_deactivated_user_is_signed_out_at_the_next_event(app_server, desktop):
    email = make_user(app_server, "staff")
    with app_server.session() as db:
        contacts.create_contact(db, data=ContactIn(first_name="Still", last_name="Listed"), actor_id=None)
    sign_in(desktop, email)
    # The list has loaded its rows and their count (the events of the page load are over) before the change.
    expect(desktop.locator("#range-label")).to_be_visible()
    with app_server.session() as db:
        user = db.exec(select(User).where(User.email == email)).one()
        auth_service.set_active(db, user_id=user.id, active=False, actor_id=None)
    expect(desktop.locator("#range-label")).to_be_visible()
    with contextlib.suppress(PlaywrightTimeoutError):
        desktop.locator("#filter-suppliers").click(timeout=5_000)
    desktop.wait_for_url("**/signin**", timeout=15_000)
    expect(desktop.locator("#signin-notice")).to_contain_text("Your session has ended")


def test_language_switches_at_run_time_without_a_rebuild(app_server, desktop):
    desktop.goto("/signin")
    expect(desktop.get_by_role("heading", name="Sign in")).to_be_visible()
    desktop.locator("#signin-language").click()
    desktop.get_by_role("option", name="Français").click()
    expect(desktop.get_by_role("heading", name="Se connecter")).to_be_visible()
    expect(desktop.get_by_text("Mot de passe", exact=True)).to_be_visible()
    desktop.locator("#signin-language").click()
    desktop.get_by_role("option", name="Polski").click()
    expect(desktop.get_by_role("heading", name="Zaloguj się")).to_be_visible()
