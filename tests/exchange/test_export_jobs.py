"""Exports as queued jobs: the worker writes the file of the chosen or matching contacts, with progress."""

from __future__ import annotations

import openpyxl

import crm_app.models  # noqa: F401  (registers every job handler)
from crm_app.contacts import service as contacts
from crm_app.db import session_scope
from crm_app.exchange import export
from crm_app.exchange import jobs as exchange_jobs
from crm_app.exchange.models import ExportJob
from crm_app.jobs import queue, worker
from tests.contacts.factories import person


def _people(*names: str) -> list[int]:
    with session_scope() as db:
        return [
            contacts.create_contact(db, data=person(first_name=name, last_name=last), actor_id=None).id
            for name, last in (n.split() for n in names)
        ]


def _exported(export_id: int) -> list[str]:
    with session_scope() as db:
        path, _name, _media = export.export_file(db, export_id=export_id, user_id=0, is_admin=True)
    sheet = openpyxl.load_workbook(path, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    first, last = rows[0].index("First name"), rows[0].index("Last name")
    return sorted(f"{row[first]} {row[last]}" for row in rows[1:])


def test_an_export_of_the_lists_filter_is_written_by_the_worker_with_its_progress(app_db) -> None:
    _people("Ann Lee", "Bob Lee", "Cid Moss")
    with session_scope() as db:
        job_id = exchange_jobs.enqueue_export(
            db, ids=None, params={"q": "lee"}, file_format="xlsx", locale="en", actor_id=None
        )
    assert worker.run_until_idle() == 1
    with session_scope() as db:
        job = queue.get_job(db, job_id=job_id)
    assert (job.status, job.progress, job.result["status"]) == ("done", {"done": 2, "total": 2}, "done")
    assert _exported(job.result["id"]) == ["Ann Lee", "Bob Lee"]


def test_an_export_of_a_selection_writes_only_those_contacts(app_db) -> None:
    ids = _people("Ann Lee", "Bob Lee", "Cid Moss")
    with session_scope() as db:
        job_id = exchange_jobs.enqueue_export(
            db, ids=[ids[2]], params={"q": "lee"}, file_format="xlsx", locale="en", actor_id=None
        )
    worker.run_until_idle()
    with session_scope() as db:
        export_id = queue.get_job(db, job_id=job_id).result["id"]
        assert db.get(ExportJob, export_id).written_rows == 1
    assert _exported(export_id) == ["Cid Moss"]
