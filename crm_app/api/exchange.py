"""Spreadsheet downloads: the sample workbook, an import's error report, a finished export."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from crm_app.api.files import content_disposition
from crm_app.api.guards import require_api
from crm_app.auth.permissions import ADMIN, Permission
from crm_app.auth.service import CurrentUser
from crm_app.core.errors import NotFoundError
from crm_app.db import session_scope
from crm_app.exchange import export, reports
from crm_app.exchange.sample import sample_workbook
from crm_app.i18n import normalise_locale

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PRIVATE_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}


def _attachment(name: str) -> dict[str, str]:
    return {**PRIVATE_HEADERS, "Content-Disposition": content_disposition("attachment", name)}


@require_api(Permission.IMPORT)
async def download_sample(request: Request, user: CurrentUser) -> Response:
    """The sample workbook of the current forms, in the user's language (``?locale=`` overrides)."""
    locale = normalise_locale(request.query_params.get("locale") or user.locale)

    def build() -> bytes:
        with session_scope() as db:
            return sample_workbook(db, locale=locale)

    data = await run_in_threadpool(build)
    return Response(data, media_type=XLSX_TYPE, headers=_attachment("contacts-sample.xlsx"))


async def _report(request: Request, user: CurrentUser, write: Callable[..., str]) -> Response:
    """A report written by ``write`` to a temporary file and sent from memory: a ``FileResponse`` hands the path
    to the server (granian sends files itself), which may open it only after a clean-up has deleted it (a 404).
    """

    def build() -> tuple[str, bytes]:
        with tempfile.TemporaryDirectory(prefix="crm-report-") as folder:
            path = Path(folder) / "report.xlsx"
            with session_scope() as db:
                name = write(db, import_id=request.path_params["import_id"], path=path, locale=user.locale)
            return name, path.read_bytes()

    try:
        name, data = await run_in_threadpool(build)
    except NotFoundError as error:
        return JSONResponse({"error": "not_found", "message": error.message}, status_code=404)
    return Response(data, media_type=XLSX_TYPE, headers=_attachment(name))


@require_api(Permission.IMPORT)
async def download_errors(request: Request, user: CurrentUser) -> Response:
    """The rows an import did not take as they were, in the import's own layout plus the reasons, as .xlsx."""
    return await _report(request, user, reports.error_report)


@require_api(Permission.IMPORT)
async def download_dry_run(request: Request, user: CurrentUser) -> Response:
    """The same for the import's last dry run, before anything is written."""
    return await _report(request, user, reports.dry_run_report)


@require_api(Permission.EXPORT)
async def download_export(request: Request, user: CurrentUser) -> Response:
    """A finished export, to the user who asked for it (or an administrator)."""

    def find():
        with session_scope() as db:
            return export.export_file(
                db, export_id=request.path_params["export_id"], user_id=user.id, is_admin=user.role == ADMIN
            )

    try:
        path, name, media = await run_in_threadpool(find)
    except NotFoundError as error:
        return JSONResponse({"error": "not_found", "message": error.message}, status_code=404)
    return FileResponse(path, media_type=media, headers=_attachment(name))


EXCHANGE_ROUTES = [
    Route("/api/imports/sample.xlsx", download_sample, methods=["GET"]),
    Route("/api/imports/{import_id:id}/errors.xlsx", download_errors, methods=["GET"]),
    Route("/api/imports/{import_id:id}/dry-run.xlsx", download_dry_run, methods=["GET"]),
    Route("/api/exports/{export_id:id}", download_export, methods=["GET"]),
]
