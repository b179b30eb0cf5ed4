"""Committed changes to contacts are announced to listeners, rolled-back ones are not."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from crm_app.contacts import events as changes
from crm_app.contacts import service as contacts
from crm_app.contacts.schemas import ContactIn, PhoneIn
from crm_app.core import events


@pytest.fixture
def heard():
    notes: list[changes.ContactsChanged] = []
    events.after_commit(changes.ContactsChanged, notes.append)
    yield notes
    events.forget(changes.ContactsChanged, notes.append)


def test_a_committed_create_and_update_are_announced(engine, heard):
    with Session(engine) as s:
        created = contacts.create_contact(
            s, data=ContactIn(first_name="Ada", phones=[PhoneIn(number="+33612345678")]), actor_id=None
        )
        s.commit()
    assert heard[-1].changed == {created.id}
    with Session(engine) as s:
        contacts.update_contact(
            s, contact_id=created.id, data=ContactIn(first_name="Ada", last_name="L"), actor_id=None
        )
        s.commit()
    assert created.id in heard[-1].changed


def test_a_rolled_back_change_is_not_announced(engine, heard):
    with Session(engine) as s:
        contacts.create_contact(s, data=ContactIn(first_name="Ghost"), actor_id=None)
        s.rollback()
    with Session(engine) as s:
        s.commit()
    assert heard == []


def test_deletion_is_announced_as_deleted(engine, heard):
    with Session(engine) as s:
        created = contacts.create_contact(s, data=ContactIn(first_name="Bye"), actor_id=None)
        s.commit()
    with Session(engine) as s:
        contacts.delete_contact(s, contact_id=created.id, actor_id=None)
        s.commit()
    assert created.id in heard[-1].deleted
    assert created.id not in heard[-1].changed


def test_set_based_changes_can_be_marked_by_hand(engine, heard):
    with Session(engine) as s:
        changes.mark_changed(s, [7, 8])
        s.commit()
    assert heard[-1].changed == {7, 8}
