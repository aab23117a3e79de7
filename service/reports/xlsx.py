"""Biểu 06/VPCP/KSTT as a workbook laid out like the official form."""

from __future__ import annotations

import datetime as dt

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from service.reports.cells import put
from service.reports.form06 import COLUMNS, HEADER, Form06, Form06Row

FORM_CODE = "Biểu số 06/VPCP/KSTT"
FORM_TITLE = ("TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH TẠI CƠ QUAN, ĐƠN VỊ "
              "TRỰC TIẾP GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH")
CIRCULAR = "Ban hành kèm theo Thông tư số 01/2020/TT-VPCP ngày 21/10/2020 của Văn phòng Chính phủ"
FIRST_DATA_ROW = 11
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _put(sheet: Worksheet, first: str, last: str, text: str, *, bold: bool = False,
         align: Alignment = CENTER) -> None:
    if first != last:
        sheet.merge_cells(f"{first}:{last}")
    cell = put(sheet[first], text)
    cell.font, cell.alignment = Font(bold=bold), align


def form06_workbook(report: Form06, recipient: str) -> Workbook:
    """Biểu 06 as a workbook: title block, merged headers, numbered columns, rows, total, signs."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Biểu 06"
    left = Alignment(horizontal="left", vertical="center", wrap_text=True)
    _put(sheet, "A1", "C1", FORM_CODE, bold=True, align=left)
    _put(sheet, "A2", "C3", CIRCULAR, align=left)
    _put(sheet, "D1", "J2", FORM_TITLE, bold=True)
    period = f"Kỳ báo cáo: {report.period.label} ({report.period.dates})"
    _put(sheet, "D3", "J3", period)
    _put(sheet, "D4", "J4", report.as_of_text)
    _put(sheet, "K1", "M1", f"Đơn vị báo cáo: {report.unit_name}", align=left)
    _put(sheet, "K2", "M2", f"Đơn vị nhận báo cáo: {recipient}", align=left)
    _put(sheet, "K4", "M4", "Đơn vị tính: Số hồ sơ TTHC", align=left)
    for first, last, text in HEADER:
        _put(sheet, first, last, text, bold=True)
    for column in range(1, 14):
        put(sheet.cell(10, column), f"({column})").alignment = CENTER
    row_number = FIRST_DATA_ROW
    for line in [*report.rows, report.total]:
        _write_line(sheet, row_number, line, bold=line is report.total)
        row_number += 1
    for row in sheet.iter_rows(min_row=6, max_row=row_number - 1, max_col=13):
        for cell in row:
            cell.border = BOX
    _signatures(sheet, row_number + 1, report.made_at)
    _layout(sheet)
    return book


def _write_line(sheet: Worksheet, row: int, line: Form06Row, bold: bool) -> None:
    put(sheet.cell(row, 1), line.number, "number").alignment = CENTER
    put(sheet.cell(row, 2), line.domain).font = Font(bold=bold)  # lĩnh vực: from the sources
    for column in COLUMNS:
        cell = put(sheet.cell(row, column), line.cells[column], "number")
        cell.font, cell.alignment = Font(bold=bold), Alignment(horizontal="right")


def _signatures(sheet: Worksheet, row: int, made_at: dt.datetime) -> None:
    _put(sheet, f"J{row}", f"M{row}",
         f"…, ngày {made_at:%d} tháng {made_at:%m} năm {made_at:%Y}")
    _put(sheet, f"A{row + 1}", f"D{row + 1}", "NGƯỜI LẬP BIỂU", bold=True)
    _put(sheet, f"J{row + 1}", f"M{row + 1}", "THỦ TRƯỞNG CƠ QUAN", bold=True)
    _put(sheet, f"A{row + 2}", f"D{row + 2}", "(Ký, ghi rõ họ tên)")
    _put(sheet, f"J{row + 2}", f"M{row + 2}", "(Ký, đóng dấu)")


def _layout(sheet: Worksheet) -> None:
    sheet.column_dimensions["A"].width = 6
    sheet.column_dimensions["B"].width = 34
    for column in range(3, 14):
        sheet.column_dimensions[get_column_letter(column)].width = 11
    for row in (1, 2, 3):
        sheet.row_dimensions[row].height = 32
    sheet.row_dimensions[9].height = 45
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "6:10"
    sheet.freeze_panes = "C11"
