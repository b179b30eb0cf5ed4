"""My tasks' handlers as the browser calls them: grouped tasks, count, done list, undo, quick add with presets."""

from __future__ import annotations

import asyncio
import inspect
from datetime import timedelta
from typing import Any

import pytest
import reflex as rx

import crm_app.crm_app  # noqa: F401  (registers every state)
from crm_app.auth import service as auth_service
from crm_app.core.timeutil import utcnow
from crm_app.db import session_scope
from crm_app.feed import service as feed_service
from crm_app.ui.state.tasks import MyTasksState
from tests.feed.factories import make_contact
from tests.tabs import sign_in_tab

PASSWORD = "my-tasks-password-1"


@pytest.fixture
def me(app_db) -> dict[str, Any]:
    with session_scope() as db:
        user, _ = auth_service.create_user(
            db, email="me@example.com", name="Me", role="staff", password=PASSWORD, actor_id=None
        )
        contact = make_contact(db, first_name="Tess", last_name="Taskfile")
    with session_scope() as db:
        _, token = auth_service.sign_in(db, email="me@example.com", password=PASSWORD)
    root = rx.State()
    state = root.get_substate(MyTasksState.get_full_name().split(".")[1:])
    sign_in_tab(state, token)
    return {"state": state, "user_id": user.id, "contact_id": contact.id}


def _call(state: MyTasksState, handler: str, *args: Any) -> Any:
    result = MyTasksState.event_handlers[handler].fn(state, *args)
    return asyncio.run(result) if inspect.isawaitable(result) else result


def _task(me: dict[str, Any], title: str, due=None) -> int:
    with session_scope() as db:
        return feed_service.create_task(
            db, contact_id=me["contact_id"], title=title, due_at=due, assignee_id=me["user_id"], actor_id=None
        ).id


def test_open_tasks_are_grouped_by_due_date_with_relative_times_and_counted(me) -> None:
    now = utcnow()
    _task(me, "Late", now - timedelta(days=2))
    _task(me, "Someday")
    _task(me, "Soon", now + timedelta(days=5))
    state = me["state"]
    _call(state, "load")
    assert [(g.key, [t.title for t in g.tasks]) for g in state.groups] == [
        ("overdue", ["Late"]),
        ("later", ["Soon"]),
        ("undated", ["Someday"]),
    ]
    assert state.groups[0].tasks[0].when == "2 days ago" and state.groups[0].tasks[0].overdue
    assert state.groups[1].tasks[0].when == "in 5 days"
    assert state.open_count == 3


def test_a_task_done_shows_in_the_done_view_and_reopens_from_the_toast(me) -> None:
    task_id = _task(me, "Call back")
    state = me["state"]
    _call(state, "load")
    toast = repr(_call(state, "complete", str(task_id)))
    assert "Undo" in toast and "reopen" in toast
    assert (state.groups, state.open_count) == ([], 0)
    _call(state, "show_view", "done")
    assert [t.title for t in state.done] == ["Call back"]
    _call(state, "reopen", task_id)
    assert [t.title for g in state.groups for t in g.tasks] == ["Call back"] and state.done == []
    for junk in (None, "x", {"id": task_id}, 10**30):
        _call(state, "reopen", junk)
        _call(state, "show_view", junk)
    assert state.view == "done" and state.open_count == 1


def test_a_task_is_added_about_a_contact_found_by_search_with_a_due_preset(me) -> None:
    state = me["state"]
    _call(state, "load")
    assert "Choose the contact first" in repr(_call(state, "add_task", {"title": "Quote"}))
    _call(state, "find_contact", "Taskfile")
    assert [c.label for c in state.contact_choices] == ["Tess Taskfile"]
    _call(state, "choose_contact", 999_999)
    assert state.new_contact_id == 0
    _call(state, "choose_contact", me["contact_id"])
    assert (state.new_contact_id, state.new_contact_name) == (me["contact_id"], "Tess Taskfile")
    _call(state, "add_task", {"title": "Send the quote", "preset": "tomorrow_morning"})
    (group,) = state.groups
    assert group.key == "tomorrow" and group.tasks[0].due.endswith("09:00")
    assert state.new_contact_id == 0 and state.open_count == 1
    assert _call(state, "add_task", "not a form") is None
