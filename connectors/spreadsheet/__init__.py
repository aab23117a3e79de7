"""Spreadsheet exports: XLSX or CSV files clerks download from their one-stop software.

Files come from `tthc-monitor import FILE` or from a watched drop folder. A file is measured
before it is parsed, its table found below any title rows, and read in batches of rows; in
folder mode the cursor names the file, its digest and the last row stored, so an interrupted
import resumes, and a finished file moves to `imported/` (or `failed/`). `read_export` reads
a file for a preview without storing anything.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from connectors.base import Batch, Connector, DossierRecord, RejectedRecord
from connectors.spreadsheet.export import ExportReading, read_export, shown_cells
from connectors.spreadsheet.headers import Layout, fold
from connectors.spreadsheet.options import SpreadsheetOptions, make_reader
from connectors.spreadsheet.package import SpreadsheetError
from connectors.spreadsheet.rows import RowProblems
from connectors.spreadsheet.table import Accepted, Rejection, Skipped, Table, open_table, row_reason

SUFFIXES = (".xlsx", ".xlsm", ".csv")


class SpreadsheetConnector(Connector):
    """Reads exports row by row; bad rows become rejected records naming their row."""

    type_name = "spreadsheet"
    options_schema = SpreadsheetOptions

    def __init__(self, name: str, options: dict[str, Any]) -> None:
        super().__init__(name, options)
        self.reader = make_reader(self.options)
        self.files: list[Path] = []
        self.readable = True
        # What the file being read turned out to be, for the import summary.
        self.layout: Layout | None = None
        self.total_rows: int | None = None
        self.row_of: dict[str, int] = {}
        self.skipped: list[Skipped] = []

    def parse_item(self, payload: dict[str, Any]) -> DossierRecord:
        """Re-read a quarantined row (header -> value) as a canonical record."""
        if "_row" not in payload:  # the whole file could not be read: nothing to re-read
            raise ValueError(f"Tệp {payload.get('_file')}: cả tệp không đọc được; hãy sửa hoặc "
                             "xuất lại tệp rồi nhập lại")
        values: dict[str, Any] = {}
        headers: dict[str, str] = {}
        for header, value in payload.items():
            field = self.reader.known.get(fold(header)) if not header.startswith("_") else None
            if field and field not in values and value not in (None, ""):
                values[field], headers[field] = value, header
        try:
            return self.reader.parser.record(values)
        except RowProblems as exc:
            raise ValueError(row_reason(payload.get("_row"), exc.problems, headers)) from None

    def fetch(self, cursor: dict[str, Any] | None, now: dt.datetime) -> Iterator[Batch]:
        """Read the files given by `import`, else the settled files of the drop folder."""
        if self.files:
            for path in self.files:
                yield from self.read_file(path)
            return
        if not self.options["folder"]:
            return
        for path in self.waiting_files(now):
            digest = file_digest(path)
            resume = cursor or {}
            if resume.get("file") == path.name and resume.get("digest") == digest:
                if resume.get("done"):
                    self._archive(path, "imported", now)
                    continue
                after = resume.get("row", 0)
            else:
                after = 0
            yield from self.read_file(path, digest=digest, after_row=after)
            cursor = None
            self._archive(path, "imported" if self.readable else "failed", now)

    def waiting_files(self, now: dt.datetime) -> list[Path]:
        """Files of the drop folder untouched for `settle_seconds`, oldest first."""
        folder = Path(self.options["folder"])
        if not folder.is_dir():
            return []
        settled = now.timestamp() - self.options["settle_seconds"]
        found = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES
                 and not p.name.startswith((".", "~$")) and p.stat().st_mtime <= settled]
        return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))

    def read_file(self, path: Path, digest: str | None = None, after_row: int = 0
                  ) -> Iterator[Batch]:
        """Yield the file's rows in batches; the cursor (folder mode) names the last row.

        A file that cannot be read raises SpreadsheetError when imported by name; from the
        drop folder it becomes one rejected item and the file moves to `failed/`.
        """
        self.row_of, self.skipped, self.readable = {}, [], True
        self.layout = self.total_rows = None
        try:
            with open_table(path, self.reader) as table:
                self.layout, self.total_rows = table.layout, table.sheet.rows
                yield from self._batches(table, digest, after_row)
        except SpreadsheetError as exc:
            if digest is None:
                raise
            self.readable = False
            yield Batch([RejectedRecord({"_file": path.name}, str(exc))],
                        self._cursor(path, digest, 0, True))

    def _batches(self, table: Table, digest: str | None, after_row: int) -> Iterator[Batch]:
        results = table.results(after_row)
        while True:
            chunk = list(islice(results, self.options["batch_rows"]))
            records = [self._item(table, result) for result in chunk
                       if not isinstance(result, Skipped)]
            self.skipped.extend(r for r in chunk if isinstance(r, Skipped))
            last = chunk[-1].row if chunk else after_row
            done = len(chunk) < self.options["batch_rows"]
            if records or done:
                yield Batch(records, self._cursor(table.path, digest, last, done))
            if done:
                return

    def _item(self, table: Table, result: Accepted | Rejection
              ) -> DossierRecord | RejectedRecord:
        if isinstance(result, Accepted):
            self.row_of[result.record.code] = result.row
            return result.record
        headers = {name: column.header for name, column in table.layout.fields.items()}
        payload = {"_file": table.path.name, "_sheet": table.sheet.name, "_row": result.row,
                   **shown_cells(result.values, headers)}
        source_id = result.code
        if result.duplicate_of is not None:
            source_id = f"{result.code}@{table.path.name}:{result.row}"
        return RejectedRecord(payload, result.reason, source_id=source_id)

    def _cursor(self, path: Path, digest: str | None, row: int, done: bool
                ) -> dict[str, Any] | None:
        if digest is None:  # an explicit import keeps no cursor: re-importing is idempotent
            return None
        return {"file": path.name, "digest": digest, "row": row, "done": done}

    def _archive(self, path: Path, kind: str, now: dt.datetime) -> None:
        target = path.parent / kind
        target.mkdir(exist_ok=True)
        shutil.move(path, target / f"{now:%Y%m%dT%H%M%S}-{path.name}")


def file_digest(path: Path) -> str:
    """SHA-256 of a file, so a cursor never resumes into a different file of the same name."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


__all__ = ["ExportReading", "SpreadsheetConnector", "SpreadsheetError", "SpreadsheetOptions",
           "file_digest", "read_export"]
