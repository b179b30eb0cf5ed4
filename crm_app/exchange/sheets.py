"""Writing spreadsheets safely and fast: streamed .xlsx (openpyxl write-only) and CSV.

A value that starts with ``= + - @``, a tab or a carriage return is stored as text, never as a formula
(in CSV it gets a leading apostrophe, which imports take off again).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="3E63DD")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MAX_CELL = 32_767


def is_formula_like(value: Any) -> bool:
    """Whether a spreadsheet program could take this text for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def _clean_text(value: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL]


def xlsx_cell(ws: Any, value: Any, *, bold: bool = False) -> WriteOnlyCell:
    """A write-only cell: text that looks like a formula stays text, dates get a date format."""
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, str):
        value = _clean_text(value)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and (value.startswith(FORMULA_STARTS) or cell.data_type == "f"):
        cell.data_type = "s"
    elif isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    if bold:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center")
    return cell


class XlsxWriter:
    """A streamed workbook with one sheet: a bold header row, then rows; saved on ``close``."""

    def __init__(self, path: Path, sheet_title: str, headers: Sequence[str], widths: Sequence[int] | None = None):
        self.path = path
        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet(sheet_title[:31] or "Sheet")
        for index, width in enumerate(widths or [max(12, min(40, len(h) + 4)) for h in headers], start=1):
            letter = _column_letter(index)
            self.sheet.column_dimensions[letter].width = width
        self.sheet.freeze_panes = "A2"
        self.sheet.append([xlsx_cell(self.sheet, header, bold=True) for header in headers])

    def append(self, values: Iterable[Any]) -> None:
        """Add one row; plain values go in as they are (a cell object each would double the cost)."""
        self.sheet.append([self._value(value) for value in values])

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            if value.startswith(FORMULA_STARTS) or ILLEGAL_CHARACTERS_RE.search(value) or len(value) > MAX_CELL:
                return xlsx_cell(self.sheet, value)
            return value
        if isinstance(value, Decimal):
            return float(value)
        if isinstance(value, datetime | date):
            return xlsx_cell(self.sheet, value)
        return value

    def close(self) -> None:
        """Write the file."""
        self.workbook.save(self.path)


def _column_letter(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def csv_value(value: Any) -> str:
    """A CSV field: dates in ISO form, formula-like text with a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return "'" + text if is_formula_like(text) else text


class CsvWriter:
    """A UTF-8 CSV file with a byte-order mark (Excel reads accents right), comma-separated."""

    def __init__(self, path: Path, headers: Sequence[str]):
        self.path = path
        self.handle = path.open("w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.handle, quoting=csv.QUOTE_MINIMAL)
        self.writer.writerow([csv_value(h) for h in headers])

    def append(self, values: Iterable[Any]) -> None:
        """Add one row."""
        self.writer.writerow([csv_value(v) for v in values])

    def close(self) -> None:
        """Flush and close the file."""
        self.handle.close()


def unquote_csv(value: Any) -> Any:
    """Take off the apostrophe our CSV files put before formula-like text."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value
