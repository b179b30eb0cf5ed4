"""The session state: domain errors shown in the tab's language, what a tab forgets when its session ends."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest
import reflex as rx
from reflex_base.event import Event
from reflex_base.utils.format import format_event_handler
from sqlmodel import SQLModel, select

import crm_app.crm_app as app_module
from crm_app.auth import service as auth_service
from crm_app.auth.models import UserSession
from crm_app.auth.passwords import check_password_policy
from crm_app.contacts import service as contacts
from crm_app.contacts.search.structures import create_search_structures
from crm_app.core.errors import ThrottledError, ValidationError
from crm_app.db import build_engine, reset_engines, session_scope
from crm_app.settings import settings
from crm_app.ui.state.auth import SignInState
from crm_app.ui.state.contact_edit import ContactEditState
from crm_app.ui.state.contact_list import ContactListState
from crm_app.ui.state.session import AuthMiddleware, SessionState, _event_user
from crm_app.ui.state.users import UsersState
from tests.contacts.factories import person
from tests.tabs import router, sign_in_tab

PASSWORD = "admin-password-long-77"


def _session_state(locale: str) -> SessionState:
    state = rx.State().get_substate(SessionState.get_full_name().split(".")[1:])
    state._apply_locale(locale)
    return state


def test_an_error_with_placeholders_is_shown_translated_with_its_values_filled_in():
    state = _session_state("fr")
    error = ThrottledError(auth_service.THROTTLED_MINUTES, params={"minutes": 7})
    assert error.message == "Too many sign-in attempts. Try again in 7 minutes."
    assert state._error_text(error) == "Trop de tentatives de connexion. Réessayez dans 7 minutes."


def test_field_errors_with_placeholders_are_translated_too():
    state = _session_state("pl")
    with pytest.raises(ValidationError) as caught:
        check_password_policy("short")
    assert state._field_errors(caught.value) == {"password": "Użyj co najmniej 10 znaków."}


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    """The app's database on a fresh file; shared states stay unlinked (no server to push through)."""
    url = f"sqlite:///{tmp_path / 'session.db'}"
    monkeypatch.setattr(settings, "database_url", url)
    reset_engines()
    engine = build_engine(url)
    SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        create_search_structures(conn)
    engine.dispose()

    async def stay_unlinked(self, token):
        return self

    monkeypatch.setattr(rx.SharedState, "_link_to", stay_unlinked)
    yield url
    reset_engines()


def _call(state: rx.State, handler: str, *args):
    """Run one event handler of the state as one new event (no user remembered from the last one)."""
    _event_user.set(None)
    result = type(state).event_handlers[handler].fn(state, *args)
    if inspect.isasyncgen(result):
        return asyncio.run(_updates(result))
    return asyncio.run(result) if asyncio.iscoroutine(result) else result


async def _updates(updates: Any) -> list[Any]:
    return [item async for item in updates]


def _signed_in_tab() -> tuple[rx.State, int]:
    """A tab of a French-speaking admin with the contact list, the users table and a contact file loaded."""
    with session_scope() as db:
        admin, _ = auth_service.create_user(
            db, email="admin@example.com", name="Ad", role="admin", password=PASSWORD, actor_id=None
        )
        auth_service.set_locale(db, user_id=admin.id, locale="fr")
        contact = contacts.create_contact(db, data=person(first_name="Zofia"), actor_id=admin.id)
    with session_scope() as db:
        _user, token = auth_service.sign_in(db, email="admin@example.com", password=PASSWORD)
    root = rx.State()
    path = f"/contacts/{contact.id}"
    root.router = router(path)
    session = _state(root, SessionState)
    sign_in_tab(session, token)
    _call(session, "check_session")
    _call(_state(root, ContactListState), "load")
    _call(_state(root, UsersState), "load")
    editor = _state(root, ContactEditState)
    _call(editor, "load")
    editor.draft = '{"key": "1", "fields": {"first_name": "Zosia"}}'
    assert _state(root, ContactListState).rows and _state(root, UsersState).users
    assert editor.contact_id == contact.id and session.user_id > 0
    return root, contact.id


def _state(root: rx.State, cls: type[rx.State]) -> rx.State:
    return root.get_substate(cls.get_full_name().split(".")[1:])


def _assert_cleared(root: rx.State) -> None:
    assert _state(root, ContactListState).rows == []
    assert _state(root, ContactListState).user_choices == []
    assert _state(root, UsersState).users == []
    editor = _state(root, ContactEditState)
    assert editor.contact_id == 0 and editor.first_name == ""
    session = _state(root, SessionState)
    assert session.user_id == 0 and session.perms == [] and session.locale == "fr"


def test_signing_out_clears_every_loaded_state_of_the_tab_and_the_draft(app_db):
    root, _contact_id = _signed_in_tab()
    session = _state(root, SessionState)
    update_of_sign_out = _call(session, "sign_out")
    _assert_cleared(root)
    assert _state(root, ContactEditState).draft == ""
    assert session._bound == ""
    assert "/api/session/signout" in repr(update_of_sign_out)


def test_a_revoked_session_refused_by_a_handler_clears_the_tab_but_keeps_the_typed_draft(app_db):
    root, _contact_id = _signed_in_tab()
    with session_scope() as db:
        auth_service.sign_out(db, token=_state(root, SessionState)._cookie_token())
    listing = _state(root, ContactListState)
    refusal = _call(listing, "search", "Zofia")
    assert "/signin?ended=1" in repr(refusal)
    _assert_cleared(root)
    assert "Zosia" in _state(root, ContactEditState).draft


def test_a_revoked_session_refused_by_the_middleware_clears_the_tab_and_sends_the_cleared_values(app_db):
    root, _contact_id = _signed_in_tab()
    with session_scope() as db:
        auth_service.sign_out(db, token=_state(root, SessionState)._cookie_token())
    event = Event(name=format_event_handler(ContactListState.event_handlers["search"]), payload={"text": "Z"})
    update = asyncio.run(AuthMiddleware().preprocess(app_module.app, root, event))
    assert update is not None and "/signin?ended=1" in repr(update.events)
    _assert_cleared(root)
    assert "Zosia" in _state(root, ContactEditState).draft
    sent = update.delta[ContactListState.get_full_name()]
    assert sent["rows_rx_state_"] == []


def test_every_event_a_tab_had_queued_when_its_session_ended_says_so(app_db):
    root, _contact_id = _signed_in_tab()
    with session_scope() as db:
        auth_service.sign_out(db, token=_state(root, SessionState)._cookie_token())
    listing = _state(root, ContactListState)
    assert "/signin?ended=1" in repr(_call(listing, "search", "Zofia"))
    assert "/signin?ended=1" in repr(_call(listing, "search", "Zofia B"))
    event = Event(name=format_event_handler(ContactListState.event_handlers["search"]), payload={"text": "Z"})
    update = asyncio.run(AuthMiddleware().preprocess(app_module.app, root, event))
    assert update is not None and "/signin?ended=1" in repr(update.events)


def test_once_signed_in_again_and_out_on_purpose_a_late_event_does_not_say_the_session_ended(app_db):
    root, _contact_id = _signed_in_tab()
    session = _state(root, SessionState)
    with session_scope() as db:
        auth_service.sign_out(db, token=session._cookie_token())
    assert "/signin?ended=1" in repr(_call(_state(root, ContactListState), "search", "Zofia"))
    with session_scope() as db:
        _user, token = auth_service.sign_in(db, email="admin@example.com", password=PASSWORD)
    sign_in_tab(session, token)
    _call(session, "check_session")
    _call(session, "sign_out")
    refusal = _call(_state(root, ContactListState), "search", "Zofia")
    assert "/signin" in repr(refusal) and "ended=1" not in repr(refusal)


def test_a_page_load_without_a_session_clears_what_the_tab_still_holds(app_db):
    root, _contact_id = _signed_in_tab()
    with session_scope() as db:
        auth_service.sign_out(db, token=_state(root, SessionState)._cookie_token())
    assert "/signin" in repr(_call(_state(root, SessionState), "check_session"))
    _assert_cleared(root)


def _connection_cookie(root: rx.State, token: str) -> None:
    """The tab's events now come through a connection with this cookie ("" for none); the tab stays bound."""
    session = _state(root, SessionState)
    bound = session._bound
    sign_in_tab(session, token)
    session._bound = bound


def _middleware(root: rx.State, cls: type[rx.State], name: str, payload: dict | None = None):
    event = Event(name=format_event_handler(cls.event_handlers[name]), payload=payload or {})
    return asyncio.run(AuthMiddleware().preprocess(app_module.app, root, event))


def _every_handler() -> list[tuple[type[rx.State], str]]:
    found, pending = [], [SessionState]
    while pending:
        cls = pending.pop()
        pending.extend(cls.get_substates())
        found += [(cls, name) for name, h in cls.event_handlers.items() if not getattr(h.fn, "_crm_public", False)]
    return [(cls, name) for cls, name in found if name != "setvar"]


@pytest.mark.parametrize("replayed_with", ["no cookie", "a forged cookie"])
def test_a_replayed_tab_token_finds_the_tab_emptied_before_any_event_even_a_public_one(app_db, replayed_with):
    root, _contact_id = _signed_in_tab()
    _connection_cookie(root, "" if replayed_with == "no cookie" else "forged-session-token")
    assert _middleware(root, SessionState, "check_session") is None
    _assert_cleared(root)
    assert "Zosia" in _state(root, ContactEditState).draft
    for cls, name in _every_handler():
        update = _middleware(root, cls, name)
        assert update is not None and "/signin" in repr(update.events), f"{cls.__name__}.{name} ran for a stranger"


@pytest.mark.parametrize("ended", ["revoked", "deactivated"])
def test_every_handler_is_refused_with_the_cookie_of_a_revoked_session_or_of_a_deactivated_user(app_db, ended):
    root, _contact_id = _signed_in_tab()
    with session_scope() as db:
        if ended == "revoked":
            auth_service.sign_out(db, token=_state(root, SessionState)._cookie_token())
        else:
            other, _ = auth_service.create_user(
                db, email="boss@example.com", name="Bo", role="admin", password=PASSWORD, actor_id=None
            )
            auth_service.set_active(db, user_id=_state(root, SessionState).user_id, active=False, actor_id=other.id)
    for cls, name in _every_handler():
        update = _middleware(root, cls, name)
        assert update is not None and "/signin" in repr(update.events), f"{cls.__name__}.{name} ran after it ended"
    _assert_cleared(root)


def test_another_sessions_cookie_in_the_same_browser_empties_the_tab_of_the_first_users_data(app_db):
    root, _contact_id = _signed_in_tab()
    with session_scope() as db:
        auth_service.create_user(
            db, email="staff@example.com", name="St", role="staff", password=PASSWORD, actor_id=None
        )
    with session_scope() as db:
        _user, other = auth_service.sign_in(db, email="staff@example.com", password=PASSWORD)
    _connection_cookie(root, other)
    assert _middleware(root, ContactListState, "search", {"text": "Z"}) is None
    _assert_cleared(root)
    assert _state(root, SessionState)._bound == auth_service.token_hash(other)


def test_a_sign_in_whose_ticket_expired_says_so_on_the_sign_in_page(app_db):
    root = rx.State()
    root.router = router("/signin?expired=1")
    page = _state(root, SignInState)
    _call(page, "open_sign_in")
    assert page.error == "This sign-in has expired. Please sign in again."


def test_signing_in_hands_the_page_a_ticket_script_not_a_session_token(app_db):
    with session_scope() as db:
        auth_service.create_user(
            db, email="anna@example.com", name="An", role="staff", password=PASSWORD, actor_id=None
        )
    root = rx.State()
    root.router = router("/signin?next=/contacts/7")
    page = _state(root, SignInState)
    script = repr(_call(page, "sign_in", {"email": "anna@example.com", "password": PASSWORD}))
    assert "/api/session" in script and '"/contacts/7"' in script and "/signin?expired=1" in script
    with session_scope() as db:
        assert db.exec(select(UserSession)).all() == []
    assert _state(root, SessionState).user_id == 0
