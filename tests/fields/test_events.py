"""A committed change to a form is announced with its contact type; a rolled-back one is not."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from crm_app.core import events
from crm_app.fields import layout
from crm_app.fields.events import FormsChanged


@pytest.fixture
def heard():
    notes: list[FormsChanged] = []
    events.after_commit(FormsChanged, notes.append)
    yield notes
    events.forget(FormsChanged, notes.append)


def test_a_committed_change_to_a_form_is_announced_with_its_type(engine, heard):
    with Session(engine) as s:
        layout.create_section(s, kind="organization", title="Billing", actor_id=None)
        s.commit()
    assert heard[-1].kinds == {"organization"}


def test_a_rolled_back_change_to_a_form_is_not_announced(engine, heard):
    with Session(engine) as s:
        layout.create_section(s, kind="person", title="Ghost", actor_id=None)
        s.flush()
        s.rollback()
    assert heard == []
