"""Every REST route checks the session and the role through one wrapper; new routes are covered automatically."""

from __future__ import annotations

import io
import itertools
import re

import pytest
from sqlalchemy import update
from starlette.responses import JSONResponse
from starlette.routing import Route

from crm_app.api import files as api_files
from crm_app.api import routes as api_routes
from crm_app.api.routes import PUBLIC_ROUTES, build_api
from crm_app.auth import service as auth_service
from crm_app.auth.models import User
from crm_app.auth.permissions import Permission
from crm_app.contacts import service as contacts
from crm_app.db import session_scope
from crm_app.feed import files
from tests.feed.factories import make_contact

READING = {"GET", "HEAD", "OPTIONS"}
_serial = itertools.count(1)


def _headers(role: str) -> dict[str, str]:
    email = f"{role}{next(_serial)}@example.com"
    with session_scope() as db:
        auth_service.create_user(db, email=email, name=role, role=role, password="api-password-4321", actor_id=None)
    with session_scope() as db:
        _user, token = auth_service.sign_in(db, email=email, password="api-password-4321")
    return {"Authorization": f"Bearer {token}"}


def _routes() -> list[Route]:
    routes = [r for r in build_api().routes if isinstance(r, Route)]
    assert len(routes) >= 4
    return routes


def _url(route: Route) -> str:
    return re.sub(r"\{[^}]+\}", "1", route.path)


def _calls(route: Route) -> list[tuple[str, str]]:
    return [(method, _url(route)) for method in sorted(route.methods or {"GET"}) if method != "HEAD"]


def _stored_file() -> tuple[int, int]:
    with session_scope() as db:
        contact_id = make_contact(db).id
    with session_scope() as db:
        stored = files.store_upload(
            db, contact_id=contact_id, filename="note.txt", stream=io.BytesIO(b"hello"), actor_id=None
        )
    return contact_id, stored.id


def test_every_route_but_the_public_ones_goes_through_the_permission_wrapper():
    for route in _routes():
        permission = getattr(route.endpoint, "_crm_permission", None)
        if route.path in PUBLIC_ROUTES:
            assert permission is None, f"{route.path} is public and checks a permission"
        else:
            assert isinstance(permission, Permission), f"{route.path} is not wrapped with require_api"


def test_the_api_does_not_start_with_a_route_that_skips_the_wrapper(monkeypatch):
    async def open_door(_request):
        return JSONResponse({"secret": 1})

    monkeypatch.setattr(api_routes, "FILE_ROUTES", [*api_files.FILE_ROUTES, Route("/api/open", open_door)])
    with pytest.raises(RuntimeError, match="/api/open"):
        build_api()


def test_every_route_but_the_public_ones_answers_401_without_a_session(client):
    for route in _routes():
        for method, url in _calls(route):
            response = client.request(method, url)
            if route.path in PUBLIC_ROUTES:
                # Public, yet nothing without its own proof: the cookie door wants a sign-in ticket.
                expected = 400 if route.path == "/api/session" else 200
                assert response.status_code == expected, f"public {method} {url} answered {response.status_code}"
            else:
                assert response.status_code == 401, f"{method} {url} answered {response.status_code}"
                assert response.json()["error"] == "not_signed_in"


def test_every_writing_route_answers_403_for_a_viewer(client):
    viewer = _headers("viewer")
    writing = 0
    for route in _routes():
        for method, url in _calls(route):
            if method in READING or route.path in PUBLIC_ROUTES:
                continue
            writing += 1
            response = client.request(method, url, headers=viewer, files={"file": ("a.txt", b"x")})
            assert response.status_code == 403, f"{method} {url} answered {response.status_code} to a viewer"
            assert response.json()["error"] == "permission_denied"
    assert writing >= 1


def test_a_viewer_reads_what_a_viewer_may_read(client):
    viewer = _headers("viewer")
    assert client.get("/api/me", headers=viewer).json()["role"] == "viewer"
    _contact_id, file_id = _stored_file()
    assert client.get(f"/api/files/{file_id}", headers=viewer).status_code == 200


def test_a_signed_in_user_whose_role_holds_no_permission_gets_403(client):
    _contact_id, file_id = _stored_file()
    headers = _headers("staff")
    with session_scope() as db:
        db.exec(update(User).values(role="retired"))
    response = client.get(f"/api/files/{file_id}", headers=headers)
    assert response.status_code == 403
    assert response.json() == {"error": "permission_denied", "message": "You don't have permission to view contacts."}
    assert client.get("/api/me", headers=headers).status_code == 403


def test_a_file_of_a_deleted_contact_is_404(client):
    contact_id, file_id = _stored_file()
    staff = _headers("staff")
    assert client.get(f"/api/files/{file_id}", headers=staff).status_code == 200
    with session_scope() as db:
        contacts.delete_contact(db, contact_id=contact_id, actor_id=None)
    assert client.get(f"/api/files/{file_id}", headers=staff).status_code == 404
    assert client.get(f"/api/files/{file_id}?thumb=1", headers=staff).status_code == 404
    upload = client.post(f"/api/contacts/{contact_id}/files", headers=staff, files={"file": ("a.txt", b"hello")})
    assert upload.status_code == 404
