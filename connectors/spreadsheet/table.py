"""Read the table of an export: choose the sheet, find the header, turn body rows into results.

Below the header come the dossier rows, and around them what real exports add: a row of
column numbers "(1) (2) (3)", group headings merged across the row, cells merged down several
rows, subtotal rows ("Cộng"), and after the last dossier a total row ("Tổng cộng") followed by
signatures, which ends the table.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from connectors.base import DossierRecord
from connectors.spreadsheet.dates import show_moment
from connectors.spreadsheet.headers import (
    DEFAULT_COLUMNS,
    HEADER_SEARCH_ROWS,
    LABELS,
    Layout,
    find_layout,
    fold,
)
from connectors.spreadsheet.package import Limits, Merge, SpreadsheetError
from connectors.spreadsheet.rows import REQUIRED, Problem, RowParser, RowProblems, cell_text
from connectors.spreadsheet.workbook import Rows, Sheet, Workbook

COLUMN_NUMBER = re.compile(r"\(?\s*\d{1,3}\s*\)?")
TOTAL_WORDS = ("tổng", "cộng")


@dataclass(frozen=True)
class Accepted:
    """A row that became a record."""

    row: int
    record: DossierRecord
    values: dict[str, Any]


@dataclass(frozen=True)
class Rejection:
    """A row that could not become a record: the reason clerks read and what the row held."""

    row: int
    reason: str
    problems: tuple[Problem, ...]
    values: dict[str, Any]
    code: str | None = None
    duplicate_of: int | None = None


@dataclass(frozen=True)
class Skipped:
    """A row that is not a dossier (column numbers, a group heading, a total), and why."""

    row: int
    why: str


RowResult = Accepted | Rejection | Skipped


@dataclass
class Reader:
    """How a connector reads files: its row parser, known headers, limits and chosen sheet."""

    parser: RowParser
    known: dict[str, str]
    limits: Limits
    sheet: str | None = None


@dataclass
class Table:
    """An export opened on its table; close it (or use `with`) to release the file."""

    path: Path
    book: Workbook
    sheet: Sheet
    layout: Layout
    reader: Reader
    seen: dict[str, int] = field(default_factory=dict)

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.book.close()

    def results(self, after_row: int = 0) -> Iterator[RowResult]:
        """Each body row's result, in file order, from the row after `after_row`."""
        first = max(self.layout.header_rows[-1], after_row) + 1
        body = self.book.rows(self.sheet, first=first, width=self.layout.width)
        yield from _Body(self, self.sheet.merges).read(body, numbering=after_row == 0)

    def reason(self, row: int, problems: list[Problem]) -> str:
        """The reason a row is refused, naming the columns as this file heads them."""
        headers = {name: column.header for name, column in self.layout.fields.items()}
        return row_reason(row, problems, headers)


def row_reason(row: int | None, problems: list[Problem], headers: dict[str, str]) -> str:
    """Vietnamese reason: "Dòng 12, cột «Ngày hẹn trả»: «31/02/2026» không phải ngày…"."""
    parts = [f"cột «{headers.get(p.field) or LABELS.get(p.field, p.field)}»: {p.text}"
             for p in problems]
    return (f"Dòng {row}, " if row is not None else "") + "; ".join(parts)


def open_table(path: Path, reader: Reader) -> Table:
    """Open an export on the sheet with its table; SpreadsheetError says why it cannot be read."""
    book = Workbook(path, reader.limits)
    try:
        sheet, layout = _choose(path, book, reader)
        _check_required(path, layout)
    except BaseException:
        book.close()
        raise
    return Table(path, book, sheet, layout, reader)


def _choose(path: Path, book: Workbook, reader: Reader) -> tuple[Sheet, Layout]:
    """The sheet named by the option, else the first visible sheet with a complete header.

    A summary sheet may head a column "Số hồ sơ" (a count), so a header without the other
    required columns is used only when no sheet has them all, and then refused for that.
    """
    if reader.sheet is not None:
        chosen = [s for s in book.sheets if s.name == reader.sheet] or \
            [s for s in book.sheets if fold(s.name) == fold(reader.sheet)]
        if not chosen:
            names = ", ".join(f"«{s.name}»" for s in book.sheets)
            raise SpreadsheetError(f"Tệp {path.name}: không có trang tính «{reader.sheet}»; "
                                   f"các trang có: {names}")
        candidates = chosen[:1]
    else:
        candidates = [s for s in book.sheets if not s.hidden] or book.sheets
    found = []
    for sheet in candidates:
        rows = book.rows(sheet)
        try:
            head = list(islice(rows, HEADER_SEARCH_ROWS + 1))
        finally:
            rows.close()
        layout = find_layout(sheet, head, reader.known)
        if layout is not None and layout.header_rows[0] <= HEADER_SEARCH_ROWS:
            if not _missing(layout):
                return sheet, layout
            found.append((sheet, layout))
    if found:
        return found[0]
    names = ", ".join(f"«{s.name}»" for s in candidates)
    codes = ", ".join(f"«{n}»" for n in DEFAULT_COLUMNS["code"][:3])
    raise SpreadsheetError(f"Tệp {path.name}: không tìm thấy dòng tiêu đề có cột mã hồ sơ "
                           f"({codes}…) trong {HEADER_SEARCH_ROWS} dòng đầu của trang {names}")


def _check_required(path: Path, layout: Layout) -> None:
    """Refuse a table without a required column: every one of its rows would be refused."""
    missing = _missing(layout)
    if missing:
        names = "; ".join(f"«{LABELS[f]}» (hoặc {', '.join(DEFAULT_COLUMNS[f][1:3])})"
                          for f in missing)
        raise SpreadsheetError(f"Tệp {path.name}, trang «{layout.sheet}», dòng tiêu đề "
                               f"{layout.header_rows[0]}: thiếu cột {names}")


def _missing(layout: Layout) -> list[str]:
    return [name for name in REQUIRED if name not in layout.fields]


class _Body:
    """The body rows of one table, read once, in order."""

    def __init__(self, table: Table, merges: tuple[Merge, ...]) -> None:
        self.table = table
        last_header = table.layout.header_rows[-1]
        self.starting: dict[int, list[Merge]] = {}
        for merge in merges:
            if merge.min_row > last_header:
                self.starting.setdefault(merge.min_row, []).append(merge)
        self.down: list[tuple[Merge, Any]] = []

    def read(self, body: Rows, numbering: bool) -> Iterator[RowResult]:
        for number, values in body:
            if not any(v not in (None, "") for v in values):
                continue
            if numbering and _is_column_numbers(values):
                numbering = False
                yield Skipped(number, "dòng đánh số cột")
                continue
            numbering = False
            total = _total(values, self._by_field(values))
            if total is not None:
                yield Skipped(number, f"dòng tổng «{_short(total)}»")
                if _word(total) == "tổng":
                    return  # what follows the grand total is signatures and notes
                continue
            heading = self._heading(number, values)
            if heading:
                yield Skipped(number, f"dòng tiêu đề nhóm «{_short(heading)}»")
                continue
            self._fill_down(number, values)
            by_field = self._by_field(values)
            if not by_field:
                yield Skipped(number, "không có dữ liệu hồ sơ")
                continue
            yield self._result(number, by_field)

    def _heading(self, number: int, values: list[Any]) -> Any:
        """A group heading: the row's only value, merged across three or more columns."""
        filled = [i for i, v in enumerate(values) if v not in (None, "")]
        for merge in self.starting.get(number, ()):
            if filled == [merge.min_col - 1] and merge.max_col - merge.min_col >= 2 \
                    and merge.max_row == merge.min_row:
                return values[filled[0]]
        return None

    def _fill_down(self, number: int, values: list[Any]) -> None:
        """Copy the value of a cell merged down several rows into each of those rows."""
        self.down = [(m, v) for m, v in self.down if m.max_row >= number]
        for merge in self.starting.get(number, ()):
            if merge.max_row > merge.min_row and merge.min_col <= len(values):
                self.down.append((merge, values[merge.min_col - 1]))
        for merge, value in self.down:
            if merge.min_row < number:
                for col in range(merge.min_col - 1, min(merge.max_col, len(values))):
                    values[col] = value

    def _by_field(self, values: list[Any]) -> dict[str, Any]:
        found = {}
        for name, column in self.table.layout.fields.items():
            value = values[column.index] if column.index < len(values) else None
            if isinstance(value, str):
                value = value.strip()
            if value not in (None, ""):
                found[name] = value
        return found

    def _result(self, number: int, values: dict[str, Any]) -> Accepted | Rejection:
        table = self.table
        try:
            record = table.reader.parser.record(values)
        except RowProblems as exc:
            code = cell_text(values["code"]) if "code" in values else None
            return Rejection(number, table.reason(number, exc.problems),
                             tuple(exc.problems), values, code)
        first = table.seen.setdefault(record.code, number)
        if first != number:
            problem = Problem("code", record.code, f"trùng mã hồ sơ {record.code} với dòng "
                                                   f"{first} (giữ dòng {first})")
            return Rejection(number, table.reason(number, [problem]), (problem,), values,
                             record.code, duplicate_of=first)
        return Accepted(number, record, values)


def _is_column_numbers(values: list[Any]) -> bool:
    """"(1) (2) (3)…" or "1 2 3…" under the header, as printed government forms number them."""
    filled = [cell_text(v) for v in values if v not in (None, "")]
    return len(filled) >= 3 and all(COLUMN_NUMBER.fullmatch(t) for t in filled)


def _total(values: list[Any], by_field: dict[str, Any]) -> Any:
    """The text of a total or subtotal row ("Tổng cộng", "Cộng"), else None."""
    code = by_field.get("code")
    if code is not None and _word(code) not in TOTAL_WORDS:
        return None
    first = next((v for v in values if isinstance(v, str) and v.strip()), None)
    return first if first is not None and _word(first) in TOTAL_WORDS else None


def _word(value: Any) -> str:
    """The first word, accents kept: "Cộng" (a subtotal) is not "Công" (as in "Công an")."""
    words = re.findall(r"[^\W\d_]+", unicodedata.normalize("NFC", str(value)).casefold())
    return words[0] if words else ""


def _short(value: Any) -> str:
    text = show_moment(value) if hasattr(value, "year") else cell_text(value)
    return text if len(text) <= 40 else text[:37] + "…"
