"""How every workbook the service writes puts a value into a cell: data stays text.

One rule for every writer: a value is written as a number or a date only when the code chose
that kind for its column and the value is one; anything else, whatever it looks like, is a
text cell, never a formula. Names, procedures, handlers and lĩnh vực come from the sources and
the national portal, where anyone may type "=HYPERLINK(...)"; a spreadsheet would run that as
a formula (OWASP, "CSV Injection"). Text a spreadsheet would take for a formula when retyped
(starting with =, +, -, @, a tab or a carriage return) also gets Excel's quote prefix, as a
leading apostrophe typed in Excel does, so editing the cell cannot turn it into one either.

Two writers use the rule: the streamed SpreadsheetML of `sheets` (through `CellXml`) and the
openpyxl workbooks laid out like official forms (through `put` and `workbook_bytes`).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.cell import Cell

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 forbids, and halves of surrogate pairs UTF-8 cannot carry; sources do
# send them (pasted from other programs).
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MAX_TEXT = 32_767  # Excel's limit for one cell
EXCEL_EPOCH_ORDINAL = dt.date(1899, 12, 30).toordinal()
# Text that needs more than wrapping in <t>: characters to drop or escape, a formula's first
# character, whitespace a spreadsheet could trim.
CAREFUL = re.compile(r"[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff&<>\n]|\A[=+\-@\s]|\s\Z")
# XML readers turn a carriage return in text into a line feed unless it is a reference.
ENTITIES = {"\r": "&#13;"}
KINDS = ("text", "number", "instant", "day")
# Styles of the streamed workbook's styles.xml: plain, date and time, header, quoted text,
# date, title.
PLAIN, INSTANT, HEADER, QUOTED, DAY, TITLE = range(6)
# Distinct texts remembered per column of a streamed sheet: enough for the repeated ones (units,
# procedures, handlers, statuses), few enough that memory stays flat over any number of rows.
REMEMBERED = 4_096


def sheet_text(value: object) -> tuple[str, bool]:
    """A value as cell text, and whether it needs the quote prefix (it reads as a formula)."""
    text = ILLEGAL.sub("", str(value))[:MAX_TEXT]
    return text, text.startswith(FORMULA_STARTS)


def written_as(value: object, kind: str) -> str | None:
    """The kind a value is written as in a column of `kind`; None for an empty cell.

    A number is a finite int or float (not a bool), an instant a datetime, a day a date; a value
    that is not of its column's kind is text.
    """
    if value is None or value == "":
        return None
    if (kind == "number" and isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value)):
        return "number"
    if kind == "instant" and isinstance(value, dt.datetime):
        return "instant"
    if kind == "day" and isinstance(value, dt.date):
        return "day"
    return "text"


def put(cell: Cell, value: object, kind: str = "text") -> Cell:
    """Put a value into an openpyxl cell by the rule above; return the cell for styling."""
    chosen = written_as(value, kind)
    if chosen == "text":
        text, quoted = sheet_text(value)
        cell.value = text
        cell.data_type = "s"  # openpyxl makes any text starting with "=" a formula by itself
        cell.quotePrefix = quoted
    else:
        cell.value = value
    return cell


def workbook_bytes(book: Workbook) -> bytes:
    """The workbook as XLSX bytes; refused if any cell holds a formula (none is ever meant)."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    raise ValueError(f"cell {sheet.title}!{cell.coordinate} holds a formula; "
                                     "data must be written through put()")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def text_xml(value: object, style: int = PLAIN) -> str:
    """The attributes and content of an inline-string cell (never a formula), up to its end.

    Text that reads as a formula takes the quoted style instead of `style`.
    """
    text, quoted = sheet_text(value)
    styled = f' s="{QUOTED if quoted else style}"' if quoted or style else ""
    # Without xml:space="preserve" a spreadsheet may trim or fold the text's outer whitespace.
    keep = (' xml:space="preserve"' if text != text.strip() or "\n" in text or "\r" in text
            else "")
    return f' t="inlineStr"{styled}><is><t{keep}>{escape(text, ENTITIES)}</t></is></c>'


def value_xml(value: object, kind: str) -> str:
    """The rest of a `<c r="A1"` element for a value in a column of `kind`, by the rule above."""
    if type(value) is str and len(value) <= MAX_TEXT and not CAREFUL.search(value):
        return f' t="inlineStr"><is><t>{value}</t></is></c>' if value else "/>"
    chosen = written_as(value, kind)
    if chosen is None:
        return "/>"
    if chosen == "number":
        return f"><v>{value}</v></c>"
    if chosen == "instant" or chosen == "day":
        return _serial(value, INSTANT if chosen == "instant" else DAY)  # type: ignore[arg-type]
    return text_xml(value)


def _serial(value: dt.date, style: int) -> str:
    """A local date (and time) as Excel's day number; a spreadsheet has no time zones, so an
    aware value is written as its wall-clock time."""
    days: float = value.toordinal() - EXCEL_EPOCH_ORDINAL
    if isinstance(value, dt.datetime):
        days += (value.hour * 3600 + value.minute * 60 + value.second
                 + value.microsecond / 1e6) / 86400
    return f' s="{style}"><v>{days:.8f}</v></c>'


class CellXml(dict[Any, str]):
    """`value_xml` of one column, remembering what it wrote for a text or an empty value.

    A lookup of a remembered value runs in C, which is most of a 100 000-row export's cells.
    Only str keys (and None) are kept: they cannot be equal to a value of another kind, as
    True is to 1, so a remembered entry is always what `value_xml` would write.
    """

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def __missing__(self, value: Any) -> str:
        xml = value_xml(value, self.kind)
        if (value is None or type(value) is str) and len(self) < REMEMBERED:
            self[value] = xml
        return xml

    @staticmethod
    def of(kind: str) -> CellXml:
        """The cells of a column of `kind`."""
        return InstantXml(kind) if kind == "instant" else CellXml(kind)


class InstantXml(CellXml):
    """An instant column's cells: a datetime, nearly every value, goes straight to `_serial`."""

    def __missing__(self, value: Any) -> str:
        if type(value) is dt.datetime:  # what value_xml writes it as, one call sooner
            return _serial(value, INSTANT)
        return super().__missing__(value)
