"""Spreadsheet files in and out: store an upload, refuse what is not a safe spreadsheet, read its rows.

Every refusal is a ``ValidationError`` with a message a manager can act on. Nothing here writes contacts.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import os
import re
import threading
import uuid
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import openpyxl
from defusedxml import DefusedXmlException
from openpyxl.reader import excel as excel_reader
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from crm_app.core.errors import ValidationError
from crm_app.exchange.sheets import unquote_csv
from crm_app.exchange.whole_sheet import choose_sheet, read_whole_sheet
from crm_app.settings import settings

XLSX = "xlsx"
CSV = "csv"
FORMATS = (XLSX, CSV)
MAX_ZIP_ENTRIES = 10_000
MAX_UNCOMPRESSED_BYTES = 1_500 * 1024 * 1024
MAX_ENTRY_RATIO = 200
MAX_COLUMNS = 200
MAX_CELL_CHARS = 32_767
CSV_DELIMITERS = ",;\t|"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")
_POLISH = set("ąćęłńśźżĄĆĘŁŃŚŹŻ")
_WESTERN = set("àâçéèêëîïôûùüÿœæÀÂÇÉÈÊËÎÏÔÛÙÜŸŒÆäöß")
_CHUNK = 1024 * 1024


def require_defused_xml() -> None:
    """Refuse to run without defusedxml: openpyxl then parses XML with entity expansion (billion laughs)."""
    if not getattr(openpyxl, "DEFUSEDXML", False):
        raise RuntimeError("defusedxml is not installed: spreadsheet imports would be open to XML bombs.")


require_defused_xml()


def exchange_dir(kind: str) -> Path:
    """The private folder of imported (``imports``) or exported (``exports``) files."""
    folder = Path(settings.upload_dir) / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class StoredFile:
    """An upload kept under a generated name, with what was learnt about it."""

    stored_name: str
    path: Path
    size: int
    sha256: str
    file_format: str


def _too_large_message(limit_mb: int) -> str:
    return f"This file is larger than the {limit_mb} MB limit for imports."


def store_import_file(stream: IO[bytes], *, max_bytes: int | None = None) -> StoredFile:
    """Copy an upload into the imports folder (streamed, size-limited, hashed) and check what it is."""
    limit = int(max_bytes if max_bytes is not None else settings.max_import_mb * 1024 * 1024)
    stored_name = uuid.uuid4().hex
    folder = exchange_dir("imports")
    partial = folder / f"{stored_name}.part"
    digest = hashlib.sha256()
    size = 0
    try:
        with partial.open("wb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise ValidationError(_too_large_message(max(1, limit // (1024 * 1024))), field="file")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ValidationError("This file is empty.", field="file")
        file_format = sniff_format(partial)
        final = folder / f"{stored_name}.{file_format}"
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return StoredFile(stored_name=final.name, path=final, size=size, sha256=digest.hexdigest(), file_format=file_format)


def stored_path(stored_name: str, kind: str = "imports") -> Path:
    """The path of a stored exchange file (names are generated, never taken from users)."""
    name = Path(stored_name).name
    return exchange_dir(kind) / name


def sniff_format(path: Path) -> str:
    """``xlsx`` or ``csv`` by content; a clear refusal for anything else (or anything unsafe)."""
    with path.open("rb") as fh:
        head = fh.read(_CHUNK)
    if head.startswith(_ZIP_MAGIC):
        check_xlsx_container(path)
        return XLSX
    if head.startswith(_OLE_MAGIC):
        if _ENCRYPTED_MARK in head or _ENCRYPTED_MARK in _read_all_capped(path):
            raise ValidationError(
                "This workbook is protected by a password. Remove the password in Excel (File → Info → "
                "Protect workbook), save it and upload it again.",
                field="file",
            )
        raise ValidationError(
            "This is an old Excel 97–2003 (.xls) file. Open it in Excel and save it as .xlsx, then upload it again.",
            field="file",
        )
    if _looks_like_text(head):
        return CSV
    raise ValidationError(
        "This is not a spreadsheet. Upload an Excel workbook (.xlsx) or a CSV file.",
        field="file",
    )


def _read_all_capped(path: Path, cap: int = 8 * _CHUNK) -> bytes:
    with path.open("rb") as fh:
        return fh.read(cap)


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    if b"\x00" in head:
        return False
    sample = head[:4096]
    control = sum(1 for byte in sample if byte < 32 and byte not in (9, 10, 13))
    return control == 0


def check_xlsx_container(path: Path) -> None:
    """Refuse zip bombs and non-workbooks before any XML is parsed: entry count, sizes, ratios, workbook part."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                raise ValidationError(
                    f"This file holds {len(entries):,} parts, more than a workbook ever needs: it was refused.",
                    field="file",
                )
            total = 0
            for entry in entries:
                total += entry.file_size
                ratio = entry.file_size / max(entry.compress_size, 1)
                if entry.file_size > 1024 * 1024 and ratio > MAX_ENTRY_RATIO:
                    raise ValidationError(
                        "This file unpacks to far more data than it holds (a “zip bomb”): it was refused.",
                        field="file",
                    )
            if total > MAX_UNCOMPRESSED_BYTES:
                raise ValidationError(
                    "This workbook unpacks to more than 1.5 GB: split it into smaller files.", field="file"
                )
            names = {entry.filename for entry in entries}
    except zipfile.BadZipFile as exc:
        raise ValidationError(
            "This file is damaged (not a readable .xlsx). Open it in Excel, save it again and retry.", field="file"
        ) from exc
    if "xl/workbook.xml" not in names:
        raise ValidationError(
            "This is a zip file but not an Excel workbook. Upload an .xlsx workbook or a CSV file.", field="file"
        )


# ---------------------------------------------------------------- reading rows


@dataclass
class Sheet:
    """An opened sheet: its name, its rows as (row number, values), and how many rows it says it has."""

    name: str
    rows: Iterator[tuple[int, tuple[Any, ...]]]
    estimated_rows: int | None = None


def _caused_by_xml_attack(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, DefusedXmlException):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _xlsx_problem(exc: Exception) -> ValidationError:
    if _caused_by_xml_attack(exc):
        return ValidationError(
            "This workbook contains XML entity declarations (a known attack on spreadsheet readers): it was refused.",
            field="file",
        )
    return ValidationError(
        "This workbook could not be read (it may be damaged). Open it in Excel, save it again and retry.",
        field="file",
    )


def _pick_sheet(workbook: Any) -> Any:
    sheets = list(workbook.worksheets)
    index = choose_sheet([(ws.title, getattr(ws, "sheet_state", "visible") == "visible") for ws in sheets])
    if index is None:
        raise ValidationError("This workbook has no sheet to import.", field="file")
    return sheets[index]


class _UnsizedReadOnlyWorksheet(ReadOnlyWorksheet):
    """A read-only sheet that does not measure itself when opened.

    openpyxl reads the ``<dimension>`` tag on opening, and when a file has none (streaming writers leave it out,
    our own exports among them) it parses the whole sheet to find it: a full extra pass. Imports never trust
    that tag anyway (``reset_dimensions``), so the measuring is skipped.
    """

    def _get_size(self) -> None:
        return None


_OPENING = threading.Lock()


def _load_unsized(path: Path) -> Any:
    with _OPENING:
        excel_reader.ReadOnlyWorksheet = _UnsizedReadOnlyWorksheet
        try:
            return openpyxl.load_workbook(path, read_only=True, data_only=True)
        finally:
            excel_reader.ReadOnlyWorksheet = ReadOnlyWorksheet


_DIMENSION = re.compile(rb'<dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"')


def _declared_rows(workbook: Any, ws: Any) -> int | None:
    """The last row the sheet's <dimension> tag names (an estimate for progress bars; never trusted)."""
    try:
        with workbook._archive.open(ws._worksheet_path) as part:
            head = part.read(4096)
    except (KeyError, OSError, AttributeError, zipfile.BadZipFile):
        return None
    found = _DIMENSION.search(head)
    return int(found.group(1)) if found else None


def _xlsx_rows(ws: Any) -> Iterator[tuple[int, tuple[Any, ...]]]:
    # A lying <dimension> tag must not drop rows: read-only mode trusts it unless reset.
    ws.reset_dimensions()
    yield from enumerate(ws.iter_rows(values_only=True), start=1)


def _decode_csv(raw: bytes) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Not UTF-8: Central European (Polish) or Western Windows code page. Only bytes the two read differently
    # tell them apart: whichever turns more of them into letters of its languages wins.
    score_pl = score_w = 0
    for byte, count in Counter(b for b in raw if b >= 0x80).items():
        as_pl = bytes([byte]).decode("cp1250", errors="replace")
        as_w = bytes([byte]).decode("cp1252", errors="replace")
        if as_pl != as_w:
            score_pl += count * (as_pl in _POLISH)
            score_w += count * (as_w in _WESTERN)
    return raw.decode("cp1250" if score_pl > score_w else "cp1252", errors="replace")


def _csv_rows(text: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
    sample = text[:65536]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS)
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = max(CSV_DELIMITERS, key=lambda d: sample.split("\n", 1)[0].count(d))
        if sample.split("\n", 1)[0].count(delimiter) == 0:
            delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True)
    try:
        for number, values in enumerate(reader, start=1):
            yield number, tuple(unquote_csv(value) for value in values)
    except csv.Error as exc:
        raise ValidationError(f"This CSV file could not be read: {exc}.", field="file") from exc


@contextmanager
def open_sheet(path: Path, file_format: str, *, whole: bool = False) -> Iterator[Sheet]:
    """Open a stored file and stream its rows; every failure becomes a clear ``ValidationError``.

    ``whole``: every row will be read, so a workbook is read at once by calamine when it is fit for it
    (``whole_sheet``), else streamed by openpyxl as always."""
    if file_format == CSV:
        raw = path.read_bytes()
        yield Sheet(name="", rows=_csv_rows(_decode_csv(raw)), estimated_rows=raw.count(b"\n"))
        return
    check_xlsx_container(path)
    if whole:
        try:
            fast = read_whole_sheet(path)
        except ValidationError:
            raise
        except Exception as exc:  # calamine, zipfile and the XML parser raise many kinds of errors
            raise _xlsx_problem(exc) from exc
        if fast is not None:
            yield Sheet(name=fast.name, rows=_guarded(fast.rows), estimated_rows=fast.height)
            return
    try:
        workbook = _load_unsized(path)
    except (DefusedXmlException, InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _xlsx_problem(exc) from exc
    except Exception as exc:  # openpyxl raises many kinds of errors on damaged parts
        raise _xlsx_problem(exc) from exc
    try:
        ws = _pick_sheet(workbook)
        yield Sheet(name=ws.title, rows=_guarded(_xlsx_rows(ws)), estimated_rows=_declared_rows(workbook, ws))
    finally:
        workbook.close()


def _guarded(rows: Iterator[tuple[int, tuple[Any, ...]]]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    try:
        yield from rows
    except ValidationError:
        raise
    except Exception as exc:
        raise _xlsx_problem(exc) from exc


def is_blank(value: Any) -> bool:
    """Whether a cell holds nothing (None or only spaces)."""
    return value is None or (isinstance(value, str) and not value.strip())


def header_and_rows(
    sheet: Sheet, *, max_rows: int | None = None
) -> tuple[int, list[str], Iterator[tuple[int, tuple[Any, ...]]]]:
    """The header row (the first row with a value), its labels, and the data rows after it (blank rows left out)."""
    limit = int(max_rows if max_rows is not None else settings.max_import_rows)
    for number, values in sheet.rows:
        if all(is_blank(v) for v in values):
            continue
        headers = [cell_text(v).strip() for v in values]
        while headers and not headers[-1]:
            headers.pop()
        if len(headers) > MAX_COLUMNS:
            raise ValidationError(
                f"This sheet has {len(headers)} columns; at most {MAX_COLUMNS} can be imported.", field="file"
            )
        return number, headers, _data_rows(sheet.rows, len(headers), number, limit)
    raise ValidationError("This file has no rows: the first row should hold the column names.", field="file")


def _data_rows(
    rows: Iterator[tuple[int, tuple[Any, ...]]], width: int, header_row: int, limit: int
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    count = 0
    for number, values in rows:
        if all(is_blank(v) for v in values):
            continue
        count += 1
        if count > limit:
            raise ValidationError(
                f"This file has more than {limit:,} rows. Split it into files of at most {limit:,} rows.",
                field="file",
            )
        cells = tuple(values[:width]) + (None,) * (width - len(values))
        yield number, cells


def cell_text(value: Any) -> str:
    """A cell as text: whole numbers without ".0", dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# One JSON value on one line, as compact as it gets (the lines of the files kept next to an upload).
compact_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


# Cell values that are their own JSON form (checked by exact type first: most cells are text or numbers).
_PLAIN_CELLS = frozenset({str, int, float, bool, type(None)})


def cells_json(cells: tuple[Any, ...]) -> list[Any]:
    """Cells in JSON form (dates tagged so that ``cells_back`` restores them)."""
    out: list[Any] = []
    for value in cells:
        if type(value) in _PLAIN_CELLS:
            out.append(value)
        elif isinstance(value, datetime):
            out.append({"$datetime": value.isoformat()})
        elif isinstance(value, date):
            out.append({"$date": value.isoformat()})
        elif isinstance(value, Decimal):
            out.append(str(value))
        elif value is None or isinstance(value, bool | int | float | str):
            out.append(value)
        else:
            out.append(str(value))
    return out


def cells_back(cells: list[Any] | None) -> list[Any]:
    """Cells from their JSON form, with dates restored."""
    out: list[Any] = []
    for value in cells or []:
        if type(value) is not dict:
            out.append(value)
        elif "$datetime" in value:
            out.append(datetime.fromisoformat(value["$datetime"]))
        elif "$date" in value:
            out.append(date.fromisoformat(value["$date"]))
        else:
            out.append(value)
    return out
