"""The .xlsx writer puts rows into the sheet exactly as openpyxl's own writer does (same bytes), only faster."""

from __future__ import annotations

import zipfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from crm_app.exchange.sheets import FORMULA_STARTS, MAX_CELL, XlsxWriter, _column_letter, xlsx_cell

HEADERS = ["Nom", "Prénom", "Notes", "Quand"]


class CellByCellWriter:
    """The writer XlsxWriter replaced: every row through openpyxl's write-only sheet, cell by cell."""

    def __init__(self, path: Path, sheet_title: str, headers: list[str]):
        self.path = path
        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet(sheet_title[:31] or "Sheet")
        for index, width in enumerate([max(12, min(40, len(h) + 4)) for h in headers], start=1):
            self.sheet.column_dimensions[_column_letter(index)].width = width
        self.sheet.freeze_panes = "A2"
        self.sheet.append([xlsx_cell(self.sheet, header, bold=True) for header in headers])

    def append(self, values: list[Any]) -> None:
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
        self.workbook.save(self.path)


ROWS: list[list[Any]] = [
    ["plain", " leading", "trailing ", "a & <b> > \"q\" 's'"],
    ["é Łódź 李 😀 \u2028 \x85 \x7f", "line 1\r\nline 2\ttab\n", "x" * 40_000, "bad\x01char\x1f"],
    [*(f"{start}formula" for start in FORMULA_STARTS), "=", "#N/A", "#DIV/0!", "", "\x01", "\x01#N/A"],
    [0, -1, 12.5, 1e-7, 10**17, 2**63, float("nan"), float("inf"), -float("inf"), True, False],
    [Decimal("12.50"), Decimal("0.1"), Decimal("-3"), Decimal("NaN")],
    [datetime(2024, 5, 6, 7, 8, 9), date(2020, 1, 2), datetime(1900, 1, 1), date(1899, 12, 31)],
    [time(12, 30), timedelta(hours=30, seconds=5), date(2021, 3, 4), datetime(2024, 1, 1, 0, 0)],
    [None, None, None, "after gaps", None],
    [f"wide {n}" for n in range(60)],
    [],
    [None],
]


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"}


@pytest.mark.parametrize("rows", [ROWS, [list(reversed(row)) for row in reversed(ROWS)], []])
def test_rows_are_written_byte_for_byte_as_openpyxl_writes_them(tmp_path, rows):
    fast, slow = (
        XlsxWriter(tmp_path / "fast.xlsx", "Contacts", HEADERS),
        CellByCellWriter(tmp_path / "slow.xlsx", "Contacts", HEADERS),
    )
    for row in rows:
        fast.append(row)
        slow.append(row)
    fast.close()
    slow.close()
    with zipfile.ZipFile(fast.path) as archive:
        assert archive.namelist() == zipfile.ZipFile(slow.path).namelist()
        assert archive.testzip() is None
    assert _parts(fast.path) == _parts(slow.path)
    read = openpyxl.load_workbook(fast.path).active
    assert [cell.value for cell in read[1]][: len(HEADERS)] == HEADERS
    if rows:
        assert read["A2"].value == rows[0][0]


def test_text_xml_cannot_hold_is_refused_as_openpyxl_refuses_it(tmp_path):
    writer = XlsxWriter(tmp_path / "fast.xlsx", "Contacts", HEADERS)
    with pytest.raises(ValueError, match="XML compatible"):
        writer.append(["ok", "not \ufffe allowed"])
    writer.append(["next"])
    writer.close()
    assert [row for row in openpyxl.load_workbook(writer.path).active.values][1:] == [("next", None, None, None)]
