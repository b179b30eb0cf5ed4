"""Import runs as queued jobs: claimed when queued, run by the worker, resumed after the worker died."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

import crm_app.models  # noqa: F401  (registers every job handler)
from crm_app import cli
from crm_app.core.errors import ValidationError
from crm_app.core.timeutil import utcnow
from crm_app.db import get_engine, session_scope
from crm_app.exchange import jobs as exchange_jobs
from crm_app.exchange.imports import dry_run, lifecycle, running
from crm_app.exchange.models import ImportJob
from crm_app.jobs import queue, worker
from crm_app.settings import settings
from tests.exchange.helpers import contact_count, upload, xlsx_bytes

HEADERS = ["Prénom", "Nom", "E-mail"]


def _checked(rows: int) -> int:
    engine = get_engine()
    data = [HEADERS, *([f"Anna{i}", f"Job{i}", f"anna{i}@example.pl"] for i in range(rows))]
    job = upload(engine, xlsx_bytes(data))
    dry_run.dry_run(import_id=job.id, engine=engine)
    return job.id


def test_a_queued_import_is_claimed_at_once_and_run_by_the_worker(app_db) -> None:
    import_id = _checked(5)
    with session_scope() as db:
        claimed, _job_id = exchange_jobs.enqueue_import(db, import_id=import_id, actor_id=None)
    assert claimed.status == lifecycle.RUNNING
    with session_scope() as db, pytest.raises(ValidationError, match="already running"):
        exchange_jobs.enqueue_import(db, import_id=import_id, actor_id=None)
    assert worker.run_until_idle() == 1
    with session_scope() as db:
        done = lifecycle.get_import(db, import_id=import_id)
    assert (done.status, done.created_count) == (lifecycle.DONE, 5)
    assert contact_count(get_engine()) == 5


def test_an_import_whose_worker_died_is_resumed_by_the_next_claim_of_its_job(app_db, monkeypatch) -> None:
    monkeypatch.setattr(settings, "import_batch_size", 10)
    import_id = _checked(30)
    with session_scope() as db:
        exchange_jobs.enqueue_import(db, import_id=import_id, actor_id=None)
        worker_token = db.get(ImportJob, import_id).worker
        dying = queue.claim(db, worker="dies", lease=timedelta(seconds=-1))
    assert dying is not None
    half = running.run_import(import_id=import_id, worker=worker_token, stop_after_batches=1)
    assert half.status == lifecycle.RUNNING and 0 < half.processed_rows < 30
    with session_scope() as db:
        db.execute(
            update(ImportJob).where(ImportJob.id == import_id).values(heartbeat_at=utcnow() - timedelta(hours=1))
        )
    assert worker.run_until_idle() == 1
    with session_scope() as db:
        done = lifecycle.get_import(db, import_id=import_id)
    assert (done.status, done.processed_rows, done.created_count) == (lifecycle.DONE, 30, 30)


def test_the_command_line_prints_an_imports_state(app_db, capsys) -> None:
    import_id = _checked(2)
    assert cli.main(["imports", "status", str(import_id)]) == 0
    assert '"status":"checked"' in capsys.readouterr().out
    assert cli.main(["imports", "status", "999999"]) == 2


def test_the_dry_run_and_the_undo_of_an_import_run_as_queued_jobs(app_db) -> None:
    engine = get_engine()
    job = upload(engine, xlsx_bytes([HEADERS, ["Anna", "Undo", "anna@example.pl"], ["", "", "bad@"]]))
    with session_scope() as db:
        exchange_jobs.enqueue_dry_run(db, import_id=job.id)
    worker.run_until_idle()
    with session_scope() as db:
        checked = lifecycle.get_import(db, import_id=job.id)
        exchange_jobs.enqueue_import(db, import_id=job.id, actor_id=None)
    assert checked.status == lifecycle.CHECKED
    worker.run_until_idle()
    assert contact_count(engine) == 1
    with session_scope() as db:
        undo_id = exchange_jobs.enqueue_undo(db, import_id=job.id, actor_id=None)
    worker.run_until_idle()
    with session_scope() as db:
        assert lifecycle.get_import(db, import_id=job.id).status == lifecycle.UNDONE
        assert queue.get_job(db, job_id=undo_id).status == "done"
    assert contact_count(engine) == 0


def test_a_dry_run_refused_by_the_import_fails_with_its_reason(app_db) -> None:
    import_id = _checked(1)
    with session_scope() as db:
        exchange_jobs.enqueue_import(db, import_id=import_id, actor_id=None)
        dry_id = exchange_jobs.enqueue_dry_run(db, import_id=import_id)
    worker.run_until_idle()
    with session_scope() as db:
        refused = queue.get_job(db, job_id=dry_id)
    assert refused.status == "failed" and refused.error
