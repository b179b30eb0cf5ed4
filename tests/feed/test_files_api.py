"""The file routes: only signed-in users read files, staff and above upload, served safely."""

from __future__ import annotations

import io
import itertools

import pytest
from PIL import Image
from sqlmodel import SQLModel
from starlette.testclient import TestClient

from crm_app.api.files import content_disposition
from crm_app.api.routes import build_api
from crm_app.auth import service as auth_service
from crm_app.contacts.search.structures import create_search_structures
from crm_app.db import build_engine, reset_engines, session_scope
from crm_app.feed import files
from crm_app.settings import settings
from tests.feed.factories import make_contact

_serial = itertools.count(1)


@pytest.fixture
def client(tmp_path, monkeypatch):
    """The API app on a fresh database, with a private upload folder."""
    url = f"sqlite:///{tmp_path / 'api.db'}"
    monkeypatch.setattr(settings, "database_url", url)
    monkeypatch.setattr(settings, "upload_dir", tmp_path / "files")
    reset_engines()
    engine = build_engine(url)
    SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        create_search_structures(conn)
    engine.dispose()
    with TestClient(build_api(), base_url=f"http://localhost:{settings.port}") as c:
        yield c
    reset_engines()


def _token(role: str = "staff") -> dict[str, str]:
    email = f"{role}{next(_serial)}@example.com"
    with session_scope() as db:
        auth_service.create_user(db, email=email, name=role, role=role, password="api-password-4321", actor_id=None)
    with session_scope() as db:
        _user, token = auth_service.sign_in(db, email=email, password="api-password-4321")
    return {"Authorization": f"Bearer {token}"}


def _contact_id() -> int:
    with session_scope() as db:
        return make_contact(db).id


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (0, 90, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def _stored(name: str, data: bytes) -> int:
    contact_id = _contact_id()
    with session_scope() as db:
        return files.store_upload(db, contact_id=contact_id, filename=name, stream=io.BytesIO(data), actor_id=None).id


def test_a_signed_out_request_gets_401(client):
    file_id = _stored("a.txt", b"hello")
    assert client.get(f"/api/files/{file_id}").status_code == 401
    assert client.get(f"/api/files/{file_id}", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert client.post(f"/api/contacts/{_contact_id()}/files", files={"file": ("a.txt", b"x")}).status_code == 401


def test_any_signed_in_user_reads_a_document_as_a_download_with_safe_headers(client):
    file_id = _stored('../Relevé "final";.pdf', b"%PDF-1.4\nhello\n")
    response = client.get(f"/api/files/{file_id}", headers=_token("viewer"))
    assert response.status_code == 200
    assert response.content == b"%PDF-1.4\nhello\n"
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; ")
    assert "filename*=UTF-8''Relev%C3%A9%20%22final%22%3B.pdf" in disposition
    assert 'filename="Relev_ _final__.pdf"' in disposition


def test_cookie_sessions_work_like_bearer_tokens(client):
    file_id = _stored("a.txt", b"hello")
    token = _token()["Authorization"].split()[1]
    response = client.get(f"/api/files/{file_id}", headers={"Cookie": f"crm_session={token}"})
    assert response.status_code == 200 and response.headers["content-disposition"].startswith("attachment")


def test_images_and_their_previews_are_served_inline(client):
    file_id = _stored("photo.png", _png())
    headers = _token()
    full = client.get(f"/api/files/{file_id}", headers=headers)
    assert full.status_code == 200 and full.headers["content-type"] == "image/png"
    assert full.headers["content-disposition"].startswith("inline; ")
    thumb = client.get(f"/api/files/{file_id}?thumb=1", headers=headers)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert thumb.headers["x-content-type-options"] == "nosniff"
    with Image.open(io.BytesIO(thumb.content)) as image:
        assert image.size == (320, 240)


def test_unknown_deleted_or_previewless_files_are_404(client):
    headers = _token()
    assert client.get("/api/files/987654", headers=headers).status_code == 404
    text_id = _stored("a.txt", b"hello")
    assert client.get(f"/api/files/{text_id}?thumb=1", headers=headers).status_code == 404
    with session_scope() as db:
        files.delete_attachment(db, attachment_id=text_id, actor_id=None)
    assert client.get(f"/api/files/{text_id}", headers=headers).status_code == 404
    assert client.get("/api/files/not-a-number", headers=headers).status_code == 404


def test_staff_upload_a_file_and_get_its_details(client):
    contact_id = _contact_id()
    response = client.post(
        f"/api/contacts/{contact_id}/files", headers=_token("staff"), files={"file": ("../../map.png", _png())}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["original_name"] == "map.png" and body["content_type"] == "image/png" and body["has_thumbnail"]
    assert "stored_name" not in body
    assert client.get(f"/api/files/{body['id']}", headers=_token("viewer")).content == _png()


def test_a_viewer_may_not_upload(client):
    contact_id = _contact_id()
    response = client.post(
        f"/api/contacts/{contact_id}/files", headers=_token("viewer"), files={"file": ("a.txt", b"x")}
    )
    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"


def test_uploads_are_refused_clearly_when_bad_too_large_or_for_unknown_contacts(client, monkeypatch):
    headers = _token("staff")
    contact_id = _contact_id()
    exe = client.post(
        f"/api/contacts/{contact_id}/files",
        headers=headers,
        files={"file": ("cat.jpg", b"MZ\x90\x00" + b"\x00" * 100, "image/jpeg")},
    )
    assert exe.status_code == 400 and "not accepted" in exe.json()["message"]
    svg = client.post(
        f"/api/contacts/{contact_id}/files",
        headers=headers,
        files={"file": ("a.png", b"<svg onload=alert(1)></svg>", "image/png")},
    )
    assert svg.status_code == 400 and "SVG" in svg.json()["message"]
    missing = client.post("/api/contacts/999999/files", headers=headers, files={"file": ("a.txt", b"hi")})
    assert missing.status_code == 404
    no_file = client.post(f"/api/contacts/{contact_id}/files", headers=headers, data={"other": "x"})
    assert no_file.status_code == 400
    monkeypatch.setattr(settings, "max_upload_mb", 1)
    big = client.post(
        f"/api/contacts/{contact_id}/files", headers=headers, files={"file": ("big.txt", b"a" * (2 * 1024 * 1024))}
    )
    assert big.status_code == 413 and "1 MB" in big.json()["message"]


async def test_a_chunked_upload_without_a_length_stops_reading_at_the_limit(client, monkeypatch):
    monkeypatch.setattr(settings, "max_upload_mb", 1)
    token = _token("staff")["Authorization"]
    contact_id = _contact_id()
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    pulled = 0
    sent: list[dict] = []

    async def receive():
        nonlocal pulled
        pulled += 1
        if pulled > 2048:  # 128 MB would follow
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": head if pulled == 1 else b"a" * 64 * 1024, "more_body": True}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": f"/api/contacts/{contact_id}/files",
        "raw_path": f"/api/contacts/{contact_id}/files".encode(),
        "query_string": b"",
        "headers": [
            (b"authorization", token.encode()),
            (b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
        ],
        "server": ("localhost", settings.port),
        "scheme": "http",
        "root_path": "",
    }
    await build_api()(scope, receive, send)
    assert sent[0]["status"] == 413
    assert pulled * 64 * 1024 <= 2 * 1024 * 1024


def test_content_disposition_keeps_the_header_safe():
    value = content_disposition("attachment", 'a"\r\nb;.txt')
    assert "\r" not in value and "\n" not in value
    assert value.startswith('attachment; filename="a___b_.txt"')
