"""XLSX written as a stream: one sheet of rows, flat memory, and data that stays text.

openpyxl builds a cell object per value and took 11–15 s of CPU for 100 000 rows of 18 columns
on the shared machine; writing the SpreadsheetML by hand takes about 1 s, so the list export
of 100 000 dossiers fits its 5 s and streams to the browser as it is written.

Every text cell is an inline string, never a formula. Text a spreadsheet would take for a
formula when retyped (starting with =, +, -, @, a tab or a carriage return) also gets Excel's
quote prefix, like a leading apostrophe, so editing the cell cannot turn it into one.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from openpyxl.cell import Cell
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 forbids; sources do send them (pasted from other programs).
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MAX_TEXT = 32_767  # Excel's limit for one cell
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
# Styles of styles.xml below: plain, date and time, header, quoted text, date, title.
PLAIN, INSTANT, HEADER, QUOTED, DAY, TITLE = range(6)
FLUSH_ROWS = 500


def sheet_text(value: object) -> tuple[str, bool]:
    """A value as cell text, and whether it needs the quote prefix (it reads as a formula)."""
    text = ILLEGAL.sub("", str(value))[:MAX_TEXT]
    return text, text.startswith(FORMULA_STARTS)


def put_text(cell: Cell, value: object) -> None:
    """Put data into an openpyxl cell as text (openpyxl makes "=..." a formula by itself)."""
    text, quoted = sheet_text(value)
    cell.value = text
    cell.data_type = "s"
    cell.quotePrefix = quoted


@dataclass(frozen=True)
class Column:
    """A column: its header, width, and the kind its values are written as when they fit it.

    kind: "text", "number" (int or float), "instant" (naive local datetime) or "day" (date);
    a value that does not fit its column's kind is written as text.
    """

    title: str
    width: float = 16
    kind: str = "text"


@dataclass(frozen=True)
class Sheet:
    """What one workbook holds: a sheet name, title lines above the header, the columns."""

    name: str
    titles: Sequence[str]
    columns: Sequence[Column]


def xlsx_chunks(sheet: Sheet, rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The workbook's bytes, chunk by chunk, as the rows are read."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as package:
        for name, part in _fixed_parts(sheet):
            package.writestr(name, part)
        with package.open("xl/worksheets/sheet1.xml", "w") as out:
            last = yield from _write_sheet(out, sheet, rows, sink)
        package.writestr("xl/workbook.xml", _workbook(sheet, last))
    yield sink.drain()


class _Sink:
    """A write-only stream that hands over what was written so far (zipfile needs no seek)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def drain(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def _write_sheet(out: Any, sheet: Sheet, rows: Iterable[Sequence[Any]],
                 sink: _Sink) -> Iterator[bytes]:
    """Write the sheet part, yielding the package's bytes now and then; return the last row."""
    letters = [get_column_letter(n) for n in range(1, len(sheet.columns) + 1)]
    header = len(sheet.titles) + 1
    out.write(_sheet_head(sheet, header).encode())
    for number, title in enumerate(sheet.titles, start=1):
        out.write(_row(number, [(letters[0], _text_cell(title, TITLE))]))
    out.write(_row(header, [(letter, _text_cell(column.title, HEADER))
                            for letter, column in zip(letters, sheet.columns, strict=True)]))
    number = header
    for number, values in enumerate(rows, start=header + 1):
        out.write(_row(number, [(letter, _cell(value, column))
                                for letter, column, value in zip(letters, sheet.columns, values,
                                                                 strict=True)]))
        if number % FLUSH_ROWS == 0:
            yield sink.drain()
    ref = f"A{header}:{letters[-1]}{max(number, header)}"
    out.write(f'</sheetData><autoFilter ref="{ref}"/>{PAGE}</worksheet>'.encode())
    return ref


def _cell(value: Any, column: Column) -> tuple[str, str] | None:
    """The attributes and content of one cell element; None leaves the cell empty."""
    if value is None or value == "":
        return None
    if column.kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return "", f"<v>{value}</v>"
    if column.kind == "instant" and isinstance(value, dt.datetime):
        return _serial(value, INSTANT)
    if column.kind == "day" and isinstance(value, dt.date):
        return _serial(dt.datetime.combine(value, dt.time()), DAY)
    text, quoted = sheet_text(value)
    return _text_cell(text, QUOTED if quoted else PLAIN)


def _serial(value: dt.datetime, style: int) -> tuple[str, str]:
    """A local date and time as Excel's day number (spreadsheets have no time zones)."""
    days = (value.replace(tzinfo=None) - EXCEL_EPOCH).total_seconds() / 86400
    return f' s="{style}"', f"<v>{days:.8f}</v>"


def _text_cell(text: str, style: int) -> tuple[str, str]:
    styled = f' s="{style}"' if style else ""
    return (f' t="inlineStr"{styled}',
            f'<is><t xml:space="preserve">{escape(ILLEGAL.sub("", text))}</t></is>')


def _row(number: int, cells: Iterable[tuple[str, tuple[str, str] | None]]) -> bytes:
    body = "".join(f'<c r="{letter}{number}"{cell[0]}>{cell[1]}</c>'
                   for letter, cell in cells if cell is not None)
    return f'<row r="{number}">{body}</row>'.encode()


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
OFFICE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
CONTENT_TYPES = (
    f'{XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{OFFICE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{OFFICE}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{OFFICE}.styles+xml"/></Types>')
ROOT_RELS = (
    f'{XML_HEAD}<Relationships xmlns="{PACKAGE_RELS}"><Relationship Id="rId1" '
    f'Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK_RELS = (
    f'{XML_HEAD}<Relationships xmlns="{PACKAGE_RELS}">'
    f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{RELS}/styles" Target="styles.xml"/></Relationships>')
_XF = '<xf numFmtId="{0}" fontId="{1}" fillId="0" borderId="0" xfId="0"{2}/>'
STYLES = (
    f'{XML_HEAD}<styleSheet xmlns="{MAIN}"><numFmts count="2">'
    '<numFmt numFmtId="164" formatCode="dd/mm/yyyy hh:mm"/>'
    '<numFmt numFmtId="165" formatCode="dd/mm/yyyy"/></numFmts>'
    '<fonts count="3"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="13"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="6">'
    + _XF.format(0, 0, "")
    + _XF.format(164, 0, ' applyNumberFormat="1"')
    + '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" '
      'applyAlignment="1"><alignment vertical="center" wrapText="1"/></xf>'
    + _XF.format(0, 0, ' quotePrefix="1"')
    + _XF.format(165, 0, ' applyNumberFormat="1"')
    + _XF.format(0, 2, ' applyFont="1"')
    + '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    '</cellStyles></styleSheet>')
PAGE = ('<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
        '<pageSetup paperSize="9" orientation="landscape"/>')


def _fixed_parts(sheet: Sheet) -> list[tuple[str, str]]:
    return [("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS), ("xl/styles.xml", STYLES)]


def _sheet_head(sheet: Sheet, header: int) -> str:
    """Everything before the rows: the frozen panes below the header, the column widths."""
    widths = "".join(f'<col min="{n}" max="{n}" width="{column.width}" customWidth="1"/>'
                     for n, column in enumerate(sheet.columns, start=1))
    return (f'{XML_HEAD}<worksheet xmlns="{MAIN}" xmlns:r="{RELS}"><sheetViews>'
            f'<sheetView workbookViewId="0"><pane ySplit="{header}" topLeftCell="A{header + 1}" '
            'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/>'
            f'</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
            f'<cols>{widths}</cols><sheetData>')


def _workbook(sheet: Sheet, ref: str) -> str:
    """The workbook part; the auto-filter's range is named as Excel itself names it."""
    first, last = (f"${part[0]}${part[1:]}" for part in ref.split(":"))
    name = escape(sheet.name.replace("'", "''"))
    return (f'{XML_HEAD}<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><bookViews><workbookView/>'
            f'</bookViews><sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets>'
            '<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" '
            f'hidden="1">\'{name}\'!{first}:{last}</definedName></definedNames></workbook>')
