"""Read a whole export into what a page shows before a clerk confirms the import.

`read_export` stores nothing: it returns the matched columns, the first rows as they will be
read, the records and the refused rows with their reasons. Importing is the connector's job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.base import DossierRecord
from connectors.spreadsheet.dates import show_moment
from connectors.spreadsheet.headers import ColumnMatch, Layout
from connectors.spreadsheet.table import Accepted, Reader, Rejection, Skipped, open_table


@dataclass(frozen=True)
class PreviewRow:
    """A body row as the page shows it: cells by header, and its reason if refused."""

    row: int
    cells: dict[str, Any]
    reason: str | None = None


@dataclass
class ExportReading:
    """Everything read from one file, nothing stored."""

    file: str
    sheet: str
    sheets: list[str]
    header_rows: tuple[int, ...]
    columns: tuple[ColumnMatch, ...]
    preview: list[PreviewRow] = field(default_factory=list)
    records: list[tuple[int, DossierRecord]] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # The sheet's row count (an upper bound), and whether every body row was read.
    sheet_rows: int = 0
    complete: bool = True

    @property
    def body_rows(self) -> int:
        """Rows below the header: exact once read through, else the sheet's upper bound."""
        if self.complete:
            return len(self.records) + len(self.rejections)
        return max(self.sheet_rows - self.header_rows[-1], 0)

    @property
    def matched(self) -> dict[str, str]:
        """Field -> the header it was read from."""
        return {c.field: c.header for c in self.columns if c.used and c.field is not None}

    def describe(self) -> list[str]:
        """The column mapping in Vietnamese, as the CLI prints it."""
        return Layout(self.sheet, self.header_rows, self.columns).describe()


def read_export(path: Path, reader: Reader, preview_rows: int = 10,
                scan_rows: int | None = None) -> ExportReading:
    """Read a file into its column mapping, preview, records and refused rows.

    With `scan_rows`, reading stops after that many body rows, so a page can preview a large
    file in bounded time; `complete` then says whether the end was reached. Raises
    SpreadsheetError (one Vietnamese line) when the file cannot be read at all.
    """
    with open_table(path, reader) as table:
        layout = table.layout
        reading = ExportReading(path.name, layout.sheet, [s.name for s in table.book.sheets],
                                layout.header_rows, layout.columns, sheet_rows=table.sheet.rows)
        headers = {name: column.header for name, column in layout.fields.items()}
        for number, result in enumerate(table.results()):
            if scan_rows is not None and number >= scan_rows:
                reading.complete = False
                break
            if isinstance(result, Skipped):
                reading.skipped.append(result)
                continue
            if isinstance(result, Accepted):
                reading.records.append((result.row, result.record))
            else:
                reading.rejections.append(result)
            if len(reading.preview) < preview_rows:
                reason = result.reason if isinstance(result, Rejection) else None
                reading.preview.append(PreviewRow(result.row, shown_cells(result.values,
                                                                          headers), reason))
    return reading


def shown_cells(values: Mapping[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
    """Values by field as JSON-safe cells by header: dates as dd/mm/yyyy [hh:mm]."""
    return {headers.get(name, name): shown_value(value) for name, value in values.items()}


def shown_value(value: Any) -> Any:
    """A cell value as JSON data a clerk recognises."""
    if isinstance(value, dt.datetime | dt.date):
        return show_moment(value)
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    return value
