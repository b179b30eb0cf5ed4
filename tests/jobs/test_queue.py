"""The job queue: transactional enqueue, one run per job among racing workers, retries, crashes, progress."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from crm_app.core.errors import ValidationError
from crm_app.core.timeutil import as_utc, utcnow
from crm_app.db import build_engine, session_scope
from crm_app.jobs import queue, registry, worker
from crm_app.jobs.models import Job
from tests.conftest import _create_schema

ROOT = Path(__file__).resolve().parents[2]
ran: list[int] = []
seen_progress: list[dict] = []


@registry.handler("test.count")
def _count(job: registry.JobContext) -> dict:
    ran.append(job.payload["n"])
    time.sleep(0.002)
    return {"n": job.payload["n"]}


@registry.handler("test.broken")
def _broken(job: registry.JobContext) -> None:
    raise RuntimeError("boom")


@registry.handler("test.refused")
def _refused(job: registry.JobContext) -> None:
    raise ValidationError("This cannot be done.")


@registry.handler("test.steps")
def _steps(job: registry.JobContext) -> dict:
    for done in range(1, 4):
        job.progress(done, 3)
        time.sleep(0.3)
        with session_scope(build_engine(job.payload["engine_url"])) as s:
            seen_progress.append(queue.get_job(s, job_id=job.id).progress)
    return {"steps": 3}


@registry.handler("test.sleep")
def _wakes_up(job: registry.JobContext) -> dict:
    return {"attempt": job.attempt}


def _state(engine, job_id: int):
    with session_scope(engine) as s:
        return queue.get_job(s, job_id=job_id)


def test_a_job_enqueued_in_a_transaction_that_rolls_back_is_gone_with_it(any_engine):
    with pytest.raises(RuntimeError), session_scope(any_engine) as s:
        queue.enqueue(s, "test.count", {"n": 1})
        raise RuntimeError("the change failed")
    assert worker.run_next(engine=any_engine, kinds=("test.count",)) is None
    with session_scope(any_engine) as s:
        job_id = queue.enqueue(s, "test.count", {"n": 2})
    assert worker.run_next(engine=any_engine, kinds=("test.count",)) == job_id
    assert _state(any_engine, job_id).result == {"n": 2}


def test_two_workers_racing_run_every_job_exactly_once(any_engine):
    ran.clear()
    with session_scope(any_engine) as s:
        ids = [queue.enqueue(s, "test.count", {"n": n}) for n in range(40)]

    def work(name: str) -> None:
        while worker.run_next(worker=name, engine=any_engine, kinds=("test.count",)) is not None:
            pass

    racers = [threading.Thread(target=work, args=(f"racer-{i}",)) for i in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=60)
    assert sorted(ran) == list(range(40))
    states = [_state(any_engine, job_id) for job_id in ids]
    assert {(job.status, job.attempts) for job in states} == {("done", 1)}


def test_a_failing_job_is_retried_after_a_backoff_then_given_up_with_its_error_kept(any_engine):
    with session_scope(any_engine) as s:
        job_id = queue.enqueue(s, "test.broken", max_attempts=2)
    before = utcnow()
    assert worker.run_next(engine=any_engine, kinds=("test.broken",)) == job_id
    first = _state(any_engine, job_id)
    assert (first.status, first.attempts) == ("queued", 1)
    assert "RuntimeError" in first.error
    with session_scope(any_engine) as s:
        run_after = as_utc(s.get(Job, job_id).run_after)
    assert run_after >= before + queue.backoff(1) - timedelta(seconds=1)
    assert worker.run_next(engine=any_engine, kinds=("test.broken",)) is None  # not due yet
    with session_scope(any_engine) as s:
        s.execute(update(Job).where(Job.id == job_id).values(run_after=utcnow()))
    assert worker.run_next(engine=any_engine, kinds=("test.broken",)) == job_id
    last = _state(any_engine, job_id)
    assert (last.status, last.attempts, last.ended) == ("failed", 2, True)
    assert "RuntimeError" in last.error
    assert queue.backoff(2) == 2 * queue.backoff(1) and queue.backoff(30) == queue.MAX_BACKOFF


def test_a_refused_job_fails_at_once_with_the_reason(any_engine):
    with session_scope(any_engine) as s:
        job_id = queue.enqueue(s, "test.refused")
    worker.run_next(engine=any_engine, kinds=("test.refused",))
    refused = _state(any_engine, job_id)
    assert (refused.status, refused.attempts, refused.error) == ("failed", 1, "This cannot be done.")


def test_the_same_work_is_queued_once_while_it_waits_or_runs(any_engine):
    with session_scope(any_engine) as s:
        first = queue.enqueue(s, "test.count", {"n": 1}, dedupe_key="once")
        assert queue.enqueue(s, "test.count", {"n": 1}, dedupe_key="once") == first
    worker.run_next(engine=any_engine, kinds=("test.count",))
    with session_scope(any_engine) as s:
        assert queue.enqueue(s, "test.count", {"n": 1}, dedupe_key="once") != first


def test_progress_is_recorded_while_the_job_runs(tmp_path):
    url = f"sqlite:///{tmp_path / 'progress.db'}"
    engine = build_engine(url)
    _create_schema(engine)
    seen_progress.clear()
    with session_scope(engine) as s:
        job_id = queue.enqueue(s, "test.steps", {"engine_url": url})
    worker.run_next(engine=engine, kinds=("test.steps",))
    assert [p["done"] for p in seen_progress] == [1, 2, 3]
    assert all(p["total"] == 3 for p in seen_progress)
    done = _state(engine, job_id)
    assert (done.status, done.progress["done"], done.result) == ("done", 3, {"steps": 3})
    engine.dispose()


CRASHING_WORKER = """
import sys, time
from datetime import timedelta
from crm_app.db import build_engine
from crm_app.jobs import registry, worker

@registry.handler("test.sleep")
def sleep(job):
    job.progress(1, 2)
    time.sleep(120)

worker.run_next(engine=build_engine(sys.argv[1]), kinds=("test.sleep",), lease=timedelta(seconds=2))
"""


def test_a_job_whose_worker_was_killed_is_claimed_again_once_its_lease_runs_out(tmp_path):
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    engine = build_engine(url)
    _create_schema(engine)
    with session_scope(engine) as s:
        job_id = queue.enqueue(s, "test.sleep")
    proc = subprocess.Popen([sys.executable, "-c", CRASHING_WORKER, url], cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _state(engine, job_id).progress.get("done") != 1:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    held = _state(engine, job_id)
    assert (held.status, held.attempts) == ("running", 1)
    assert worker.run_next(engine=engine, kinds=("test.sleep",)) is None  # the lease still holds
    time.sleep(2.1)
    assert worker.run_next(engine=engine, kinds=("test.sleep",)) == job_id
    done = _state(engine, job_id)
    assert (done.status, done.attempts, done.result) == ("done", 2, {"attempt": 2})
    engine.dispose()


def test_a_job_whose_workers_keep_dying_fails_once_its_attempts_are_spent(any_engine):
    with session_scope(any_engine) as s:
        job_id = queue.enqueue(s, "test.sleep", max_attempts=1)
        claim = queue.claim(s, worker="dies", kinds=("test.sleep",), lease=timedelta(seconds=-1))
    assert claim is not None and claim.id == job_id
    assert worker.run_next(engine=any_engine, kinds=("test.sleep",)) is None
    gone = _state(any_engine, job_id)
    assert (gone.status, gone.error) == ("failed", queue.CRASHED)


def test_a_running_worker_picks_up_a_job_as_soon_as_it_is_committed(any_engine):
    ran.clear()
    running = worker.Worker(slots=1, poll_seconds=30, engine=any_engine)
    running.start()
    try:
        time.sleep(0.2)
        with session_scope(any_engine) as s:
            job_id = queue.enqueue(s, "test.count", {"n": 7})
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not _state(any_engine, job_id).ended:
            time.sleep(0.05)
        assert _state(any_engine, job_id).status == "done"
    finally:
        running.stop(wait=5)
