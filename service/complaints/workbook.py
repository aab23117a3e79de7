"""The complaints report by handling body as a workbook: title block, header, rows, total."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from service.complaints.report import BodyCounts, ComplaintReport
from service.reports.cells import put

TITLE = "TÌNH HÌNH TIẾP NHẬN, XỬ LÝ PHẢN ÁNH, KIẾN NGHỊ THEO CƠ QUAN GIẢI QUYẾT"
HEADER = ("STT", "Cơ quan giải quyết", "Số phản ánh, kiến nghị tiếp nhận",
          "Đã trả lời đúng hạn", "Đã trả lời trễ hạn", "Đang giải quyết trong hạn",
          "Đang giải quyết quá hạn", "Tỷ lệ trả lời đúng hạn")
WIDTHS = (6, 36, 16, 14, 14, 16, 16, 14)
HEADER_ROW = 6
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def complaints_workbook(report: ComplaintReport, timezone: str) -> Workbook:
    """The report as one sheet; counts are numbers and the rate a percentage cell."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Phản ánh kiến nghị"
    judged = report.judged_at.astimezone(ZoneInfo(timezone))
    lines = (TITLE, f"Đơn vị: {report.unit_name}",
             f"Kỳ báo cáo: {report.period.label} ({report.period.dates})",
             f"Số liệu tính đến {judged:%H:%M ngày %d/%m/%Y}; thời hạn trả lời "
             f"{report.limit_days} ngày làm việc")
    for row, text in enumerate(lines, 1):
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(HEADER))
        cell = put(sheet.cell(row, 1), text)
        cell.font = Font(bold=row == 1)
        cell.alignment = Alignment(horizontal="center")
    for column, (text, width) in enumerate(zip(HEADER, WIDTHS, strict=True), 1):
        cell = put(sheet.cell(HEADER_ROW, column), text)
        cell.font, cell.border = Font(bold=True), BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(column)].width = width
    for number, counts in enumerate(report.rows, 1):
        _line(sheet, HEADER_ROW + number, number, counts, bold=False)
    last = HEADER_ROW + len(report.rows) + 1
    _line(sheet, last, None, report.total, bold=True)
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 3)
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(HEADER))}{last - 1}"
    return book


def _line(sheet: Worksheet, row: int, number: int | None, counts: BodyCounts,
          bold: bool) -> None:
    values = (number, counts.handler, counts.received, counts.on_time, counts.late,
              counts.open_within, counts.open_overdue, counts.on_time_rate)
    for column, value in enumerate(values, 1):
        # The handling body's name comes from the complaint as received: text, never a formula.
        cell = put(sheet.cell(row, column), value, "text" if column == 2 else "number")
        cell.font, cell.border = Font(bold=bold), BOX
    sheet.cell(row, len(values)).number_format = "0.0%"
