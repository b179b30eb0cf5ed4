"""The contact list state: bulk actions handed to a background job, progress, small state, the search race."""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
from typing import Any

import pytest
import reflex as rx
from sqlmodel import select

import crm_app.crm_app  # noqa: F401  (registers every state and handler)
from crm_app.auth import service as auth_service
from crm_app.contacts import jobs as contact_jobs
from crm_app.contacts import service as contacts
from crm_app.contacts import tags as tag_service
from crm_app.contacts.models import ContactTag, Tag
from crm_app.db import session_scope
from crm_app.jobs import worker
from crm_app.jobs.models import Job
from crm_app.ui.state import contact_list
from crm_app.ui.state.contact_list import ContactListState
from tests.contacts.factories import person
from tests.tabs import router, sign_in_tab

PASSWORD = "list-state-password-77"


@pytest.fixture(autouse=True)
def unlinked(monkeypatch):
    """``load`` links the tab to the shared list pulse, which needs the running app: stay unlinked here."""

    async def stay_unlinked(self, token):
        return self

    monkeypatch.setattr(rx.SharedState, "_link_to", stay_unlinked)


def _token(role: str = "staff", email: str = "lister@example.com") -> str:
    with session_scope() as db:
        auth_service.create_user(db, email=email, name="Lister", role=role, password=PASSWORD, actor_id=None)
    with session_scope() as db:
        return auth_service.sign_in(db, email=email, password=PASSWORD)[1]


def _people(*names: str) -> list[int]:
    with session_scope() as db:
        return [
            contacts.create_contact(
                db,
                data=person(first_name=name, last_name="Statelist", phones=[], emails=[], addresses=[]),
                actor_id=None,
            ).id
            for name in names
        ]


def _state(token: str, query: str = "") -> ContactListState:
    root = rx.State()
    path = "/contacts" + (f"?{query}" if query else "")
    root.router = router(path)
    state = root.get_substate(ContactListState.get_full_name().split(".")[1:])
    sign_in_tab(state, token)
    return state


def _call(state: ContactListState, name: str, *args: Any) -> Any:
    result = ContactListState.event_handlers[name].fn(state, *args)
    if inspect.isasyncgen(result):
        return asyncio.run(_drain(result))
    return asyncio.run(result) if inspect.isawaitable(result) else result


async def _drain(updates: Any) -> list[Any]:
    return [item async for item in updates]


def _tagged(name: str) -> int:
    with session_scope() as db:
        tag = db.exec(select(Tag).where(Tag.name == name)).first()
        return 0 if tag is None else len(db.exec(select(ContactTag).where(ContactTag.tag_id == tag.id)).all())


def test_a_bulk_button_queues_a_job_and_follows_it_in_the_background(app_db) -> None:
    ids = _people("Ann", "Bob", "Cid")
    state = _state(_token())
    state.selected = ids[:2]
    _call(state, "type_bulk_tag", "Chosen")
    started = _call(state, "bulk_add_tag")
    assert "follow_bulk_job" in repr(started)
    assert (state.bulk_busy, state.bulk_done, state.bulk_total) == (True, 0, 2)
    with session_scope() as db:
        assert db.get(Job, state._bulk_job["id"]).payload["ids"] == ids[:2]
    assert _tagged("Chosen") == 0
    assert worker.run_until_idle() == 1
    assert _tagged("Chosen") == 2


def test_a_second_bulk_action_waits_until_the_running_one_is_done(app_db) -> None:
    ids = _people("Ann")
    state = _state(_token())
    state.selected = ids
    _call(state, "bulk_archive")
    refused = _call(state, "bulk_restore")
    assert "already running" in repr(refused)
    assert state._bulk_job["action"] == "archive"


def test_deleting_many_contacts_still_asks_to_type_their_number(app_db) -> None:
    state = _state(_token("manager"))
    state.all_matching = True
    state.total = 150_000
    refused = _call(state, "bulk_delete")
    assert "Type the number" in repr(refused)
    assert state._bulk_job is None
    state.confirm_text = "150,000"
    assert "follow_bulk_job" in repr(_call(state, "bulk_delete"))


def test_staff_cannot_start_a_bulk_delete(app_db) -> None:
    state = _state(_token("staff"))
    state.selected = _people("Ann")
    refused = _call(state, "bulk_delete")
    assert "permission" in repr(refused)
    assert state._bulk_job is None


# ---------------------------------------------------------------- list handlers off the event loop, small state


def test_list_handlers_that_query_the_database_are_coroutines() -> None:
    for name in ("load", "search", "filter_by", "go_to_page", "toggle_flag", "sort_by", "find_tags", "find_users"):
        fn = ContactListState.event_handlers[name].fn
        assert inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn), name


def test_a_search_sends_its_rows_before_counting_them(app_db, monkeypatch) -> None:
    _people(*(f"Ann{index:02d}" for index in range(30)), "Bob")
    state = _state(_token())
    state.params = {"size": "25"}

    async def first_update_then_rest() -> tuple[tuple[int, int, bool], tuple[int, bool]]:
        updates = ContactListState.event_handlers["search"].fn(state, "ann")
        await updates.__anext__()
        sent = (len(state.rows), state.total, state.total_is_estimate)
        await _drain(updates)
        return sent, (state.total, state.total_is_estimate)

    assert asyncio.run(first_update_then_rest()) == ((25, 26, True), (30, False))
    _call(state, "search", "bob")
    assert (len(state.rows), state.total, state.total_is_estimate) == (1, 1, False)


def test_searching_reads_the_page_in_a_worker_thread_not_on_the_event_loop(app_db, monkeypatch) -> None:
    _people("Ann")
    state = _state(_token())
    threads: list[int] = []
    real = contact_list.search_contacts

    def spy(*args: Any, **kwargs: Any):
        threads.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(contact_list, "search_contacts", spy)
    _call(state, "search", "ann")
    _call(state, "go_to_page", 1)
    _call(state, "filter_by", "kind", "person")
    assert len(threads) == 3 and threading.get_ident() not in threads
    assert [row.display_name for row in state.rows] == ["Ann Statelist"]


def test_the_pickers_hold_a_few_tags_and_staff_and_find_the_others_on_demand(app_db) -> None:
    with session_scope() as db:
        for index in range(80):
            tag_service.create_tag(db, name=f"Tag{index:03d}", actor_id=None)
            auth_service.create_user(
                db,
                email=f"s{index:03d}@example.com",
                name=f"Staff {index:03d}",
                role="staff",
                password=PASSWORD,
                actor_id=None,
            )
        chosen = tag_service.search_tags(db, prefix="Tag077")[0].id
    state = _state(_token(), query=f"tags={chosen}")
    _call(state, "load")
    assert len(state.tag_choices) <= 31 and len(state.user_choices) <= 31
    assert state.tag_choices[0].value == str(chosen)
    _call(state, "find_tags", "tag05")
    assert [c.label for c in state.tag_choices] == ["Tag077", *(f"Tag05{n}" for n in range(10))]
    _call(state, "find_users", "staff 07")
    assert [c.label for c in state.user_choices] == [f"Staff 07{n}" for n in range(10)]


def test_a_loaded_list_of_fifty_rows_keeps_its_state_under_fifty_kilobytes(app_db) -> None:
    with session_scope() as db:
        for index in range(60):
            contacts.create_contact(
                db,
                data=person(
                    first_name=f"Person{index:02d}",
                    last_name="Statelist-Withalongername",
                    tags=["VIP", "Newsletter", "Prospect"],
                ),
                actor_id=None,
            )
        for index in range(200):
            tag_service.create_tag(db, name=f"Label number {index:03d}", actor_id=None)
    state = _state(_token())
    _call(state, "load")
    assert len(state.rows) == 50
    own = {name: getattr(state, name) for name in ContactListState.base_vars}
    size = len(json.dumps(own, default=str))
    assert size < 50_000, size


def test_a_search_is_ranked_until_a_column_is_chosen_and_the_name_click_is_kept(app_db) -> None:
    _people("Zed", "Ann")
    with session_scope() as db:
        contacts.create_contact(
            db, data=person(first_name="Bob", last_name="Other", phones=[], emails=[], addresses=[]), actor_id=None
        )
    state = _state(_token())
    _call(state, "search", "statelist")
    assert (state.sort_field, state.sort_direction) == ("relevance", "asc")
    _call(state, "sort_by", "name")
    assert state.params == {"q": "statelist", "sort": "name"}  # explicit, or the search would be ranked again
    assert [row.display_name for row in state.rows] == ["Ann Statelist", "Zed Statelist"]
    _call(state, "sort_by", "name")
    assert (state.sort_field, state.sort_direction) == ("name", "desc")
    assert [row.display_name for row in state.rows] == ["Zed Statelist", "Ann Statelist"]
    _call(state, "sort_by", "relevance")
    assert state.params == {"q": "statelist"}
    _call(state, "search", "")
    assert state.sort_field == "name"
    state.params = {"dir": "desc"}
    assert (state.sort_field, state.sort_direction) == ("name", "desc")


def test_the_updated_column_is_sent_as_text_in_the_readers_language(app_db) -> None:
    _people("Ann")
    state = _state(_token())
    state.locale = "fr"
    _call(state, "search", "statelist")
    (row,) = state.rows
    assert row.updated_label.startswith("il y a ")
    assert row.updated_title.endswith(" UTC") and str(row.updated_at.year) in row.updated_title


def test_the_undo_of_a_bulk_tag_runs_once_as_a_background_job(app_db) -> None:
    ids = _people("Ann", "Bob")
    state = _state(_token())
    assert "nothing to undo" in repr(_call(state, "undo_bulk_action"))
    payload = {"action": "add_tag", "extra": {"tag_name": "Undoable"}, "ids": ids, "params": {}, "actor_id": None}
    with session_scope() as db:
        result = contact_jobs.run_bulk(db, payload, lambda _r: None)
    assert (result.changed, _tagged("Undoable")) == (2, 2)
    state._undo = result.undo
    assert "follow_bulk_job" in repr(_call(state, "undo_bulk_action"))
    assert state._undo is None and state._bulk_job["action"] == "undo" and state.bulk_total == 2
    worker.run_until_idle()
    with session_scope() as db:
        undone = db.get(Job, state._bulk_job["id"]).result
    assert (undone["changed"], _tagged("Undoable")) == (2, 0)
    assert "nothing to undo" in repr(_call(state, "undo_bulk_action"))


def test_the_bulk_report_counts_in_singular_and_plural(app_db) -> None:
    state = _state(_token())
    one = contact_list.bulk.BulkResult(changed=1, skipped=0)
    many = contact_list.bulk.BulkResult(changed=1204, skipped=1)
    assert state._bulk_report("add_tag", one) == "Tag added to 1 contact."
    assert state._bulk_report("delete", many) == "1,204 contacts deleted. 1 left unchanged."


def test_selection_and_export_labels_say_how_many(app_db) -> None:
    state = _state(_token())
    state.total = 1204
    assert (state.selection_label, state.export_scope) == ("0 selected", "Export all 1,204 matching")
    state.selected = [5]
    assert (state.selection_label, state.export_scope) == ("1 selected", "Export 1 selected")
    state.selected = [5, 6, 7]
    assert (state.selection_label, state.export_scope) == ("3 selected", "Export 3 selected")


def test_select_mode_on_a_phone_unselects_everything_when_it_ends(app_db) -> None:
    state = _state(_token())
    _call(state, "toggle_select_mode")
    state.selected = [1, 2]
    _call(state, "toggle_select_mode")
    assert (state.select_mode, state.selected) == (False, [])


def test_an_empty_search_offers_a_new_person_named_by_the_searched_words(app_db) -> None:
    state = _state(_token(), "q=Jane%20%20Doe%26Co")
    state.params = {"q": "Jane  Doe&Co"}
    assert state.create_label == "Create “Jane Doe&Co”"
    assert state.create_href == "/contacts/new?kind=person&name=Jane+Doe%26Co"
