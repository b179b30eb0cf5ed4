"""The exchange's background work as queued jobs (``crm_app.jobs``): writing an export's file.

``enqueue_export`` registers the export and queues its job in the caller's transaction; the worker writes the
file a thousand contacts at a time, reporting the rows written as its progress, and keeps the finished
``ExportRead`` as the job's result.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from crm_app.contacts import search
from crm_app.exchange import export
from crm_app.jobs import queue
from crm_app.jobs.registry import JobContext, handler

EXPORT = "export.run"


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
    scope = export.scope_from(chosen, search.filter_from_params(params))
    created = export.create_export(session, scope=scope, file_format=file_format, actor_id=actor_id)
    payload = {"export_id": created.id, "ids": chosen, "params": dict(params), "locale": locale}
    return queue.enqueue(session, EXPORT, payload, max_attempts=1)


@handler(EXPORT)
def _export_job(job: JobContext) -> dict[str, Any]:
    payload = job.payload
    scope = export.scope_from(payload["ids"], search.filter_from_params(payload["params"]))
    done = export.run_export(
        export_id=payload["export_id"],
        scope=scope,
        locale=payload["locale"],
        on_progress=lambda written, total: job.progress(written, total),
    )
    return done.model_dump(mode="json")
