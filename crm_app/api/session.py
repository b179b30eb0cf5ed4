"""The session cookie's two doors: a checked sign-in collects it, a sign-out drops it.

The cookie is set here, by the server, ``HttpOnly`` (no script can read it), ``SameSite=Lax`` and ``Secure``
when the app is served over HTTPS; the page never sees the session token. The sign-in page checks the password
over its socket and receives a single-use ticket (``auth.service.issue_sign_in_ticket``) that it posts here.
"""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crm_app.auth import service as auth_service
from crm_app.core.errors import NotFoundError
from crm_app.db import session_scope
from crm_app.settings import settings

# A ticket is a short string: anything longer is refused unread.
MAX_BODY_BYTES = 4096


def served_over_https(request: Request) -> bool:
    """Whether the browser reached the app over HTTPS (directly, by its public URL, or through a trusted proxy)."""
    if request.url.scheme == "https" or settings.public_url.lower().startswith("https://"):
        return True
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
    return settings.trusted_proxy_hops > 0 and forwarded == "https"


async def _small_body(request: Request) -> bytes | None:
    """The request's body, or None past ``MAX_BODY_BYTES`` (read no further)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _redeem(code: object) -> auth_service.NewSession:
    with session_scope() as db:
        return auth_service.redeem_sign_in_ticket(db, code=code)


async def collect(request: Request) -> Response:
    """Trade a sign-in ticket for the session cookie (HttpOnly, SameSite=Lax, Secure over HTTPS)."""
    body = await _small_body(request)
    try:
        code = json.loads(body).get("code") if body else None
    except (ValueError, AttributeError):
        code = None
    try:
        opened = await run_in_threadpool(_redeem, code)
    except NotFoundError as error:
        return JSONResponse({"error": "ticket_invalid", "message": error.message}, status_code=400)
    response = JSONResponse({"ok": True})
    response.set_cookie(
        auth_service.SESSION_COOKIE,
        opened.token,
        max_age=opened.max_age,
        path="/",
        secure=served_over_https(request),
        httponly=True,
        samesite="lax",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _sign_out(token: str) -> None:
    with session_scope() as db:
        auth_service.sign_out(db, token=token)


async def drop(request: Request) -> Response:
    """End the session of the cookie (when there is one) and remove the cookie."""
    token = request.cookies.get(auth_service.SESSION_COOKIE, "")
    if token:
        await run_in_threadpool(_sign_out, token)
    response = JSONResponse({"ok": True})
    response.delete_cookie(
        auth_service.SESSION_COOKIE, path="/", secure=served_over_https(request), httponly=True, samesite="lax"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


SESSION_ROUTES = [
    Route("/api/session", collect, methods=["POST"]),
    Route("/api/session/signout", drop, methods=["POST"]),
]
