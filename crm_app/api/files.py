"""Authenticated file routes: download a contact's file or its preview, upload a file to a contact."""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message

from crm_app.api.guards import require_api
from crm_app.auth.permissions import Permission
from crm_app.auth.service import CurrentUser
from crm_app.core.errors import NotFoundError, ValidationError
from crm_app.db import session_scope
from crm_app.feed.files import IMAGE_TYPES, open_attachment, store_upload
from crm_app.settings import settings

MULTIPART_OVERHEAD = 64 * 1024


class _TooLarge(Exception):
    """The request body went past the upload limit."""


def _error(status: int, code: str, message: str = "") -> JSONResponse:
    body = {"error": code, "message": message} if message else {"error": code}
    return JSONResponse(body, status_code=status)


def content_disposition(kind: str, name: str) -> str:
    """A Content-Disposition value with an ASCII fallback name and the exact name per RFC 5987."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\;' else "_" for ch in name) or "file"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@require_api(Permission.CONTACTS_VIEW)
async def download_file(request: Request, _user: CurrentUser) -> Response:
    """Serve a stored file (or ``?thumb=1`` its preview) to a signed-in user; never as active content."""
    thumbnail = request.query_params.get("thumb", "") in ("1", "true", "yes")
    try:
        with session_scope() as db:
            path, content_type, name = open_attachment(
                db, attachment_id=request.path_params["attachment_id"], thumbnail=thumbnail
            )
    except NotFoundError as error:
        return _error(404, "not_found", error.message)
    kind = "inline" if content_type in IMAGE_TYPES else "attachment"
    headers = {
        "Content-Disposition": content_disposition(kind, name),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Cache-Control": "private, no-cache",
    }
    return FileResponse(path, media_type=content_type, headers=headers)


@require_api(Permission.CONTACTS_EDIT)
async def upload_file(request: Request, user: CurrentUser) -> Response:
    """Store a multipart upload (field ``file``) on a contact; staff and above; streamed, limited, checked."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return _error(400, "validation", "Send the file as multipart/form-data in a field named 'file'.")
    limit = settings.max_upload_mb * 1024 * 1024
    too_large = f"This file is larger than the {settings.max_upload_mb} MB limit."
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
        return _error(413, "validation", too_large)

    received = 0

    async def limited_receive() -> Message:
        nonlocal received
        message = await request.receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit + MULTIPART_OVERHEAD:
                raise _TooLarge
        return message

    limited = Request(request.scope, limited_receive)
    try:
        form = await limited.form(max_files=1, max_fields=5)
    except _TooLarge:
        return _error(413, "validation", too_large)
    except HTTPException as error:
        return _error(400, "validation", str(error.detail))
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            return _error(400, "validation", "Choose a file to upload (field 'file').")

        def store():
            with session_scope() as db:
                return store_upload(
                    db,
                    contact_id=request.path_params["contact_id"],
                    filename=upload.filename or "",
                    stream=upload.file,
                    actor_id=user.id,
                    max_bytes=limit,
                )

        try:
            stored = await run_in_threadpool(store)
        except NotFoundError as error:
            return _error(404, "not_found", error.message)
        except ValidationError as error:
            status = 413 if "larger than" in error.message else 400
            return _error(status, "validation", error.message)
    finally:
        await form.close()
    return JSONResponse(stored.model_dump(mode="json"), status_code=201)


FILE_ROUTES = [
    Route("/api/files/{attachment_id:id}", download_file, methods=["GET", "HEAD"]),
    Route("/api/contacts/{contact_id:id}/files", upload_file, methods=["POST"]),
]
