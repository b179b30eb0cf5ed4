"""Two people on the same contact: live updates, presence, merged saves, the conflict dialog and resilience."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from crm_app.contacts import service as contacts
from crm_app.contacts.schemas import ContactIn, PhoneIn
from tests.e2e.conftest import RESULTS, running_app
from tests.e2e.helpers import make_user, menu_action, sign_in


@pytest.fixture
def pair(app_server, browser):
    """A manager and a staff member, each in their own browser, on the same new contact."""
    with app_server.session() as db:
        created = contacts.create_contact(
            db,
            data=ContactIn(
                first_name="Jan", last_name="Nowak", memo="Original memo", phones=[PhoneIn(number="+48 601 234 567")]
            ),
            actor_id=None,
        )
    pages: list[Page] = []
    contexts = []
    for name, role in (("Anna Live", "manager"), ("Bruno Live", "staff")):
        ctx = browser.new_context(base_url=app_server.url, viewport={"width": 1280, "height": 800})
        contexts.append(ctx)
        page = ctx.new_page()
        sign_in(page, make_user(app_server, role, name=name))
        page.goto(f"/contacts/{created.id}")
        expect(page.locator("#f-first_name")).to_have_value("Jan")
        pages.append(page)
    yield created.id, pages[0], pages[1]
    for ctx in contexts:
        ctx.close()


def test_a_saved_change_reaches_the_other_browser_and_presence_shows(pair):
    _cid, anna, bruno = pair
    expect(bruno.locator("#presence")).to_contain_text("AL")
    anna.locator("#f-last_name").fill("Nowak-Kowalski")
    anna.locator("#save").click()
    expect(bruno.locator("#f-last_name")).to_have_value("Nowak-Kowalski", timeout=5_000)
    expect(bruno.locator("#history")).to_contain_text("Nowak-Kowalski")


def test_edits_to_different_fields_are_both_saved(pair, app_server):
    cid, anna, bruno = pair
    bruno.locator("#f-memo").fill("Bruno's memo")
    anna.locator("#f-last_name").fill("Anna's surname")
    anna.locator("#save").click()
    expect(bruno.locator("#f-last_name")).to_have_value("Anna's surname", timeout=5_000)
    expect(bruno.locator("#f-memo")).to_have_value("Bruno's memo")
    bruno.locator("#save").click()
    expect(bruno.locator("#unsaved")).to_have_count(0)
    with app_server.session() as db:
        stored = contacts.get_contact(db, contact_id=cid)
    assert stored.last_name == "Anna's surname"
    assert stored.memo == "Bruno's memo"


def test_the_same_field_changed_by_both_opens_the_dialog_and_the_chosen_value_wins(pair, app_server):
    cid, anna, bruno = pair
    bruno.locator("#f-memo").fill("Bruno wrote this")
    anna.locator("#f-memo").fill("Anna wrote this")
    anna.locator("#save").click()
    expect(bruno.locator(".remote-note")).to_contain_text(re.compile("Anna Live changed this to"), timeout=5_000)
    bruno.locator("#save").click()
    dialog = bruno.locator(".conflict-row")
    expect(dialog).to_contain_text("Anna wrote this")
    expect(dialog).to_contain_text("Bruno wrote this")
    bruno.screenshot(path="test-results/conflict-dialog-desktop.png")
    dialog.locator(".choose-mine").click()
    bruno.locator("#resolve-conflicts").click()
    expect(bruno.locator("#unsaved")).to_have_count(0)
    with app_server.session() as db:
        assert contacts.get_contact(db, contact_id=cid).memo == "Bruno wrote this"
    expect(anna.locator("#f-memo")).to_have_value("Bruno wrote this", timeout=5_000)


def test_deleting_a_contact_someone_edits_tells_them_and_keeps_their_input(pair):
    _cid, anna, bruno = pair
    bruno.locator("#f-memo").fill("Unsaved words")
    menu_action(anna, "#more-actions", "#delete")
    anna.locator("#confirm-delete").click()
    anna.wait_for_url("**/contacts")
    expect(bruno.locator("#remote-banner")).to_contain_text("deleted", timeout=5_000)
    expect(bruno.locator("#f-memo")).to_have_value("Unsaved words")


def test_unsaved_input_survives_a_reload_and_a_lost_connection(pair, app_server):
    cid, _anna, bruno = pair
    bruno.locator("#f-memo").fill("Typed in the lift")
    expect(bruno.locator("#unsaved")).to_be_visible()
    bruno.context.set_offline(True)
    bruno.wait_for_timeout(3_000)
    bruno.context.set_offline(False)
    expect(bruno.locator("#f-memo")).to_have_value("Typed in the lift")
    bruno.reload()
    expect(bruno.locator("#f-memo")).to_have_value("Typed in the lift", timeout=10_000)
    expect(bruno.locator("#form-notice")).to_contain_text("restored")
    bruno.locator("#save").click()
    expect(bruno.locator("#unsaved")).to_have_count(0)
    with app_server.session() as db:
        assert contacts.get_contact(db, contact_id=cid).memo == "Typed in the lift"


def test_an_open_list_updates_its_rows_when_a_contact_changes(pair):
    _cid, anna, bruno = pair
    bruno.goto("/contacts")
    bruno.locator("#contact-search").fill("Jan")
    expect(bruno.locator(".contact-row", has_text="Jan Nowak").first).to_be_visible()
    anna.locator("#f-last_name").fill("Nowak-Listed")
    anna.locator("#save").click()
    expect(bruno.locator(".contact-row", has_text="Jan Nowak-Listed")).to_be_visible(timeout=5_000)


def test_presence_shows_editing_for_someone_who_has_typed(pair):
    _cid, anna, bruno = pair
    expect(anna.locator("#presence .presence")).to_have_count(1, timeout=5_000)
    expect(anna.locator("#presence .presence-editing")).to_have_count(0)
    bruno.locator("#f-memo").fill("Bruno is typing")
    editing = anna.locator("#presence .presence-editing")
    expect(editing).to_have_count(1, timeout=5_000)
    editing.hover()
    expect(anna.get_by_role("tooltip")).to_contain_text("Bruno Live · editing")
    bruno.locator("#save").click()
    expect(bruno.locator("#unsaved")).to_have_count(0)
    expect(anna.locator("#presence .presence-editing")).to_have_count(0, timeout=5_000)
    expect(anna.locator("#presence .presence")).to_have_count(1)


def test_archiving_a_contact_someone_edits_tells_them_at_once_and_keeps_their_input(pair):
    _cid, anna, bruno = pair
    bruno.locator("#f-memo").fill("Words not saved yet")
    expect(bruno.locator("#unsaved")).to_be_visible()
    menu_action(anna, "#more-actions", "#archive")
    expect(anna.locator("#archived-banner")).to_be_visible()
    # Told at once wherever Bruno scrolled (typing in the memo scrolled the banner out of view) ...
    notice = bruno.locator("[data-sonner-toast]", has_text="Anna Live archived this contact")
    expect(notice).to_be_in_viewport(timeout=3_000)
    bruno.wait_for_timeout(500)  # the toast's slide-in, for the screenshot
    bruno.screenshot(path=str(RESULTS / "archived-while-editing-desktop.png"))
    # ... and the banner of the file keeps saying it, above the input that is still there to copy.
    expect(bruno.locator("#remote-banner")).to_contain_text("Anna Live archived this contact")
    expect(bruno.locator("#f-memo")).to_have_value("Words not saved yet")


def test_a_browser_offline_for_a_few_seconds_gets_the_missed_change_and_keeps_its_input(pair, app_server):
    cid, anna, bruno = pair
    bruno.locator("#f-memo").fill("Typed before the lift")
    expect(bruno.locator("#unsaved")).to_be_visible()
    bruno.context.set_offline(True)
    anna.locator("#f-last_name").fill("Changed-While-Offline")
    anna.locator("#save").click()
    expect(anna.locator("#unsaved")).to_have_count(0)
    bruno.wait_for_timeout(3_000)
    expect(bruno.locator("#f-last_name")).to_have_value("Nowak")
    bruno.context.set_offline(False)
    expect(bruno.locator("#f-last_name")).to_have_value("Changed-While-Offline", timeout=15_000)
    expect(bruno.locator("#f-memo")).to_have_value("Typed before the lift")
    expect(bruno.locator("#user-menu >> visible=true")).to_be_visible()
    assert bruno.url.endswith(f"/contacts/{cid}")
    bruno.locator("#save").click()
    expect(bruno.locator("#unsaved")).to_have_count(0)
    with app_server.session() as db:
        stored = contacts.get_contact(db, contact_id=cid)
    assert (stored.last_name, stored.memo) == ("Changed-While-Offline", "Typed before the lift")


@pytest.fixture(scope="module")
def restart_dir(tmp_path_factory):
    """A folder and a database of their own for a server that is stopped and started again."""
    tmp = tmp_path_factory.mktemp("restart")
    return tmp, f"sqlite:///{tmp / 'crm.db'}"


def test_a_server_restart_loses_no_saved_data_and_keeps_the_browser_signed_in(restart_dir, browser):
    tmp, database_url = restart_dir
    with running_app(tmp, database_url) as server:
        with server.session() as db:
            cid = contacts.create_contact(db, data=ContactIn(first_name="Ola", last_name="Before"), actor_id=None).id
        context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 800})
        page = context.new_page()
        sign_in(page, make_user(server, "staff"))
        page.goto(f"/contacts/{cid}")
        page.locator("#f-last_name").fill("Saved-Before-Restart")
        page.locator("#f-memo").fill("A memo that must survive")
        page.locator("#save").click()
        expect(page.locator("#unsaved")).to_have_count(0)
        cookies = context.cookies()
        context.close()
    with running_app(tmp, database_url) as server:
        context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 800})
        context.add_cookies(cookies)
        page = context.new_page()
        page.goto(f"/contacts/{cid}")
        expect(page.locator("#f-last_name")).to_have_value("Saved-Before-Restart", timeout=20_000)
        expect(page.locator("#f-memo")).to_have_value("A memo that must survive")
        expect(page.locator("#user-menu >> visible=true")).to_be_visible()
        context.close()
        with server.session() as db:
            stored = contacts.get_contact(db, contact_id=cid)
    assert (stored.last_name, stored.memo) == ("Saved-Before-Restart", "A memo that must survive")
