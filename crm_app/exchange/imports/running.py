"""The run: import the rows of a claimed job batch by batch from where it stopped, each batch with its rows'
accounts and the job's progress in one transaction, until done, cancelled or taken over."""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter as Tally
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Engine, select, update
from sqlmodel import Session

from crm_app.contacts import events as changes
from crm_app.core.collector import after_batch, collector_paused
from crm_app.core.errors import ValidationError
from crm_app.core.memo import reading_config_once
from crm_app.core.timeutil import utcnow
from crm_app.db import get_engine, insert_rows, session_scope
from crm_app.exchange.files import cells_json
from crm_app.exchange.imports.checking import Verdict, checks_fingerprint
from crm_app.exchange.imports.context import parse_context
from crm_app.exchange.imports.deciding import Outcome, Planner
from crm_app.exchange.imports.lifecycle import CANCELLED, DONE, FAILED, RUNNING, get_import, import_job
from crm_app.exchange.imports.rows import drop_kept_files, in_batches, rows_to_run
from crm_app.exchange.models import ImportJob, ImportRow
from crm_app.exchange.parse import RowInput
from crm_app.exchange.schemas import ImportRead
from crm_app.settings import settings

log = logging.getLogger(__name__)
T = TypeVar("T")


@contextlib.contextmanager
def _read_ahead(batches: Iterator[T]) -> Iterator[Iterator[T]]:
    """``batches`` with the next one made in a thread while the caller works on the current one.

    Making a batch is pure Python (reading kept lines back); writing one spends much of its time in SQLite,
    which lets go of the interpreter meanwhile, so the two overlap. ``batches`` is only ever advanced by the
    thread, one step at a time; leaving the block waits for a step under way, then the caller may close it.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-read-ahead") as pool:

        def ahead() -> Iterator[T]:
            step = pool.submit(next, batches, None)
            while (batch := step.result()) is not None:
                step = pool.submit(next, batches, None)
                yield batch

        yield ahead()


class _Lost(Exception):
    """The job is no longer ours (another worker resumed it after a stall)."""


def _write_rows(session: Session, import_id: int, outcomes: list[Outcome], planner: Planner) -> None:
    rows = []
    for outcome in outcomes:
        keys = "\n".join(outcome.keys)
        rows.append(
            {
                "import_id": import_id,
                "row_number": outcome.row.number,
                "action": outcome.action,
                "contact_id": outcome.contact_id,
                "keys": keys,
                "problems": outcome.report(),
                "cells": cells_json(outcome.row.cells) if outcome.reported else None,
                "before": outcome.before,
                "version_after": outcome.version_after,
                "undone": False,
            }
        )
    insert_rows(session, ImportRow.__table__, rows)


def _commit_batch(
    engine: Engine,
    job: ImportJob,
    planner: Planner,
    chunk: list[tuple[RowInput, Verdict | None]],
    worker: str,
    elapsed: float,
    checks: str,
) -> bool:
    """Write one batch and the job's progress in one transaction; False when a cancel was asked for.

    The dry run's verdicts on rows as new contacts are reused while what validating them reads is unchanged
    (``checks``); duplicates, matches and references are always decided again."""
    rows = [row for row, _verdict in chunk]
    with session_scope(engine) as s, reading_config_once(s):
        state = s.execute(
            select(ImportJob.status, ImportJob.worker, ImportJob.cancel_requested).where(ImportJob.id == job.id)
        ).one()
        if state.status != RUNNING or state.worker != worker:
            raise _Lost
        if state.cancel_requested:
            s.execute(
                update(ImportJob)
                .where(ImportJob.id == job.id)
                .values(status=CANCELLED, cancel_requested=False, heartbeat_at=utcnow(), run_seconds=elapsed)
            )
            return False
        known = None
        if checks and checks == checks_fingerprint(s, planner.reading):
            known = {row.number: verdict for row, verdict in chunk if verdict is not None}
        outcomes = planner.decide(s, rows, known)
        _write_rows(s, job.id, outcomes, planner)
        tally = Tally(o.action for o in outcomes)
        s.execute(
            update(ImportJob)
            .where(ImportJob.id == job.id)
            .values(
                next_row=rows[-1].number + 1,
                processed_rows=ImportJob.processed_rows + len(rows),
                created_count=ImportJob.created_count + tally["created"],
                updated_count=ImportJob.updated_count + tally["updated"],
                skipped_count=ImportJob.skipped_count + tally["skipped"] + tally["unchanged"],
                rejected_count=ImportJob.rejected_count + tally["rejected"],
                heartbeat_at=utcnow(),
                run_seconds=elapsed,
            )
        )
    return True


def run_import(
    *,
    import_id: int,
    worker: str,
    engine: Engine | None = None,
    stop_after_batches: int | None = None,
) -> ImportRead:
    """Import the rows of a claimed job from where it stopped, batch by batch, until done or cancelled."""
    engine = engine or get_engine()
    with session_scope(engine) as s:
        job = import_job(s, import_id)
        if job.status != RUNNING or job.worker != worker:
            raise ValidationError("Start the import before running it.")
        ctx = parse_context(s, job)
        planner = Planner(job, ctx, write=True, actor_id=job.created_by_id)
        planner.restore(s)
        base_seconds = job.run_seconds or 0.0
        next_row = job.next_row
        s.expunge(job)
    started = time.monotonic()
    batches = 0
    try:
        with (
            collector_paused(),
            rows_to_run(job, planner, next_row) as (pending, checks),
            _read_ahead(in_batches(pending, settings.import_batch_size)) as ahead,
        ):
            for chunk in ahead:
                elapsed = base_seconds + time.monotonic() - started
                if not _commit_batch(engine, job, planner, chunk, worker, elapsed, checks):
                    break
                batches += 1
                after_batch()
                if stop_after_batches is not None and batches >= stop_after_batches:
                    break
            else:
                _finish(engine, job.id, worker, base_seconds + time.monotonic() - started)
                drop_kept_files(job)
    except _Lost:
        log.warning("import %s was taken over by another worker", import_id)
    except ValidationError as error:
        _fail(engine, job.id, worker, error.message)
    except Exception as error:
        log.exception("import %s failed", import_id)
        _fail(engine, job.id, worker, f"The import stopped on an unexpected error ({type(error).__name__}).")
    with session_scope(engine) as s:
        return get_import(s, import_id=import_id)


def _finish(engine: Engine, import_id: int, worker: str, elapsed: float) -> None:
    with session_scope(engine) as s:
        s.execute(
            update(ImportJob)
            .where(ImportJob.id == import_id, ImportJob.worker == worker, ImportJob.status == RUNNING)
            .values(status=DONE, finished_at=utcnow(), heartbeat_at=utcnow(), run_seconds=elapsed)
        )
        changes.mark_list_changed(s)


def _fail(engine: Engine, import_id: int, worker: str, message: str) -> None:
    with session_scope(engine) as s:
        s.execute(
            update(ImportJob)
            .where(ImportJob.id == import_id, ImportJob.worker == worker)
            .values(status=FAILED, error=message[:2000], heartbeat_at=utcnow())
        )
