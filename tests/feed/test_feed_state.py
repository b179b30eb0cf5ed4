"""The feed's event handlers, called the way a browser would: own comments only, coerced arguments."""

from __future__ import annotations

import asyncio
import inspect
import io
from pathlib import Path
from typing import Any

import pytest
import reflex as rx

import crm_app.crm_app  # noqa: F401  (registers every state)
from crm_app.auth import service as auth_service
from crm_app.db import session_scope
from crm_app.feed import service as feed_service
from crm_app.feed.models import Comment
from crm_app.settings import settings
from crm_app.ui.state.feed import ContactFeedState
from tests.feed.factories import make_contact
from tests.tabs import open_page, sign_in_tab

PASSWORD = "feed-state-password-1"


def _signed_in(name: str, role: str = "staff") -> tuple[int, str]:
    email = f"{name.lower()}@example.com"
    with session_scope() as db:
        user, _ = auth_service.create_user(db, email=email, name=name, role=role, password=PASSWORD, actor_id=None)
    with session_scope() as db:
        _, token = auth_service.sign_in(db, email=email, password=PASSWORD)
    return user.id, token


def _state(token: str, contact_id: int) -> ContactFeedState:
    root = rx.State()
    state = root.get_substate(ContactFeedState.get_full_name().split(".")[1:])
    sign_in_tab(state, token)
    state.contact_id = contact_id
    return state


def _open_at(state: ContactFeedState, path: str) -> None:
    """The tab shows ``path`` (what ``load`` reads the contact from)."""
    open_page(state, path)


def _call(state: ContactFeedState, handler: str, *args: Any) -> Any:
    result = ContactFeedState.event_handlers[handler].fn(state, *args)
    return asyncio.run(result) if inspect.isawaitable(result) else result


@pytest.fixture
def people(app_db):
    alice_id, alice_token = _signed_in("Alice")
    bob_id, bob_token = _signed_in("Bob")
    with session_scope() as db:
        contact = make_contact(db)
        comment = feed_service.add_comment(db, contact_id=contact.id, body="Alice wrote this", actor_id=alice_id)
    return {"alice": alice_token, "bob": bob_token, "contact": contact.id, "comment": comment.id, "bob_id": bob_id}


def _body(comment_id: int) -> str:
    with session_scope() as db:
        return db.get(Comment, comment_id).body


def test_the_author_edits_a_comment_inline_and_the_feed_shows_it_edited(people):
    state = _state(people["alice"], people["contact"])
    _call(state, "filter_kind", "")
    _call(state, "start_comment_edit", people["comment"])
    assert state.editing_comment_id == people["comment"]
    _call(state, "save_comment_edit", {"body": "Alice corrected this"})
    assert _body(people["comment"]) == "Alice corrected this"
    assert state.editing_comment_id == 0
    (row,) = [r for r in state.rows if r.comment_id == people["comment"]]
    assert row.edited and [v.body for v in row.versions] == ["Alice wrote this"]


def test_the_editor_does_not_open_on_someone_elses_comment(people):
    state = _state(people["bob"], people["contact"])
    _call(state, "filter_kind", "")
    _call(state, "start_comment_edit", people["comment"])
    assert state.editing_comment_id == 0


def test_saving_an_edit_of_someone_elses_comment_is_refused_by_the_server(people):
    state = _state(people["bob"], people["contact"])
    state.editing_comment_id = people["comment"]
    result = _call(state, "save_comment_edit", {"body": "Bob was here"})
    assert "toast" in repr(result)
    assert _body(people["comment"]) == "Alice wrote this"


@pytest.mark.parametrize("junk", [None, "x", {"id": 1}, [1]])
def test_the_comment_handlers_ignore_arguments_of_the_wrong_shape(people, junk):
    state = _state(people["alice"], people["contact"])
    _call(state, "filter_kind", "")
    _call(state, "start_comment_edit", junk)
    assert state.editing_comment_id == 0
    state.editing_comment_id = people["comment"]
    result = _call(state, "save_comment_edit", junk)
    assert result is None or "toast" in repr(result)
    assert _body(people["comment"]) == "Alice wrote this"


def test_the_staff_picker_lists_active_staff_with_me_first(people):
    with session_scope() as db:
        auth_service.create_user(
            db, email="gone@example.com", name="Gone", role="staff", password=PASSWORD, actor_id=None
        )
        gone = auth_service.list_users(db)[-1]
        auth_service.set_active(db, user_id=gone.id, active=False, actor_id=None)
    state = _state(people["bob"], people["contact"])
    _open_at(state, f"/contacts/{people['contact']}")
    _call(state, "load")
    assert [o.label for o in state.staff] == ["Bob", "Alice"]
    assert state.staff[0].value == str(people["bob_id"])


def test_a_new_contact_form_shows_no_feed_of_the_contact_opened_before(people):
    state = _state(people["bob"], people["contact"])
    _open_at(state, f"/contacts/{people['contact']}")
    _call(state, "load")
    assert state.rows
    _open_at(state, "/contacts/new?kind=person")
    _call(state, "load")
    assert state.contact_id == 0 and state.rows == []


def test_an_activity_is_logged_for_the_chosen_staff_member_with_its_own_icon(people):
    state = _state(people["bob"], people["contact"])
    with session_scope() as db:
        alice_id = auth_service.list_users(db)[0].id
    _call(state, "log_activity", {"kind": "call_out", "duration": "7", "staff": str(alice_id), "summary": "Quote"})
    _call(state, "log_activity", {"kind": "visit", "staff": {"id": 1}})
    activities = [r for r in state.rows if r.kind == "activities"]
    visit, call = activities
    assert (call.actor, call.title, call.icon) == ("Alice", "Outgoing call · 7 min", "phone-outgoing")
    assert (visit.actor, visit.icon) == ("Bob", "map-pin")


@pytest.mark.parametrize("duration", ["-5", "lots", "99999"])
def test_a_bad_call_duration_gets_the_services_message(people, duration):
    state = _state(people["alice"], people["contact"])
    result = _call(state, "log_activity", {"kind": "call_in", "duration": duration})
    assert "toast" in repr(result) and "duration" in repr(result)
    assert not [r for r in state.rows if r.kind == "activities"]


def _task_rows(state: ContactFeedState):
    return [r for r in state.rows if r.kind == "tasks"]


def test_a_task_is_assigned_to_the_chosen_staff_member_or_to_me(people):
    state = _state(people["alice"], people["contact"])
    _call(state, "add_task", {"title": "For Bob", "assignee": str(people["bob_id"])})
    _call(state, "add_task", {"title": "For me", "assignee": "not-a-number"})
    mine, bobs = _task_rows(state)
    assert (bobs.title, bobs.assignee) == ("For Bob", "Bob")
    assert (mine.title, mine.assignee) == ("For me", "Alice")
    with session_scope() as db:
        assert [t.title for t in feed_service.my_tasks(db, user_id=people["bob_id"])] == ["For Bob"]


def test_a_task_is_edited_inline_title_due_and_assignee(people):
    state = _state(people["alice"], people["contact"])
    _call(state, "add_task", {"title": "Call", "due": "2030-05-01T09:30"})
    (row,) = _task_rows(state)
    assert row.due_input == "2030-05-01T09:30" and row.event_label == "Task created"
    _call(state, "start_task_edit", row.id)
    assert state.editing_task_entry == row.id
    _call(state, "save_task_edit", {"title": "Call back", "due": "2030-05-02T10:00", "assignee": str(people["bob_id"])})
    assert state.editing_task_entry == ""
    latest = _task_rows(state)[0]
    assert (latest.title, latest.due, latest.assignee, latest.event_label) == (
        "Call back",
        "2030-05-02 10:00",
        "Bob",
        "Task changed",
    )
    _call(state, "start_task_edit", latest.id)
    _call(state, "save_task_edit", {"title": "Call back", "due": "", "assignee": ""})
    latest = _task_rows(state)[0]
    assert (latest.due, latest.assignee) == ("", "")


def test_the_task_editor_refuses_an_empty_title_and_unknown_entries(people):
    state = _state(people["alice"], people["contact"])
    _call(state, "add_task", {"title": "Keep me"})
    (row,) = _task_rows(state)
    for junk in ("task-999999", 5, None, {"id": row.id}):
        _call(state, "start_task_edit", junk)
        assert state.editing_task_entry == ""
    _call(state, "start_task_edit", row.id)
    result = _call(state, "save_task_edit", {"title": "   "})
    assert "toast" in repr(result)
    assert _task_rows(state)[0].title == "Keep me"


def test_files_the_browser_refused_are_named_with_the_reason(people):
    state = _state(people["alice"], people["contact"])
    rejections = [
        {"file": {"path": "./big.pdf"}, "errors": [{"code": "file-too-large", "message": "x"}]},
        {"file": {"path": "../../tool.exe"}, "errors": [{"code": "file-invalid-type"}]},
        {"file": "junk", "errors": "junk"},
    ]
    result = _call(state, "files_refused", rejections)
    assert "toast" in repr(result)
    assert state.upload_error.splitlines() == [
        f"big.pdf: larger than the {settings.max_upload_mb} MB limit",
        "tool.exe: this type of file is not accepted",
        "file: refused",
    ]
    assert _call(state, "files_refused", "junk") is None


def test_an_upload_stores_each_file_names_the_refused_ones_and_hides_the_progress_bar(people, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "upload_dir", tmp_path / "files")
    state = _state(people["alice"], people["contact"])
    files = [
        rx.UploadFile(file=io.BytesIO(b"%PDF-1.4\n%%EOF\n"), path=Path("quote.pdf")),
        rx.UploadFile(file=io.BytesIO(b"MZ\x90\x00" + b"\x00" * 100), path=Path("holiday.jpg")),
    ]
    before = state.uploads_finished
    result = _call(state, "upload", files)
    assert "toast" in repr(result)
    assert state.uploads_finished == before + 1
    assert state.upload_error.startswith("holiday.jpg: ")
    assert [r.title for r in state.rows if r.kind == "files"] == ["quote.pdf"]


def test_a_live_push_keeps_the_edit_links_on_my_own_comments(people):
    state = _state(people["alice"], people["contact"])
    state._pushed_change(people["contact"])
    (row,) = [r for r in state.rows if r.comment_id == people["comment"]]
    assert row.mine
    stranger = _state("not-a-session", people["contact"])
    stranger._pushed_change(people["contact"])
    assert stranger.rows == []


def _open_task_titles(user_id: int) -> list[str]:
    with session_scope() as db:
        return [t.title for t in feed_service.my_tasks(db, user_id=user_id)]


def test_ticking_a_task_done_offers_an_undo_that_reopens_it(people):
    state = _state(people["alice"], people["contact"])
    _call(state, "add_task", {"title": "Send quote", "assignee": str(people["bob_id"])})
    with session_scope() as db:
        (task,) = feed_service.my_tasks(db, user_id=people["bob_id"])
    toast = repr(_call(state, "toggle_task", task.id, True))
    assert "Task done." in toast and "Undo" in toast and "toggle_task" in toast
    assert _open_task_titles(people["bob_id"]) == []
    _call(state, "toggle_task", task.id, False)
    assert _open_task_titles(people["bob_id"]) == ["Send quote"]
