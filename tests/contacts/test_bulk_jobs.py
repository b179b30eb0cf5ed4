"""Bulk actions as queued jobs: run by the worker on a selection or a filter, with progress, result and undo."""

from __future__ import annotations

import crm_app.models  # noqa: F401  (registers every job handler)
from crm_app.auth import service as auth_service
from crm_app.contacts import jobs as contact_jobs
from crm_app.contacts import service as contacts
from crm_app.contacts import tags as tag_service
from crm_app.db import session_scope
from crm_app.jobs import queue, worker
from tests.contacts.factories import person


def _people(*names: str) -> list[int]:
    with session_scope() as db:
        return [
            contacts.create_contact(
                db, data=person(first_name=name, last_name="Jobbed", phones=[], emails=[], addresses=[]), actor_id=None
            ).id
            for name in names
        ]


def _tag_count(name: str) -> int:
    with session_scope() as db:
        usage = tag_service.tag_usage(db)
        return sum(usage.get(tag.id, 0) for tag in tag_service.list_tags(db) if tag.name == name)


def test_a_queued_action_runs_on_every_matching_contact_and_reports_each_batch(app_db) -> None:
    _people("Ann", "Bob", "Cid", "Dan")
    with session_scope() as db:
        actor = auth_service.create_user(
            db, email="boss@example.com", name="Boss", role="manager", password="bulk-jobs-password-1", actor_id=None
        )[0]
    payload = {"action": "add_tag", "extra": {"tag_name": "Everyone"}, "ids": None, "params": {"q": "Jobbed"}}
    seen: list[int] = []
    with session_scope() as db:
        result = contact_jobs.run_bulk(db, {**payload, "actor_id": actor.id}, lambda r: seen.append(r.matched))
    assert (result.changed, seen, _tag_count("Everyone")) == (4, [4], 4)


def test_the_worker_runs_a_queued_action_and_keeps_its_progress_and_result(app_db) -> None:
    ids = _people("Ann", "Bob", "Cid")
    with session_scope() as db:
        job_id = contact_jobs.enqueue_bulk(
            db, action="add_tag", actor_id=None, ids=ids[:2], extra={"tag_name": "Chosen"}
        )
    assert _tag_count("Chosen") == 0
    assert worker.run_until_idle() == 1
    with session_scope() as db:
        job = queue.get_job(db, job_id=job_id)
    assert (job.status, job.progress["done"], job.result["changed"]) == ("done", 2, 2)
    assert sorted(int(i) for i in job.result["undo"]["before"]) == ids[:2]
    assert _tag_count("Chosen") == 2
    with session_scope() as db:
        undo_id = contact_jobs.enqueue_bulk(
            db, action=contact_jobs.UNDO, actor_id=None, undo=contact_jobs.bulk.BulkResult(**job.result).undo
        )
    worker.run_until_idle()
    with session_scope() as db:
        assert queue.get_job(db, job_id=undo_id).result["changed"] == 2
    assert _tag_count("Chosen") == 0


def test_a_queued_action_refused_by_the_domain_fails_at_once_with_its_reason(app_db) -> None:
    ids = _people("Ann")
    with session_scope() as db:
        job_id = contact_jobs.enqueue_bulk(db, action="remove_tag", actor_id=None, ids=ids, extra={"tag_name": "Nope"})
    worker.run_until_idle()
    with session_scope() as db:
        job = queue.get_job(db, job_id=job_id)
    assert (job.status, job.attempts, job.error) == ("failed", 1, "There is no tag with that name.")
