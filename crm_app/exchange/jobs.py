"""The exchange's background work as queued jobs (``crm_app.jobs``): an import's dry run, run and undo, an
export's file.

``enqueue_dry_run`` and ``enqueue_undo`` queue that work on an import; its progress is kept on the import itself.

``enqueue_import`` claims a checked (or cancelled, failed, interrupted) import and queues its run in the caller's
transaction; the worker imports it batch by batch, its progress kept on the import itself. When the worker dies,
the job is claimed again once its lease has run out and resumes the import after its last complete batch.

``enqueue_export`` registers the export and queues its job; the worker writes the file a thousand contacts at a
time, reporting the rows written as its progress, and keeps the finished ``ExportRead`` as the job's result.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from crm_app.contacts.search.filters import filter_from_params
from crm_app.db import session_scope
from crm_app.exchange import export
from crm_app.exchange.imports import dry_run, lifecycle, running, undo
from crm_app.exchange.schemas import ImportRead
from crm_app.jobs import queue
from crm_app.jobs.registry import JobContext, handler

DRY_RUN = "import.dry_run"
IMPORT = "import.run"
UNDO = "import.undo"
EXPORT = "export.run"


def enqueue_dry_run(session: Session, *, import_id: int) -> int:
    """Queue the dry run of an import; returns the job's id."""
    return queue.enqueue(session, DRY_RUN, {"import_id": import_id}, max_attempts=1)


@handler(DRY_RUN)
def _dry_run_job(job: JobContext) -> dict[str, Any]:
    dry_run.dry_run(import_id=job.payload["import_id"])
    return {"import_id": job.payload["import_id"]}


def enqueue_import(session: Session, *, import_id: Any, actor_id: int | None) -> tuple[ImportRead, int]:
    """Claim an import for a queued run (refused when it is not ready to run or already running); returns the
    claimed import and the job's id."""
    worker = lifecycle.worker_name()
    claimed = lifecycle.start_import(session, import_id=import_id, actor_id=actor_id, worker=worker)
    job_id = queue.enqueue(session, IMPORT, {"import_id": claimed.id, "actor_id": actor_id, "worker": worker})
    return claimed, job_id


@handler(IMPORT)
def _import_job(job: JobContext) -> dict[str, Any]:
    import_id, worker = job.payload["import_id"], job.payload["worker"]
    if job.attempt > 1:
        # The worker that ran it stopped: claim the import again (it is stale by now) and resume it.
        worker = f"{job.worker}/job-{job.id}-{job.attempt}"
        with session_scope() as s:
            lifecycle.start_import(s, import_id=import_id, actor_id=job.payload["actor_id"], worker=worker)
    result = running.run_import(import_id=import_id, worker=worker)
    return {"import_id": import_id, "status": result.status}


def enqueue_undo(session: Session, *, import_id: int, actor_id: int | None) -> int:
    """Queue the undo of an import; returns the job's id."""
    return queue.enqueue(session, UNDO, {"import_id": import_id, "actor_id": actor_id}, max_attempts=1)


@handler(UNDO)
def _undo_job(job: JobContext) -> dict[str, Any]:
    return undo.undo_import(import_id=job.payload["import_id"], actor_id=job.payload["actor_id"])


def enqueue_export(
    session: Session,
    *,
    ids: Sequence[int] | None,
    params: dict[str, str],
    file_format: str,
    locale: str,
    actor_id: int | None,
) -> int:
    """Export the chosen contacts (``ids``), or every contact the list's ``params`` match; returns the job's id."""
    chosen = None if not ids else [int(i) for i in ids]
    scope = export.scope_from(chosen, filter_from_params(params))
    created = export.create_export(session, scope=scope, file_format=file_format, actor_id=actor_id)
    payload = {"export_id": created.id, "ids": chosen, "params": dict(params), "locale": locale}
    return queue.enqueue(session, EXPORT, payload, max_attempts=1)


@handler(EXPORT)
def _export_job(job: JobContext) -> dict[str, Any]:
    payload = job.payload
    scope = export.scope_from(payload["ids"], filter_from_params(payload["params"]))
    done = export.run_export(
        export_id=payload["export_id"],
        scope=scope,
        locale=payload["locale"],
        on_progress=lambda written, total: job.progress(written, total),
    )
    return done.model_dump(mode="json")
