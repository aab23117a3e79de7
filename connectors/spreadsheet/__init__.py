"""Spreadsheet exports: XLSX or CSV files clerks download from their one-stop software.

Files come from `tthc-monitor import FILE` or from a watched drop folder. A file is read in
batches of rows; in folder mode the cursor names the file, its digest and the last row stored,
so an interrupted import resumes, and a finished file moves to `imported/` (or `failed/`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections.abc import Iterator
from itertools import chain, islice
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import Schema, fields, validate

from connectors.base import Batch, Connector, DossierRecord, RejectedRecord
from connectors.spreadsheet.rows import RowParser, count_rows, find_header, read_rows

SUFFIXES = (".xlsx", ".xlsm", ".csv")
HEADER_SEARCH_ROWS = 20


class SpreadsheetOptions(Schema):
    """Options of [connectors.NAME] with type = "spreadsheet"."""

    unit_code = fields.String(required=True)
    unit_name = fields.String(load_default=None, allow_none=True)
    folder = fields.String(load_default=None, allow_none=True)
    settle_seconds = fields.Float(load_default=5.0, validate=validate.Range(min=0))
    sheet = fields.String(load_default=None, allow_none=True)
    columns = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                          load_default=dict)
    status_map = fields.Dict(keys=fields.String(), values=fields.Integer(
        validate=validate.Range(min=1, max=10)), load_default=dict)
    channel_map = fields.Dict(keys=fields.String(), values=fields.Integer(
        validate=validate.Range(min=1, max=3)), load_default=dict)
    default_channel = fields.Integer(load_default=1, validate=validate.Range(min=1, max=3))
    due_time = fields.String(load_default="17:00", validate=validate.Regexp(r"^\d\d:\d\d$"))
    timezone = fields.String(load_default="Asia/Ho_Chi_Minh")
    batch_rows = fields.Integer(load_default=500, validate=validate.Range(min=1, max=100_000))
    interval_minutes = fields.Integer(load_default=5, validate=validate.Range(min=1))


class SpreadsheetConnector(Connector):
    """Reads exports row by row; bad rows become rejected records naming their row."""

    type_name = "spreadsheet"
    options_schema = SpreadsheetOptions

    def __init__(self, name: str, options: dict[str, Any]) -> None:
        super().__init__(name, options)
        self.parser = RowParser(self.options, ZoneInfo(self.options["timezone"]))
        self.files: list[Path] = []
        self.readable = True
        # Row number of each code in the file being read, for the import summary.
        self.row_of: dict[str, int] = {}

    def parse_item(self, payload: dict[str, Any]) -> DossierRecord:
        """Re-read a quarantined row (header -> value) as a canonical record."""
        row = {k: v for k, v in payload.items() if not k.startswith("_")}
        return self.parser.record(row)

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
        """Yield the file's rows in batches; the cursor (folder mode) names the last row."""
        self.row_of, self.readable = {}, True
        rows = read_rows(path, self.options["sheet"])
        try:
            head = list(islice(rows, HEADER_SEARCH_ROWS))
            found = find_header(head, self.parser.columns)
        except (OSError, ValueError, KeyError) as exc:
            found, head = None, []
            problem = f"cannot be read: {exc}"
        else:
            problem = "has no header row naming the dossier code (e.g. 'Mã hồ sơ') in its " \
                      f"first {HEADER_SEARCH_ROWS} rows"
        if found is None:
            self.readable = False
            yield Batch([RejectedRecord({"_file": path.name}, f"file {path.name} {problem}")],
                        self._cursor(path, digest, 0, True))
            return
        header_row, _ = found
        headers = next(values for number, values in head if number == header_row)
        body = (pair for pair in chain(head, rows) if pair[0] > max(header_row, after_row))
        yield from self._batches(path, digest, headers, body)

    def _batches(self, path: Path, digest: str | None, headers: list[Any],
                 body: Iterator[tuple[int, list[Any]]]) -> Iterator[Batch]:
        first_row: dict[str, int] = {}
        while True:
            chunk = list(islice(body, self.options["batch_rows"]))
            records: list[DossierRecord | RejectedRecord] = []
            for number, values in chunk:
                if not any(v not in (None, "") for v in values):
                    continue
                records.append(self._row(path, number, headers, values, first_row))
            last = chunk[-1][0] if chunk else 0
            done = len(chunk) < self.options["batch_rows"]
            if records or done:
                yield Batch(records, self._cursor(path, digest, last, done))
            if done:
                return

    def _row(self, path: Path, number: int, headers: list[Any], values: list[Any],
             first_row: dict[str, int]) -> DossierRecord | RejectedRecord:
        row = {str(h).strip(): v for h, v in zip(headers, values, strict=False)
               if h not in (None, "")}
        try:
            record = self.parser.record(row)
        except ValueError as exc:
            code = self.parser.fields(row).get("code")
            return RejectedRecord(_payload(path, number, row), f"row {number}: {exc}",
                                  source_id=str(code).strip() if code is not None else None)
        if record.code in first_row:
            return RejectedRecord(_payload(path, number, row),
                                  f"row {number}: same dossier code {record.code} as row "
                                  f"{first_row[record.code]}, which is kept",
                                  source_id=f"{record.code}@{path.name}:{number}")
        first_row[record.code] = self.row_of[record.code] = number
        return record

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


def _payload(path: Path, number: int, row: dict[str, Any]) -> dict[str, Any]:
    """A row as JSON data for quarantine, dates as ISO text, with where it came from."""
    cells = {k: v.isoformat() if isinstance(v, dt.datetime | dt.date | dt.time) else v
             for k, v in row.items()}
    return {"_file": path.name, "_row": number, **cells}


__all__ = ["SpreadsheetConnector", "count_rows", "file_digest"]
