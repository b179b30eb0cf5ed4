"""Reading a whole sheet at once (calamine) gives what openpyxl gives, and leaves to openpyxl what it cannot
read safely; bad files get the same clear messages."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import openpyxl
import pytest

from crm_app.core.errors import ValidationError
from crm_app.exchange import whole_sheet
from crm_app.exchange.files import header_and_rows, open_sheet
from tests.exchange.helpers import replace_part, sheet_xml, xlsx_bytes

SHEET = "xl/worksheets/sheet1.xml"


def _rows(path, *, whole: bool) -> list[tuple[int, tuple]]:
    with open_sheet(path, "xlsx", whole=whole) as sheet:
        return list(sheet.rows)


def _data(path, *, whole: bool, **kwargs) -> tuple[list[str], list[tuple[int, tuple]]]:
    with open_sheet(path, "xlsx", whole=whole) as sheet:
        _number, headers, rows = header_and_rows(sheet, **kwargs)
        return headers, list(rows)


def _with_sheet(tmp_path, xml: str, name: str = "book.xlsx"):
    path = tmp_path / name
    path.write_bytes(replace_part(xlsx_bytes([["x"]]), SHEET, xml.encode()))
    return path


def _worksheet(rows: str, head: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{head}'
        f"<sheetData>{rows}</sheetData></worksheet>"
    )


def test_a_whole_sheet_reads_every_kind_of_value_as_openpyxl_does(tmp_path):
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = "Contacts"
    ws["C3"], ws["D3"], ws["E3"], ws["F3"] = "Name", 5, 5.5, datetime(2024, 3, 1)
    ws["G3"], ws["H3"], ws["I3"], ws["J3"] = date(2024, 3, 2), time(10, 30), True, "  spaced  "
    ws["K3"], ws["L3"], ws["M3"], ws["N3"] = 33612345678, "0612", datetime(2024, 3, 1, 10, 5), 0.075
    ws["K3"].number_format = "0.00E+00"
    ws["N3"].number_format = "0%"
    ws["C5"], ws["D5"], ws["E5"], ws["F5"] = "Żaneta", -3, timedelta(hours=30), 12345678901234
    path = tmp_path / "values.xlsx"
    workbook.save(path)
    assert whole_sheet.read_whole_sheet(path) is not None
    fast, slow = _rows(path, whole=True), _rows(path, whole=False)
    assert [(n, cells) for n, cells in fast if any(c is not None for c in cells)] == [
        (n, cells + (None,) * (len(fast[2][1]) - len(cells))) for n, cells in slow if cells
    ]
    values = dict(fast)[3]
    assert values[:5] == (None, None, "Name", 5, 5.5) and type(values[3]) is int
    assert values[5:7] == (datetime(2024, 3, 1), datetime(2024, 3, 2)) and type(values[6]) is datetime
    assert values[10] == 33612345678 and type(values[10]) is int and values[11] == "0612"


def test_a_whole_sheet_reads_cached_formula_values_and_blank_cells_as_none(tmp_path):
    xml = _worksheet(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>First name</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>Last name</t></is></c></row>'
        '<row r="2"><c r="A2" t="str"><f>UPPER("anna")</f><v>ANNA</v></c><c r="B2"><f>1+1</f></c></row>'
        '<row r="4"><c r="A4" t="inlineStr"><is><t>Ola</t></is></c><c r="B4" t="inlineStr"><is><t></t></is></c></row>'
    )
    path = _with_sheet(tmp_path, xml)
    assert whole_sheet.read_whole_sheet(path) is not None
    assert _data(path, whole=True) == (["First name", "Last name"], [(2, ("ANNA", None)), (4, ("Ola", None))])


def test_a_whole_sheet_whose_dimension_tag_lies_is_read_to_the_last_row(tmp_path):
    data = xlsx_bytes([["First name"], *[[f"Name {n}"] for n in range(50)]])
    lying = sheet_xml(data).replace('ref="A1:A51"', 'ref="A1:A2"')
    path = _with_sheet(tmp_path, lying)
    assert whole_sheet.read_whole_sheet(path) is not None
    headers, rows = _data(path, whole=True)
    assert headers == ["First name"] and len(rows) == 50 and rows[-1] == (51, ("Name 49",))


def test_the_sheet_an_import_reads_is_the_same_for_both_readers(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    workbook.active.append(["not this one"])
    hidden = workbook.create_sheet("Klienci")
    hidden.append(["hidden"])
    hidden.sheet_state = "hidden"
    workbook.create_sheet("Clients").append(["Name"])
    path = tmp_path / "sheets.xlsx"
    workbook.save(path)
    with open_sheet(path, "xlsx", whole=True) as fast, open_sheet(path, "xlsx") as slow:
        assert fast.name == slow.name == "Clients"


def test_a_cell_far_away_leaves_the_sheet_to_openpyxl_instead_of_a_grid_too_big_for_memory(tmp_path):
    xml = _worksheet(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c></row>'
        '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>far</t></is></c></row>',
        head='<dimension ref="A1:A1"/>',
    )
    path = _with_sheet(tmp_path, xml)
    assert whole_sheet.read_whole_sheet(path) is None
    assert _data(path, whole=True) == (["Name"], [(1048576, (None,))])


def test_cells_without_references_count_towards_the_grid(tmp_path, monkeypatch):
    cells = "".join("<c><v>1</v></c>" for _ in range(20))
    path = _with_sheet(tmp_path, _worksheet(f"<row>{cells}</row><row>{cells}</row>"))
    # 2 rows of 20 cells, counted as 2 rows of up to 40 (each unreferenced cell may lengthen any row).
    monkeypatch.setattr(whole_sheet, "MAX_GRID_CELLS", 80)
    assert whole_sheet.read_whole_sheet(path) is not None
    monkeypatch.setattr(whole_sheet, "MAX_GRID_CELLS", 79)
    assert whole_sheet.read_whole_sheet(path) is None
    assert _data(path, whole=True)[1] == [(2, (1,) * 20)]


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="B2" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
        '<c r="B2"><v>12345678901234567</v></c>',
        "<c r='B2'><v>7</v></c>",
        '<c\tr="B2"><v>7</v></c>',
        '<c r="b2"><v>7</v></c>',
        '<x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="B2"><x:v>7</x:v></x:c>',
    ],
    ids=["error value", "long whole number", "other quotes", "other spacing", "lower case", "prefix"],
)
def test_what_calamine_reads_differently_is_left_to_openpyxl(tmp_path, cell):
    xml = _worksheet(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c><c r="B1" t="inlineStr"><is><t>Phone</t></is></c>'
        f'</row><row r="2"><c r="A2" t="inlineStr"><is><t>Anna</t></is></c>{cell}</row>'
    )
    path = _with_sheet(tmp_path, xml)
    assert whole_sheet.read_whole_sheet(path) is None
    assert _data(path, whole=True) == _data(path, whole=False)


def test_an_error_value_keeps_its_text_for_the_row_problem(tmp_path):
    xml = _worksheet(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Phone</t></is></c></row>'
        '<row r="2"><c r="A2" t="e"><v>#N/A</v></c></row>'
    )
    assert _data(_with_sheet(tmp_path, xml), whole=True)[1] == [(2, ("#N/A",))]


def test_entity_declarations_are_refused_by_the_whole_sheet_reader_too(tmp_path):
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>'
    )
    with pytest.raises(ValidationError) as info:
        _data(_with_sheet(tmp_path, bomb), whole=True)
    assert "entity declarations" in info.value.message


@pytest.mark.parametrize(
    "xml",
    ["not XML at all", _worksheet('<row r="1"><c r="A1" t="s"><v>99</v></c></row>')],
    ids=["garbage", "missing shared string"],
)
def test_a_damaged_sheet_is_refused_by_the_whole_sheet_reader_with_the_usual_message(tmp_path, xml):
    with pytest.raises(ValidationError) as info:
        _data(_with_sheet(tmp_path, xml), whole=True)
    assert "could not be read" in info.value.message


def test_more_rows_than_the_limit_is_refused_by_the_whole_sheet_reader_too(tmp_path):
    path = tmp_path / "big.xlsx"
    path.write_bytes(xlsx_bytes([["First name"], *[[f"n{i}"] for i in range(30)]]))
    assert whole_sheet.read_whole_sheet(path) is not None
    with pytest.raises(ValidationError) as info:
        _data(path, whole=True, max_rows=20)
    assert "more than 20 rows" in info.value.message
