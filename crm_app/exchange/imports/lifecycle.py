"""An import's life as a job: its statuses, reading it as a DTO, claiming it for a worker, asking it to stop.

uploaded → (checking → checked) → running → done, or cancelled / failed (both resumable), then undoing → undone.
A running, checking or undoing job whose heartbeat is older than ``STALE_AFTER`` has lost its worker.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session

from crm_app.auth.models import User
from crm_app.core.errors import NotFoundError, ValidationError
from crm_app.core.timeutil import as_utc, utcnow
from crm_app.exchange.columns import ColumnPlan
from crm_app.exchange.models import ImportJob
from crm_app.exchange.schemas import DryRun, ImportOptions, ImportRead

STALE_AFTER = timedelta(seconds=90)


RUNNING = "running"


DONE = "done"


CANCELLED = "cancelled"


FAILED = "failed"


UNDONE = "undone"


UNDOING = "undoing"


CHECKING = "checking"


CHECKED = "checked"


UPLOADED = "uploaded"


RESUMABLE = frozenset({CANCELLED, FAILED, RUNNING})


def import_job(session: Session, import_id: Any) -> ImportJob:
    """The import's row; NotFoundError when unknown."""
    try:
        job = session.get(ImportJob, int(import_id))
    except (TypeError, ValueError):
        job = None
    if job is None:
        raise NotFoundError("This import does not exist.")
    return job


def job_options(job: ImportJob) -> ImportOptions:
    """The import's options (the defaults when unreadable)."""
    try:
        return ImportOptions.model_validate(job.options or {})
    except ValueError:
        return ImportOptions()


def is_stale(job: ImportJob, now: datetime | None = None) -> bool:
    """Whether the job is under way but its worker's heartbeat stopped more than ``STALE_AFTER`` ago."""
    if job.status not in (RUNNING, CHECKING, UNDOING) or job.heartbeat_at is None:
        return False
    return (now or utcnow()) - as_utc(job.heartbeat_at) > STALE_AFTER


def import_read(session: Session, job: ImportJob) -> ImportRead:
    """The import as a DTO."""
    creator = session.get(User, job.created_by_id) if job.created_by_id else None
    dry = DryRun.model_validate(job.dry_run) if job.dry_run else DryRun()
    seconds = job.run_seconds or 0.0
    return ImportRead(
        id=job.id,
        created_at=as_utc(job.created_at),
        created_by_name=(creator.name or creator.email) if creator else "",
        file_name=job.file_name,
        file_format=job.file_format,
        file_size=job.file_size,
        sheet_name=job.sheet_name,
        headers=[str(h) for h in job.headers],
        mapping=list(job.mapping),
        options=job_options(job),
        status=job.status,
        dry_run=dry,
        total_rows=job.total_rows,
        processed_rows=job.processed_rows,
        created_count=job.created_count,
        updated_count=job.updated_count,
        skipped_count=job.skipped_count,
        rejected_count=job.rejected_count,
        started_at=as_utc(job.started_at),
        finished_at=as_utc(job.finished_at),
        run_seconds=round(seconds, 2),
        rows_per_second=round(job.processed_rows / seconds, 1) if seconds > 0 else 0.0,
        cancel_requested=job.cancel_requested,
        stale=is_stale(job),
        error=job.error,
        undone_at=as_utc(job.undone_at),
        undo_report=dict(job.undo_report or {}),
    )


def get_import(session: Session, *, import_id: Any) -> ImportRead:
    """One import; NotFoundError when unknown."""
    return import_read(session, import_job(session, import_id))


def list_imports(session: Session, *, limit: int = 50) -> list[ImportRead]:
    """The latest imports, newest first."""
    jobs = session.execute(select(ImportJob).order_by(ImportJob.id.desc()).limit(limit)).scalars().all()
    return [import_read(session, job) for job in jobs]


def column_plans(job: ImportJob) -> list[ColumnPlan]:
    """How each column of the file is read, one plan per header."""
    plans = [ColumnPlan.from_dict(item) for item in job.mapping]
    width = len(job.headers)
    return (plans + [ColumnPlan() for _ in range(width - len(plans))])[:width]


def choices_fingerprint(job: ImportJob) -> str:
    """A digest of the mapping, the options and the file: a dry run is valid while it is unchanged."""
    payload = json.dumps({"mapping": job.mapping, "options": job.options, "file": job.file_sha256}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def check_editable(job: ImportJob) -> None:
    """ValidationError once the import has started (its mapping and options are then fixed)."""
    if job.status not in (UPLOADED, CHECKED):
        raise ValidationError("This import has started: its mapping and options can no longer change.")


def worker_name() -> str:
    """Who runs a job: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def start_import(session: Session, *, import_id: Any, actor_id: int | None, worker: str) -> ImportRead:
    """Claim a checked (or cancelled, failed, interrupted) import for this worker; the caller then runs it."""
    job = import_job(session, import_id)
    if job.status == CHECKED:
        if (job.dry_run or {}).get("fingerprint") != choices_fingerprint(job):
            raise ValidationError("The mapping or the options changed since the dry run: check the file again.")
    elif job.status in RESUMABLE:
        if job.status == RUNNING and not is_stale(job):
            raise ValidationError("This import is already running.")
    elif job.status == DONE:
        raise ValidationError("This import is finished.")
    else:
        raise ValidationError("Check the file first (dry run), then import it.")
    same_beat = (
        ImportJob.heartbeat_at.is_(None) if job.heartbeat_at is None else ImportJob.heartbeat_at == job.heartbeat_at
    )
    claimed = session.execute(
        update(ImportJob)
        .where(ImportJob.id == job.id, ImportJob.status == job.status, same_beat)
        .values(
            status=RUNNING,
            worker=worker,
            heartbeat_at=utcnow(),
            cancel_requested=False,
            error="",
            started_at=job.started_at or utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise ValidationError("Another worker has just started this import.")
    session.refresh(job)
    return import_read(session, job)


def request_cancel(session: Session, *, import_id: Any) -> ImportRead:
    """Ask a running import to stop after its current batch (it can be resumed later)."""
    job = import_job(session, import_id)
    if job.status != RUNNING:
        raise ValidationError("This import is not running.")
    job.cancel_requested = True
    session.add(job)
    session.flush()
    return import_read(session, job)
