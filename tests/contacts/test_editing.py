"""Concurrent saves of one contact through the editing service (``crm_app.contacts.editing``).

Two editors open the same version; each changes its own fields and saves. The versioned update refuses
the stale one, the service merges it with what was saved meanwhile and writes at the newer version.
``Editor`` holds what an open contact form holds (its values, the base it started from, the version) and
uses the service the way the contact editor does.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from crm_app.contacts import editing
from crm_app.contacts import service as contacts
from crm_app.contacts.editing import Draft, SaveResult, Unseen
from crm_app.contacts.forms import form_values
from crm_app.contacts.merge import three_way_merge
from crm_app.contacts.schemas import ContactIn
from crm_app.core.errors import ConflictError
from crm_app.db import session_scope
from tests.contacts.factories import as_input, make_user


class Editor:
    """One open contact form of one user: values, base and version, as the editor state keeps them."""

    def __init__(self, contact_id: int, actor_id: int) -> None:
        self.contact_id, self.actor_id = contact_id, actor_id
        self.unseen = Unseen()
        self.pending: dict[str, Any] = {}
        self.theirs: dict[str, Any] = {}
        self.theirs_version = 0
        self.conflicts: list[editing.ConflictRow] = []
        self._fill(stored(contact_id))

    def _fill(self, contact) -> None:
        self.values = editing.contact_values(contact, custom_types={}, locale="en")
        self.base, self.version, self.dirty = dict(self.values), contact.version, False

    def edit(self, field: str, value: Any) -> None:
        self.values = {**self.values, field: value}
        self.unseen, self.base, self.version = editing.keep_unseen(
            self.unseen, mine=self.values, base=self.base, version=self.version, now=time.time()
        )
        self.dirty = True

    def _draft(self) -> Draft:
        return Draft(
            contact_id=self.contact_id,
            mine=dict(self.values),
            base=dict(self.base),
            version=self.version,
            custom_types={},
        )

    def _outcome(self, result: SaveResult) -> str:
        if result.values is not None:
            self.values, self.base, self.version = result.values, result.base, result.version
        if result.contact is not None:
            self._fill(result.contact)
        if result.status == "conflicts":
            self.pending, self.theirs, self.theirs_version = result.pending, result.theirs, result.version
            self.conflicts = editing.conflict_rows(result.conflicts, locale="en", names={})
        return result.status

    def save(self) -> str:
        with session_scope() as db:
            result = editing.save_form(db, draft=self._draft(), actor_id=self.actor_id, locale="en")
        return self._outcome(result)

    def resolve(self, take_theirs: list[str]) -> str:
        with session_scope() as db:
            result = editing.resolve_conflicts(
                db,
                draft=self._draft(),
                pending=self.pending,
                theirs=self.theirs,
                theirs_version=self.theirs_version,
                take_theirs=take_theirs,
                actor_id=self.actor_id,
                locale="en",
            )
        self.conflicts, self.pending = [], {}
        return self._outcome(result)

    def pushed(self) -> None:
        """The change of another editor reaches this (untouched) form."""
        before, version = dict(self.base), self.version
        self._fill(stored(self.contact_id))
        self.unseen = editing.remember_unseen(
            self.unseen, before=before, base=self.base, from_version=version, version=self.version, now=time.time()
        )


@pytest.fixture
def app_db(any_engine, monkeypatch):
    """The app's sessions on SQLite, then on PostgreSQL."""
    monkeypatch.setattr("crm_app.db.get_engine", lambda url=None: any_engine)
    return any_engine


@pytest.fixture
def users(app_db) -> tuple[int, int, int]:
    """Anna, Bruno and Cleo."""
    with session_scope() as db:
        return tuple(make_user(db, name=name).id for name in ("Anna", "Bruno", "Cleo"))


@pytest.fixture
def contact_id(app_db) -> int:
    with session_scope() as db:
        return contacts.create_contact(
            db, data=ContactIn(first_name="Jan", last_name="Nowak", memo="Original memo"), actor_id=None
        ).id


def stored(contact_id: int):
    with session_scope() as db:
        return contacts.get_contact(db, contact_id=contact_id)


def test_two_stale_copies_changing_different_fields_are_both_saved(users, contact_id) -> None:
    anna, bruno = Editor(contact_id, users[0]), Editor(contact_id, users[1])
    assert anna.version == bruno.version == 1
    anna.edit("last_name", "Nowak-Kowalski")
    bruno.edit("memo", "Bruno's memo")
    assert anna.save() == "saved"
    assert bruno.save() == "merged"
    assert bruno.conflicts == []
    saved = stored(contact_id)
    assert (saved.last_name, saved.memo, saved.version) == ("Nowak-Kowalski", "Bruno's memo", 3)
    assert (bruno.values["last_name"], bruno.values["memo"], bruno.version, bruno.dirty) == (
        "Nowak-Kowalski",
        "Bruno's memo",
        3,
        False,
    )


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
    users, contact_id, monkeypatch
) -> None:
    anna, bruno = Editor(contact_id, users[0]), Editor(contact_id, users[1])
    bruno.edit("memo", "Bruno's memo")
    anna.edit("last_name", "Anna-1")
    anna.save()

    # Cleo saves the same field (one Bruno never touched) between Bruno's re-read and his merged write.
    read = editing.read_latest

    def read_then_cleo_saves(session, *, contact_id):
        latest = read(session, contact_id=contact_id)
        monkeypatch.setattr(editing, "read_latest", read)
        contacts.update_contact(
            session,
            contact_id=contact_id,
            data=as_input(latest, last_name="Cleo-2"),
            actor_id=users[2],
            expected_version=latest.version,
        )
        return latest

    monkeypatch.setattr(editing, "read_latest", read_then_cleo_saves)
    assert bruno.save() == "raced"
    assert bruno.save() == "merged"
    assert bruno.conflicts == []
    saved = stored(contact_id)
    assert (saved.last_name, saved.memo) == ("Cleo-2", "Bruno's memo")


def test_resolving_a_conflict_that_loses_a_race_keeps_the_newer_values_of_other_fields(users, contact_id) -> None:
    anna, bruno, cleo = (Editor(contact_id, user) for user in users)
    bruno.edit("memo", "Bruno's memo")
    anna.edit("memo", "Anna's memo")
    anna.save()
    assert bruno.save() == "conflicts"
    assert [c.field for c in bruno.conflicts] == ["memo"]
    cleo.edit("last_name", "Cleo-2")
    cleo.save()
    assert bruno.resolve(take_theirs=[]) == "raced"
    assert bruno.save() == "merged"
    assert bruno.conflicts == []
    saved = stored(contact_id)
    assert (saved.last_name, saved.memo) == ("Cleo-2", "Bruno's memo")


def test_a_conflict_shows_the_three_values_as_read(users, contact_id) -> None:
    anna, bruno = Editor(contact_id, users[0]), Editor(contact_id, users[1])
    anna.edit("memo", "Anna's memo")
    anna.save()
    bruno.edit("memo", "Bruno's memo")
    assert bruno.save() == "conflicts"
    [row] = bruno.conflicts
    assert (row.field, row.label, row.base, row.mine, row.theirs) == (
        "memo",
        "Memo",
        "Original memo",
        "Bruno's memo",
        "Anna's memo",
    )
    assert bruno.resolve(take_theirs=["memo"]) == "saved"
    assert stored(contact_id).memo == "Anna's memo"


def test_typing_over_a_value_pushed_a_moment_ago_opens_the_conflict_dialog_instead_of_overwriting_it(
    users, contact_id
) -> None:
    anna, bruno = Editor(contact_id, users[0]), Editor(contact_id, users[1])
    anna.edit("memo", "Anna's memo")
    anna.save()
    # The push reaches Bruno's form; his edit of the same field was typed before he could see it.
    bruno.pushed()
    assert bruno.values["memo"] == "Anna's memo"
    bruno.edit("memo", "Bruno typed this over the old memo")
    assert bruno.save() == "conflicts"
    [row] = bruno.conflicts
    assert (row.field, row.base, row.theirs) == ("memo", "Original memo", "Anna's memo")
    assert stored(contact_id).memo == "Anna's memo"


def test_an_edit_long_after_the_push_is_an_ordinary_save(users, contact_id) -> None:
    anna, bruno = Editor(contact_id, users[0]), Editor(contact_id, users[1])
    anna.edit("memo", "Anna's memo")
    anna.save()
    bruno.pushed()
    bruno.unseen.at -= 60
    bruno.edit("memo", "Bruno read Anna's memo and rewrote it")
    assert bruno.save() == "saved"
    assert bruno.conflicts == []
    assert stored(contact_id).memo == "Bruno read Anna's memo and rewrote it"


def test_a_pushed_change_fills_untouched_fields_and_notes_the_touched_ones() -> None:
    base = {"first_name": "Jan", "memo": "Original", "is_supplier": False}
    mine = {**base, "memo": "Mine"}
    theirs = {"first_name": "Janek", "memo": "Theirs", "is_supplier": True}
    remote = editing.merge_remote(base=base, mine=mine, theirs=theirs, notes={}, author="Anna", locale="en", names={})
    assert remote.updates == {"first_name": "Janek", "is_supplier": True}
    assert remote.base == {"first_name": "Janek", "memo": "Original", "is_supplier": True}
    assert remote.notes == {"memo": "Anna changed this to: Theirs"}
