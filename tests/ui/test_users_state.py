"""The users table's handlers, called by an admin's tab with whatever a browser can send."""

from __future__ import annotations

from typing import Any

import pytest
import reflex as rx
from argon2 import PasswordHasher
from sqlmodel import SQLModel, select

import crm_app.crm_app  # noqa: F401  (builds the state tree of the real app)
from crm_app.auth import passwords
from crm_app.auth import service as auth_service
from crm_app.auth.models import User
from crm_app.db import build_engine, reset_engines, session_scope
from crm_app.settings import settings
from crm_app.ui.state.session import _event_user
from crm_app.ui.state.users import UsersState
from tests.tabs import sign_in_tab

PASSWORD = "admin-password-long-77"
BAD_IDS: list[Any] = [None, "", "abc", -3, 0, True, 1.5, {"id": 2}, [2], "9" * 40, 2**70]


@pytest.fixture
def admin_tab(tmp_path, monkeypatch) -> tuple[UsersState, int]:
    """An admin's users page on a fresh database with one other (staff) user; returns the state and that id."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    url = f"sqlite:///{tmp_path / 'users.db'}"
    monkeypatch.setattr(settings, "database_url", url)
    reset_engines()
    engine = build_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    with session_scope() as db:
        auth_service.create_user(
            db, email="admin@example.com", name="Ad", role="admin", password=PASSWORD, actor_id=None
        )
        staff, _ = auth_service.create_user(
            db, email="staff@example.com", name="St", role="staff", password=PASSWORD, actor_id=None
        )
    with session_scope() as db:
        _user, token = auth_service.sign_in(db, email="admin@example.com", password=PASSWORD)
    state = rx.State().get_substate(UsersState.get_full_name().split(".")[1:])
    sign_in_tab(state, token)
    _call(state, "load")
    yield state, staff.id
    reset_engines()


def _call(state: UsersState, handler: str, *args):
    _event_user.set(None)
    return UsersState.event_handlers[handler].fn(state, *args)


def _accounts() -> list[tuple]:
    with session_scope() as db:
        return [(u.email, u.role, u.active, u.password_hash) for u in db.exec(select(User).order_by(User.id)).all()]


@pytest.mark.parametrize("bad", BAD_IDS, ids=repr)
def test_a_user_id_that_is_not_a_positive_number_does_nothing(admin_tab, bad):
    state, _staff_id = admin_tab
    before = _accounts()
    _call(state, "change_role", bad, "viewer")
    _call(state, "toggle_active", bad)
    _call(state, "reset_password", bad)
    assert _accounts() == before
    assert state.one_time_password == ""


@pytest.mark.parametrize("bad", [None, 3, {"role": "admin"}, ["admin"], "owner"], ids=repr)
def test_a_role_that_is_not_one_of_the_roles_is_refused(admin_tab, bad):
    state, staff_id = admin_tab
    before = _accounts()
    assert "Unknown role" in repr(_call(state, "change_role", staff_id, bad))
    assert _accounts() == before


def test_the_id_the_page_sends_still_works(admin_tab):
    state, staff_id = admin_tab
    _call(state, "change_role", staff_id, "viewer")
    _call(state, "reset_password", str(staff_id))
    assert [(email, role) for email, role, *_ in _accounts()] == [
        ("admin@example.com", "admin"),
        ("staff@example.com", "viewer"),
    ]
    assert len(state.one_time_password) == auth_service.ONE_TIME_PASSWORD_LENGTH
    assert state.one_time_for == "staff@example.com"
