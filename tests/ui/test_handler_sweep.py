"""Every event handler of every state refuses callers without a session, and writers refuse viewers.

New handlers are picked up automatically: the sweep walks the state tree of the real app.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
from typing import Any

import pytest
import reflex as rx
from reflex_base.event import Event
from reflex_base.utils.format import format_event_handler
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text
from sqlmodel import SQLModel

import crm_app.crm_app as app_module
from crm_app.auth import service as auth_service
from crm_app.auth.permissions import has_permission
from crm_app.db import build_engine, reset_engines, session_scope
from crm_app.settings import settings
from crm_app.ui.state.session import AuthMiddleware, SessionState

# The only handlers anyone may call without a session.
PUBLIC_HANDLERS = {
    "SessionState.check_session",
    "SessionState.choose_locale",
    "SignInState.open_sign_in",
    "SignInState.sign_in",
}
FRAMEWORK = {
    "hydrate",
    "hydrate_and_load",
    "set_is_hydrated",
    "on_load_internal",
    "update_vars_internal",
    "handle_frontend_exception",
    "setvar",
}

ARG_SAMPLES: list[Any] = [1, "x", {"email": "a@b.c", "password": "p", "role": "admin", "name": "n"}, True, None]


def _app_states() -> list[type[rx.State]]:
    found: list[type[rx.State]] = []

    def walk(cls: type[rx.State]) -> None:
        for sub in cls.class_subclasses if hasattr(cls, "class_subclasses") else cls.get_substates():
            found.append(sub)
            walk(sub)

    walk(SessionState)
    return [SessionState, *found]


def _handlers() -> list[tuple[type[rx.State], str, Any]]:
    out = []
    for cls in _app_states():
        for name, handler in cls.event_handlers.items():
            if name in FRAMEWORK:
                continue
            out.append((cls, name, handler.fn))
    return out


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    """Point the app's own database at a fresh file with every table."""
    url = f"sqlite:///{tmp_path / 'sweep.db'}"
    monkeypatch.setattr(settings, "database_url", url)
    reset_engines()
    engine = build_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    yield url
    reset_engines()


def _snapshot() -> dict[str, int]:
    with session_scope() as db:
        conn = db.connection()
        names = sa_inspect(conn).get_table_names()
        return {n: conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one() for n in names}


def _state_for(cls: type[rx.State], token: str) -> rx.State:
    root = rx.State()
    path = cls.get_full_name().split(".")[1:]
    state = root.get_substate(path) if path else root
    state.token = token
    return state


def _calls(fn) -> list[tuple]:
    params = [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]
    required = [p for p in params if p.default is inspect.Parameter.empty]
    return [tuple(combo) for combo in itertools.product(ARG_SAMPLES, repeat=len(required))][:30]


def _run(fn, state, args) -> Any:
    result = fn(state, *args)
    if inspect.isawaitable(result):
        result = asyncio.run(result)
    return result


def _is_refusal(result: Any, *, to_sign_in: bool) -> bool:
    events = result if isinstance(result, list) else [result]
    text_ = repr(events)
    if to_sign_in:
        return "/signin" in text_
    return "toast" in text_ or "/signin" in text_ or "/change-password" in text_


def test_every_handler_is_public_by_name_or_checks_a_permission():
    unchecked = []
    for cls, name, fn in _handlers():
        qual = f"{cls.__name__}.{name}"
        if getattr(fn, "_crm_public", False):
            assert qual in PUBLIC_HANDLERS, f"{qual} is public but not in the reviewed allow-list"
            continue
        if not hasattr(fn, "_crm_permission"):
            unchecked.append(qual)
    assert not unchecked, f"handlers without @requires: {unchecked}"
    assert len(_handlers()) > 20


def test_no_state_method_is_reachable_through_setvar():
    for cls in _app_states():
        for name in dir(cls):
            if name.startswith("set_") and name != "set_is_hydrated":
                pytest.fail(f"{cls.__name__}.{name} could be called through setvar")


def test_without_a_session_every_protected_handler_refuses_and_changes_nothing(app_db):
    before = _snapshot()
    for cls, name, fn in _handlers():
        if getattr(fn, "_crm_public", False):
            continue
        for args in _calls(fn):
            state = _state_for(cls, token="")
            result = _run(fn, state, args)
            assert _is_refusal(result, to_sign_in=True), f"{cls.__name__}.{name}{args} did not refuse: {result!r}"
            assert state.user_id == 0
    assert _snapshot() == before


def test_a_forged_token_is_treated_as_no_session(app_db):
    before = _snapshot()
    for cls, name, fn in _handlers():
        if getattr(fn, "_crm_public", False):
            continue
        state = _state_for(cls, token="forged-token-value")
        result = _run(fn, state, _calls(fn)[0])
        assert _is_refusal(result, to_sign_in=True), f"{cls.__name__}.{name} accepted a forged token"
    assert _snapshot() == before


def test_a_viewer_cannot_run_any_handler_that_writes(app_db):
    with session_scope() as db:
        auth_service.create_user(
            db, email="viewer@example.com", name="Vi", role="viewer", password="viewer-password-77", actor_id=None
        )
    with session_scope() as db:
        _user, token = auth_service.sign_in(db, email="viewer@example.com", password="viewer-password-77")
    before = _snapshot()
    checked = 0
    for cls, name, fn in _handlers():
        perm = getattr(fn, "_crm_permission", None)
        if perm is None or has_permission("viewer", perm):
            continue
        for args in _calls(fn):
            state = _state_for(cls, token=token)
            result = _run(fn, state, args)
            assert _is_refusal(result, to_sign_in=False), f"{cls.__name__}.{name}{args} let a viewer through"
            checked += 1
    after = _snapshot()
    after.pop("user_session", None)
    before.pop("user_session", None)
    assert after == before
    assert checked > 10


@pytest.mark.asyncio
async def test_the_middleware_refuses_every_non_public_event_without_a_session(app_db):
    middleware = AuthMiddleware()
    for cls, name, fn in _handlers():
        root = rx.State()
        state = root.get_substate(cls.get_full_name().split(".")[1:])
        event = Event(name=format_event_handler(cls.event_handlers[name]), payload={})
        update = await middleware.preprocess(app_module.app, state, event)
        if getattr(fn, "_crm_public", False):
            assert update is None, f"public {cls.__name__}.{name} was refused"
        else:
            assert update is not None, f"{cls.__name__}.{name} passed the middleware without a session"
            assert "/signin" in repr(update.events)
