"""The error report of an import: every rejected row in the file's own layout, with its reasons, as .xlsx.

The original columns come first, unchanged, so the report can be corrected and imported again (imports leave
the "Problems" and "Row" columns out).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import Session

from crm_app.exchange.imports import _job, rejected_rows
from crm_app.exchange.sheets import XlsxWriter
from crm_app.i18n import normalise_locale, translate


def problems_text(problems: list[dict[str, Any]], locale: str) -> str:
    """The reasons of a row as one line: "Phone: too short; E-mail: …"."""
    parts = []
    for problem in problems:
        message = translate(locale, str(problem.get("message", "")))
        column = str(problem.get("column") or "")
        parts.append(f"{column}: {message}" if column else message)
    return "; ".join(parts)


def error_report(session: Session, *, import_id: Any, path: Path, locale: str = "en") -> str:
    """Write the report of ``import_id`` to ``path``; returns the file name to offer."""
    locale = normalise_locale(locale)
    job = _job(session, import_id)
    headers = [str(h) for h in job.headers]
    width = len(headers)
    writer = XlsxWriter(
        path, translate(locale, "Rejected rows"), [*headers, translate(locale, "Problems"), translate(locale, "Row")]
    )
    for number, cells, problems in rejected_rows(session, import_id=job.id):
        padded = (list(cells) + [None] * width)[:width]
        writer.append([*padded, problems_text(problems, locale), number])
    writer.close()
    stem = Path(job.file_name).stem or "import"
    return f"{stem}-{translate(locale, 'errors')}.xlsx"
