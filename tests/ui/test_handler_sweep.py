"""Every event handler of every state refuses callers without a session, and writers refuse viewers.

New handlers and new states are picked up automatically: the sweep walks every state class of the app
(whatever it derives from), not only the tree under ``SessionState``.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import io
import itertools
from typing import Any

import pytest
import reflex as rx
from reflex.state import BaseState
from reflex_base.event import Event
from reflex_base.utils.format import format_event_handler
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text

import crm_app.crm_app as app_module
from crm_app.auth import service as auth_service
from crm_app.auth.permissions import has_permission
from crm_app.contacts import service as contacts
from crm_app.contacts.search.views import save_view
from crm_app.db import session_scope
from crm_app.feed import files as feed_files
from crm_app.feed import service as feed
from crm_app.fields import definitions
from crm_app.ui.state import live
from crm_app.ui.state.session import AuthMiddleware, SessionState
from tests.contacts.factories import person
from tests.tabs import router, sign_in_tab

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

ARG_SAMPLES: list[Any] = [1, "x", {"email": "a@b.c", "password": "p", "role": "admin", "name": "n"}, True, None, "pl"]
# Tables a viewer's own allowed actions may write: their sessions and their saved list views.
VIEWER_WRITES = {"user_session", "saved_view"}
VIEWER_PASSWORD = "viewer-password-77"
HUGE = "x" * 1_000_000
BAD_PAYLOADS: list[Any] = [
    None,
    0,
    -1,
    10**30,
    True,
    1.5,
    "",
    HUGE,
    "\x00\ud800<script>",
    [],
    ["en", "fr"],
    {},
    {"email": None, "password": None},
    {"email": ["admin@example.com"], "password": {"$ne": ""}, "remember": {"on": 1}},
    {"email": HUGE, "password": HUGE, "remember": HUGE},
    {"email": "a@b.c", "password": "p" * 100_000},
    {"__class__": "x", "token": "forged", "role": "admin", "user_id": 1},
]
BAD_TOKENS: list[Any] = ["", "forged", HUGE, "\x00", None, 1, {"token": "x"}, ["x"]]
BAD_PATHS = [
    "/signin",
    "/signin?next=//evil.example",
    "/signin?next=https://evil.example/x",
    "/signin?next=/\\evil.example",
    f"/signin?next=/{HUGE[:100_000]}",
    "/signin?ended=1&next=%00",
    f"/contacts?{HUGE[:100_000]}=1",
]


def _all_app_states() -> list[type[BaseState]]:
    """Every state class defined in crm_app, wherever it sits in the state tree."""
    found: list[type[BaseState]] = []

    def walk(cls: type[BaseState]) -> None:
        for sub in cls.__subclasses__():
            if sub not in found:
                found.append(sub)
                walk(sub)

    walk(BaseState)
    return [cls for cls in found if cls.__module__.startswith("crm_app")]


def _own_handlers(cls: type[BaseState]) -> list[str]:
    return sorted(name for name in cls.event_handlers if name not in FRAMEWORK)


def _pulse_states() -> list[type[BaseState]]:
    return [cls for cls in _all_app_states() if cls.__module__ == live.__name__ and issubclass(cls, rx.SharedState)]


def _app_states() -> list[type[BaseState]]:
    return [cls for cls in _all_app_states() if _own_handlers(cls) or issubclass(cls, SessionState)]


def _handlers() -> list[tuple[type[rx.State], str, Any]]:
    out = []
    for cls in _app_states():
        for name, handler in cls.event_handlers.items():
            if name in FRAMEWORK:
                continue
            out.append((cls, name, handler.fn))
    return out


@pytest.fixture
def unlinked(monkeypatch):
    """Shared states stay unlinked: live pushes need a running server, the data checks do not."""

    async def stay_unlinked(self, token):
        return self

    monkeypatch.setattr(rx.SharedState, "_link_to", stay_unlinked)


def _seed() -> None:
    """One of everything a handler could touch: a contact with a tag, a comment, a task, a file, a view.

    The rows a first read creates (system tags, built-in field definitions) exist from the start.
    """
    with session_scope() as db:
        contacts.ensure_system_tags(db)
        definitions.ensure_builtin_fields(db)
        author, _ = auth_service.create_user(
            db, email="author@example.com", name="Au", role="staff", password="author-password-77", actor_id=None
        )
        contact = contacts.create_contact(db, data=person(tags=["VIP"]), actor_id=author.id)
        feed.add_comment(db, contact_id=contact.id, body="First call went well.", actor_id=author.id)
        feed.create_task(db, contact_id=contact.id, title="Call back", assignee_id=author.id, actor_id=author.id)
        feed_files.store_upload(
            db, contact_id=contact.id, filename="note.txt", stream=io.BytesIO(b"hello"), actor_id=author.id
        )
        save_view(db, user_id=author.id, name="Mine", params={"q": "Ann"})


def _snapshot() -> dict[str, int]:
    with session_scope() as db:
        conn = db.connection()
        names = sa_inspect(conn).get_table_names()
        return {n: conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one() for n in names}


def _rows(*, skip: set[str] = frozenset(), own_locale_of: int = 0) -> dict[str, list[str]]:
    """Every row of every table (but ``skip``), with one user's locale choice left out."""
    out: dict[str, list[str]] = {}
    with session_scope() as db:
        conn = db.connection()
        for name in sa_inspect(conn).get_table_names():
            if name in skip:
                continue
            rows = [dict(r) for r in conn.execute(text(f'SELECT * FROM "{name}"')).mappings()]
            if name == "user":
                rows = [{**r, "locale": "", "updated_at": ""} if r["id"] == own_locale_of else r for r in rows]
            if name == "audit_entry":
                rows = [r for r in rows if not (r["kind"] == "locale_changed" and r["actor_id"] == own_locale_of)]
            out[name] = sorted(repr(sorted(r.items())) for r in rows)
    return out


def _state_for(cls: type[BaseState], token: Any, path: str = "/") -> BaseState:
    root = rx.State()
    root.router = router(path)
    state_path = cls.get_full_name().split(".")[1:]
    state = root.get_substate(state_path) if state_path else root
    if isinstance(state, SessionState):
        sign_in_tab(state, token)
    return state


def _calls(fn) -> list[tuple]:
    params = [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]
    required = [p for p in params if p.default is inspect.Parameter.empty]
    return [tuple(combo) for combo in itertools.product(ARG_SAMPLES, repeat=len(required))][:30]


def _run(fn, state, args) -> Any:
    result = fn(state, *args)
    if inspect.isasyncgen(result):
        result = asyncio.run(_updates(result))
    if inspect.isawaitable(result):
        result = asyncio.run(result)
    if inspect.isgenerator(result):
        result = list(result)
    return result


async def _updates(updates: Any) -> list[Any]:
    """What an async generator handler yields, one list (a refusal is its first and only update)."""
    return [item async for item in updates]


def _viewer() -> tuple[int, str]:
    with session_scope() as db:
        viewer, _ = auth_service.create_user(
            db, email="viewer@example.com", name="Vi", role="viewer", password=VIEWER_PASSWORD, actor_id=None
        )
    return viewer.id, _viewer_token()


def _viewer_token() -> str:
    with session_scope() as db:
        _user, token = auth_service.sign_in(db, email="viewer@example.com", password=VIEWER_PASSWORD)
    return token


def _still_signed_in(token: str) -> bool:
    with session_scope() as db:
        return auth_service.validate_session(db, token=token) is not None


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
        root.router = router("/")
        state = root.get_substate(cls.get_full_name().split(".")[1:])
        event = Event(name=format_event_handler(cls.event_handlers[name]), payload={})
        update = await middleware.preprocess(app_module.app, state, event)
        if getattr(fn, "_crm_public", False):
            assert update is None, f"public {cls.__name__}.{name} was refused"
        else:
            assert update is not None, f"{cls.__name__}.{name} passed the middleware without a session"
            assert "/signin" in repr(update.events)


@pytest.mark.asyncio
@pytest.mark.parametrize("client_token", ["contact-1", "contacts", "open-contacts", "forms", "", "x" * 36, "0" * 36])
async def test_the_middleware_refuses_every_event_public_or_not_under_a_token_no_tab_has(app_db, client_token):
    middleware = AuthMiddleware()
    for cls, name, _fn in [*_handlers(), (rx.State, "hydrate", None)]:
        root = rx.State()
        root.router = router("/", client_token=client_token)
        path = cls.get_full_name().split(".")[1:]
        state = root.get_substate(path) if path else root
        event = Event(name=format_event_handler(cls.event_handlers[name]), payload={})
        update = await middleware.preprocess(app_module.app, state, event)
        assert update is not None and update.delta == {} and update.events == [], f"{name} ran under {client_token!r}"


def test_every_app_state_with_handlers_derives_from_session_state_except_the_shared_pulses():
    outside = []
    for cls in _all_app_states():
        if issubclass(cls, SessionState) or cls in _pulse_states():
            continue
        if _own_handlers(cls):
            outside.append(f"{cls.__module__}.{cls.__name__}: {_own_handlers(cls)}")
    assert not outside, f"states with handlers outside SessionState (no session check): {outside}"
    assert len(_pulse_states()) >= 3


def test_the_shared_pulse_states_have_no_handler_a_browser_could_use():
    for cls in _pulse_states():
        assert _own_handlers(cls) == [], f"{cls.__name__} has handlers {_own_handlers(cls)}"
        setters = [n for n in dir(cls) if n.startswith("set_") and n != "set_is_hydrated"]
        assert not setters, f"{cls.__name__} has setters setvar can reach: {setters}"
        root = rx.State()
        pulse = root.get_substate(cls.get_full_name().split(".")[1:])
        before = {name: getattr(pulse, name) for name in cls.base_vars}
        for name in cls.base_vars:
            with pytest.raises(AttributeError):
                cls.event_handlers["setvar"].fn(pulse, name, 99)
        assert {name: getattr(pulse, name) for name in cls.base_vars} == before


def _viewer_may_run(fn) -> bool:
    if getattr(fn, "_crm_public", False):
        return fn.__name__ != "sign_in"  # signing in again is fuzzed below; it records attempts by design
    return has_permission("viewer", getattr(fn, "_crm_permission", "") or "")


def test_a_viewer_running_every_handler_a_viewer_may_run_changes_only_their_own_things(app_db, unlinked):
    """One state per class, kept across calls as a browser tab would: load first, then every allowed handler."""
    _seed()
    viewer_id, token = _viewer()
    before = _rows(skip=VIEWER_WRITES, own_locale_of=viewer_id)
    ran = 0
    for cls in _app_states():
        allowed = {
            name: h.fn for name, h in cls.event_handlers.items() if name not in FRAMEWORK and _viewer_may_run(h.fn)
        }
        state = _state_for(cls, token=token, path="/contacts/1")
        order = sorted(allowed, key=lambda n: (n != "load", n == "sign_out", n))
        for name, args in ((n, a) for n in order for a in _calls(allowed[n])):
            if not _still_signed_in(token):  # sign_out ended the session: check, then sign in again
                assert _rows(skip=VIEWER_WRITES, own_locale_of=viewer_id) == before, f"changed before {name}"
                token = _viewer_token()
                before = _rows(skip=VIEWER_WRITES, own_locale_of=viewer_id)
            sign_in_tab(state, token)
            # A crash is a bug of its own (logged by Reflex); this test is about what the viewer could change.
            with contextlib.suppress(Exception):
                _run(allowed[name], state, args)
            ran += 1
        assert _rows(skip=VIEWER_WRITES, own_locale_of=viewer_id) == before, f"a viewer changed data via {cls}"
    assert ran > 20


def _fuzz_calls() -> list[tuple[type[BaseState], str, Any, tuple]]:
    calls = []
    for cls, name, fn in _handlers():
        if not getattr(fn, "_crm_public", False):
            continue
        arity = len([p for p in inspect.signature(fn).parameters.values() if p.name != "self"])
        for payload in BAD_PAYLOADS if arity else [None]:
            calls.append((cls, name, fn, (payload,) * arity))
    return calls


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
def test_public_handlers_survive_bad_payloads_tokens_and_urls_and_change_no_data(app_db, signed_in):
    _seed()
    viewer_id, token = _viewer()
    tokens = [token] if signed_in else BAD_TOKENS
    with session_scope() as db:
        locale_before = auth_service.get_user(db, user_id=viewer_id).locale
    before = _rows(skip={"login_attempt", "user_session"})
    calls = _fuzz_calls()
    assert {name for _cls, name, _fn, _args in calls} == {"check_session", "choose_locale", "open_sign_in", "sign_in"}
    for (cls, name, fn, args), tok, path in itertools.product(calls, tokens, BAD_PATHS):
        state = _state_for(cls, token=tok, path=path)
        _run(fn, state, args)
        assert state._cookie_token() == (tok if isinstance(tok, str) else ""), f"{name}{args!r:.80} changed the cookie"
        assert state.role in ("", "viewer"), f"{name}{args!r:.80} gave the tab another role"
    assert _rows(skip={"login_attempt", "user_session"}) == before
    with session_scope() as db:
        assert auth_service.get_user(db, user_id=viewer_id).locale == locale_before
        conn = db.connection()
        assert conn.execute(text("SELECT count(*) FROM login_attempt WHERE success")).scalar_one() == 1
        longest = conn.execute(text("SELECT max(length(email)), max(length(client_ip)) FROM login_attempt")).one()
        assert longest[0] <= 320 and (longest[1] or 0) <= 64
        sessions = conn.execute(text("SELECT count(*) FROM user_session")).scalar_one()
        assert sessions == 1


@pytest.mark.parametrize("huge", [10**30, -(10**30), 2**63, "1" * 40])
def test_an_administrator_calling_every_handler_with_ids_no_row_can_have_meets_no_crash(app_db, unlinked, huge):
    """A number past what the database stores (SQLite raised OverflowError) is an unknown row, never a crash."""
    _seed()
    with session_scope() as db:
        auth_service.create_user(
            db, email="boss@example.com", name="Bo", role="admin", password=VIEWER_PASSWORD, actor_id=None
        )
    with session_scope() as db:
        _user, token = auth_service.sign_in(db, email="boss@example.com", password=VIEWER_PASSWORD)
    crashed = []
    for cls in _app_states():
        state = _state_for(cls, token=token, path="/contacts/1")
        for name, handler in cls.event_handlers.items():
            arity = len([p for p in inspect.signature(handler.fn).parameters.values() if p.name != "self"])
            if name in FRAMEWORK or name == "sign_out" or not arity:
                continue
            try:
                _run(handler.fn, state, (huge,) * arity)
            except Exception as error:
                crashed.append(f"{cls.__name__}.{name}: {type(error).__name__}: {error}"[:200])
    assert not crashed, crashed
