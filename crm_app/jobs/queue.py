"""The durable job queue: enqueue in the caller's transaction, claim once, heartbeat, finish, retry or fail.

Every function works on the ``job`` table alone, so any number of app processes share one queue:

- ``enqueue`` adds a row in the caller's transaction (a rollback drops the job with the change that caused it).
- ``claim`` takes the oldest due job for one worker, exactly once: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (other
  workers skip the row), and on both engines a conditional ``UPDATE`` that only one claimer can win (SQLite
  serialises it behind ``BEGIN IMMEDIATE``). A running job whose lease has passed lost its worker (a crash) and is
  claimed again; after ``max_attempts`` claims it fails instead.
- ``heartbeat`` extends the lease and records progress; ``finish`` and ``fail`` end a claim (``fail`` queues
  the job again after a backoff until its attempts are spent, then keeps the error).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from crm_app.core import events
from crm_app.core.errors import NotFoundError
from crm_app.core.timeutil import utcnow
from crm_app.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
from crm_app.jobs.schemas import JobRead

LEASE = timedelta(minutes=2)
BACKOFF = timedelta(seconds=5)
MAX_BACKOFF = timedelta(hours=1)
CRASHED = "Its worker stopped before it finished, too many times."


@dataclass(frozen=True)
class JobEnqueued:
    """A job was committed to the queue (idle workers of this process wake up)."""

    job_id: int
    kind: str


@dataclass(frozen=True)
class Claim:
    """A job a worker holds: what to run, with which payload, on which attempt."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    worker: str


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    run_after: datetime | None = None,
    max_attempts: int = 3,
    dedupe_key: str | None = None,
) -> int:
    """Queue a job in the caller's transaction and return its id; with ``dedupe_key``, the id of the queued or
    running job that already has that key instead of a second one."""
    if dedupe_key is not None:
        existing = _with_key(session, dedupe_key)
        if existing is not None:
            return existing
    job = Job(
        kind=kind,
        payload=payload or {},
        run_after=run_after or utcnow(),
        max_attempts=max(1, max_attempts),
        dedupe_key=dedupe_key,
    )
    if dedupe_key is None:
        session.add(job)
        session.flush()
    else:
        try:
            with session.begin_nested():
                session.add(job)
        except IntegrityError:
            existing = _with_key(session, dedupe_key)
            if existing is None:
                raise
            return existing
    events.publish_after_commit(session, JobEnqueued(job_id=job.id, kind=kind))
    return job.id


def _with_key(session: Session, dedupe_key: str) -> int | None:
    return session.execute(select(Job.id).where(Job.dedupe_key == dedupe_key)).scalar()


def backoff(attempt: int) -> timedelta:
    """How long a job waits before its next attempt after failing ``attempt`` times (doubling, at most an hour)."""
    return min(BACKOFF * 2 ** max(0, attempt - 1), MAX_BACKOFF)


def claim(
    session: Session, *, worker: str, kinds: tuple[str, ...] | None = None, lease: timedelta = LEASE
) -> Claim | None:
    """Take the oldest due job (or one whose worker's lease has passed) for ``worker``; None when there is none."""
    while True:
        now = utcnow()
        due = or_(
            and_(Job.status == QUEUED, Job.run_after <= now),
            and_(Job.status == RUNNING, Job.locked_until < now),
        )
        query = select(Job.id, Job.kind, Job.payload, Job.status, Job.attempts, Job.max_attempts).where(due)
        if kinds is not None:
            query = query.where(Job.kind.in_(kinds))
        row = session.execute(query.order_by(Job.run_after, Job.id).limit(1).with_for_update(skip_locked=True)).first()
        if row is None:
            return None
        same = and_(Job.id == row.id, Job.status == row.status, Job.attempts == row.attempts)
        if row.status == RUNNING and row.attempts >= row.max_attempts:
            session.execute(update(Job).where(same).values(_ended(FAILED, now, error=CRASHED)))
            continue
        won = session.execute(
            update(Job)
            .where(same)
            .values(
                status=RUNNING,
                locked_by=worker,
                locked_until=now + lease,
                attempts=Job.attempts + 1,
                started_at=func.coalesce(Job.started_at, now),
            )
        )
        if won.rowcount != 1:
            return None
        return Claim(id=row.id, kind=row.kind, payload=dict(row.payload or {}), attempt=row.attempts + 1, worker=worker)


def _ended(status: str, now: datetime, **values: Any) -> dict[str, Any]:
    return {"status": status, "finished_at": now, "locked_until": None, "dedupe_key": None, **values}


def _held(job_id: int, worker: str) -> Any:
    return and_(Job.id == job_id, Job.status == RUNNING, Job.locked_by == worker)


def heartbeat(
    session: Session,
    *,
    job_id: int,
    worker: str,
    progress: dict[str, Any] | None = None,
    lease: timedelta = LEASE,
) -> bool:
    """Extend the worker's lease on a job (and record its progress); False when the job is no longer its own."""
    values: dict[str, Any] = {"locked_until": utcnow() + lease}
    if progress is not None:
        values["progress"] = progress
    return session.execute(update(Job).where(_held(job_id, worker)).values(values)).rowcount == 1


def finish(
    session: Session,
    *,
    job_id: int,
    worker: str,
    result: dict[str, Any] | None = None,
    progress: dict[str, Any] | None = None,
) -> bool:
    """Record a job as done with its result (and last progress); False when the job is no longer the worker's."""
    values = _ended(DONE, utcnow(), result=result, error="")
    if progress is not None:
        values["progress"] = progress
    return session.execute(update(Job).where(_held(job_id, worker)).values(values)).rowcount == 1


def fail(session: Session, *, job_id: int, worker: str, error: str, retry: bool = True) -> bool:
    """Record a failed attempt: the job runs again after a backoff, or fails for good once its attempts are
    spent or without ``retry`` (the error is kept either way); False when the job is no longer the worker's."""
    row = session.execute(select(Job.attempts, Job.max_attempts).where(_held(job_id, worker))).first()
    if row is None:
        return False
    now = utcnow()
    if retry and row.attempts < row.max_attempts:
        values: dict[str, Any] = {
            "status": QUEUED,
            "run_after": now + backoff(row.attempts),
            "locked_by": "",
            "locked_until": None,
            "error": error[:2000],
        }
    else:
        values = _ended(FAILED, now, error=error[:2000])
    return session.execute(update(Job).where(_held(job_id, worker)).values(values)).rowcount == 1


def get_job(session: Session, *, job_id: int) -> JobRead:
    """A job's state, progress and result."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFoundError("This job does not exist.")
    session.refresh(job)
    return JobRead.model_validate(job, from_attributes=True)
