"""Nothing lost in one click: a task ticked done can be undone, a typed new contact and a conversion ask first."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from crm_app.auth.models import User
from crm_app.contacts.models import Contact
from crm_app.contacts.schemas import ContactIn
from crm_app.contacts.service import create_contact
from crm_app.feed import service as feed_service
from tests.e2e.helpers import make_user, sign_in

VIEWPORTS = ["desktop", "phone"]


def _user_id(app_server, email: str) -> int:
    with app_server.session() as db:
        return db.exec(select(User.id).where(User.email == email)).one()


def _contact(app_server, first: str, last: str) -> int:
    with app_server.session() as db:
        return create_contact(db, data=ContactIn(first_name=first, last_name=last), actor_id=None).id


def _undo_in_toast(page: Page, message: str):
    toast = page.locator("[data-sonner-toast]", has_text=message).last
    expect(toast).to_be_visible()
    return toast.get_by_role("button", name="Undo")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_task_ticked_done_on_my_tasks_comes_back_with_undo(app_server, request, viewport):
    page: Page = request.getfixturevalue(viewport)
    email = make_user(app_server, "staff")
    contact_id = _contact(app_server, "Tina", f"Undotask{viewport}")
    with app_server.session() as db:
        feed_service.create_task(
            db,
            contact_id=contact_id,
            title=f"Ring back {viewport}",
            assignee_id=_user_id(app_server, email),
            actor_id=None,
        )
    sign_in(page, email)
    page.goto("/tasks")
    task = page.locator(".my-task", has_text=f"Ring back {viewport}")
    expect(task).to_be_visible()
    task.locator(".my-task-done").click()
    expect(task).to_have_count(0)
    undo = _undo_in_toast(page, "Task done.")
    page.wait_for_timeout(500)
    page.screenshot(path=f"test-results/task-undo-toast-{viewport}.png")
    undo.click()
    expect(task).to_be_visible()
    expect(page.locator("[data-sonner-toast]", has_text="Task reopened.")).to_be_visible()


def test_a_task_ticked_done_in_the_contact_feed_is_reopened_by_undo(app_server, desktop):
    email = make_user(app_server, "staff")
    contact_id = _contact(app_server, "Fiona", "Undofeed")
    with app_server.session() as db:
        feed_service.create_task(db, contact_id=contact_id, title="Post the invoice", actor_id=None)
    sign_in(desktop, email)
    desktop.goto(f"/contacts/{contact_id}")
    done = desktop.locator("#history .task-done").first
    expect(done).to_have_attribute("data-state", "unchecked")
    done.click()
    expect(done).to_have_attribute("data-state", "checked")
    _undo_in_toast(desktop, "Task done.").click()
    expect(desktop.locator("#history .task-done").first).to_have_attribute("data-state", "unchecked")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_discarding_a_typed_new_contact_asks_first(app_server, request, viewport):
    page: Page = request.getfixturevalue(viewport)
    sign_in(page, make_user(app_server, "staff"))
    page.goto("/contacts/new?kind=person")
    page.locator("#f-first_name").fill("Wanda")
    page.locator("#f-last_name").fill(f"Keepme{viewport}")
    page.locator("#discard").click()
    dialog = page.locator("#discard-dialog")
    expect(dialog).to_be_visible()
    page.screenshot(path=f"test-results/discard-new-{viewport}.png")
    dialog.get_by_role("button", name="Keep editing").click()
    expect(dialog).to_have_count(0)
    expect(page.locator("#f-first_name")).to_have_value("Wanda")
    page.locator("#discard").click()
    page.locator("#confirm-discard").click()
    expect(page).to_have_url(re.compile(r"/contacts/?$"))


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_converting_a_person_names_the_hidden_fields_first_and_back_loses_nothing(app_server, request, viewport):
    page: Page = request.getfixturevalue(viewport)
    contact_id = _contact(app_server, "Olek", f"Convert{viewport}")
    sign_in(page, make_user(app_server, "staff"))
    page.goto(f"/contacts/{contact_id}")
    page.locator("#convert-kind").click()
    dialog = page.locator("#convert-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#convert-summary")).to_contain_text("First name, Last name")
    page.screenshot(path=f"test-results/convert-confirm-{viewport}.png")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    with app_server.session() as db:
        assert db.get(Contact, contact_id).kind == "person"
    page.locator("#convert-kind").click()
    page.locator("#confirm-convert").click()
    expect(page.locator("#convert-kind")).to_contain_text("Convert to person")
    page.locator("#convert-kind").click()
    expect(page.locator("#convert-summary")).to_contain_text("Company name")
    page.locator("#confirm-convert").click()
    expect(page.locator("#convert-kind")).to_contain_text("Convert to organisation")
    with app_server.session() as db:
        contact = db.get(Contact, contact_id)
        assert (contact.kind, contact.first_name, contact.last_name) == ("person", "Olek", f"Convert{viewport}")
