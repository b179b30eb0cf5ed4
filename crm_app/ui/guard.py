"""The backend's two doors that skip the event middleware: the socket's connect and ``/_upload``.

A Reflex client token is a bearer secret for a tab's server state, and a browser may claim any token it
likes. So before Reflex sees them:

- **a socket** is refused unless its token has the shape of a tab's random token (never one of the app's
  own registries, ``contact-12``…); a tab whose state belongs to another session than the socket's cookie
  is emptied and rebound before the socket can read or receive anything (or, while the tab is connected
  elsewhere, the socket is refused);
- **an upload** is refused before its body is read unless the token is a tab's, the handler is one of the
  app's upload handlers, the request's session cookie is valid with the handler's permission, and the tab
  is bound to that very session.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Callable

import reflex as rx
from reflex.istate.manager.token import BaseStateToken
from reflex_base.event import resolve_upload_chunk_handler_param, resolve_upload_handler_param
from reflex_base.registry import RegistrationContext
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from crm_app.auth.permissions import has_permission
from crm_app.auth.service import token_hash
from crm_app.ui.state.session import (
    SessionState,
    bind_tab,
    binding_of,
    handler_of,
    is_tab_token,
    session_cookie,
    user_of_token,
)

log = logging.getLogger(__name__)

SOCKET_PATH = "/_event"
UPLOAD_PATH = "/_upload"
# A websocket close code in the application range: "forbidden".
REFUSED = 4403


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers") or []:
        if key == name:
            return value.decode("latin-1")
    return ""


async def _connected(app: rx.App, token: str) -> bool:
    """Whether a socket holds this client token now (on any worker)."""
    namespace = app.event_namespace
    if namespace is None:
        return False
    return bool(await namespace._token_manager.is_token_connected(token))


async def socket_refusal(app: rx.App, scope: Scope) -> str | None:
    """Why a socket may not connect (None: it may); binds the tab to the socket's session first."""
    query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"))
    token = (query.get("token") or [""])[0]
    if not is_tab_token(token):
        return "not a tab token"
    key = binding_of(_header(scope, b"cookie"))
    connected = await _connected(app, token)
    async with app.state_manager.modify_state(BaseStateToken(ident=token, cls=SessionState)) as root:
        session = await root.get_state(SessionState)
        if session._bound == key:
            return None
        if connected and (session._bound or session.user_id > 0):
            return "the tab is connected with another session"
        await bind_tab(session, key)
    return None


def _is_upload_handler(name: str) -> bool:
    registered = RegistrationContext.get().event_handlers.get(name) if name else None
    if registered is None:
        return False
    for resolve in (resolve_upload_handler_param, resolve_upload_chunk_handler_param):
        try:
            resolve(registered.handler)
        except Exception:
            continue
        return True
    return False


async def upload_refusal(app: rx.App, scope: Scope) -> JSONResponse | None:
    """The answer to an upload that may not run (None: it may), decided from its headers alone."""
    token = _header(scope, b"reflex-client-token")
    name = _header(scope, b"reflex-event-handler")
    if not is_tab_token(token):
        return JSONResponse({"error": "not_a_tab"}, status_code=403)
    fn = handler_of(name) if name else None
    permission = getattr(fn, "_crm_permission", None)
    if fn is None or permission is None or not _is_upload_handler(name):
        return JSONResponse({"error": "unknown_handler"}, status_code=404)
    cookie_token = session_cookie(_header(scope, b"cookie"))
    user = await run_in_threadpool(user_of_token, cookie_token) if cookie_token else None
    if user is None:
        return JSONResponse({"error": "not_signed_in"}, status_code=401)
    if not has_permission(user.role, permission):
        return JSONResponse({"error": "permission_denied"}, status_code=403)
    async with app.state_manager.modify_state(BaseStateToken(ident=token, cls=SessionState)) as root:
        session = await root.get_state(SessionState)
        mine = session._bound == token_hash(cookie_token) and session.user_id == user.id
    if not mine:
        return JSONResponse({"error": "not_your_tab"}, status_code=403)
    return None


class TabGuard:
    """ASGI wrapper of the whole backend: checks sockets and uploads, passes everything else through."""

    def __init__(self, asgi: ASGIApp, app_of: Callable[[], rx.App]):
        self.asgi = asgi
        self.app_of = app_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse a socket or an upload that may not reach the app; pass the rest on."""
        path = scope.get("path", "").rstrip("/")
        if scope["type"] == "websocket" and path.endswith(SOCKET_PATH):
            reason = await socket_refusal(self.app_of(), scope)
            if reason is not None:
                log.warning("socket refused: %s", reason)
                await receive()
                await send({"type": "websocket.close", "code": REFUSED})
                return
        elif scope["type"] == "http" and path.endswith(UPLOAD_PATH) and scope.get("method") != "OPTIONS":
            refusal = await upload_refusal(self.app_of(), scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.asgi(scope, receive, send)
