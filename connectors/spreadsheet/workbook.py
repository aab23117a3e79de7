"""Open an XLSX or CSV export within limits and yield each sheet's rows of cell values.

XLSX cells come through openpyxl's streaming reader after the package was measured; a date
cell whose number format shows no time of day comes out as a `date`, not as midnight.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from openpyxl import load_workbook

from connectors.spreadsheet.dates import has_clock
from connectors.spreadsheet.package import (
    Limits,
    Merge,
    SheetPart,
    SpreadsheetError,
    amount,
    inspect_package,
    megabytes,
    not_a_workbook,
    too_big,
)

log = logging.getLogger(__name__)
XLSX_SUFFIXES = (".xlsx", ".xlsm")
Rows = Iterator[tuple[int, list[Any]]]


@dataclass(frozen=True)
class Sheet:
    """One sheet: its name, row count (an upper bound), hidden columns and merged ranges."""

    name: str
    hidden: bool
    rows: int
    hidden_columns: frozenset[int]
    merges: tuple[Merge, ...]


class Workbook:
    """An export opened for reading; use as a context manager so the file is closed."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path, self.limits = path, limits
        self._book: Any = None
        suffix = path.suffix.lower()
        if suffix in XLSX_SUFFIXES:
            self.sheets = [_sheet(part) for part in inspect_package(path, limits)]
            self._book = _open(path)
        elif suffix == ".csv":
            self.encoding, lines = _csv_facts(path, limits)
            self.sheets = [Sheet(path.stem, False, lines, frozenset(), ())]
        else:
            raise SpreadsheetError(f"Tệp {path.name}: chỉ đọc được bảng tính .xlsx hoặc .csv "
                                   "(hãy mở bằng Excel rồi lưu lại dạng .xlsx)")

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Release the file."""
        if self._book is not None:
            self._book.close()
            self._book = None

    def rows(self, sheet: Sheet, first: int = 1, width: int | None = None) -> Rows:
        """Yield (1-based row number, cell values) from row `first`, at most `width` cells each.

        Without a width, rows are padded to the column limit; a reader that knows the table's
        last column passes it, so the body's rows are no wider than the table.
        """
        width = min(width or self.limits.max_columns, self.limits.max_columns)
        source = self._csv_rows(width) if self._book is None else \
            self._xlsx_rows(sheet, first, width)
        for number, values in source:
            if number < first:
                continue
            if number > self.limits.max_rows:
                raise too_big(self.path, f"trang «{sheet.name}» có hơn "
                                         f"{amount(self.limits.max_rows)} dòng")
            yield number, values

    def _xlsx_rows(self, sheet: Sheet, first: int, width: int) -> Rows:
        # openpyxl raises whatever its parsers raise on a damaged part (KeyError, ValueError,
        # TypeError, zlib and XML errors...): every one of them means the same to a clerk.
        try:
            pages = self._book[sheet.name]
            # Some exporters declare the size "A1" whatever the content, and openpyxl would
            # stop there; the package scan already bounded the real size.
            pages.reset_dimensions()
            cells = pages.iter_rows(min_row=first, max_col=width)
            for number, row in enumerate(cells, start=first):
                yield number, [_value(cell) for cell in row]
        except Exception as exc:  # noqa: BLE001 - see above
            log.debug("spreadsheet %s: sheet %s unreadable: %r", self.path.name, sheet.name, exc)
            raise not_a_workbook(self.path, exc) from exc

    def _csv_rows(self, width: int) -> Rows:
        with self.path.open(encoding=self.encoding, newline="") as handle:
            sample = handle.read(4096)
            handle.seek(0)
            try:
                dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
            except csv.Error:
                dialect = csv.excel
            reader = csv.reader(handle, dialect)
            try:
                for number, values in enumerate(reader, start=1):
                    yield number, values[:width]
            except csv.Error as exc:
                raise SpreadsheetError(f"Tệp {self.path.name}: dòng {reader.line_num} không đọc "
                                       f"được ({exc})") from None


def _sheet(part: SheetPart) -> Sheet:
    hidden = frozenset(column - 1 for column in part.hidden_columns)
    return Sheet(part.name, part.hidden, part.rows, hidden, part.merges)


def _open(path: Path) -> Any:
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - as in Workbook._xlsx_rows
        log.debug("spreadsheet %s: unreadable: %r", path.name, exc)
        raise not_a_workbook(path, exc) from exc


def _value(cell: Any) -> Any:
    """A cell's value; a date-time shown without a time of day is the date alone."""
    value = cell.value
    if isinstance(value, dt.datetime) and not has_clock(cell.number_format):
        return value.date()
    return value


def _csv_facts(path: Path, limits: Limits) -> tuple[str, int]:
    """The encoding of a CSV export and its line count, read in blocks within the size limit."""
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise too_big(path, f"dung lượng {megabytes(size)} (tối đa {megabytes(limits.max_bytes)})")
    decoder, encoding, lines = codecs.getincrementaldecoder("utf-8-sig")(), "utf-8-sig", 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            lines += block.count(b"\n")
            if encoding == "utf-8-sig":
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    # Older one-stop software exports in Windows-1258, the Vietnamese code page.
                    encoding = "cp1258"
    return encoding, lines + 1


__all__ = ["Limits", "Merge", "Sheet", "SpreadsheetError", "Workbook"]
