"""The session cookie is set by the server only: HttpOnly, SameSite=Lax, Secure over HTTPS, from a one-use ticket."""

from __future__ import annotations

import pytest
from sqlmodel import select

from crm_app.auth import service as auth_service
from crm_app.auth.models import UserSession
from crm_app.db import session_scope
from crm_app.settings import settings

PASSWORD = "api-password-4321"


@pytest.fixture(autouse=True)
def anna(client):
    """A staff member who signs in (the API's database exists once ``client`` runs)."""
    with session_scope() as db:
        auth_service.create_user(
            db, email="anna@example.com", name="Anna", role="staff", password=PASSWORD, actor_id=None
        )


def _ticket(remember: bool = False) -> str:
    with session_scope() as db:
        return auth_service.issue_sign_in_ticket(db, email="anna@example.com", password=PASSWORD, remember=remember)


def _set_cookie(response) -> str:
    headers = [v for k, v in response.headers.multi_items() if k.lower() == "set-cookie"]
    assert len(headers) == 1, headers
    return headers[0]


def test_a_ticket_sets_an_httponly_lax_session_cookie_that_signs_the_browser_in(client):
    response = client.post("/api/session", json={"code": _ticket()})
    assert response.status_code == 200
    cookie = _set_cookie(response)
    assert cookie.startswith(f"{auth_service.SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie and "Max-Age" not in cookie
    assert response.headers["cache-control"] == "no-store"
    me = client.get("/api/me")
    assert me.status_code == 200 and me.json()["email"] == "anna@example.com"


def test_remember_me_keeps_the_cookie_for_the_remembered_sessions_lifetime(client):
    cookie = _set_cookie(client.post("/api/session", json={"code": _ticket(remember=True)}))
    assert f"Max-Age={int(settings.session_remember_days * 86400)}" in cookie


def test_the_cookie_is_secure_when_the_app_is_served_over_https(client, monkeypatch):
    monkeypatch.setattr(settings, "public_url", "https://crm.example.com")
    assert "Secure" in _set_cookie(client.post("/api/session", json={"code": _ticket()}))


def test_behind_a_trusted_proxy_the_forwarded_https_makes_the_cookie_secure(client, monkeypatch):
    headers = {"X-Forwarded-Proto": "https"}
    assert "Secure" not in _set_cookie(client.post("/api/session", json={"code": _ticket()}, headers=headers))
    monkeypatch.setattr(settings, "trusted_proxy_hops", 1)
    assert "Secure" in _set_cookie(client.post("/api/session", json={"code": _ticket()}, headers=headers))


def test_a_ticket_works_once(client):
    code = _ticket()
    assert client.post("/api/session", json={"code": code}).status_code == 200
    client.cookies.clear()
    again = client.post("/api/session", json={"code": code})
    assert again.status_code == 400 and again.json()["error"] == "ticket_invalid"
    assert "set-cookie" not in again.headers
    with session_scope() as db:
        assert len(db.exec(select(UserSession)).all()) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'{"code": null}',
        b'{"code": 12}',
        b'{"code": {"$ne": ""}}',
        b'{"code": "' + b"x" * 9000 + b'"}',
    ],
)
def test_a_forged_or_oversized_body_gets_a_clear_refusal_and_no_cookie(client, body):
    response = client.post("/api/session", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "ticket_invalid" and response.json()["message"]
    assert "set-cookie" not in response.headers


def test_signing_out_revokes_the_session_and_drops_the_cookie(client):
    client.post("/api/session", json={"code": _ticket()})
    token = client.cookies.get(auth_service.SESSION_COOKIE)
    response = client.post("/api/session/signout")
    assert response.status_code == 200
    assert 'crm_session=""' in _set_cookie(response) or "Max-Age=0" in _set_cookie(response)
    with session_scope() as db:
        assert auth_service.validate_session(db, token=token) is None
    assert client.get("/api/me", cookies={auth_service.SESSION_COOKIE: token}).status_code == 401


def test_the_cookie_doors_refuse_another_origin(client):
    response = client.post("/api/session", json={"code": _ticket()}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert "set-cookie" not in response.headers
