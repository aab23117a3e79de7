"""Biểu 06/VPCP/KSTT (Circular 01/2020/TT-VPCP): dossiers received, resolved and open by lĩnh vực.

Counted by one GROUP BY over the dossiers of the unit, in the circular's columns 3 to 13.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from service.dossiers.classes import finished_late_sql, overdue_sql
from service.dossiers.dues import reported_due_sql
from service.models import Dossier, Procedure
from service.reports.asof import as_of_label, judged_at, paused_at_sql
from service.reports.periods import Period
from service.reports.scope import (
    finish_column,
    open_at,
    received_before,
    unit_tree,
)
from service.vocabulary import Channel, Outcome

# Columns 3 to 13 of the form, in order; 1 (STT) and 2 (lĩnh vực) are labels.
COLUMNS = tuple(range(3, 14))
NO_DOMAIN = "Chưa xác định lĩnh vực"
# (first cell, last cell, text) of the form's four header rows as in the workbook (rows 6 to
# 9), so the page and the XLSX say the same words for the same cell. Column 12 is "Trong
# hạn": it holds every open dossier not overdue, those waiting for the applicant included.
HEADER = [
    ("A6", "A9", "STT"), ("B6", "B9", "Lĩnh vực, công việc giải quyết theo cấp"),
    ("C6", "F6", "Số hồ sơ nhận giải quyết"), ("G6", "M6", "Kết quả giải quyết"),
    ("C7", "C9", "Tổng số"), ("D7", "F7", "Trong đó"),
    ("G7", "J7", "Số hồ sơ đã giải quyết"), ("K7", "M7", "Số hồ sơ đang giải quyết"),
    ("D8", "E8", "Số mới tiếp nhận"), ("F8", "F9", "Số kỳ trước chuyển qua"),
    ("G8", "G9", "Tổng số"), ("H8", "H9", "Trả trước hạn"), ("I8", "I9", "Trả đúng thời hạn"),
    ("J8", "J9", "Trả quá hạn"), ("K8", "K9", "Tổng số"), ("L8", "L9", "Trong hạn"),
    ("M8", "M9", "Quá hạn"), ("D9", "D9", "Trực tuyến"),
    ("E9", "E9", "Trực tiếp, dịch vụ bưu chính"),
]


@dataclass(frozen=True)
class HeaderCell:
    """One header cell of the form as an HTML table cell."""

    text: str
    rowspan: int
    colspan: int


def _cell(name: str) -> tuple[int, int]:
    """'D8' -> (row 8, column 4)."""
    return int(name[1:]), ord(name[0]) - ord("A") + 1


def header_rows() -> list[list[HeaderCell]]:
    """HEADER as HTML rows: each cell in the row where it starts, left to right."""
    rows: dict[int, list[tuple[int, HeaderCell]]] = {}
    for first, last, text in HEADER:
        (top, left), (bottom, right) = _cell(first), _cell(last)
        rows.setdefault(top, []).append(
            (left, HeaderCell(text, bottom - top + 1, right - left + 1)))
    return [[cell for _, cell in sorted(rows[row])] for row in sorted(rows)]


@dataclass
class Form06Row:
    """One line of the form: a lĩnh vực (or the total) and columns 3 to 13."""

    number: int | None
    domain: str
    cells: dict[int, int] = field(default_factory=lambda: dict.fromkeys(COLUMNS, 0))

    def add(self, other: dict[int, int]) -> None:
        """Add another line's counts to this one."""
        for column in COLUMNS:
            self.cells[column] += other[column]


@dataclass
class Form06:
    """The whole form for one unit and period, as it stood at `as_of`."""

    unit_code: str
    unit_name: str
    period: Period
    rows: list[Form06Row]
    total: Form06Row
    made_at: dt.datetime
    as_of: dt.datetime
    timezone: str

    @property
    def as_of_text(self) -> str:
        """'Số liệu tính đến HH:MM ngày dd/mm/yyyy', for the header of every rendering."""
        return as_of_label(self.as_of, self.timezone)


def _categories(start: dt.datetime, at: dt.datetime, extension_counts_late: bool,
                report_due: str) -> tuple[Any, Any]:
    """Two CASE columns putting each dossier in exactly one of 4/5/6 and one of 8/9/10/12/13.

    Every row lands in one category of each, whatever is NULL, so 3 = 4+5+6 = 7+11 holds by
    construction. Open means not finished before `at`; an open dossier is overdue when its
    reporting due date lies before `at` and it was not waiting for the applicant at `at`
    (its status then, from its history; asked only of the overdue ones, the only ones it
    can move).
    """
    finish = finish_column(at)  # `at` for a dossier still open: never "finished before at"
    received = case((Dossier.received_at < start, 6),
                    (Dossier.channel == Channel.ONLINE, 4), else_=5)
    # A finished dossier without a stored verdict is judged against its due date.
    verdict = case((Dossier.outcome == Outcome.EARLY, 8),
                   (finished_late_sql(Dossier.outcome, finish, Dossier.due_at), 10), else_=9)
    due = reported_due_sql(extension_counts_late, report_due)
    # Waiting for the applicant at `at` counts as within the limit (col 12).
    standing = case((~overdue_sql(due, at), 12), (paused_at_sql(at), 12), else_=13)
    state = case((finish < at, verdict), else_=standing)
    return received.label("received"), state.label("state")


def _fold(cells: dict[int, int]) -> dict[int, int]:
    """Fill the total columns 3, 7 and 11 from their parts."""
    cells[3] = cells[4] + cells[5] + cells[6]
    cells[7] = cells[8] + cells[9] + cells[10]
    cells[11] = cells[12] + cells[13]
    return cells


def form06(session: Session, unit_code: str, period: Period, timezone: str, now: dt.datetime,
           *, as_of: dt.datetime | None = None, extension_counts_late: bool = True,
           report_due: str = "source") -> Form06:
    """Count Biểu 06 for a unit (and the units below it) over a period, as of `judged_at`."""
    unit, unit_ids = unit_tree(session, unit_code)
    start, _ = period.bounds(timezone)
    at = judged_at(period, timezone, now, as_of)
    received, state = _categories(start, at, extension_counts_late, report_due)
    # Grouped in an outer query: PostgreSQL would not match CASE expressions whose parameters
    # are bound twice, once in SELECT and once in GROUP BY.
    inner = (select(Dossier.procedure_id, received, state)
             .where(received_before(unit_ids, at), open_at(start, at)))
    if session.get_bind().dialect.name == "sqlite":
        # SQLite: a year touches most rows, so read the table straight through rather than
        # by index; LIMIT -1 keeps the subquery from being merged into the GROUP BY, which
        # would evaluate the CASEs again while sorting (measured 2x slower at 1M dossiers).
        inner = inner.with_hint(Dossier, "NOT INDEXED", "sqlite").limit(-1)
    rows_in = inner.subquery()
    query = (select(rows_in.c.procedure_id, rows_in.c.received, rows_in.c.state, func.count())
             .group_by(rows_in.c.procedure_id, rows_in.c.received, rows_in.c.state))
    counts = session.execute(query).all()
    domains = dict(session.execute(select(Procedure.id, Procedure.domain_name).where(
        Procedure.id.in_({row[0] for row in counts}))).all())
    lines: dict[str, Form06Row] = {}
    for procedure_id, received_column, state_column, count in counts:
        name = domains.get(procedure_id) or NO_DOMAIN
        row = lines.setdefault(name, Form06Row(None, name))
        row.cells[int(received_column)] += count
        row.cells[int(state_column)] += count
    for row in lines.values():
        _fold(row.cells)
    rows = sorted(lines.values(), key=lambda r: (r.domain == NO_DOMAIN, r.domain.casefold()))
    total = Form06Row(None, "Tổng cộng")
    for number, row in enumerate(rows, start=1):
        row.number = number
        total.add(row.cells)
    return Form06(unit.code, unit.name, period, rows, total, now, at, timezone)


def as_dict(report: Form06) -> dict[str, Any]:
    """The form as plain data (JSON for the API), columns keyed "3" to "13"."""
    def line(row: Form06Row) -> dict[str, Any]:
        return {"number": row.number, "domain": row.domain,
                "columns": {str(c): row.cells[c] for c in COLUMNS}}

    return {"unit": report.unit_code, "unit_name": report.unit_name,
            "period": {"first": report.period.first.isoformat(),
                       "last": report.period.last.isoformat(), "label": report.period.label},
            "rows": [line(r) for r in report.rows], "total": line(report.total),
            "made_at": report.made_at.isoformat(), "as_of": report.as_of.isoformat(),
            "as_of_text": report.as_of_text}
