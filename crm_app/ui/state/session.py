"""Who is calling: the session cookie, the signed-in user, their permissions and language.

Every state of the app derives from ``SessionState``. Event handlers that touch data are
wrapped with ``@requires(Permission.X)``; ``AuthMiddleware`` refuses every other event
from a browser without a valid session (default deny), so a handler added without a
check is still closed to strangers.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
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
COOKIE_NAME = "crm_session"
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


def public(fn: Callable) -> Callable:
    """Mark an event handler as callable without a session (sign-in page only)."""
    fn._crm_public = True  # type: ignore[attr-defined]
    return fn


def _validate(token: str) -> CurrentUser | None:
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
            user = _validate(self.token)
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
    """The signed-in user as the browser may see it; the token lives in a cookie."""

    token: str = rx.Cookie("", name=COOKIE_NAME, same_site="strict", path="/", max_age=400 * 24 * 3600)
    user_id: int = 0
    user_name: str = ""
    user_email: str = ""
    role: str = ""
    locale: str = settings.default_locale
    messages: dict[str, str] = {}
    perms: list[str] = []

    _current: CurrentUser | None = None
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
        user = _validate(self.token)
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
        user = _validate(self.token)
        if user is not None:
            with session_scope() as db:
                auth_service.set_locale(db, user_id=user.id, locale=self.locale)
        return None

    @requires(Permission.CONTACTS_VIEW)
    async def sign_out(self):
        """End this session, clear everything this tab loaded and go to the sign-in page."""
        with session_scope() as db:
            auth_service.sign_out(db, token=self.token)
        self.token = ""
        self._session_ended = False
        await self._load_tab_states()
        self._clear_tab(keep_browser_storage=False)
        return [
            rx.remove_cookie(COOKIE_NAME, {"path": "/"}),
            rx.remove_local_storage("crm_contact_draft"),
            rx.redirect(SIGN_IN_ROUTE),
        ]


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
    """The SessionState instance a state of the tab hangs under (the state itself when it is one)."""
    while type(state) is not SessionState and isinstance(state.parent_state, SessionState):
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
        if is_public_event(event.name):
            return None
        session_state = await state.get_state(SessionState)
        try:
            user = _validate(session_state.token)
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
