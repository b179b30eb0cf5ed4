"""Building spreadsheets and running imports in tests."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
from sqlalchemy import Engine, func, select

from crm_app.contacts.models import Contact
from crm_app.db import session_scope
from crm_app.exchange import files
from crm_app.exchange.imports import dry_run, lifecycle, mapping, running
from crm_app.exchange.schemas import ImportRead


def xlsx_bytes(rows: Sequence[Sequence[Any]], *, title: str = "Contacts") -> bytes:
    """A workbook with one sheet holding ``rows`` (the first is the header)."""
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = title
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def replace_part(data: bytes, name: str, content: bytes) -> bytes:
    """The same zip with one part replaced."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, content if item.filename == name else source.read(item.filename))
    return out.getvalue()


def sheet_xml(data: bytes) -> str:
    """The XML of the first worksheet."""
    return zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()


def upload(engine: Engine, data: bytes, name: str = "clients.xlsx", *, locale: str = "en", actor_id=None) -> ImportRead:
    """Store ``data`` as an upload and register it as an import."""
    stored = files.store_import_file(io.BytesIO(data))
    with session_scope(engine) as s:
        return mapping.create_import(s, stored=stored, file_name=name, actor_id=actor_id, locale=locale)


def set_options(engine: Engine, job: ImportRead, **options: Any) -> ImportRead:
    """Change the duplicate options (and keep the proposed mapping)."""
    with session_scope(engine) as s:
        return mapping.update_mapping(s, import_id=job.id, mapping=job.mapping, options=options, actor_id=None)


def run(engine: Engine, job_id: int, *, worker: str = "test-worker", **kwargs: Any) -> ImportRead:
    """Claim the import and run it."""
    with session_scope(engine) as s:
        lifecycle.start_import(s, import_id=job_id, actor_id=None, worker=worker)
    return running.run_import(import_id=job_id, worker=worker, engine=engine, **kwargs)


def import_file(
    engine: Engine, data: bytes, name: str = "clients.xlsx", *, locale: str = "en", **options: Any
) -> ImportRead:
    """Upload, dry run and run a file with the proposed mapping."""
    job = upload(engine, data, name, locale=locale)
    if options:
        job = set_options(engine, job, **options)
    dry_run.dry_run(import_id=job.id, engine=engine)
    return run(engine, job.id)


def contact_count(engine: Engine) -> int:
    """How many contacts the database holds."""
    with session_scope(engine) as s:
        return int(s.execute(select(func.count()).select_from(Contact)).scalar_one())


def write(path: Path, data: bytes) -> Path:
    """Write bytes to a file and return its path."""
    path.write_bytes(data)
    return path
