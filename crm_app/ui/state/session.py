"""Who is calling: the session cookie, the signed-in user, their permissions and language.

Every state of the app derives from ``SessionState``. Event handlers that touch data are
wrapped with ``@requires(Permission.X)``; ``AuthMiddleware`` refuses every other event
from a browser without a valid session (default deny), so a handler added without a
check is still closed to strangers.

The session token lives only in an ``HttpOnly`` cookie the server sets (``crm_app/api/session.py``);
no state var holds it. A tab's server state is **bound** to the session its data was loaded for
(``SessionState._bound``, the token's digest): a socket or an event that arrives with another
session's cookie (or none) finds the tab emptied first, so a client token replayed by a stranger
opens nothing (see ``crm_app/ui/guard.py`` for the socket and upload doors).
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import reflex as rx
from reflex.istate.storage import ClientStorageBase
from reflex.middleware import Middleware
from reflex.state import StateUpdate
from reflex_base.event import Event
from reflex_base.registry import RegistrationContext

from crm_app.auth import service as auth_service
from crm_app.auth.permissions import Permission, has_permission
from crm_app.auth.service import CurrentUser
from crm_app.core.errors import DomainError
from crm_app.db import session_scope
from crm_app.i18n import LOCALES, catalog, normalise_locale, translate
from crm_app.settings import settings

log = logging.getLogger(__name__)

SIGN_IN_ROUTE = "/signin"
CHANGE_PASSWORD_ROUTE = "/change-password"
COOKIE_NAME = auth_service.SESSION_COOKIE
# Query parameter of the sign-in page when a signed-in tab's session ended (expired, revoked, deactivated).
SESSION_ENDED_PARAM = "ended"

# The user validated for the event being processed (set by the middleware, read by @requires).
_event_user: contextvars.ContextVar[tuple[str, CurrentUser] | None] = contextvars.ContextVar(
    "crm_event_user", default=None
)

# Reflex's own handlers that must run before anyone has signed in.
_FRAMEWORK_PUBLIC = frozenset(
    {
        "hydrate",
        "hydrate_and_load",
        "set_is_hydrated",
        "on_load_internal",
        "update_vars_internal",
        "handle_frontend_exception",
    }
)


# The client tokens Reflex makes (random UUID-shaped strings: its front end's own generator sets the variant
# digit to 8-f, its server uses uuid4); the app's own registries live under tokens of another shape
# (``contact-12``, ``contacts``…), so no socket, event or upload can claim them.
_TAB_TOKEN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89a-f][0-9a-f]{3}-[0-9a-f]{12}")


def is_tab_token(value: object) -> bool:
    """Whether ``value`` has the shape of a browser tab's client token (and so is none of the app's registries)."""
    return isinstance(value, str) and _TAB_TOKEN.fullmatch(value) is not None


def public(fn: Callable) -> Callable:
    """Mark an event handler as callable without a session (sign-in page only)."""
    fn._crm_public = True  # type: ignore[attr-defined]
    return fn


def session_cookie(cookie_header: object) -> str:
    """The session token in a ``Cookie`` header ("" when there is none)."""
    if not isinstance(cookie_header, str):
        return ""
    for part in cookie_header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name == COOKIE_NAME:
            return value.strip().strip('"')
    return ""


def binding_of(cookie_header: object) -> str:
    """The digest a tab is bound to for this ``Cookie`` header: its session token's, or "" without one."""
    token = session_cookie(cookie_header)
    return auth_service.token_hash(token) if token else ""


def user_of_token(token: str) -> CurrentUser | None:
    """The user of a valid session token (cached for the event being processed), else None."""
    if not token:
        return None
    cached = _event_user.get()
    if cached and cached[0] == token:
        return cached[1]
    with session_scope() as db:
        user = auth_service.validate_session(db, token=token)
    if user is not None:
        _event_user.set((token, user))
    return user


def _to_sign_in(*, session_ended: bool) -> list[rx.event.EventSpec]:
    """Send the tab to the sign-in page, which says so when a signed-in tab's session ended."""
    return [rx.redirect(f"{SIGN_IN_ROUTE}?{SESSION_ENDED_PARAM}=1" if session_ended else SIGN_IN_ROUTE)]


def requires(permission: Permission) -> Callable:
    """Let the handler run only for a signed-in user whose role has ``permission``."""

    def decorate(fn: Callable) -> Callable:
        def check(self: SessionState) -> tuple[CurrentUser | None, list | None]:
            user = self._caller()
            if user is None:
                session = _session_of(self)
                ended = session._ended_by_itself()
                session._clear_tab()
                return None, _to_sign_in(session_ended=ended)
            if user.must_change_password and fn.__name__ not in ("change_own_password", "sign_out"):
                return None, [rx.redirect(CHANGE_PASSWORD_ROUTE)]
            if not has_permission(user.role, permission):
                return None, [rx.toast.error(translate(self.locale, "You don't have permission to do that."))]
            return user, None

        if inspect.isasyncgenfunction(fn):

            @functools.wraps(fn)
            async def updates_wrapper(self, *args: Any, **kwargs: Any):
                user, refusal = check(self)
                if refusal is not None:
                    yield refusal
                    return
                self._current = user
                async for update in fn(self, *args, **kwargs):
                    yield update

            updates_wrapper._crm_permission = permission  # type: ignore[attr-defined]
            return updates_wrapper

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(self, *args: Any, **kwargs: Any):
                user, refusal = check(self)
                if refusal is not None:
                    return refusal
                self._current = user
                return await fn(self, *args, **kwargs)

            async_wrapper._crm_permission = permission  # type: ignore[attr-defined]
            return async_wrapper

        @functools.wraps(fn)
        def wrapper(self, *args: Any, **kwargs: Any):
            user, refusal = check(self)
            if refusal is not None:
                return refusal
            self._current = user
            return fn(self, *args, **kwargs)

        wrapper._crm_permission = permission  # type: ignore[attr-defined]
        return wrapper

    return decorate


class SessionState(rx.State):
    """The signed-in user as the browser may see it; the session token lives in an HttpOnly cookie only."""

    user_id: int = 0
    user_name: str = ""
    user_email: str = ""
    role: str = ""
    locale: str = settings.default_locale
    messages: dict[str, str] = {}
    perms: list[str] = []

    _current: CurrentUser | None = None
    # The digest of the session whose data this tab holds ("" before any): see bind_tab.
    _bound: str = ""
    # Set when a signed-in tab's session ends by itself (expired, revoked, user deactivated); kept until the
    # next sign-in so that every event the tab had queued sends it to the sign-in page saying so.
    _session_ended: bool = False

    def _apply_user(self, user: CurrentUser) -> None:
        self._session_ended = False
        self.user_id = user.id
        self.user_name = user.name or user.email
        self.user_email = user.email
        self.role = user.role
        self.perms = [p.value for p in Permission if has_permission(user.role, p)]
        self._current = user
        self._apply_locale(user.locale)

    def _apply_locale(self, locale: str) -> None:
        self.locale = normalise_locale(locale)
        self.messages = catalog(self.locale)

    def _ended_by_itself(self) -> bool:
        """Whether the tab was signed in when its session ended, now or at an earlier refused event."""
        self._session_ended = self._session_ended or self.user_id > 0
        return self._session_ended

    def _forget_user(self) -> None:
        self.user_id = 0
        self.user_name = ""
        self.user_email = ""
        self.role = ""
        self.perms = []
        self._current = None

    def _clear_tab(self, *, keep_browser_storage: bool = True) -> None:
        """Forget the user and everything the tab's other states hold (rows, the open contact, user lists).

        Only the states in memory are reset; ``_load_tab_states`` first brings in the ones a Redis-backed
        tab left in the store. The language stays: the sign-in page keeps speaking it. What the browser
        keeps in its own storage (an unsaved draft) stays too unless ``keep_browser_storage`` is False:
        a session that ended by itself must not throw away typed work.
        """
        self._forget_user()
        for substate in self.substates.values():
            kept = list(_browser_storage(substate)) if keep_browser_storage else []
            substate.reset()
            for state, name, value in kept:
                setattr(state, name, value)

    async def _load_tab_states(self) -> None:
        for cls in _tab_state_classes():
            await self.get_state(cls)

    def _cookie_token(self) -> str:
        """The session token of the connection this event came through."""
        return session_cookie(self.router.headers.cookie)

    def _caller(self) -> CurrentUser | None:
        """The user behind this event: a valid session cookie, and the session this tab is bound to."""
        token = self._cookie_token()
        if not token or _session_of(self)._bound != auth_service.token_hash(token):
            return None
        return user_of_token(token)

    def _service(self, action: Callable[..., Any], /, **kwargs: Any) -> tuple[Any, DomainError | None]:
        """One service call in its own short transaction: (its result, None) or (None, the refusal)."""
        try:
            with session_scope() as db:
                return action(db, **kwargs), None
        except DomainError as err:
            return None, err

    def _t(self, msgid: str, **values: object) -> str:
        return translate(self.locale, msgid, **values)

    def _error_text(self, err: DomainError) -> str:
        return translate(self.locale, err.msgid, **err.params)

    def _field_errors(self, err: DomainError) -> dict[str, str]:
        return {
            k: self._error_text(err) if v == err.message else translate(self.locale, v) for k, v in err.errors.items()
        }

    @rx.var
    def signed_in(self) -> bool:
        """Whether a user is signed in in this tab."""
        return self.user_id > 0

    @rx.var
    def initials(self) -> str:
        """Two letters for the avatar."""
        parts = [p for p in self.user_name.replace("@", " ").split() if p]
        return "".join(p[0] for p in parts[:2]).upper() or "?"

    @public
    def check_session(self):
        """On every protected page load: resume the session or go to the sign-in page."""
        user = self._caller()
        if user is None:
            self._clear_tab()
            path = self.router.url.path or "/"
            target = SIGN_IN_ROUTE if path in ("/", "") else f"{SIGN_IN_ROUTE}?next={path}"
            return rx.redirect(target)
        self._apply_user(user)
        if user.must_change_password and self.router.url.path != CHANGE_PASSWORD_ROUTE:
            return rx.redirect(CHANGE_PASSWORD_ROUTE)
        return None

    @public
    def choose_locale(self, locale: str):
        """Switch the language of this tab (and of the account when signed in)."""
        if not isinstance(locale, str) or normalise_locale(locale) not in LOCALES:
            return rx.toast.error(self._t("Unknown language."))
        self._apply_locale(locale)
        user = self._caller()
        if user is not None:
            with session_scope() as db:
                auth_service.set_locale(db, user_id=user.id, locale=self.locale)
        return None

    @requires(Permission.CONTACTS_VIEW)
    async def sign_out(self):
        """End this session, clear everything this tab loaded and go to the sign-in page."""
        with session_scope() as db:
            auth_service.sign_out(db, token=self._cookie_token())
        self._session_ended = False
        await self._load_tab_states()
        self._clear_tab(keep_browser_storage=False)
        self._bound = ""
        return [rx.remove_local_storage("crm_contact_draft"), rx.call_script(leave_script(SIGN_IN_ROUTE))]


def leave_script(target: str) -> str:
    """JavaScript that drops the HttpOnly session cookie (only the server can) and loads ``target`` afresh."""
    return (
        "fetch('/api/session/signout', {method: 'POST', credentials: 'same-origin'})"
        f".finally(() => window.location.replace({json.dumps(target)}))"
    )


async def bind_tab(session: SessionState, key: str) -> None:
    """Bind the tab to ``key``, the session of the connection's cookie (``binding_of``); a tab holding another
    session's data is emptied first (a replayed or guessed client token, a sign-out or another sign-in here)."""
    if session._bound == key:
        return
    if session._bound or session.user_id > 0:
        await session._load_tab_states()
        session._clear_tab()
    session._bound = key


def _tab_state_classes() -> list[type[SessionState]]:
    """Every state class below SessionState: the data one tab can load."""
    found: list[type[SessionState]] = []
    pending = list(SessionState.get_substates())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.get_substates())
    return found


def _browser_storage(state: rx.State) -> Iterator[tuple[rx.State, str, object]]:
    """The LocalStorage/SessionStorage vars of a state and its substates, with their current values."""
    cls = type(state)
    for name, field in cls.__fields__.items():
        if field._owner is cls and isinstance(field.default_value(), ClientStorageBase):
            yield state, name, getattr(state, name)
    for substate in state.substates.values():
        yield from _browser_storage(substate)


def _session_of(state: SessionState) -> SessionState:
    """The SessionState instance a state of the tab hangs under (the state itself when it is one; also through
    the proxy a background task holds)."""
    name = SessionState.get_full_name()
    # A background task holds a proxy that refuses reads outside ``async with self``; read the state it wraps.
    state = getattr(state, "__wrapped__", state)
    while state.get_full_name() != name and state.parent_state is not None:
        state = state.parent_state
    return state


def handler_of(event_name: str) -> Callable | None:
    """The Python function behind a full event name, or None when unknown."""
    registered = RegistrationContext.get().event_handlers.get(event_name)
    if registered is None:
        return None
    return registered.handler.fn


def is_public_event(event_name: str) -> bool:
    """Whether the event may run without a session."""
    fn = handler_of(event_name)
    if fn is None:
        return False
    if getattr(fn, "_crm_public", False):
        return True
    short = event_name.rsplit(".", 1)[-1]
    return short in _FRAMEWORK_PUBLIC and (fn.__module__ or "").startswith("reflex")


class AuthMiddleware(Middleware):
    """Default deny: only public events run without a valid session."""

    async def preprocess(self, app, state, event: Event) -> StateUpdate | None:
        """Refuse the event unless it is public or comes from a valid session."""
        _event_user.set(None)
        session_state = await state.get_state(SessionState)
        if not is_tab_token(session_state.router.session.client_token):
            return StateUpdate()
        await bind_tab(session_state, binding_of(session_state.router.headers.cookie))
        if is_public_event(event.name):
            return None
        try:
            user = session_state._caller()
        except Exception:
            log.exception("session check failed")
            user = None
        if user is not None:
            return None
        if session_state.user_id > 0:
            await session_state._load_tab_states()
        ended = session_state._ended_by_itself()
        session_state._clear_tab()
        events = Event.from_event_type(_to_sign_in(session_ended=ended))
        root = state._get_root_state()
        delta = await root._get_resolved_delta()
        root._clean()
        return StateUpdate(delta=delta, events=events)


def can(permission: Permission) -> rx.Var:
    """Whether the signed-in user has ``permission`` (for hiding controls; the server still checks)."""
    return SessionState.perms.contains(permission.value)
