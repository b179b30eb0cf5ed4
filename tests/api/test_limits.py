"""Reflex's /_upload endpoint is public: the body limit middleware refuses oversized uploads with 413."""

from __future__ import annotations

import asyncio
import json

import pytest
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from crm_app.api.limits import FORM_OVERHEAD, PART_OVERHEAD, UploadBodyLimit, upload_body_limit
from crm_app.api.routes import build_api
from crm_app.settings import settings

MB = 1024 * 1024


class Upstream:
    """A stand-in for Reflex's upload route: reads the whole body and says how much it got."""

    def __init__(self):
        self.bytes_read = 0
        self.called = False

    async def upload(self, request: Request) -> JSONResponse:
        self.called = True
        try:
            async for chunk in request.stream():
                self.bytes_read += len(chunk)
        except ClientDisconnect:
            return JSONResponse({"stored": False})
        return JSONResponse({"stored": True, "bytes": self.bytes_read})

    async def other(self, request: Request) -> JSONResponse:
        body = await request.body()
        return JSONResponse({"bytes": len(body)})


def _app(upstream: Upstream, max_files: int = 1):
    inner = Starlette(
        routes=[
            Route("/_upload", upstream.upload, methods=["POST"]),
            Route("/api/other", upstream.other, methods=["POST"]),
        ]
    )
    return UploadBodyLimit(inner, max_files=max_files)


def _call(app, path: str, chunks: list[bytes], content_length: int | bytes | None) -> tuple[int, dict, int]:
    """One real ASGI request: the body in ``chunks``; returns (status, JSON body, chunks the app pulled)."""
    headers = [(b"content-type", b"multipart/form-data; boundary=x")]
    if content_length is not None:
        value = content_length if isinstance(content_length, bytes) else str(content_length).encode()
        headers.append((b"content-length", value))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    pending = list(chunks)
    pulled = 0
    sent: list[dict] = []

    async def receive():
        nonlocal pulled
        if not pending:
            return {"type": "http.disconnect"}
        pulled += 1
        body = pending.pop(0)
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert len(starts) == 1, sent
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return starts[0]["status"], json.loads(body), pulled


@pytest.fixture
def one_mb(monkeypatch):
    monkeypatch.setattr(settings, "max_upload_mb", 1)
    return upload_body_limit(max_files=1)


def test_the_limit_is_files_times_the_size_limit_plus_overhead(monkeypatch):
    monkeypatch.setattr(settings, "max_upload_mb", 20)
    assert upload_body_limit(max_files=20) == 20 * (20 * MB + PART_OVERHEAD) + FORM_OVERHEAD


def test_an_upload_within_the_limit_reaches_the_app_whole(one_mb):
    upstream = Upstream()
    chunks = [b"a" * 64 * 1024] * 8
    status, body, _ = _call(_app(upstream), "/_upload", chunks, content_length=8 * 64 * 1024)
    assert status == 200 and body == {"stored": True, "bytes": 8 * 64 * 1024}


def test_a_declared_length_over_the_limit_is_refused_before_the_app_reads_anything(one_mb):
    upstream = Upstream()
    status, body, pulled = _call(_app(upstream), "/_upload", [b"x"], content_length=2 * 1024**3)
    assert status == 413
    assert body["error"] == "too_large" and "1 MB" in body["message"]
    assert not upstream.called and pulled == 0


def test_a_malformed_content_length_is_refused(one_mb):
    upstream = Upstream()
    status, body, pulled = _call(_app(upstream), "/_upload", [b"x"], content_length=b"12abc")
    assert status == 413 and body["error"] == "too_large"
    assert not upstream.called and pulled == 0


def test_a_streamed_body_without_a_length_is_cut_off_at_the_limit_with_413(one_mb):
    upstream = Upstream()
    chunk = b"z" * 256 * 1024
    chunks = [chunk] * 40  # 10 MB, chunked, no Content-Length
    status, body, pulled = _call(_app(upstream), "/_upload", chunks, content_length=None)
    assert status == 413 and body["error"] == "too_large"
    assert upstream.bytes_read <= one_mb
    assert pulled < len(chunks)


def test_a_body_longer_than_its_declared_length_is_cut_off_too(one_mb):
    upstream = Upstream()
    chunks = [b"z" * 256 * 1024] * 40
    status, _, pulled = _call(_app(upstream), "/_upload", chunks, content_length=1000)
    assert status == 413 and pulled < len(chunks)


def test_other_paths_are_not_limited(one_mb):
    upstream = Upstream()
    chunks = [b"q" * 512 * 1024] * 4
    status, body, _ = _call(_app(upstream), "/api/other", chunks, content_length=None)
    assert status == 200 and body == {"bytes": 2 * MB}


def test_the_api_app_refuses_an_oversized_upload_before_reflex_sees_it(monkeypatch):
    monkeypatch.setattr(settings, "max_upload_mb", 1)
    status, body, pulled = _call(build_api(), "/_upload", [b"x"], content_length=upload_body_limit() + 1)
    assert status == 413 and body["error"] == "too_large" and pulled == 0
