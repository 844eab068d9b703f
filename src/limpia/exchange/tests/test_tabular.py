"""Workbooks are read by calamine when they hold no formula and no document type declaration,
by openpyxl otherwise; both readers give the parsers the same values."""

import datetime as dt
import io

import openpyxl
import pytest

from limpia.exchange import tabular


def _xlsx(rows, title="facilities") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.create_sheet("empty")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


ROWS = [
    ["facility_code", "count", "share", "name", "applies", "date", "at", "time", "blank"],
    ["F-1", 1, 1.5, "Planta Osorno", True, dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4)],
    [None, None, None],
    ["F-2", 10**12, 0.1, "  ", False, dt.datetime(2025, 6, 30), None, dt.time(5, 6), ""],
    [None, "sin código", -3, "Ñuñoa"],
]


def _read(reader, data):
    book = tabular.Workbook()
    reader(data, book)
    return {
        name: (sheet.headers, [(row.number, row.values) for row in sheet.rows])
        for name, sheet in book.sheets.items()
    }


def test_calamine_and_openpyxl_give_the_same_rows():
    data = _xlsx(ROWS)
    fast = _read(tabular._read_xlsx_calamine, data)
    assert fast == _read(tabular._read_xlsx_openpyxl, data)
    headers, rows = fast["facilities"]
    assert headers[:2] == ["facility_code", "count"]
    # row numbers are the sheet's: the empty row 3 is skipped, not renumbered
    assert [number for number, _values in rows] == [2, 4, 5]
    assert rows[0][1]["count"] == 1 and isinstance(rows[0][1]["count"], int)
    assert rows[0][1]["date"] == dt.datetime(2024, 1, 2)
    assert set(fast) == {"facilities", "empty"}


def test_a_plain_workbook_is_read_by_calamine(monkeypatch):
    def refuse(data, book):
        raise AssertionError("openpyxl was used")

    monkeypatch.setattr(tabular, "_read_xlsx_openpyxl", refuse)
    book = tabular.read_workbook(_xlsx(ROWS))
    assert [row.values["facility_code"] for row in book.sheets["facilities"].rows][:2] == [
        "F-1",
        "F-2",
    ]


@pytest.mark.parametrize("formula", ["=1+1", "=SUM(B2:B3)"])
def test_a_workbook_with_a_formula_is_read_by_openpyxl(monkeypatch, formula):
    def refuse(data, book):
        raise AssertionError("calamine was used")

    monkeypatch.setattr(tabular, "_read_xlsx_calamine", refuse)
    book = tabular.read_workbook(_xlsx([["facility_code", "count"], ["F-1", formula]]))
    value = book.sheets["facilities"].rows[0].values["count"]
    assert isinstance(value, tabular.Formula)  # the parsers refuse it, naming the cell
