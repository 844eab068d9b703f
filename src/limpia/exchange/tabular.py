"""Reading workbooks: an .xlsx file or a .zip of CSV files named like its sheets.

Everything a user can get wrong is reported as a `CellError` naming the sheet, the row as the
user sees it (the header is row 1) and the column, with a message saying what was expected.
Errors are collected, never raised one at a time, so a user fixes a file in one go.

Cells are parsed with the helpers at the end of this module (dates, decimals, yes/no, coded
values with English or Spanish labels, multi-valued cells separated by ';'). A `RowReader`
wraps them for one row and records each error with its place.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from limpia.core.fields import SIGNIFICANT_DIGITS, significant_digits
from limpia.exchange.meter import current as current_meter

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
FORMULA_PREFIXES = ("=", "+", "-", "@")
NOT_A_WORKBOOK = (
    "this is not a workbook: expected an .xlsx file or a .zip of CSV files named like the sheets"
)
XML_DECLARES_ENTITIES = (
    "the .xlsx is refused: its XML declares entities (a DTD), which a spreadsheet never has; "
    "save it again from the spreadsheet program"
)


@dataclass(frozen=True)
class CellError:
    sheet: str | None
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        parts = []
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        where = ", ".join(parts) or "file"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class Formula:
    """Marks a cell that holds a formula; its text is kept for the message."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"


@dataclass
class Row:
    number: int  # 1-based as the user sees it
    values: dict[str, Any]


@dataclass
class Sheet:
    name: str
    headers: list[str]  # normalized: stripped, lower case (except the name after "dim:")
    rows: list[Row] = field(default_factory=list)
    raw_rows: list[tuple[int, list[Any]]] = field(default_factory=list)  # for key/value sheets


@dataclass
class Workbook:
    sheets: dict[str, Sheet] = field(default_factory=dict)
    errors: list[CellError] = field(default_factory=list)
    kind: str = ""  # "xlsx" or "csv"


# ---------------------------------------------------------------- reading files


def normalize_header(value: Any) -> str:
    text = "" if value is None else str(value).strip()
    if text.lower().startswith("dim:"):
        return "dim:" + text[4:].strip()
    return text.lower()


def _read_bytes(source) -> tuple[bytes | None, str | None]:
    """The file's bytes, or an error message when it is missing or too large."""
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
    elif isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            return None, f"no such file: {path}"
        if path.stat().st_size > MAX_FILE_BYTES:
            return None, _too_large(path.stat().st_size)
        data = path.read_bytes()
    else:  # a file object (an upload)
        data = source.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        return None, _too_large(len(data))
    return data, None


def _too_large(size: int) -> str:
    return (
        f"the file is too large ({size / 1024 / 1024:.1f} MB); "
        f"the limit is {MAX_FILE_BYTES // 1024 // 1024} MB"
    )


def _zip_guard(archive: zipfile.ZipFile) -> str | None:
    total = 0
    for info in archive.infolist():
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO:
            return f"the file is refused: {info.filename} is compressed suspiciously well"
    if total > MAX_UNCOMPRESSED_BYTES:
        return (
            "the file is refused: uncompressed it would take "
            f"{total / 1024 / 1024:.0f} MB (the limit is "
            f"{MAX_UNCOMPRESSED_BYTES // 1024 // 1024} MB)"
        )
    return None


def read_workbook(source, sheet_names: Iterable[str] = ()) -> Workbook:
    """Read an .xlsx or a .zip of CSVs from a path, bytes or a file object.

    `sheet_names` are the sheets the caller knows; others are kept too (the caller may report
    them). File-level problems come back in `Workbook.errors` with no sheet.
    """
    book = Workbook()
    data, problem = _read_bytes(source)
    if problem:
        book.errors.append(CellError(None, None, None, problem))
        return book
    if not data.startswith(b"PK\x03\x04"):
        book.errors.append(CellError(None, None, None, NOT_A_WORKBOOK))
        return book
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
    except (zipfile.BadZipFile, ValueError):
        book.errors.append(CellError(None, None, None, NOT_A_WORKBOOK))
        return book
    problem = _zip_guard(archive)
    if problem:
        book.errors.append(CellError(None, None, None, problem))
        return book
    if "xl/workbook.xml" in names:
        book.kind = "xlsx"
        _read_xlsx(data, book)
    elif any(n.lower().endswith(".csv") for n in names):
        book.kind = "csv"
        _read_csv_zip(archive, book)
    else:
        book.errors.append(CellError(None, None, None, NOT_A_WORKBOOK))
    return book


def _add_sheet(book: Workbook, name: str, rows: Iterable[tuple[int, list[Any]]]) -> None:
    key = name.strip().lower()
    rows = [(n, values) for n, values in rows]
    header_values = rows[0][1] if rows else []
    headers = [normalize_header(v) for v in header_values]
    while headers and not headers[-1]:
        headers.pop()
    sheet = Sheet(name=key, headers=headers, raw_rows=rows)
    for number, values in rows[1:]:
        if all(_is_empty(v) for v in values):
            continue
        record = {}
        for i, header in enumerate(headers):
            if header and i < len(values) and header not in record:
                record[header] = values[i]
        sheet.rows.append(Row(number, record))
    book.sheets[key] = sheet


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# What only openpyxl reads as Limpia must: a formula (kept as a Formula, so that the parsers
# refuse it by cell) and a document type declaration (refused as hostile XML by defusedxml).
_NEEDS_OPENPYXL = re.compile(rb"<(?:\w+:)?f[\s>/]|<!DOCTYPE|<!ENTITY")
_MIDNIGHT = dt.time.min


def _read_xlsx(data: bytes, book: Workbook) -> None:
    """The cell values of every worksheet, by calamine (a Rust reader: 10,000 rows in 0.1 s,
    where openpyxl takes 1.3 s) when the workbook holds no formula and no document type
    declaration; otherwise, or if calamine cannot read it, by openpyxl, whose refusals name
    the problem. Both give the same values (`_plain_value`)."""
    if not _NEEDS_OPENPYXL.search(_xml_parts(data)) and _read_xlsx_calamine(data, book):
        return
    book.sheets.clear()
    _read_xlsx_openpyxl(data, book)


def _xml_parts(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return b"".join(
            archive.read(info)
            for info in archive.infolist()
            if info.filename.lower().endswith((".xml", ".rels"))
        )


def _plain_value(value: Any) -> Any:
    """A calamine value as openpyxl gives it: an empty cell None, a whole number an int, a
    date a datetime at midnight."""
    if value == "" or value is None:
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, _MIDNIGHT)
    if isinstance(value, bool | int | str | dt.datetime | dt.time | dt.timedelta):
        return value
    return str(value)  # an error value such as #N/A, as its text


def _read_xlsx_calamine(data: bytes, book: Workbook) -> bool:
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = [
            (meta.name, workbook.get_sheet_by_name(meta.name).to_python(skip_empty_area=False))
            for meta in workbook.sheets_metadata
            if meta.typ == python_calamine.SheetTypeEnum.WorkSheet
        ]
    except Exception:  # calamine's refusals: openpyxl reads the file and names why
        return False
    meter = current_meter()
    meter.phase("reading", sum(len(rows) for _name, rows in sheets))
    for name, rows in sheets:
        _add_sheet(
            book,
            name,
            ((n, [_plain_value(v) for v in values]) for n, values in enumerate(rows, start=1)),
        )
        meter.advance(len(rows))
    return True


def _read_xlsx_openpyxl(data: bytes, book: Workbook) -> None:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for broken files
        book.errors.append(CellError(None, None, None, _unreadable_xlsx(exc)))
        return
    meter = current_meter()
    try:
        meter.phase("reading", sum(ws.max_row or 0 for ws in workbook.worksheets))
        for worksheet in workbook.worksheets:
            rows = []
            # In read-only mode a sheet's XML is parsed as its rows are read: hostile XML
            # (entities, a billion laughs) is found here, not when the workbook opens.
            for number, cells in enumerate(worksheet.iter_rows(), start=1):
                meter.advance()
                values = []
                for cell in cells:
                    value = getattr(cell, "value", None)
                    if getattr(cell, "data_type", None) == "f" or (
                        value is not None and value.__class__.__name__ == "ArrayFormula"
                    ):
                        value = Formula(str(getattr(value, "text", value)))
                    values.append(value)
                rows.append((number, values))
            _add_sheet(book, worksheet.title, rows)
    except _XML_ERRORS as exc:
        book.sheets.clear()
        book.errors.append(CellError(None, None, None, _unreadable_xlsx(exc)))
    finally:
        workbook.close()


def _xml_errors() -> tuple[type[BaseException], ...]:
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from lxml.etree import LxmlError

    return (DefusedXmlException, ParseError, LxmlError)


_XML_ERRORS = _xml_errors()


def _unreadable_xlsx(exc: BaseException) -> str:
    """The refusal for an .xlsx openpyxl cannot read, naming hostile XML as such."""
    cause = exc
    while cause is not None:
        if isinstance(cause, _XML_ERRORS[0]) or "entit" in str(cause).lower():
            return XML_DECLARES_ENTITIES
        cause = cause.__cause__ or cause.__context__
    detail = " ".join(str(exc).split())
    return f"{NOT_A_WORKBOOK} (the .xlsx could not be read: {detail})"


def _read_csv_zip(archive: zipfile.ZipFile, book: Workbook) -> None:
    meter = current_meter()
    members = [
        info
        for info in archive.infolist()
        if info.filename.lower().endswith(".csv") and not info.filename.startswith("__MACOSX/")
    ]
    meter.phase("reading", sum(info.file_size for info in members), unit="bytes")
    for info in members:
        name = info.filename
        sheet = Path(name).stem
        raw = archive.read(name)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            book.errors.append(
                CellError(sheet, None, None, f"{name} is not UTF-8 text; save the CSV as UTF-8")
            )
            continue
        first_line = text.split("\n", 1)[0]
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            rows = [
                (n, [v if v != "" else None for v in values])
                for n, values in enumerate(reader, start=1)
            ]
        except csv.Error as exc:
            book.errors.append(CellError(sheet, None, None, f"{name} is not valid CSV: {exc}"))
            continue
        _add_sheet(book, sheet, rows)
        meter.advance(info.file_size)


# ---------------------------------------------------------------- cell parsing


class CellValueError(ValueError):
    """A cell holds something other than what was expected; the message says what was."""


def _show(value: Any) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def unquote(text: str) -> str:
    """Undo the export's neutralisation of cells that would start a formula."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_PREFIXES:
        return text[1:]
    return text


def parse_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    if isinstance(value, dt.date):
        return value.isoformat()
    return unquote(str(value).strip())


EXCEL_EPOCH = dt.date(1899, 12, 30)
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00)?)?")
DATE_EXPECTED = "a date (YYYY-MM-DD, dd/mm/yyyy or an Excel date)"


def parse_date(value: Any) -> dt.date | None:
    if _is_empty(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 200000 and float(value).is_integer():
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise CellValueError(f"expected {DATE_EXPECTED}, not {_show(value)}")
    text = str(value).strip()
    try:
        if match := _ISO.fullmatch(text):
            return dt.date(*(int(g) for g in match.groups()))
        if match := _DMY.fullmatch(text):
            day, month, year = (int(g) for g in match.groups())
            return dt.date(year, month, day)
        if text.isdigit() and 1 <= int(text) < 200000:
            return EXCEL_EPOCH + dt.timedelta(days=int(text))
    except ValueError:
        raise CellValueError(
            f"{_show(text)} is not a real date; expected {DATE_EXPECTED}"
        ) from None
    raise CellValueError(f"expected {DATE_EXPECTED}, not {_show(text)}")


_GROUPED = {
    ".": re.compile(r"[+-]?\d{1,3}(\.\d{3})+"),
    ",": re.compile(r"[+-]?\d{1,3}(,\d{3})+"),
}
_PLAIN = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")
DECIMAL_EXPECTED = "a number (decimal point or comma, e.g. 12.5 or 12,5)"


# What every supported database keeps of a number (core/fields.py).
TOO_PRECISE = f"expected a number of at most {SIGNIFICANT_DIGITS} significant digits, not {{value}}"


def parse_decimal(value: Any) -> Decimal | None:
    """Numbers with a decimal point or comma; thousands separators when unambiguous.

    `1.234,5` and `1,234.5` are 1234.5; `1.234.567` is 1234567; a single separator is the
    decimal one (`1,5` and `1.5` are 1.5).
    """
    if _is_empty(value):
        return None
    if isinstance(value, bool):
        raise CellValueError(f"expected {DECIMAL_EXPECTED}, not {_show(value)}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellValueError(f"expected {DECIMAL_EXPECTED}, not {_show(value)}")
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    text = str(value).strip().replace("\u00a0", " ").replace("\u202f", " ")
    text = re.sub(r"(?<=\d) (?=\d{3}\b)", "", text)  # 1 234 567,5
    if _PLAIN.fullmatch(text):
        normalized = text.replace(",", ".")
    else:
        last = max(text.rfind("."), text.rfind(","))
        integer, point, fraction = text[:last], text[last], text[last + 1 :]
        thousands = "," if point == "." else "."
        if (
            last > 0
            and fraction.isdigit()
            and _GROUPED[thousands].fullmatch(integer)
            and thousands not in fraction
        ):
            normalized = integer.replace(thousands, "") + "." + fraction
        elif _GROUPED["."].fullmatch(text):
            normalized = text.replace(".", "")
        elif _GROUPED[","].fullmatch(text):
            normalized = text.replace(",", "")
        else:
            raise CellValueError(f"expected {DECIMAL_EXPECTED}, not {_show(text)}")
    try:
        return Decimal(normalized)
    except InvalidOperation:
        raise CellValueError(f"expected {DECIMAL_EXPECTED}, not {_show(text)}") from None


def fold(text: str) -> str:
    """Lower case without accents, for matching labels."""
    decomposed = unicodedata.normalize("NFKD", str(text).strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


YES = {"yes", "y", "si", "s", "true", "verdadero", "1", "x"}
NO = {"no", "n", "false", "falso", "0"}
BOOL_EXPECTED = "yes or no (also sí/no, true/false, 1/0)"


def parse_bool(value: Any) -> bool | None:
    if _is_empty(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    folded = fold(value)
    if folded in YES:
        return True
    if folded in NO:
        return False
    raise CellValueError(f"expected {BOOL_EXPECTED}, not {_show(value)}")


class Choices:
    """A coded column: English codes, each with Spanish (or other) labels accepted too."""

    def __init__(self, codes: dict[str, Iterable[str]]):
        self.codes = list(codes)
        self.labels = {code: list(labels) for code, labels in codes.items()}
        self.lookup: dict[str, str] = {}
        for code, labels in codes.items():
            self.lookup[fold(code)] = code
            for label in labels:
                self.lookup[fold(label)] = code

    def expected(self) -> str:
        spanish = [labels[0] for labels in self.labels.values() if labels]
        text = "one of " + ", ".join(self.codes)
        if spanish:
            text += " (or " + ", ".join(spanish) + ")"
        return text

    def parse(self, value: Any) -> str:
        if _is_empty(value):
            return ""
        code = self.lookup.get(fold(value))
        if code is None:
            raise CellValueError(f"expected {self.expected()}, not {_show(value)}")
        return code


def parse_list(value: Any) -> list[str]:
    """A multi-valued cell: items separated by ';' (empty items are dropped)."""
    text = parse_text(value)
    return [item.strip() for item in text.split(";") if item.strip()]


class RowReader:
    """Parse the cells of one row, recording each problem with its sheet, row and column."""

    def __init__(self, sheet: str, row: Row, errors: list[CellError]):
        self.sheet, self.row, self.errors = sheet, row, errors
        self.ok = True

    def error(self, column: str | None, message: str) -> None:
        self.ok = False
        self.errors.append(CellError(self.sheet, self.row.number, column, message))

    def has(self, column: str) -> bool:
        return column in self.row.values

    def raw(self, column: str) -> Any:
        value = self.row.values.get(column)
        if isinstance(value, Formula):
            self.error(
                column,
                f"a formula ({_show(value.text)}) where a value is expected; "
                "paste the value instead",
            )
            return None
        return value

    def _parse(self, column, parser, required, *args):
        value = self.raw(column)
        if isinstance(self.row.values.get(column), Formula):
            return None
        if _is_empty(value):
            if required:
                self.error(column, "a value is required")
            return None
        try:
            return parser(value, *args)
        except CellValueError as exc:
            self.error(column, str(exc))
            return None

    def text(self, column: str, *, required=False, max_length: int | None = None) -> str:
        value = self._parse(column, parse_text, required) or ""
        if max_length and len(value) > max_length:
            self.error(column, f"expected at most {max_length} characters, not {len(value)}")
            return value[:max_length]
        return value

    def date(self, column: str, *, required=False) -> dt.date | None:
        return self._parse(column, parse_date, required)

    def decimal(self, column: str, *, required=False, minimum=None) -> Decimal | None:
        value = self._parse(column, parse_decimal, required)
        if value is not None and significant_digits(value) > SIGNIFICANT_DIGITS:
            self.error(column, TOO_PRECISE.format(value=value))
            return None
        if value is not None and minimum is not None and value < minimum:
            self.error(column, f"expected a number of at least {minimum}, not {value}")
            return None
        return value

    def boolean(self, column: str, *, required=False) -> bool | None:
        return self._parse(column, parse_bool, required)

    def choice(self, column: str, choices: Choices, *, required=False, default="") -> str:
        value = self._parse(column, lambda v: choices.parse(v), required)
        return value or default

    def items(self, column: str) -> list[str]:
        return self._parse(column, parse_list, False) or []


# ---------------------------------------------------------------- writing cells


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula gets a leading quote; numbers stay."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def check_header(
    sheet: str,
    headers,
    *,
    required,
    optional,
    errors: list,
    warnings: list,
    is_known=None,
) -> bool:
    """Check a sheet's header row: required columns present, none twice; unknown columns are
    reported as warnings (their values are not imported). `is_known(header)` admits extra
    columns (such as `dim:<name>` disaggregations). Returns whether the sheet can be read."""
    ok = True
    for column in required:
        if column not in headers:
            ok = False
            errors.append(
                CellError(
                    sheet, 1, column, f"the required column {column!r} is missing from the header"
                )
            )
    seen = set()
    for position, header in enumerate(headers, start=1):
        if not header:
            continue
        if header in seen:
            ok = False
            errors.append(CellError(sheet, 1, header, "the column appears twice in the header"))
        seen.add(header)
        known = header in required or header in optional or (is_known and is_known(header))
        if not known:
            warnings.append(
                CellError(
                    sheet,
                    1,
                    header,
                    f"unknown column (position {position}), its values are not imported",
                )
            )
    return ok
