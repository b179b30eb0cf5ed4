"""The reports of an import, as .xlsx: after the run, every row it did not import as it was (rejected,
skipped as a repeat, imported without some values or with values to check) with the reasons (read from the
run's ``import_row`` lines); before the run, the same for the dry run (read from its report file).

The original columns come first, unchanged, so the report can be corrected and imported again (imports leave
the "Result", "Problems" and "Row" columns out).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from crm_app.exchange.files import cells_back
from crm_app.exchange.imports.lifecycle import import_job
from crm_app.exchange.imports.rows import dry_report_path
from crm_app.exchange.models import ImportRow
from crm_app.exchange.sheets import XlsxWriter
from crm_app.i18n import _, normalise_locale, translate

RESULT_LABELS = {
    "rejected": _("Rejected"),
    "skipped": _("Skipped"),
    "unchanged": _("Unchanged"),
    "created": _("Created"),
    "updated": _("Updated"),
}
KIND_LABELS = {"dropped": _("Left out"), "flagged": _("To check")}


ReportedRow = tuple[int, str, list[Any], list[dict[str, str]]]


def reported_rows(session: Session, *, import_id: Any) -> Iterator[ReportedRow]:
    """(row number, action, original cells, problems) of every row the run reports: rejected, skipped as a
    repeat of an earlier row, imported without some values or with values to check; in file order."""
    job = import_job(session, import_id)
    result = session.execute(
        select(ImportRow.row_number, ImportRow.action, ImportRow.cells, ImportRow.problems)
        .where(ImportRow.import_id == job.id)
        .order_by(ImportRow.row_number)
        .execution_options(yield_per=2000)
    )
    for number, action, cells, problems in result:
        if cells is not None:
            yield number, action, cells_back(cells), list(problems or [])


def dry_run_rows(session: Session, *, import_id: Any) -> Iterator[ReportedRow]:
    """The same for the import's last dry run (nothing when it has none); NotFoundError for an unknown import."""
    job = import_job(session, import_id)
    try:
        fh = dry_report_path(job).open(encoding="utf-8")
    except OSError:
        return
    with fh:
        for line in fh:
            number, action, cells, problems = json.loads(line)
            yield number, action, cells_back(cells), problems


def problems_text(problems: list[dict[str, Any]], locale: str) -> str:
    """The reasons of a row as one line: "Phone: too short; Left out — E-mail: …"."""
    parts = []
    for problem in problems:
        message = translate(locale, str(problem.get("message", "")))
        column = str(problem.get("column") or "")
        text = f"{column}: {message}" if column else message
        kind = KIND_LABELS.get(str(problem.get("kind") or ""))
        parts.append(f"{translate(locale, kind)} — {text}" if kind else text)
    return "; ".join(parts)


def _write(session: Session, import_id: Any, path: Path, locale: str, rows: Iterator[ReportedRow], name: str) -> str:
    locale = normalise_locale(locale)
    job = import_job(session, import_id)
    headers = [str(h) for h in job.headers]
    width = len(headers)
    extra = [translate(locale, "Result"), translate(locale, "Problems"), translate(locale, "Row")]
    writer = XlsxWriter(path, translate(locale, "Rows to check"), [*headers, *extra])
    for number, action, cells, problems in rows:
        padded = (list(cells) + [None] * width)[:width]
        result = translate(locale, RESULT_LABELS.get(action, action))
        writer.append([*padded, result, problems_text(problems, locale), number])
    writer.close()
    stem = Path(job.file_name).stem or "import"
    return f"{stem}-{translate(locale, name)}.xlsx"


def error_report(session: Session, *, import_id: Any, path: Path, locale: str = "en") -> str:
    """Write the run's report of ``import_id`` to ``path``; returns the file name to offer."""
    rows = reported_rows(session, import_id=import_id)
    return _write(session, import_id, path, locale, rows, _("errors"))


def dry_run_report(session: Session, *, import_id: Any, path: Path, locale: str = "en") -> str:
    """Write the last dry run's report of ``import_id`` to ``path``; returns the file name to offer."""
    rows = dry_run_rows(session, import_id=import_id)
    return _write(session, import_id, path, locale, rows, _("dry-run"))
