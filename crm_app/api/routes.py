"""REST routes mounted beside Reflex's own (Starlette); each checks the caller's session and Origin.

Every route's endpoint is wrapped with ``require_api(Permission.X)`` (``crm_app.api.guards``); only the paths
in ``PUBLIC_ROUTES`` answer strangers, and ``build_api`` refuses to start with any other unguarded route.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from crm_app.api.exchange import EXCHANGE_ROUTES
from crm_app.api.files import FILE_ROUTES
from crm_app.api.guards import OriginCheck, is_guarded, require_api
from crm_app.api.limits import UploadBodyLimit
from crm_app.api.session import SESSION_ROUTES
from crm_app.auth.permissions import Permission
from crm_app.auth.service import CurrentUser

# Routes anyone may call without a session (reviewed; tests/api/test_route_permissions.py checks the rest).
PUBLIC_ROUTES: frozenset[str] = frozenset({"/api/health", "/api/session", "/api/session/signout"})


@require_api(Permission.CONTACTS_VIEW)
async def me(_request: Request, user: CurrentUser) -> JSONResponse:
    """Who am I: the signed-in user's id, name and role."""
    return JSONResponse({"id": user.id, "email": user.email, "name": user.name, "role": user.role})


async def health(_request: Request) -> JSONResponse:
    """Liveness for load balancers."""
    return JSONResponse({"status": "ok"})


def build_api() -> Starlette:
    """The Starlette app Reflex mounts its own routes onto."""
    routes = [Route("/api/me", me), Route("/api/health", health), *SESSION_ROUTES, *FILE_ROUTES, *EXCHANGE_ROUTES]
    unguarded = [r.path for r in routes if r.path not in PUBLIC_ROUTES and not is_guarded(getattr(r, "endpoint", None))]
    if unguarded:
        raise RuntimeError(f"API routes without require_api and not in PUBLIC_ROUTES: {unguarded}")
    return Starlette(
        routes=routes,
        middleware=[Middleware(OriginCheck), Middleware(UploadBodyLimit)],
    )
