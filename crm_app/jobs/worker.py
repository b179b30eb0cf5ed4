"""The worker: claims due jobs and runs their handlers, a few at a time, in every app process.

Each app process starts one ``Worker`` from its lifespan (``serve``); ``python -m crm_app.cli worker`` runs one
from the command line. A slot is a daemon thread: it claims a job, runs its handler while a heartbeat keeps the
lease (and writes the progress the handler reports), then records the result or the error. Idle slots sleep
until a job is committed in this process or the next poll (jobs enqueued by other processes). A process that
stops mid-job leaves the lease to run out; another worker then claims the job again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from crm_app.core import events
from crm_app.core.errors import DomainError
from crm_app.db import session_scope
from crm_app.jobs import queue, registry
from crm_app.jobs.registry import JobContext, JobLost

log = logging.getLogger(__name__)

SLOTS = 2
POLL_SECONDS = 2.0
PROGRESS_EVERY_SECONDS = 0.25
LOG_PROBLEMS_EVERY_SECONDS = 60.0
UNEXPECTED = "The job stopped on an unexpected error"


def worker_name() -> str:
    """Who holds a job: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


class _Lease:
    """Keeps one claimed job's lease alive and writes its progress (at most every ``PROGRESS_EVERY_SECONDS``)."""

    def __init__(self, claim: queue.Claim, engine: Engine | None, lease: timedelta) -> None:
        self.claim, self.engine, self.lease = claim, engine, lease
        self.pending: dict[str, Any] | None = None
        self.lost = False
        self._written = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"job-{claim.id}-lease", daemon=True)

    def __enter__(self) -> _Lease:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def report(self, progress: dict[str, Any]) -> bool:
        self.pending = progress
        if time.monotonic() - self._written >= PROGRESS_EVERY_SECONDS:
            self._write()
        return not self.lost

    def _beat(self) -> None:
        while not self._stop.wait(self.lease.total_seconds() / 4):
            self._write()

    def _write(self) -> None:
        with self._lock:
            progress, self.pending = self.pending, None
            self._written = time.monotonic()
            try:
                with session_scope(self.engine) as s:
                    held = queue.heartbeat(
                        s, job_id=self.claim.id, worker=self.claim.worker, progress=progress, lease=self.lease
                    )
            except SQLAlchemyError:
                log.warning("job %s: the heartbeat was not written (retried)", self.claim.id, exc_info=True)
                self.pending = self.pending or progress
                return
            self.lost = self.lost or not held


def run_next(
    *,
    worker: str | None = None,
    engine: Engine | None = None,
    kinds: tuple[str, ...] | None = None,
    lease: timedelta = queue.LEASE,
) -> int | None:
    """Claim one due job of a registered kind and run it to its end; returns its id, None when none was due."""
    kinds = registry.kinds() if kinds is None else kinds
    if not kinds:
        return None
    with session_scope(engine) as s:
        claim = queue.claim(s, worker=worker or worker_name(), kinds=kinds, lease=lease)
    if claim is None:
        return None
    run = registry.handler_for(claim.kind)
    with _Lease(claim, engine, lease) as held:
        context = JobContext(
            id=claim.id,
            kind=claim.kind,
            payload=claim.payload,
            attempt=claim.attempt,
            worker=claim.worker,
            report=held.report,
        )
        try:
            result = run(context)
        except JobLost:
            log.warning("job %s (%s) was taken over by another worker", claim.id, claim.kind)
            return claim.id
        except DomainError as error:
            _end(engine, claim, error=error.message, retry=False)
            return claim.id
        except Exception as error:
            log.exception("job %s (%s) failed on attempt %s", claim.id, claim.kind, claim.attempt)
            _end(engine, claim, error=f"{UNEXPECTED} ({type(error).__name__}).")
            return claim.id
        pending = held.pending
    with session_scope(engine) as s:
        if not queue.finish(s, job_id=claim.id, worker=claim.worker, result=result, progress=pending):
            log.warning("job %s (%s) finished after another worker took it over", claim.id, claim.kind)
    return claim.id


def _end(engine: Engine | None, claim: queue.Claim, *, error: str, retry: bool = True) -> None:
    with session_scope(engine) as s:
        queue.fail(s, job_id=claim.id, worker=claim.worker, error=error, retry=retry)


def run_until_idle(*, engine: Engine | None = None, kinds: tuple[str, ...] | None = None) -> int:
    """Run due jobs one after the other until none is due; returns how many ran."""
    ran = 0
    while run_next(engine=engine, kinds=kinds) is not None:
        ran += 1
    return ran


class Worker:
    """``slots`` daemon threads running jobs until ``stop``."""

    def __init__(self, *, slots: int = SLOTS, poll_seconds: float = POLL_SECONDS, engine: Engine | None = None):
        self.slots, self.poll_seconds, self.engine = slots, poll_seconds, engine
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._problem_logged = 0.0

    def start(self) -> None:
        """Start the slots and wake them whenever a job is committed in this process."""
        events.after_commit(queue.JobEnqueued, self._enqueued)
        for slot in range(self.slots):
            name = f"{worker_name()}#{slot}"
            thread = threading.Thread(target=self._loop, args=(name,), name=f"job-worker-{slot}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, *, wait: float = 0.0) -> None:
        """Stop claiming jobs (a running one goes on, or its lease runs out if the process ends first)."""
        events.forget(queue.JobEnqueued, self._enqueued)
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=wait)

    def _enqueued(self, _event: queue.JobEnqueued) -> None:
        self._wake.set()

    def _loop(self, name: str) -> None:
        while not self._stop.is_set():
            try:
                ran = run_next(worker=name, engine=self.engine)
            except Exception:
                ran = None
                if time.monotonic() - self._problem_logged >= LOG_PROBLEMS_EVERY_SECONDS:
                    self._problem_logged = time.monotonic()
                    log.exception("the job worker could not claim a job (retried every %ss)", self.poll_seconds)
            if ran is None and not self._stop.is_set():
                self._wake.wait(self.poll_seconds)
                self._wake.clear()


async def serve() -> None:
    """The app's lifespan task: a worker for as long as the process serves."""
    worker = Worker()
    worker.start()
    try:
        await asyncio.Event().wait()
    finally:
        worker.stop()
