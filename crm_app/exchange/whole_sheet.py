"""A whole .xlsx sheet read at once with calamine (Rust): about ten times faster than openpyxl, for the dry run's
reading process (``reading``), which takes every row of an import in a process of its own (its memory goes with
it: the app's processes stream sheets with openpyxl and never hold a whole grid).

calamine holds the sheet in memory as one grid as tall and as wide as its furthest cells, gives error cells
(#N/A) as empty, and reads numbers as 64-bit floats. So the sheet's XML is scanned first, with a few regular
expressions and no XML parsing (about a second for 100,000 rows): a sheet whose grid would hold more than
``MAX_GRID_CELLS`` cells, that has error cells or whole numbers of more than 15 digits is left to openpyxl, which
streams it row by row in constant memory. The same scan refuses XML entity declarations (calamine expands
none; openpyxl, with defusedxml, refuses them too). Values come as openpyxl's read-only mode gives them: whole
numbers as ``int``, dates as ``datetime``, empty cells as ``None``; rows are numbered as in the sheet.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from defusedxml import ElementTree
from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from crm_app.core.errors import ValidationError

# About 70 to 90 bytes a cell while the grid is held: 3,000,000 cells (200,000 rows of 15 columns) ≈ 250 MB.
MAX_GRID_CELLS = 3_000_000
IMPORT_SHEET_NAMES = ("contacts", "clients", "kontakty", "klienci")
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_SCAN_CHUNK = 4 * 1024 * 1024
# Cell references as Excel, LibreOffice and openpyxl write them (` r="B7"` in unprefixed elements); a sheet that
# spells one otherwise (lower case, other quotes or spacing, a namespace prefix) is left to openpyxl.
_CELL_COLUMN = re.compile(rb' r="([A-Z]+)\d')
_ROW_NUMBER = re.compile(rb' r="[A-Z]*(\d+)')
_ODD_SPELLINGS = (
    re.compile(rb' r="(?![A-Z]*[0-9]+")'),
    re.compile(rb"r(?:\s+=|=\s|=')"),
    re.compile(rb'[\t\n\r:]r="'),
    re.compile(rb":(?:c|row)[\s/>]"),
)
_ERROR_CELL = re.compile(rb"t=[\"']e[\"']")
_LONG_WHOLE_NUMBER = re.compile(rb"v>\s*-?\d{16}")
_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")
_ENTITIES_MESSAGE = (
    "This workbook contains XML entity declarations (a known attack on spreadsheet readers): it was refused."
)


@dataclass(frozen=True)
class WholeSheet:
    """A sheet read at once: its name, rows as (row number, values) and how many rows its grid has."""

    name: str
    rows: Iterator[tuple[int, tuple[Any, ...]]]
    height: int


def choose_sheet(sheets: list[tuple[str, bool]]) -> int | None:
    """The index of the sheet an import reads among (title, visible): the first visible one named like a
    contact list, else the first visible one (else the first of all); None when there is none."""
    candidates = [index for index, (_title, visible) in enumerate(sheets) if visible] or list(range(len(sheets)))
    for index in candidates:
        if sheets[index][0].strip().casefold() in IMPORT_SHEET_NAMES:
            return index
    return candidates[0] if candidates else None


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title -> the zip part holding its XML, from the workbook part and its relationships."""
    targets = {
        rel.get("Id"): rel.get("Target", "")
        for rel in ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels")).iter(f"{_RELS}Relationship")
    }
    parts = {}
    for sheet in ElementTree.fromstring(archive.read("xl/workbook.xml")).iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(_REL_ID), "")
        if target:
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            parts[sheet.get("name", "")] = path
    return parts


def grid_fits(archive: zipfile.ZipFile, part: str) -> bool:
    """Whether calamine may read this sheet part: its grid small enough, no error cells, no long whole numbers.

    Cells and rows without an ``r`` reference follow the previous one, so they can only extend the grid by
    their count beyond the furthest reference (counted generously: an overestimate only costs speed)."""
    furthest_row = furthest_column = cells = rows = referenced_cells = referenced_rows = 0
    tail = b""
    head = True
    with archive.open(part) as stream:
        while True:
            chunk = stream.read(_SCAN_CHUNK)
            data = tail + chunk
            if head and any(mark in data[:65536] for mark in _DECLARATIONS):
                raise ValidationError(_ENTITIES_MESSAGE, field="file")
            head = False
            cut = data.rfind(b"<") if chunk else len(data)
            if cut <= 0 and chunk:
                tail = data
                continue
            tail, data = data[cut:], data[:cut]
            if any(pattern.search(data) for pattern in (_ERROR_CELL, _LONG_WHOLE_NUMBER, *_ODD_SPELLINGS)):
                return False
            columns = _CELL_COLUMN.findall(data)
            referenced_cells += len(columns)
            furthest_column = max([furthest_column, *map(_column_number, set(columns))])
            furthest_row = max([furthest_row, *map(int, set(_ROW_NUMBER.findall(data)))])
            referenced_rows += data.count(b'<row r="')
            cells += data.count(b"<c")
            rows += data.count(b"<row")
            if not chunk:
                break
    height = furthest_row + max(0, rows - referenced_rows)
    width = furthest_column + max(0, cells - referenced_cells)
    return height * width <= MAX_GRID_CELLS


def _plain(values: list[Any], pad: int) -> tuple[Any, ...]:
    out: list[Any] = [None] * pad
    append = out.append
    for value in values:
        kind = type(value)
        if kind is str:
            append(value or None)
        elif kind is float:
            append(int(value) if value.is_integer() else value)
        elif kind is date:
            append(datetime(value.year, value.month, value.day))
        else:
            append(value)
    return tuple(out)


def _rows(sheet: Any) -> Iterator[tuple[int, tuple[Any, ...]]]:
    start = sheet.start
    pad = start[1] if start else 0
    # calamine gives the rows above the grid as empty rows, then the grid's rows from its first column.
    for number, values in enumerate(sheet.iter_rows(), start=1):
        yield number, _plain(values, pad)


def read_whole_sheet(path: Path) -> WholeSheet | None:
    """The import's sheet of the workbook at ``path`` read at once, or None when it is for openpyxl to read
    (see the module's documentation). Raises calamine's errors for a damaged file."""
    workbook = CalamineWorkbook.from_path(str(path))
    try:
        sheets = [meta for meta in workbook.sheets_metadata if meta.typ == SheetTypeEnum.WorkSheet]
        index = choose_sheet([(meta.name, meta.visible == SheetVisibleEnum.Visible) for meta in sheets])
        if index is None:
            return None
        name = sheets[index].name
        with zipfile.ZipFile(path) as archive:
            part = _sheet_parts(archive).get(name)
            if part is None or not grid_fits(archive, part):
                return None
        sheet = workbook.get_sheet_by_name(name)
    finally:
        workbook.close()
    return WholeSheet(name=name, rows=_rows(sheet), height=sheet.height)
