"""The dry run: read the whole file and decide every row without writing a contact; keep the summary on the
import, the report of the rows to check next to the file, and what was read for the run."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, select, update
from sqlmodel import Session

from crm_app.core.collector import after_batch, collector_paused
from crm_app.core.errors import ValidationError
from crm_app.core.memo import reading_config_once
from crm_app.core.timeutil import utcnow
from crm_app.db import get_engine, session_scope
from crm_app.exchange.files import cells_json, compact_json
from crm_app.exchange.imports.checking import Verdict, checks_fingerprint
from crm_app.exchange.imports.context import parse_context
from crm_app.exchange.imports.deciding import Outcome, Planner, by_row_number
from crm_app.exchange.imports.lifecycle import (
    CHECKED,
    CHECKING,
    DONE,
    UPLOADED,
    check_editable,
    choices_fingerprint,
    column_plans,
    import_job,
)
from crm_app.exchange.imports.rows import (
    dry_report_path,
    from_kept_line,
    in_batches,
    keeping_parsed,
    partial_path,
    rows_to_check,
)
from crm_app.exchange.models import ImportJob
from crm_app.exchange.parse import RowInput, read_row
from crm_app.exchange.schemas import DryRun
from crm_app.settings import settings

log = logging.getLogger(__name__)


def _warnings(session: Session, job: ImportJob, planner: Planner) -> list[str]:
    warnings = []
    earlier = session.execute(
        select(ImportJob.id, ImportJob.finished_at)
        .where(
            ImportJob.file_sha256 == job.file_sha256,
            ImportJob.id != job.id,
            ImportJob.status == DONE,
        )
        .order_by(ImportJob.id.desc())
        .limit(1)
    ).first()
    if earlier is not None:
        warnings.append(
            f"This file was already imported (import #{earlier[0]}). Rows matching existing contacts follow your "
            "duplicate rule; no contact is created twice when it has a reference, e-mail or phone."
        )
    if planner.keyless:
        warnings.append(
            f"{planner.keyless} rows have no reference, e-mail or phone to match on: importing this file twice "
            "would create them twice."
        )
    targets = {plan.target for plan in column_plans(job)}
    if not targets & {"first_name", "last_name", "company_name", "name"}:
        warnings.append("No column is mapped to a name: rows without a name will be rejected.")
    return warnings


def _report_line(outcome: Outcome) -> str:
    """A line of the dry run's report file: [number, action, cells, problems]."""
    return compact_json([outcome.row.number, outcome.action, cells_json(outcome.row.cells), outcome.report()]) + "\n"


def _set_dry_state(engine: Engine, import_id: int, values: dict[str, Any]) -> None:
    with session_scope(engine) as s:
        s.execute(update(ImportJob).where(ImportJob.id == import_id).values(**values))


def dry_run(
    *, import_id: int, engine: Engine | None = None, on_progress: Callable[[int], None] | None = None
) -> DryRun:
    """Read the whole file and decide every row without writing a contact; the result is kept on the import."""
    engine = engine or get_engine()
    started = time.monotonic()
    with session_scope(engine) as s:
        job = import_job(s, import_id)
        check_editable(job)
        ctx = parse_context(s, job)
        s.expunge(job)
    _set_dry_state(engine, job.id, {"status": CHECKING, "heartbeat_at": utcnow()})
    planner = Planner(job, ctx, write=False, actor_id=None)
    total = 0
    try:
        fingerprint = planner.reading

        def checks_now() -> str:
            with Session(engine) as s, reading_config_once(s):
                return checks_fingerprint(s, fingerprint)

        checks = checks_now()
        dry_report_path(job).unlink(missing_ok=True)
        with (
            collector_paused(),
            rows_to_check(job, engine, fingerprint) as items,
            keeping_parsed(job, fingerprint, checks, still=lambda: checks_now() == checks) as keep,
            partial_path(dry_report_path(job)).open("w", encoding="utf-8") as report,
        ):
            for chunk in in_batches(items, settings.import_batch_size):
                parsed: list[RowInput] = []
                known: dict[int, Verdict] = {}
                lines: dict[int, str] = {}
                for number, cells, line in chunk:
                    if line is None:
                        parsed.append(read_row(ctx, number, cells))
                        continue
                    row, verdict = from_kept_line(number, cells, line)
                    parsed.append(row)
                    lines[number] = line
                    if verdict is not None:
                        known[number] = verdict
                planner.verdicts = {}
                with Session(engine, expire_on_commit=False) as s, reading_config_once(s):
                    outcomes = planner.decide(s, parsed, known)
                    s.rollback()
                keep(parsed, planner.verdicts, lines)
                report.write("".join(_report_line(o) for o in sorted(outcomes, key=by_row_number) if o.reported))
                total += len(chunk)
                after_batch()
                if on_progress is not None:
                    on_progress(total)
                _set_dry_state(
                    engine, job.id, {"heartbeat_at": utcnow(), "dry_run": {"state": "running", "rows": total}}
                )
    except ValidationError as error:
        partial_path(dry_report_path(job)).unlink(missing_ok=True)
        _set_dry_state(engine, job.id, {"status": UPLOADED, "dry_run": {"state": "failed", "error": error.message}})
        raise
    except Exception:
        log.exception("dry run of import %s failed", import_id)
        partial_path(dry_report_path(job)).unlink(missing_ok=True)
        _set_dry_state(engine, job.id, {"status": UPLOADED, "dry_run": {"state": "failed"}})
        raise
    os.replace(partial_path(dry_report_path(job)), dry_report_path(job))
    result = planner.summary(total, time.monotonic() - started)
    result.state = "done"
    with session_scope(engine) as s:
        fresh = import_job(s, import_id)
        result.warnings = _warnings(s, fresh, planner)
        result.fingerprint = choices_fingerprint(fresh)
        fresh.dry_run = result.model_dump()
        fresh.total_rows = total
        fresh.status = CHECKED
        s.add(fresh)
    return result
