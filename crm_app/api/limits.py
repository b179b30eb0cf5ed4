"""A server-side body limit for Reflex's public ``/_upload`` endpoint, which otherwise spools any size to disk."""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crm_app.feed.files import MAX_FILES_PER_UPLOAD
from crm_app.settings import settings

UPLOAD_PATH = "/_upload"
# Multipart boundaries and part headers per file, and the small form fields Reflex adds.
PART_OVERHEAD = 16 * 1024
FORM_OVERHEAD = 64 * 1024


def upload_body_limit(max_files: int = MAX_FILES_PER_UPLOAD) -> int:
    """The largest /_upload body accepted: ``max_files`` files of ``max_upload_mb`` each, plus multipart overhead."""
    return max_files * (settings.max_upload_mb * 1024 * 1024 + PART_OVERHEAD) + FORM_OVERHEAD


def _is_upload(scope: Scope) -> bool:
    if scope["type"] != "http":
        return False
    path = scope.get("path", "").rstrip("/")
    return path == UPLOAD_PATH or path.endswith(UPLOAD_PATH)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or []:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else -1
    return None


class UploadBodyLimit:
    """Refuse /_upload requests whose Content-Length or streamed body passes the limit, with 413 and a JSON message.

    A declared length over the limit is refused before the app reads a byte; a body that streams past it (chunked,
    or a lying Content-Length) is cut off: the app sees the client disconnect, its answer is dropped and the
    caller gets the 413 instead.
    """

    def __init__(self, app: ASGIApp, max_files: int = MAX_FILES_PER_UPLOAD):
        self.app = app
        self.max_files = max_files

    def _too_large(self) -> JSONResponse:
        message = (
            f"This upload is too large: at most {self.max_files} files of {settings.max_upload_mb} MB each at once."
        )
        return JSONResponse({"error": "too_large", "message": message}, status_code=413)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass every other request through untouched; count the bytes of uploads."""
        if not _is_upload(scope):
            await self.app(scope, receive, send)
            return
        limit = upload_body_limit(self.max_files)
        declared = _declared_length(scope)
        if declared is not None and (declared < 0 or declared > limit):
            await self._too_large()(scope, receive, send)
            return

        received = 0
        exceeded = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await self._too_large()(scope, receive, send)
