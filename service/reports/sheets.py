"""XLSX written as a stream: one sheet of rows, flat memory, and data that stays text.

openpyxl builds a cell object per value and took 11–15 s of CPU for 100 000 rows of 18 columns
on the shared machine; writing the SpreadsheetML by hand, a row at a time from a template and
each column's remembered cell texts (`cells.CellXml`), the whole list export of 100 000
dossiers took about 4.6 s of CPU (10–11 s before), streamed to the browser as it is written.
Cells follow the one rule of `service.reports.cells`: text is an inline string, never a formula.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import getitem
from typing import Any
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

from service.reports.cells import HEADER, KINDS, TITLE, CellXml, text_xml

FLUSH_ROWS = 500
# Deflate's fastest level: a third of the default level's CPU for a file a third larger
# (measured on the 100 000-row list export), and compressing is most of what is left of
# writing once the cells are remembered.
COMPRESS_LEVEL = 1


@dataclass(frozen=True)
class Column:
    """A column: its header, width, and the kind its values are written as when they fit it.

    kind: "text", "number" (int or float), "instant" (naive local datetime) or "day" (date);
    a value that does not fit its column's kind is written as text.
    """

    title: str
    width: float = 16
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column «{self.title}»: kind {self.kind!r} is not one of {KINDS}")


@dataclass(frozen=True)
class Sheet:
    """What one workbook holds: a sheet name, title lines above the header, the columns."""

    name: str
    titles: Sequence[str]
    columns: Sequence[Column]


def xlsx_chunks(sheet: Sheet, rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The workbook's bytes, chunk by chunk, as the rows are read."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as package:
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
        out.write(f'<row r="{number}"><c r="A{number}"{text_xml(title, TITLE)}</row>'.encode())
    out.write(_row_template(letters).format(
        header, *(text_xml(column.title, HEADER) for column in sheet.columns)).encode())
    template = _row_template(letters).format
    cells = [CellXml.of(column.kind) for column in sheet.columns]
    width, lines, number = len(cells), [], header
    for number, values in enumerate(rows, start=header + 1):
        if len(values) != width:
            raise ValueError(f"row {number} has {len(values)} values for {width} columns")
        lines.append(template(number, *map(getitem, cells, values)))
        if len(lines) == FLUSH_ROWS:
            out.write("".join(lines).encode())
            lines.clear()
            yield sink.drain()
    out.write("".join(lines).encode())
    ref = f"A{header}:{letters[-1]}{max(number, header)}"
    out.write(f'</sheetData><autoFilter ref="{ref}"/>{PAGE}</worksheet>'.encode())
    return ref


def _row_template(letters: Sequence[str]) -> str:
    """A row as a format string: {0} its number, {1}… the rest of each cell after `<c r=..`."""
    cells = "".join(f'<c r="{letter}{{0}}"{{{n}}}' for n, letter in enumerate(letters, start=1))
    return f'<row r="{{0}}">{cells}</row>'


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
# The cell formats in the order of cells.PLAIN, INSTANT, HEADER, QUOTED, DAY, TITLE.
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
