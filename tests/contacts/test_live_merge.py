"""Concurrent saves of one contact through the editor's merge path (``ContactEditState.save``).

Two tabs open the same version; each changes its own fields and saves. The versioned update refuses
the stale one, the editor merges it with what was saved meanwhile and writes at the newer version.
"""

from __future__ import annotations

from typing import Any

import pytest
import reflex as rx

import crm_app.crm_app  # noqa: F401  (builds the state tree of the real app)
from crm_app.auth import service as auth_service
from crm_app.contacts import service as contacts
from crm_app.contacts.merge import three_way_merge
from crm_app.contacts.schemas import ContactIn
from crm_app.core.errors import ConflictError
from crm_app.db import session_scope
from crm_app.ui.state.contact_edit import ContactEditState, form_values
from crm_app.ui.state.session import _event_user, user_of_token
from tests.contacts.factories import as_input
from tests.tabs import router, sign_in_tab

PASSWORD = "merge-password-long-77"


def _token(name: str) -> str:
    email = f"{name.lower()}@example.com"
    with session_scope() as db:
        auth_service.create_user(db, email=email, name=name, role="staff", password=PASSWORD, actor_id=None)
    with session_scope() as db:
        _user, token = auth_service.sign_in(db, email=email, password=PASSWORD)
    return token


@pytest.fixture
def tokens(app_db) -> tuple[str, str, str]:
    """Sessions of Anna, Bruno and Cleo."""
    return _token("Anna"), _token("Bruno"), _token("Cleo")


@pytest.fixture
def contact_id(app_db) -> int:
    with session_scope() as db:
        return contacts.create_contact(
            db, data=ContactIn(first_name="Jan", last_name="Nowak", memo="Original memo"), actor_id=None
        ).id


def open_tab(token: str, contact_id: int) -> ContactEditState:
    """One tab of ``token``'s user on the contact file, as the page load leaves it."""
    root = rx.State()
    tab = root.get_substate(ContactEditState.get_full_name().split(".")[1:])
    root.router = router(f"/contacts/{contact_id}")
    sign_in_tab(tab, token)
    tab._current = user_of_token(token)
    assert tab._open_page() is None
    return tab


def call(tab: ContactEditState, handler: str, *args: Any) -> Any:
    """Run a handler as one new event of that tab."""
    _event_user.set(None)
    return type(tab).event_handlers[handler].fn(tab, *args)


def stored(contact_id: int):
    with session_scope() as db:
        return contacts.get_contact(db, contact_id=contact_id)


def test_two_stale_copies_changing_different_fields_are_both_saved(tokens, contact_id) -> None:
    anna, bruno, _ = (open_tab(t, contact_id) for t in tokens)
    assert anna.version == bruno.version == 1
    call(anna, "edit_field", "last_name", "Nowak-Kowalski")
    call(bruno, "edit_field", "memo", "Bruno's memo")
    call(anna, "save")
    result = call(bruno, "save")
    assert "together with changes made by others" in repr(result)
    assert not bruno.show_conflicts and bruno.conflicts == []
    saved = stored(contact_id)
    assert (saved.last_name, saved.memo, saved.version) == ("Nowak-Kowalski", "Bruno's memo", 3)
    assert (bruno.last_name, bruno.memo, bruno.version, bruno.dirty) == ("Nowak-Kowalski", "Bruno's memo", 3, False)


def test_the_service_refuses_the_stale_copy_and_takes_it_merged_at_the_newer_version(app_db, contact_id) -> None:
    opened = stored(contact_id)
    with session_scope() as db:
        contacts.update_contact(
            db, contact_id=contact_id, data=as_input(opened, last_name="Theirs"), actor_id=None, expected_version=1
        )
    mine = as_input(opened, memo="Mine")
    with session_scope() as db, pytest.raises(ConflictError):
        contacts.update_contact(db, contact_id=contact_id, data=mine, actor_id=None, expected_version=1)
    latest = stored(contact_id)
    merged = three_way_merge(form_values(opened), {**form_values(opened), "memo": "Mine"}, form_values(latest))
    assert merged.conflicts == []
    with session_scope() as db:
        contacts.update_contact(
            db,
            contact_id=contact_id,
            data=as_input(latest, memo=merged.merged["memo"], last_name=merged.merged["last_name"]),
            actor_id=None,
            expected_version=latest.version,
        )
    saved = stored(contact_id)
    assert (saved.last_name, saved.memo, saved.version) == ("Theirs", "Mine", 3)


def test_a_merged_save_that_loses_a_race_merges_again_without_asking_about_fields_never_touched(
    tokens, contact_id, monkeypatch
) -> None:
    anna_token, bruno_token, cleo_token = tokens
    anna, bruno = open_tab(anna_token, contact_id), open_tab(bruno_token, contact_id)
    call(bruno, "edit_field", "memo", "Bruno's memo")
    call(anna, "edit_field", "last_name", "Anna-1")
    call(anna, "save")

    # Cleo saves the same field (one Bruno never touched) between Bruno's re-read and his merged write.
    fetch = ContactEditState._fetch

    def fetch_then_cleo_saves(self, cid):
        latest = fetch(self, cid)
        monkeypatch.setattr(ContactEditState, "_fetch", fetch)
        cleo = open_tab(cleo_token, cid)
        call(cleo, "edit_field", "last_name", "Cleo-2")
        call(cleo, "save")
        return latest

    monkeypatch.setattr(ContactEditState, "_fetch", fetch_then_cleo_saves)
    first = call(bruno, "save")
    assert "changed again" in repr(first)
    second = call(bruno, "save")
    assert not bruno.show_conflicts, [c.field for c in bruno.conflicts]
    assert "together with changes made by others" in repr(second)
    saved = stored(contact_id)
    assert (saved.last_name, saved.memo) == ("Cleo-2", "Bruno's memo")


def test_resolving_a_conflict_that_loses_a_race_keeps_the_newer_values_of_other_fields(tokens, contact_id) -> None:
    anna, bruno, cleo = (open_tab(t, contact_id) for t in tokens)
    call(bruno, "edit_field", "memo", "Bruno's memo")
    call(anna, "edit_field", "memo", "Anna's memo")
    call(anna, "save")
    call(bruno, "save")
    assert bruno.show_conflicts and [c.field for c in bruno.conflicts] == ["memo"]
    call(cleo, "edit_field", "last_name", "Cleo-2")
    call(cleo, "save")
    lost = call(bruno, "resolve_conflicts")
    assert "changed again" in repr(lost)
    again = call(bruno, "save")
    assert not bruno.show_conflicts, [c.field for c in bruno.conflicts]
    assert "together with changes made by others" in repr(again)
    saved = stored(contact_id)
    assert (saved.last_name, saved.memo) == ("Cleo-2", "Bruno's memo")


def test_typing_over_a_value_pushed_a_moment_ago_opens_the_conflict_dialog_instead_of_overwriting_it(
    tokens, contact_id
) -> None:
    anna_token, bruno_token, _ = tokens
    anna, bruno = open_tab(anna_token, contact_id), open_tab(bruno_token, contact_id)
    call(anna, "edit_field", "memo", "Anna's memo")
    call(anna, "save")
    # The push reaches Bruno's form; his edit of the same field was typed before he could see it.
    bruno._pushed_change(contact_id)
    assert bruno.memo == "Anna's memo"
    call(bruno, "edit_field", "memo", "Bruno typed this over the old memo")
    call(bruno, "save")
    assert bruno.show_conflicts
    [row] = bruno.conflicts
    assert (row.field, row.base, row.theirs) == ("memo", "Original memo", "Anna's memo")
    assert stored(contact_id).memo == "Anna's memo"


def test_an_edit_long_after_the_push_is_an_ordinary_save(tokens, contact_id) -> None:
    anna_token, bruno_token, _ = tokens
    anna, bruno = open_tab(anna_token, contact_id), open_tab(bruno_token, contact_id)
    call(anna, "edit_field", "memo", "Anna's memo")
    call(anna, "save")
    bruno._pushed_change(contact_id)
    bruno._unseen_at -= 60
    call(bruno, "edit_field", "memo", "Bruno read Anna's memo and rewrote it")
    result = call(bruno, "save")
    assert not bruno.show_conflicts
    assert "Saved." in repr(result)
    assert stored(contact_id).memo == "Bruno read Anna's memo and rewrote it"
