"""My tasks: grouped by due date, a count in the menu, a quick add with a contact search and presets, a done view."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from crm_app.auth.models import User
from crm_app.contacts.schemas import ContactIn
from crm_app.contacts.service import create_contact
from crm_app.core.timeutil import utcnow
from crm_app.feed import service as feed_service
from tests.e2e.helpers import make_user, sign_in


def _dismiss_toasts(page: Page) -> None:
    """Close the toasts (they sit over the top of the page for a few seconds)."""
    for _ in range(5):
        close = page.locator("[data-sonner-toast] [data-close-button]")
        if close.count() == 0:
            return
        close.first.click()
        page.wait_for_timeout(300)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_my_tasks_are_grouped_counted_added_and_reopened(app_server, request, viewport):
    page: Page = request.getfixturevalue(viewport)
    email = make_user(app_server, "staff")
    with app_server.session() as db:
        me = db.exec(select(User.id).where(User.email == email)).one()
        contact = create_contact(db, data=ContactIn(first_name="Pia", last_name=f"Planner{viewport}"), actor_id=None)
        feed_service.create_task(
            db,
            contact_id=contact.id,
            title="Overdue call",
            due_at=utcnow() - timedelta(days=1),
            assignee_id=me,
            actor_id=None,
        )
        feed_service.create_task(
            db,
            contact_id=contact.id,
            title="Far job",
            due_at=utcnow() + timedelta(days=9),
            assignee_id=me,
            actor_id=None,
        )
    sign_in(page, email)
    if viewport == "phone":
        page.locator("#nav-menu").click()
    expect(page.locator(".task-count >> visible=true")).to_have_text("2")
    page.goto("/tasks")
    expect(page.locator(".task-group[data-group='overdue'] .my-task")).to_contain_text("Overdue call")
    expect(page.locator(".task-group[data-group='overdue'] .my-task-when")).to_have_text("1 day ago")
    expect(page.locator(".task-group[data-group='later'] .my-task")).to_contain_text("Far job")

    page.locator("#task-contact").fill(f"Planner{viewport}")
    page.locator(".task-contact-choice", has_text=f"Pia Planner{viewport}").click()
    expect(page.locator("#task-contact-chosen")).to_contain_text(f"Pia Planner{viewport}")
    page.locator("#new-task-title").fill("Bring the parts")
    page.locator("#new-task-preset").select_option("tomorrow_morning")
    page.locator("#new-task-add").click()
    expect(page.locator(".task-group[data-group='tomorrow'] .my-task")).to_contain_text("Bring the parts")
    expect(page.locator("#new-task-title")).to_have_value("")
    page.screenshot(path=f"test-results/my-tasks-{viewport}.png", full_page=True)

    page.locator(".my-task", has_text="Far job").locator(".my-task-done").click()
    expect(page.locator(".my-task", has_text="Far job")).to_have_count(0)
    _dismiss_toasts(page)
    page.get_by_role("radio", name="Done").click()
    done = page.locator(".my-done-task", has_text="Far job")
    expect(done).to_be_visible()
    page.screenshot(path=f"test-results/my-tasks-done-{viewport}.png", full_page=True)
    done.locator(".my-task-reopen").click()
    expect(done).to_have_count(0)
    _dismiss_toasts(page)
    page.get_by_role("radio", name="Open · 3").click()
    expect(page.locator(".my-task", has_text="Far job")).to_be_visible()
