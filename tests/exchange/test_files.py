"""Bad files are refused with a clear message before anything is written; odd but honest files are read whole."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from crm_app.core.errors import ValidationError
from crm_app.exchange import files
from crm_app.exchange.files import header_and_rows, open_sheet, store_import_file
from tests.exchange.helpers import contact_count, replace_part, sheet_xml, upload, xlsx_bytes

BASIC = [["First name", "Last name", "Phone"], ["Anna", "Nowak", "+48 601 234 567"]]


def _refused(data: bytes, expected: str, **kwargs) -> None:
    with pytest.raises(ValidationError) as info:
        store_import_file(io.BytesIO(data), **kwargs)
    assert expected in info.value.message


def test_defusedxml_is_installed_and_required_at_start_up():
    assert openpyxl.DEFUSEDXML is True
    files.require_defused_xml()


def test_a_picture_is_not_a_spreadsheet():
    _refused(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10, "not a spreadsheet")


def test_an_empty_file_is_refused():
    _refused(b"", "empty")


def test_a_file_over_the_size_limit_is_refused_and_not_kept(exchange_folder):
    _refused(b"a,b\n" * 100_000, "larger than", max_bytes=1024)
    assert not any((exchange_folder / "imports").iterdir())


def test_a_damaged_workbook_is_refused():
    data = xlsx_bytes(BASIC)
    _refused(data[: len(data) // 2], "damaged")


def test_a_password_protected_workbook_is_recognised():
    ole = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 500 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 100
    _refused(ole, "protected by a password")


def test_an_old_xls_file_is_recognised():
    _refused(bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 2000, "97–2003")


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    _refused(out.getvalue(), "not an Excel workbook")


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (20 * 1024 * 1024))
    _refused(out.getvalue(), "zip bomb")


def test_a_zip_with_thousands_of_parts_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for n in range(files.MAX_ZIP_ENTRIES + 1):
            archive.writestr(f"x/{n}", "")
    _refused(out.getvalue(), "parts")


def test_billion_laughs_xml_is_refused_with_a_clear_message(engine):
    data = xlsx_bytes(BASIC)
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>'
    )
    bad = replace_part(data, "xl/worksheets/sheet1.xml", bomb.encode())
    with pytest.raises(ValidationError) as info:
        upload(engine, bad)
    assert "entity declarations" in info.value.message
    assert contact_count(engine) == 0


def test_a_sheet_whose_dimension_tag_lies_is_still_read_to_the_last_row(tmp_path):
    data = xlsx_bytes([["First name"], *[[f"Name {n}"] for n in range(50)]])
    xml = sheet_xml(data)
    assert 'ref="A1:A51"' in xml
    lying = replace_part(data, "xl/worksheets/sheet1.xml", xml.replace('ref="A1:A51"', 'ref="A1:A2"').encode())
    path = tmp_path / "lying.xlsx"
    path.write_bytes(lying)
    with open_sheet(path, "xlsx") as sheet:
        _header_row, headers, rows = header_and_rows(sheet)
        names = [cells[0] for _number, cells in rows]
    assert headers == ["First name"]
    assert len(names) == 50 and names[-1] == "Name 49"


def test_more_rows_than_the_limit_is_refused(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("First name\n" + "\n".join(f"n{i}" for i in range(30)), encoding="utf-8")
    with open_sheet(path, "csv") as sheet, pytest.raises(ValidationError) as info:
        _number, _headers, rows = header_and_rows(sheet, max_rows=20)
        list(rows)
    assert "more than 20 rows" in info.value.message


def test_formulas_are_read_as_their_computed_values(tmp_path):
    data = xlsx_bytes([["First name", "Last name"], ["Anna", "x"]])
    xml = sheet_xml(data)
    start = xml.index('<c r="B2"')
    end = xml.index("</c>", start) + 4
    formula = '<c r="B2" t="str"><f>UPPER("nowak")</f><v>NOWAK</v></c>'
    path = tmp_path / "formula.xlsx"
    path.write_bytes(replace_part(data, "xl/worksheets/sheet1.xml", (xml[:start] + formula + xml[end:]).encode()))
    with open_sheet(path, "xlsx") as sheet:
        _number, _headers, rows = header_and_rows(sheet)
        assert [cells for _n, cells in rows] == [("Anna", "NOWAK")]


def test_csv_files_are_read_with_their_delimiter_and_encoding(tmp_path):
    path = tmp_path / "clients.csv"
    path.write_bytes("Prénom;Nom;Ville\nŁucja;Wiśniewska;Kraków\n".encode("cp1250"))
    with open_sheet(path, "csv") as sheet:
        _number, headers, rows = header_and_rows(sheet)
        assert headers == ["Prénom", "Nom", "Ville"]
        assert [cells for _n, cells in rows] == [("Łucja", "Wiśniewska", "Kraków")]


def test_blank_rows_are_skipped_and_short_rows_padded(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("a,b,c\n\n,,\n1\n", encoding="utf-8")
    with open_sheet(path, "csv") as sheet:
        _number, _headers, rows = header_and_rows(sheet)
        assert [(n, cells) for n, cells in rows] == [(4, ("1", None, None))]
