"""The import's rows as the dry run and the run take them, in batches: from the stored file (read here or by a
child process), from the row cache the first read left, or as the dry run kept them with its verdicts."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine

from crm_app.exchange.files import cells_back, cells_json, compact_json, header_and_rows, open_sheet, stored_path
from crm_app.exchange.imports.checking import Verdict, kept_line, verdict_back
from crm_app.exchange.imports.deciding import Planner
from crm_app.exchange.models import ImportJob
from crm_app.exchange.parse import ParseContext, RowInput, read_row, row_from_data
from crm_app.exchange.reading import Item, rows_read_apart
from crm_app.settings import settings

log = logging.getLogger(__name__)


T = TypeVar("T")


def in_batches(rows: Iterator[T], size: int) -> Iterator[list[T]]:
    """``rows`` in lists of ``size`` (the last one shorter)."""
    chunk: list[T] = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# Next to a stored upload, between its dry run and its run:
#   <stored>.rows    its data rows as JSON lines [number, cells], written by the first read (reading them back is
#                    much faster than parsing the workbook again);
#   <stored>.parsed  what the last dry run read in each row: a header line with the fingerprint of everything
#                    reading depended on, then [number, row_data] lines. The run reuses a row from there while
#                    that fingerprint is unchanged (else it reads the row again from its cells); what depends on
#                    the database beyond it (matches, free references, validation) is always decided again.
READ_APART_FROM_BYTES = 512 * 1024


def _cache_path(job: ImportJob) -> Path:
    return stored_path(f"{job.stored_name}.rows")


def _parsed_path(job: ImportJob) -> Path:
    return stored_path(f"{job.stored_name}.parsed")


def dry_report_path(job: ImportJob) -> Path:
    """The dry run's report of the rows to check, next to the stored upload."""
    return stored_path(f"{job.stored_name}.dry")


def partial_path(path: Path) -> Path:
    """Where ``path`` is written until it is complete."""
    return path.with_name(f"{path.name}.part")


def _teed(rows: Iterator[tuple[int, tuple[Any, ...]]], out: Any) -> Iterator[tuple[int, tuple[Any, ...]]]:
    for number, cells in rows:
        out.write(json.dumps([number, cells_json(cells)], ensure_ascii=False) + "\n")
        yield number, cells


def _helper_database(engine: Engine) -> str | None:
    """The URL a row checker in another process reaches this database with (None for an in-memory one)."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and (not url.database or url.database == ":memory:"):
        return None
    return url.render_as_string(hide_password=False)


@contextlib.contextmanager
def _read_and_kept(job: ImportJob, partial: Path, engine: Engine, fingerprint: str) -> Iterator[Iterator[Item]]:
    """The file's data rows, written to ``partial`` as they are read: by a child process for a file big enough to
    be worth it (a workbook's XML is then parsed on another core, and the child checks rows when this side falls
    behind), else here."""
    path = stored_path(job.stored_name)
    with contextlib.ExitStack() as stack:
        rows = None
        if job.file_size >= READ_APART_FROM_BYTES:
            config = {
                "path": str(path),
                "file_format": job.file_format,
                "cache": str(partial),
                "max_rows": settings.max_import_rows,
                "batch": max(1, settings.import_batch_size),
                "database": _helper_database(engine),
                "import_id": job.id,
                "stored_name": job.stored_name,
            }
            try:
                rows = stack.enter_context(rows_read_apart(config, context=fingerprint))
            except OSError:
                log.warning("could not start a reader process for import %s; reading here", job.id, exc_info=True)
        if rows is None:
            sheet = stack.enter_context(open_sheet(path, job.file_format))
            _header_row, _headers, raw = header_and_rows(sheet)
            out = stack.enter_context(partial.open("w", encoding="utf-8"))
            rows = ((number, cells, None) for number, cells in _teed(raw, out))
        yield rows


@contextlib.contextmanager
def _data_rows(job: ImportJob) -> Iterator[Iterator[tuple[int, tuple[Any, ...]]]]:
    """The data rows of the import's file: from the row cache a first read left, else from the file itself."""
    cache = _cache_path(job)
    if cache.exists():
        with cache.open(encoding="utf-8") as fh:
            yield (
                (int(number), tuple(cells_back(cells)))
                for number, cells in (json.loads(line) for line in fh if line.strip())
            )
        return
    with open_sheet(stored_path(job.stored_name), job.file_format) as sheet:
        yield header_and_rows(sheet)[2]


@contextlib.contextmanager
def rows_to_check(job: ImportJob, engine: Engine, fingerprint: str) -> Iterator[Iterator[Item]]:
    """The rows a dry run checks: from the row cache, else from the file, writing the cache as it goes (kept
    only once every row was read)."""
    cache = _cache_path(job)
    if cache.exists():
        with _data_rows(job) as rows:
            yield ((number, cells, None) for number, cells in rows)
        return
    partial = partial_path(cache)
    finished = False

    def to_the_end(rows: Iterator[Item]) -> Iterator[Item]:
        nonlocal finished
        yield from rows
        finished = True

    try:
        with _read_and_kept(job, partial, engine, fingerprint) as rows:
            yield to_the_end(rows)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if finished:
        os.replace(partial, cache)
    else:
        partial.unlink(missing_ok=True)


# A verdict on a row as a new contact that a row checker gave in its kept line: the dry run only counts it
# (the plan itself stays in the line, for the run).
_VALID = ("plan", None)


def from_kept_line(number: int, cells: tuple[Any, ...], line: str) -> tuple[RowInput, Verdict | None]:
    """A row and the verdict on it from the line a row checker made of it (``kept_line``)."""
    _number, data, verdict = json.loads(line)
    if verdict is None:
        return row_from_data(number, cells, data), None
    if verdict[0] == "invalid":
        return row_from_data(number, cells, data), ("invalid", verdict[1], dict(verdict[2]))
    return row_from_data(number, cells, data), _VALID


@contextlib.contextmanager
def keeping_parsed(
    job: ImportJob, fingerprint: str, checks: str, still: Callable[[], bool]
) -> Iterator[Callable[[list[RowInput], dict[int, Verdict], dict[int, str]], None]]:
    """A function that keeps what was read in rows and the verdicts on them, for the run (or the line a row
    checker already made of a row); the file is kept once the block ends normally, if what validation reads
    is ``still`` as it was (not changed meanwhile)."""
    path = _parsed_path(job)
    path.unlink(missing_ok=True)
    partial = partial_path(path)
    try:
        with partial.open("w", encoding="utf-8") as out:
            out.write(compact_json({"context": fingerprint, "checks": checks}) + "\n")

            def keep(rows: list[RowInput], verdicts: dict[int, Verdict], lines: dict[int, str]) -> None:
                out.write("".join(lines.get(row.number) or kept_line(row, verdicts.get(row.number)) for row in rows))

            yield keep
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if still():
        os.replace(partial, path)
    else:
        partial.unlink(missing_ok=True)


@dataclass
class _Kept:
    """The lines the dry run kept, and the checks fingerprint its verdicts were given under."""

    lines: Iterator[list[Any]]
    checks: str


@contextlib.contextmanager
def _parsed_rows(job: ImportJob, fingerprint: str) -> Iterator[_Kept | None]:
    """The [number, row_data, verdict] lines the dry run kept, or None when none were read under ``fingerprint``."""
    try:
        fh = _parsed_path(job).open(encoding="utf-8")
    except OSError:
        yield None
        return
    with fh:
        try:
            header = json.loads(fh.readline() or "null")
        except ValueError:
            header = None
        if not isinstance(header, dict) or header.get("context") != fingerprint:
            yield None
            return
        yield _Kept(lines=(json.loads(line) for line in fh), checks=str(header.get("checks") or ""))


def _rows_to_import(
    ctx: ParseContext,
    rows: Iterator[tuple[int, tuple[Any, ...]]],
    kept: _Kept | None,
    next_row: int,
) -> Iterator[tuple[RowInput, Any]]:
    """The rows from ``next_row`` on, as the dry run read them where it kept them (else read again), each with
    the verdict the dry run kept on it (or None)."""
    parsed = kept.lines if kept is not None else None
    for number, cells in rows:
        line = None
        if parsed is not None:
            line = next(parsed, None)
            if line is None or line[0] != number:
                parsed = line = None
        if number < next_row:
            continue
        if line is None:
            yield read_row(ctx, number, cells), None
        else:
            yield row_from_data(number, cells, line[1]), verdict_back(line[2]) if len(line) > 2 else None


@contextlib.contextmanager
def rows_to_run(job: ImportJob, planner: Planner, next_row: int) -> Iterator[tuple[Iterator[Any], str]]:
    """The rows a run imports from ``next_row`` on with the dry run's verdicts, and the checks fingerprint those
    verdicts were given under."""
    ctx = planner.ctx
    with _data_rows(job) as rows, _parsed_rows(job, planner.reading) as kept:
        yield _rows_to_import(ctx, rows, kept, next_row), (kept.checks if kept is not None else "")


def drop_kept_files(job: ImportJob) -> None:
    """Remove the files kept next to the upload (row cache, kept rows, dry run's report)."""
    for path in (_cache_path(job), _parsed_path(job), dry_report_path(job)):
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
