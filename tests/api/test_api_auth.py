"""The REST routes check who is calling and where the request comes from."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from crm_app.api.guards import OriginCheck
from crm_app.auth import service as auth_service
from crm_app.db import session_scope
from crm_app.settings import settings


def _token() -> str:
    with session_scope() as db:
        auth_service.create_user(
            db, email="api@example.com", name="Api", role="staff", password="api-password-4321", actor_id=None
        )
    with session_scope() as db:
        _user, token = auth_service.sign_in(db, email="api@example.com", password="api-password-4321")
    return token


def test_me_without_a_session_is_refused(client):
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.json() == {"error": "not_signed_in"}


def test_me_with_a_forged_token_is_refused(client):
    assert client.get("/api/me", headers={"Authorization": "Bearer not-a-real-token"}).status_code == 401


def test_me_with_the_session_cookie_or_bearer_token_answers(client):
    token = _token()
    assert client.get("/api/me", headers={"Cookie": f"crm_session={token}"}).json()["email"] == "api@example.com"
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()["role"] == "staff"


def test_a_revoked_session_is_refused_at_once(client):
    token = _token()
    with session_scope() as db:
        auth_service.sign_out(db, token=token)
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_requests_from_a_foreign_origin_are_refused(client):
    token = _token()
    response = client.get("/api/me", headers={"Authorization": f"Bearer {token}", "Origin": "https://evil.example"})
    assert response.status_code == 403
    ok = client.get(
        "/api/me", headers={"Authorization": f"Bearer {token}", "Origin": f"http://localhost:{settings.port}"}
    )
    assert ok.status_code == 200


def test_a_websocket_from_a_foreign_origin_is_closed_and_our_own_is_accepted():
    async def echo(scope, receive, send):
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "hello"})
        await send({"type": "websocket.close", "code": 1000})

    app = OriginCheck(echo)
    with TestClient(app) as c:
        with (
            pytest.raises(WebSocketDisconnect) as closed,
            c.websocket_connect("/_event/", headers={"Origin": "https://evil.example"}) as ws,
        ):
            ws.receive_text()
        assert closed.value.code == 4403
        with c.websocket_connect("/_event/", headers={"Origin": f"http://localhost:{settings.port}"}) as ws:
            assert ws.receive_text() == "hello"
