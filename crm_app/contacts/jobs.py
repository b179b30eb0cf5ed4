"""The contacts' background work as queued jobs (``crm_app.jobs``): bulk actions on the list and their undo, and
the rebuild of the search rows after an upgrade.

``enqueue_bulk`` queues an action in the caller's transaction; the worker runs it batch by batch
(``crm_app.contacts.bulk``), reporting the contacts looked at so far as its progress, and keeps the
``BulkResult`` (with its undo) as the job's result.

``queue_search_rebuild`` queues the rebuild once (whatever the number of processes starting) when the search rows
have another layout than today's; the worker rebuilds them batch by batch while the list answers from the rows
as they stand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from sqlmodel import Session

from crm_app.contacts import bulk
from crm_app.contacts import tags as tag_service
from crm_app.contacts.search.filters import filter_from_params
from crm_app.contacts.search.structures import rebuild_search_rows, search_documents_current
from crm_app.core.errors import NotFoundError
from crm_app.db import session_scope
from crm_app.jobs import queue
from crm_app.jobs.registry import JobContext, handler

log = logging.getLogger(__name__)

BULK = "contacts.bulk"
SEARCH_REBUILD = "search.rebuild"
UNDO = "undo"
BULK_ACTIONS: dict[str, Callable[..., bulk.BulkResult]] = {
    "add_tag": bulk.bulk_add_tag,
    "remove_tag": bulk.bulk_remove_tag,
    "assign": bulk.bulk_assign,
    "archive": bulk.bulk_archive,
    "restore": bulk.bulk_restore,
    "delete": bulk.bulk_delete,
}


def enqueue_bulk(
    session: Session,
    *,
    action: str,
    actor_id: int | None,
    ids: Sequence[int] | None = None,
    params: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
    undo: bulk.BulkUndo | None = None,
) -> int:
    """Queue a bulk action on a selection (``ids``) or on every contact the list's ``params`` match, or the
    ``undo`` of an earlier one (``action="undo"``); returns the job's id."""
    if action != UNDO and action not in BULK_ACTIONS:
        raise NotFoundError("Unknown bulk action.")
    payload: dict[str, Any] = {"action": action, "actor_id": actor_id}
    if action == UNDO:
        payload["undo"] = undo.model_dump(mode="json") if undo is not None else None
    else:
        payload.update(ids=None if ids is None else list(ids), params=dict(params or {}), extra=dict(extra or {}))
    return queue.enqueue(session, BULK, payload, max_attempts=1)


def _tag_id(db: Any, name: str, *, create: bool, actor_id: int | None) -> int:
    wanted = name.strip().casefold()
    for tag in tag_service.list_tags(db):
        if tag.name.casefold() == wanted:
            return tag.id
    if not create:
        raise NotFoundError("There is no tag with that name.")
    return tag_service.create_tag(db, name=name, actor_id=actor_id).id


def run_bulk(session: Session, payload: dict[str, Any], on_batch: bulk.Progress) -> bulk.BulkResult:
    """Run a queued bulk action: batches of 1,000 contacts, each committed."""
    actor_id = payload["actor_id"]
    if payload["action"] == UNDO:
        undo = bulk.BulkUndo.model_validate(payload["undo"])
        return bulk.undo_bulk(session, undo=undo, actor_id=actor_id, on_batch=on_batch)
    fn = BULK_ACTIONS[payload["action"]]
    extra = dict(payload["extra"])
    if "tag_name" in extra:
        creating = payload["action"] == "add_tag"
        extra = {"tag_id": _tag_id(session, extra.pop("tag_name"), create=creating, actor_id=actor_id)}
    ids = payload["ids"]
    target = {"ids": ids} if ids is not None else {"filter": filter_from_params(payload["params"])}
    return fn(session, **target, **extra, actor_id=actor_id, on_batch=on_batch)


@handler(BULK)
def _bulk_job(job: JobContext) -> dict[str, Any]:
    with session_scope() as db:
        result = run_bulk(db, job.payload, lambda done: job.progress(done.matched))
    return result.model_dump(mode="json")


def queue_search_rebuild(session: Session) -> int | None:
    """Queue the rebuild of the search rows when they have another layout than today's (after an upgrade); returns
    the job's id (the queued one when several processes ask), None when the rows are current."""
    if search_documents_current(session):
        return None
    return queue.enqueue(session, SEARCH_REBUILD, dedupe_key=SEARCH_REBUILD)


@handler(SEARCH_REBUILD)
def _search_rebuild_job(job: JobContext) -> dict[str, Any]:
    rebuilt = rebuild_search_rows(on_batch=lambda done, total: job.progress(done, total))
    log.warning("Rebuilt the search rows of %s contacts (they were written by an earlier version).", rebuilt)
    return {"rebuilt": rebuilt}
