"""What every REST request passes: the Origin check, the caller's session, the route's permission.

``require_api(Permission.X)`` wraps an endpoint: 401 without a valid session (cookie or ``Bearer`` token),
403 when the role lacks the permission. ``{name:id}`` in a route path is a row id.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from crm_app.auth import service as auth_service
from crm_app.auth.permissions import Permission, require
from crm_app.auth.service import CurrentUser
from crm_app.core.errors import PermissionDenied
from crm_app.core.ids import MAX_ID
from crm_app.db import session_scope
from crm_app.settings import settings

COOKIE_NAME = auth_service.SESSION_COOKIE


class IdConvertor(Convertor[int]):
    """``{name:id}`` in a route: a row id; a longer number (10**30) matches nothing and one past the largest id
    becomes 0: both answer 404."""

    regex = "[0-9]{1,19}"

    def convert(self, value: str) -> int:
        """The id, or 0 (no row has it) when it does not fit the database."""
        number = int(value)
        return number if number <= MAX_ID else 0

    def to_string(self, value: int) -> str:
        """The id as written in a path."""
        return str(int(value))


register_url_convertor("id", IdConvertor())

UserEndpoint = Callable[[Request, CurrentUser], Awaitable[Response]]


class OriginCheck:
    """Refuse any request whose Origin header is not one of the app's own origins."""

    def __init__(self, app: ASGIApp):
        self.app = app
        self.allowed = set(settings.origin_allow_list())

    @staticmethod
    def _checked(scope: Scope) -> bool:
        if scope["type"] == "websocket":
            return True
        if scope["type"] != "http":
            return False
        path = scope.get("path", "")
        return scope.get("method") not in ("GET", "HEAD") or path.startswith(("/api/", "/_upload", "/_event"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass same-origin requests (and those without an Origin header) on; refuse others."""
        if self._checked(scope):
            origin = dict(scope.get("headers") or []).get(b"origin")
            if origin is not None and origin.decode("latin-1").rstrip("/") not in self.allowed:
                if scope["type"] == "http":
                    response = JSONResponse({"error": "origin_not_allowed"}, status_code=403)
                    await response(scope, receive, send)
                else:
                    await receive()
                    await send({"type": "websocket.close", "code": 4403})
                return
        await self.app(scope, receive, send)


def current_user(request: Request) -> CurrentUser | None:
    """The user behind the session cookie or a ``Bearer`` token, if valid."""
    token = request.cookies.get(COOKIE_NAME, "")
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        token = auth[7:].strip()
    if not token:
        return None
    with session_scope() as db:
        return auth_service.validate_session(db, token=token)


def require_api(permission: Permission) -> Callable[[UserEndpoint], Callable[[Request], Awaitable[Response]]]:
    """Run the endpoint only for a signed-in user whose role has ``permission`` (401 / 403 otherwise)."""

    def decorate(endpoint: UserEndpoint) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            user = await run_in_threadpool(current_user, request)
            if user is None:
                return JSONResponse({"error": "not_signed_in"}, status_code=401)
            try:
                require(user.role, permission)
            except PermissionDenied as error:
                return JSONResponse({"error": error.code.value, "message": error.message}, status_code=403)
            return await endpoint(request, user)

        guarded._crm_permission = permission  # type: ignore[attr-defined]
        return guarded

    return decorate


def is_guarded(endpoint: object) -> bool:
    """True when ``endpoint`` was wrapped with ``require_api``."""
    return hasattr(endpoint, "_crm_permission")
