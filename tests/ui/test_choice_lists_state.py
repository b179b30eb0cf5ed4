"""The one choice-list editor, run by two lists: each keeps its own rows and calls its own services."""

from __future__ import annotations

import pytest
import reflex as rx
from argon2 import PasswordHasher
from sqlmodel import SQLModel

import crm_app.crm_app  # noqa: F401  (builds the state tree of the real app)
from crm_app.auth import passwords
from crm_app.auth import service as auth_service
from crm_app.db import build_engine, reset_engines, session_scope
from crm_app.settings import settings
from crm_app.ui.state.choice_lists import ChannelsState, PhoneTypesState
from crm_app.ui.state.session import _event_user
from tests.tabs import sign_in_tab

PASSWORD = "manager-password-long-77"


@pytest.fixture
def manager_tab(tmp_path, monkeypatch):
    """A manager's tab on a fresh database: its phone-types and campaigns states, both loaded."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    url = f"sqlite:///{tmp_path / 'lists.db'}"
    monkeypatch.setattr(settings, "database_url", url)
    reset_engines()
    engine = build_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    with session_scope() as db:
        auth_service.create_user(
            db, email="manager@example.com", name="Ma", role="manager", password=PASSWORD, actor_id=None
        )
    with session_scope() as db:
        _user, token = auth_service.sign_in(db, email="manager@example.com", password=PASSWORD)
    root = rx.State()
    states = [root.get_substate(cls.get_full_name().split(".")[1:]) for cls in (PhoneTypesState, ChannelsState)]
    for state in states:
        sign_in_tab(state, token)
        _call(state, "load")
    yield states
    reset_engines()


def _call(state, handler: str, *args):
    _event_user.set(None)
    return type(state).event_handlers[handler].fn(state, *args)


def _names(state) -> list[str]:
    return [row.name for row in state.rows]


def test_each_list_adds_to_its_own_rows(manager_tab):
    phone_types, campaigns = manager_tab
    _call(phone_types, "add", {"name": "Fax"})
    _call(campaigns, "add", {"name": "Trade fair"})
    _call(campaigns, "add", {"name": "Radio"})
    assert _names(phone_types) == ["Fax"]
    assert _names(campaigns) == ["Trade fair", "Radio"]


def test_rename_and_move_call_the_services_of_the_list(manager_tab):
    _phone_types, campaigns = manager_tab
    _call(campaigns, "add", {"name": "Trade fair"})
    _call(campaigns, "add", {"name": "Radio"})
    radio = campaigns.rows[1].id
    _call(campaigns, "start_rename", radio)
    assert campaigns.editing_id == radio
    _call(campaigns, "save_rename", {"name": "Local radio"})
    _call(campaigns, "move", radio, "up")
    assert _names(campaigns) == ["Local radio", "Trade fair"]
    assert campaigns.editing_id == 0


def test_a_refused_name_stays_on_the_add_box(manager_tab):
    phone_types, _campaigns = manager_tab
    _call(phone_types, "add", {"name": "Fax"})
    _call(phone_types, "add", {"name": "Fax"})
    assert phone_types.add_error
    assert _names(phone_types) == ["Fax"]


@pytest.mark.parametrize("payload", [None, "Fax", {"name": 3}, ["Fax"]])
def test_what_is_not_a_form_adds_nothing(manager_tab, payload):
    phone_types, _campaigns = manager_tab
    assert _call(phone_types, "add", payload) is None
    assert _names(phone_types) == []
